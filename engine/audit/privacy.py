"""Who read whose personal data, and when: every read of a case with its national ID numbers
unmasked is recorded before it is answered, and auditors list the record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.storage.audit_models import PersonalDataRead


@dataclass(frozen=True)
class ReadFilter:
    reader: str | None = None
    case_id: str | None = None
    case_number: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50
    offset: int = 0


def record_read(
    session: Session, *, reader: str, case_id: str, case_number: str, view: str, client: str | None, now: datetime
) -> PersonalDataRead:
    """Record that ``reader`` read case ``case_number`` unmasked through ``view``."""
    row = PersonalDataRead(
        read_at=now,
        reader=reader[:200],
        case_id=case_id,
        case_number=case_number,
        view=view[:40],
        client=(client or "")[:64] or None,
    )
    session.add(row)
    session.flush()
    return row


def list_reads(session: Session, read_filter: ReadFilter) -> tuple[list[dict[str, Any]], int]:
    """The recorded unmasked reads, newest first, with the total that match."""
    query = select(PersonalDataRead)
    if read_filter.reader is not None:
        query = query.where(PersonalDataRead.reader == read_filter.reader)
    if read_filter.case_id is not None:
        query = query.where(PersonalDataRead.case_id == read_filter.case_id)
    if read_filter.case_number is not None:
        query = query.where(PersonalDataRead.case_number == read_filter.case_number)
    if read_filter.since is not None:
        query = query.where(PersonalDataRead.read_at >= read_filter.since)
    if read_filter.until is not None:
        query = query.where(PersonalDataRead.read_at < read_filter.until)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(
        query.order_by(PersonalDataRead.read_at.desc(), PersonalDataRead.id.desc())
        .limit(read_filter.limit)
        .offset(read_filter.offset)
    )
    return [
        {
            "id": row.id,
            "read_at": row.read_at,
            "reader": row.reader,
            "case_id": row.case_id,
            "case_number": row.case_number,
            "view": row.view,
            "client": row.client,
        }
        for row in rows
    ], total
