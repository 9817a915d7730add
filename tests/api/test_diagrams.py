"""The diagram of a version is its main process's file, not whichever file sorts first: every
procedure's bundle also holds the shared subprocesses it calls, each in a file of its own."""

from __future__ import annotations

import pytest
from lxml import etree
from sqlalchemy import create_engine, text

from engine.storage import upgrade

from ..conftest import BPMN, POSTGRES_URL

BPMN_MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"
PROCEDURES = sorted(folder.name for folder in BPMN.iterdir() if folder.is_dir())


def processes_in(xml: bytes) -> list[str]:
    root = etree.fromstring(xml)
    return [process.get("id") for process in root.iter(f"{{{BPMN_MODEL}}}process")]


def test_every_procedure_bundle_calls_shared_subprocesses():
    """The premise: most bundles have a .bpmn file that sorts before their own."""
    first_files = {key: sorted(p.name for p in (BPMN / key).glob("*.bpmn"))[0] for key in PROCEDURES}
    assert len(PROCEDURES) == 11
    assert sum(name != f"{key}.bpmn" for key, name in first_files.items()) >= 6


@pytest.mark.parametrize("key", PROCEDURES)
def test_the_diagram_of_each_procedure_is_its_own(call, tokens, key):
    paths = sorted(path for path in (BPMN / key).iterdir() if path.is_file())
    deployed = call.deploy(paths=paths)
    assert deployed.status == 201, deployed.json
    version = call("GET", f"/api/definitions/{key}/versions/1", user="clerk").json
    assert version["main_file"] == f"{key}.bpmn"
    diagram = call("GET", f"/api/definitions/{key}/versions/1/bpmn", user="clerk")
    assert diagram.status == 200 and diagram.content_type == "application/xml"
    assert processes_in(diagram.body) == [key]
    assert diagram.body == (BPMN / key / f"{key}.bpmn").read_bytes()
    # The other files stay reachable by name (the designer opens all of them).
    shared = call("GET", f"/api/definitions/{key}/versions/1/bpmn", user="designer", query={"file": "receipt.bpmn"})
    assert processes_in(shared.body) == ["receipt"]


def test_a_main_process_in_a_file_of_any_name_is_found(call, tokens):
    """A designer's file need not be named after the process; the one cases start on is shown."""
    source = BPMN / "seal_registration"
    files = [(p.name, p.read_bytes()) for p in sorted(source.iterdir()) if p.name != "seal_registration.bpmn"]
    files.append(("zz_印鑑登記 (edited).bpmn", (source / "seal_registration.bpmn").read_bytes()))
    assert call("POST", "/api/definitions", user="designer", files=files).status == 201
    diagram = call("GET", "/api/definitions/seal_registration/versions/1/bpmn", user="clerk")
    assert processes_in(diagram.body) == ["seal_registration"]


@pytest.mark.skipif(bool(POSTGRES_URL), reason="upgrades a database of its own, on SQLite")
def test_the_migration_finds_the_main_file_of_versions_deployed_before(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0008")
    db = create_engine(url)
    with db.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO definitions (id, process_key, version, content_hash, findings, deployed_at, draft)"
                " VALUES (1, 'house_number', 1, 'x', '[]', '2026-03-02 01:00:00', 0)"
            )
        )
        for path in sorted((BPMN / "house_number").glob("*.bpmn")):
            connection.execute(
                text("INSERT INTO definition_files (definition_id, name, content) VALUES (1, :name, :content)"),
                {"name": path.name, "content": path.read_bytes()},
            )
    upgrade(url)
    with db.connect() as connection:
        assert connection.execute(text("SELECT main_file FROM definitions")).scalar() == "house_number.bpmn"
    db.dispose()
