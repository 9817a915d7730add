"""``python -m verifier`` as the bureau runs it: in its own process, on files only, with the
engine, the database drivers and the web layer impossible to import; and the proofs as the API
hands them to auditors and applicants."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ..conftest import ROOT
from .test_proofs import office, rewrite_actor  # noqa: F401  (fixture)

# Importing any of these in the verifier's process fails: it must need none of them.
BLOCKED = ("engine", "api", "workflows", "bootstrap", "sqlalchemy", "flask", "psycopg", "SpiffWorkflow")
RUN_BLOCKED = (
    "import runpy, sys\n"
    f"for name in {BLOCKED!r}: sys.modules[name] = None\n"
    "sys.argv = ['verifier'] + sys.argv[1:]\n"
    "runpy.run_module('verifier', run_name='__main__')\n"
)


def verify(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", RUN_BLOCKED, *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


@pytest.fixture(autouse=True)
def key_on_the_server(monkeypatch, signing_key_file):
    """The server signs the monthly files with the office's key (the one that signed the roots)."""
    monkeypatch.setenv("ONESTOP_SIGNING_KEY_FILE", str(signing_key_file))


def save(path, document) -> str:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_the_command_says_valid_or_where_it_breaks(engine, office, call, tmp_path):
    case_id = office["a"].case_id
    keys = save(tmp_path / "keys.json", call("GET", "/api/audit/keys").json)
    roots = save(tmp_path / "roots-2026-03.json", call("GET", "/api/audit/roots/2026-03", user="auditor").json)
    proof = save(tmp_path / "case.json", call("GET", f"/api/cases/{case_id}/proof", user="auditor").json)
    valid = verify("case", proof, "--keys", keys, "--witnessed", roots, "--text")
    assert valid.returncode == 0, valid.stderr
    assert valid.stdout.startswith(f"case {office['a'].number}: VALID") and "1 days proven" in valid.stdout

    rewrite_actor(engine, case_id, 3, "clerk-9", recompute=False)
    forged = save(tmp_path / "forged.json", call("GET", f"/api/cases/{case_id}/proof", user="auditor").json)
    broken = verify("case", forged, "--keys", keys, "--witnessed", roots)
    report = json.loads(broken.stdout)
    assert broken.returncode == 1 and report["valid"] is False and report["problems"][0]["seq"] == 3
    assert verify("roots", roots, "--keys", keys).returncode == 0
    unusable = verify("case", str(tmp_path / "missing.json"), "--keys", keys)
    assert unusable.returncode == 2 and "cannot check" in unusable.stderr


def test_the_applicant_gets_the_proof_of_their_own_case_only(engine, office, call):
    number, code = office["b"].number, office["b"].access_code
    mine = call("GET", f"/api/public/cases/{number}/proof?code={code}")
    assert mine.status == 200 and mine.json["case"]["number"] == number
    assert office["a"].case_id not in json.dumps(mine.json)
    assert call("GET", f"/api/public/cases/{number}/proof?code=WRONG123").status == 404


def test_who_may_read_proofs(engine, office, call, monkeypatch):
    case_id = office["a"].case_id
    assert call("GET", f"/api/cases/{case_id}/proof", user="clerk").status == 403
    assert call("GET", f"/api/cases/{case_id}/proof").status == 401
    assert call("GET", "/api/cases/nope/proof", user="auditor").status == 404
    assert call("GET", "/api/audit/roots/2026-03", user="supervisor").status == 403
    assert call("GET", "/api/audit/roots/2026-13", user="auditor").status == 422
    assert call("GET", "/api/audit/roots/2025-01", user="auditor").status == 404
    monkeypatch.delenv("ONESTOP_SIGNING_KEY_FILE")
    assert call("GET", "/api/audit/roots/2026-03", user="auditor").status == 409
