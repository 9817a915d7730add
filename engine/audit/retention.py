"""Retention: closed cases older than their retention period are archived to a file, then purged.

Order of work, so that nothing is lost and nothing unproven leaves:
1. pick closed cases whose ``closed_at`` is older than the procedure's retention period;
2. verify each (hash chain and replay); a case that fails stays, so evidence of tampering is
   never archived away;
3. write the rest to a new JSON-lines file (one line per case: the case row with its final
   state, its events, and every row that refers to it), flush it to disk, read it back and
   compare; copy the cases' attached files beside it (``<file>.files/``) and check the copies
   against their SHA-256;
4. in one transaction, record each case in ``case_archives`` (file, hash of its line) and delete
   its rows. The append-only trigger lets these deletes through only for archived cases in a
   transaction that declares the purge; then remove the purged cases' files from the store.

Chains are per case, so removing whole cases never breaks the verification of the others.
An archive can be checked again at any time (``verify_archive``): its chains are re-verified
and each case replayed against the definition version it ran on (definitions are never purged).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator, Mapping

from sqlalchemy import Connection, Table, delete, or_, select, text
from sqlalchemy.orm import Session

from engine.audit import replay
from engine.audit.documents import archive_documents, archived_document_problems, remove_files
from engine.errors import InvalidInput
from engine.storage.audit_models import CaseArchive
from engine.storage.models import Base, Case, CaseDocument, CaseEvent

CLOSED_STATUSES = ("completed", "cancelled")
ARCHIVE_FORMAT = "onestop-case-archive/1"


@dataclass(frozen=True)
class RetentionPolicy:
    """How long closed cases stay, in days after closing; ``None`` keeps them forever."""

    default_days: int | None = None
    per_procedure: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for days in [self.default_days, *self.per_procedure.values()]:
            if days is not None and (not isinstance(days, int) or days < 0):
                raise InvalidInput(
                    "Retention periods are whole numbers of days, 0 or more",
                    errors=[{"field": "retention", "message": f"not a number of days: {days!r}"}],
                )

    @classmethod
    def parse(cls, default_days: str | None, per_procedure: str | None) -> RetentionPolicy:
        """From settings text: ``"3650"`` and ``"complaint=1825,household_transcript=1095"``."""
        overrides = {}
        for item in filter(None, (part.strip() for part in (per_procedure or "").split(","))):
            key, _, days = item.partition("=")
            overrides[key.strip()] = _days(days, f"retention of {key.strip()}")
        return cls(_days(default_days, "default retention") if default_days else None, overrides)


def _days(value: str, what: str) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise InvalidInput(
            f"The {what} must be a number of days, not {value!r}",
            errors=[{"field": "retention", "message": f"not a number of days: {value!r}"}],
        ) from None


def past_period(policy: RetentionPolicy, now: datetime):
    """The condition on ``cases`` of being closed longer ago than the policy's period; None if
    the policy keeps everything."""
    conditions = []
    for procedure, days in policy.per_procedure.items():
        conditions.append((Case.procedure_key == procedure) & (Case.closed_at < now - timedelta(days=days)))
    if policy.default_days is not None:
        cutoff = now - timedelta(days=policy.default_days)
        conditions.append(Case.procedure_key.not_in(list(policy.per_procedure)) & (Case.closed_at < cutoff))
    return Case.status.in_(CLOSED_STATUSES) & or_(*conditions) if conditions else None


def due_for_archive(session: Session, policy: RetentionPolicy, now: datetime, limit: int) -> list[Case]:
    """Closed cases past their retention period, oldest closing first (index on closed_at)."""
    condition = past_period(policy, now)
    if condition is None:
        return []
    return list(session.scalars(select(Case).where(condition).order_by(Case.closed_at, Case.id).limit(limit)))


# ---------------------------------------------------------------------- archive records
def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row_dict(row) -> dict[str, Any]:
    return {key: _plain(value) for key, value in row._mapping.items()}


def dependent_tables(table: Table) -> list[tuple[Table, Any, Table]]:
    """Every (table, foreign-key column, referred table) that reaches ``table`` directly or
    through other tables, the farthest first: the order in which their rows must be deleted."""
    ordered: list[tuple[Table, Any, Table]] = []
    seen: set[tuple[str, str]] = set()
    for other in Base.metadata.sorted_tables:
        if other is table:
            continue
        for fk in other.foreign_keys:
            if fk.column.table is not table:
                continue
            for item in [*dependent_tables(other), (other, fk.parent, table)]:
                if (item[0].name, item[1].name) not in seen:
                    seen.add((item[0].name, item[1].name))
                    ordered.append(item)
    return ordered


def _rows_of(conn: Connection, table: Table, column, ids_query) -> list:
    return conn.execute(select(table).where(column.in_(ids_query))).all()


def _selector(table: Table, case_ids: list[str]):
    """A subquery of the primary keys of ``table`` rows belonging to the cases."""
    if table.name == "cases":
        return select(table.c.id).where(table.c.id.in_(case_ids))
    for fk_table, column, referred in dependent_tables(Case.__table__):
        if fk_table is table:
            return select(fk_table.c[list(fk_table.primary_key.columns)[0].name]).where(
                column.in_(_selector(referred, case_ids))
            )
    raise LookupError(table.name)


def case_record(conn: Connection, case_id: str) -> dict[str, Any]:
    """Everything the database holds about one case, as one JSON object."""
    case_table = Case.__table__
    case_row = conn.execute(select(case_table).where(case_table.c.id == case_id)).one()
    related: dict[str, list] = {}
    for table, column, referred in dependent_tables(case_table):
        rows = _rows_of(conn, table, column, _selector(referred, [case_id]))
        related[table.name] = sorted((_row_dict(row) for row in rows), key=lambda r: json.dumps(r, sort_keys=True))
    events = related.pop(CaseEvent.__tablename__, [])
    return {
        "format": ARCHIVE_FORMAT,
        "case": _row_dict(case_row),
        "events": sorted(events, key=lambda event: event["seq"]),
        "related": related,
    }


def record_line(record: dict[str, Any]) -> str:
    # Keys keep their order: replay applies the payloads as recorded, and the workflow's data
    # follows the order of their keys.
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


# ---------------------------------------------------------------------- archive and purge
@dataclass
class RetentionRun:
    archive_file: str | None = None
    archived: list[str] = field(default_factory=list)  # case numbers
    kept_failing: list[dict[str, Any]] = field(default_factory=list)  # failed verification: not archived
    dry_run: bool = False
    files_left: list[str] = field(default_factory=list)  # archived files the store could not remove

    def as_dict(self) -> dict[str, Any]:
        return {
            "archive_file": self.archive_file,
            "archived": self.archived,
            "archived_count": len(self.archived),
            "kept_failing_verification": self.kept_failing,
            "dry_run": self.dry_run,
            "files_left_in_store": self.files_left,
        }


def archive_and_purge(
    engine, policy: RetentionPolicy, folder: Path, *, actor: str, limit: int = 1000, dry_run: bool = False
) -> RetentionRun:
    now = engine.clock.now()
    with engine.read() as session:
        candidates = due_for_archive(session, policy, now, limit)
    run = RetentionRun(dry_run=dry_run)
    ready = []
    for case in candidates:
        result = engine.verify_case(case.id)
        if result.ok:
            ready.append(case)
        else:
            run.kept_failing.append({"number": case.number, "first_divergent_seq": result.first_divergent_seq})
    if dry_run or not ready:
        run.archived = [case.number for case in ready]
        return run
    with engine.db.connect() as conn:
        records = [case_record(conn, case.id) for case in ready]
    path = _write_archive(Path(folder), records, now)
    archive_documents(engine.documents, records, path)  # beside the archive, checked, before any purge
    _purge(engine, records, path, actor=actor, now=now)
    run.files_left = remove_files(
        engine.documents,
        [row["storage_key"] for record in records for row in record["related"].get(CaseDocument.__tablename__, [])],
    )
    run.archive_file, run.archived = str(path), [record["case"]["number"] for record in records]
    return run


def _write_archive(folder: Path, records: list[dict], now: datetime) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"onestop-archive-{now.strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:8]}.jsonl"
    lines = [record_line(record) for record in records]
    with open(path, "x", encoding="utf-8") as handle:
        handle.write("".join(line + "\n" for line in lines))
        handle.flush()
        os.fsync(handle.fileno())
    if path.read_text(encoding="utf-8").splitlines() != lines:
        raise OSError(f"the archive {path} does not read back as written; nothing was purged")
    return path


def declare_to_guard(conn: Connection, setting: str) -> None:
    """Tell the append-only guard on ``case_events`` what this transaction does (PostgreSQL:
    ``retention_purge`` or ``anonymise``); it still checks the records of it (SQLite reads only those)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SET LOCAL onestop.{setting} = 'on'"))


