"""Retention covers the files attached to cases: copied beside the archive and checked against
their SHA-256 before the case is purged, removed from the document store after, and checked
again (against the archived events) by verify-archive."""

from __future__ import annotations

import hashlib
from pathlib import Path

from engine import commands as cmd
from engine import files_from_folder
from engine.audit import RetentionPolicy, archive_and_purge, verify_archive
from engine.storage import CaseDocument
from tests.api.online_helpers import PDF, PNG
from tests.conftest import BPMN


def closed_case_with_files(engine) -> str:
    engine.handle(cmd.DeployDefinition(files_from_folder(BPMN / "household_transcript"), actor="designer"))
    case_id = engine.handle(cmd.StartCase("household_transcript", {}, actor="clerk")).case_id
    uploads = (cmd.Upload("id.pdf", PDF, "national_id_card"), cmd.Upload("photo.png", PNG, "photo"))
    engine.handle(cmd.AttachDocuments(case_id, uploads, actor="clerk"))
    engine.handle(cmd.CancelCase(case_id, "withdrawn by the applicant", actor="clerk"))
    return case_id


def test_archived_cases_take_their_files_along_and_leave_the_store(engine, clock, settings, tmp_path):
    case_id = closed_case_with_files(engine)
    stored = sorted(path for path in Path(settings.document_folder).rglob("*") if path.is_file())
    assert len(stored) == 2
    clock.advance(days=2)
    run = archive_and_purge(engine, RetentionPolicy(default_days=1), tmp_path / "archive", actor="records")
    assert len(run.archived) == 1 and run.files_left == []
    archive = Path(run.archive_file)
    copies = sorted((archive.parent / (archive.name + ".files")).iterdir())
    assert sorted(hashlib.sha256(path.read_bytes()).hexdigest() for path in copies) == sorted(
        hashlib.sha256(content).hexdigest() for content in (PDF, PNG)
    )
    assert [path for path in Path(settings.document_folder).rglob("*") if path.is_file()] == []
    with engine.read() as session:
        assert session.query(CaseDocument).filter_by(case_id=case_id).count() == 0
    assert [result["ok"] for result in verify_archive(engine, archive)] == [True]

    copies[0].write_bytes(b"%PDF-1.4 not what was received\n")
    [result] = verify_archive(engine, archive)
    assert not result["ok"] and any("differs from its event" in problem for problem in result["problems"])
    copies[0].unlink()
    [result] = verify_archive(engine, archive)
    assert any("is missing" in problem for problem in result["problems"])


def test_a_case_whose_file_was_changed_is_kept(engine, clock, settings, tmp_path):
    closed_case_with_files(engine)
    next(path for path in Path(settings.document_folder).rglob("*") if path.is_file()).write_bytes(b"changed")
    clock.advance(days=2)
    run = archive_and_purge(engine, RetentionPolicy(default_days=1), tmp_path / "archive", actor="records")
    assert run.archived == [] and len(run.kept_failing) == 1  # evidence of tampering stays in the database