def _purge(engine, records: list[dict], path: Path, *, actor: str, now: datetime) -> None:
    case_ids = [record["case"]["id"] for record in records]
    with engine.write() as session:
        conn = session.connection()
        declare_to_guard(conn, "retention_purge")
        session.add_all(
            CaseArchive(
                case_id=record["case"]["id"],
                number=record["case"]["number"],
                procedure_key=record["case"]["procedure_key"],
                status=record["case"]["status"],
                closed_at=datetime.fromisoformat(record["case"]["closed_at"]),
                archived_at=now,
                archived_by=actor,
                archive_file=path.name,
                record_sha256=hashlib.sha256(record_line(record).encode("utf-8")).hexdigest(),
                events=len(record["events"]),
                last_event_hash=record["events"][-1]["hash"] if record["events"] else "",
            )
            for record in records
        )
        session.flush()
        for table, column, referred in dependent_tables(Case.__table__):
            conn.execute(delete(table).where(column.in_(_selector(referred, case_ids))))
        conn.execute(delete(Case.__table__).where(Case.__table__.c.id.in_(case_ids)))


# ---------------------------------------------------------------------- checking an archive
def read_archive(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _as_case(row: dict) -> Case:
    values = {key: _datetime(value) if key.endswith("_at") else value for key, value in row.items()}
    return Case(**{key: value for key, value in values.items() if key in Case.__table__.c})


def _as_event(row: dict) -> CaseEvent:
    return CaseEvent(**{**row, "occurred_at": _datetime(row["occurred_at"])})


def _datetime(value):
    if not isinstance(value, str):
        return value
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def verify_archive(engine, path: Path) -> list[dict[str, Any]]:
    """Re-verify every case in an archive file: its hash chain, its replay, and that its line is
    the one recorded in ``case_archives`` when it was purged."""
    results = []
    for record in read_archive(path):
        case = _as_case(record["case"])
        events = [_as_event(row) for row in record["events"]]
        definition = engine.definition(case.definition_id)
        verification = replay.verify(
            case, events, definition, engine.replay_script_engine, definitions=engine.definition
        )
        with engine.read() as session:
            archived = session.get(CaseArchive, case.id)
        line_hash = hashlib.sha256(record_line(record).encode("utf-8")).hexdigest()
        if archived is not None and archived.record_sha256 != line_hash:
            verification.ok = False
            verification.problems.append("the archived record differs from the one recorded when it was purged")
        file_problems = archived_document_problems(record, path)
        if file_problems:
            verification.ok = False
            verification.problems += file_problems
        results.append(verification.as_dict())
    return results
