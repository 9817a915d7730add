"""Tables of the audit side: verification runs, signed chain-head anchors, archived cases, and
the indexes that keep reports off full scans of the event log.

- ``verification_runs`` / ``verification_failures``: every verification (one case or all), who
  ran it, when, and the cases that failed with their first divergent event.
- ``chain_anchors`` / ``chain_anchor_heads``: per day, the last event of every case changed
  that day, under an HMAC made with a key kept outside the database, so that a rewrite of the
  whole event table (hashes recomputed) is still caught.
- ``signing_keys``: the office's Ed25519 public keys and the days each is valid for.
- ``case_redactions``: cases anonymised in place (their events keep their hashes).
- ``personal_data_reads``: every read of a case with its national ID numbers unmasked (who,
  which case, which view, when).
- ``case_archives``: closed cases moved out by retention: which file holds them and the hash of
  their record there. It is also what lets retention delete their events past the append-only
  trigger (see schema migration 0004).

Imported by the migrations' environment, so that these tables and indexes are part of the schema
Alembic compares against.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.storage.models import Base, Case, CaseEvent, Rating, Task

SCHEME_HMAC, SCHEME_MERKLE = "hmac-sha256", "merkle-ed25519"


class VerificationRun(Base):
    __tablename__ = "verification_runs"
    __table_args__ = (Index("ix_verification_runs_started_at", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(20))  # case | all
    case_id: Mapped[str | None] = mapped_column(String(36))  # the case, for scope "case"
    cases_checked: Mapped[int] = mapped_column(Integer)
    cases_failed: Mapped[int] = mapped_column(Integer)
    ok: Mapped[bool]
    # The first failing case (in case-id order) and its first divergent event, for the summary.
    first_failed_case_id: Mapped[str | None] = mapped_column(String(36))
    first_failed_number: Mapped[str | None] = mapped_column(String(20))
    first_divergent_seq: Mapped[int | None] = mapped_column(Integer)
    first_problem: Mapped[str | None] = mapped_column(Text)


class VerificationFailure(Base):
    __tablename__ = "verification_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("verification_runs.id"), index=True)
    # No foreign key: the record of a failure outlives the case (retention may archive it).
    case_id: Mapped[str] = mapped_column(String(36))
    number: Mapped[str] = mapped_column(String(20))
    first_divergent_seq: Mapped[int | None] = mapped_column(Integer)
    problems: Mapped[list] = mapped_column(JSON)


class ChainAnchor(Base):
    """One anchored day. ``scheme`` says how: ``hmac-sha256`` (before public-key anchors: a
    digest over the heads' lines under an HMAC) or ``merkle-ed25519`` (``digest`` is the RFC 6962
    root over the day's heads, ``days_root`` the root over every anchored day up to this one, and
    the statement of both is signed with the office's Ed25519 key; an HMAC may be added)."""

    __tablename__ = "chain_anchors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)  # the office's local calendar day
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    cases: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))  # hmac-sha256: sha256 over the heads; merkle: the root
    key_id: Mapped[str | None] = mapped_column(String(64))  # which HMAC key (a fingerprint, not the key)
    signature: Mapped[str | None] = mapped_column(String(64))  # HMAC-SHA256(key, day + digest)
    scheme: Mapped[str] = mapped_column(String(20), default=SCHEME_MERKLE, server_default=SCHEME_HMAC)
    days: Mapped[int | None] = mapped_column(Integer)  # leaves of the tree over days, this day included
    days_root: Mapped[str | None] = mapped_column(String(64))
    signing_key_id: Mapped[str | None] = mapped_column(String(16))
    root_signature: Mapped[str | None] = mapped_column(String(100))  # Ed25519, base64
    # The RFC 3161 timestamp of the signed statement: the TSA's whole response (DER, base64).
    timestamp_response: Mapped[str | None] = mapped_column(Text)
    timestamp_authority: Mapped[str | None] = mapped_column(String(500))
    timestamped_at: Mapped[datetime | None]
    timestamp_error: Mapped[str | None] = mapped_column(Text)  # the last failed attempt


class SigningKey(Base):
    """The office's Ed25519 public keys (never the private ones), each valid for the days from
    ``valid_from`` to ``valid_until`` (open while in use): a rotation closes the old key the day
    before the new one starts, and the old one stays valid for the days it signed."""

    __tablename__ = "signing_keys"

    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(20))
    public_key: Mapped[str] = mapped_column(String(100))  # raw 32 bytes, base64
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(200))


class CaseRedaction(Base):
    """A closed case whose personal values were removed from its events by anonymisation: when,
    by whom, and which payload keys of how many events. Like ``case_archives``, it is what lets
    the append-only guard on ``case_events`` accept the change (schema migration 2301)."""

    __tablename__ = "case_redactions"

    case_id: Mapped[str] = mapped_column(String(36), primary_key=True)  # no foreign key: outlives the row
    number: Mapped[str] = mapped_column(String(20))
    redacted_at: Mapped[datetime]
    redacted_by: Mapped[str] = mapped_column(String(200))
    events: Mapped[int] = mapped_column(Integer)
    keys: Mapped[list] = mapped_column(JSON)


class ChainAnchorHead(Base):
    __tablename__ = "chain_anchor_heads"

    anchor_id: Mapped[int] = mapped_column(ForeignKey("chain_anchors.id"), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class CaseArchive(Base):
    __tablename__ = "case_archives"

    case_id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the case row is gone
    number: Mapped[str] = mapped_column(String(20), unique=True)
    procedure_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    closed_at: Mapped[datetime]
    archived_at: Mapped[datetime]
    archived_by: Mapped[str] = mapped_column(String(200))
    archive_file: Mapped[str] = mapped_column(String(500))
    record_sha256: Mapped[str] = mapped_column(String(64))  # of the case's line in the file
    events: Mapped[int] = mapped_column(Integer)
    last_event_hash: Mapped[str] = mapped_column(String(64))


# Indexes on the engine's tables for the reports, the anchors and retention (schema migration 0004).
REPORT_INDEXES = (
    Index("ix_cases_status_closed", Case.__table__.c.status, Case.__table__.c.closed_at),
    # (also the overdue case list, ordered by receipt: engine.storage.queries)
    Index(
        "ix_cases_status_due",
        Case.__table__.c.status,
        Case.__table__.c.due_at,
        Case.__table__.c.received_at,
        Case.__table__.c.id,
    ),
    Index("ix_tasks_status_completed", Task.__table__.c.status, Task.__table__.c.completed_at),
    Index("ix_ratings_rated_at", Rating.__table__.c.rated_at),
    Index("ix_case_events_type_case", CaseEvent.__table__.c.type, CaseEvent.__table__.c.case_id),
    Index("ix_case_events_occurred_at", CaseEvent.__table__.c.occurred_at),
)


class PersonalDataRead(Base):
    """One read of a case with its national ID numbers unmasked: who, which case, through which
    view, from where, when. No foreign key: the record outlives the case (retention)."""

    __tablename__ = "personal_data_reads"
    __table_args__ = (
        Index("ix_personal_data_reads_read_at", "read_at"),
        Index("ix_personal_data_reads_case_id", "case_id"),
        Index("ix_personal_data_reads_reader", "reader", "read_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    read_at: Mapped[datetime]
    reader: Mapped[str] = mapped_column(String(200))
    case_id: Mapped[str] = mapped_column(String(36))
    case_number: Mapped[str] = mapped_column(String(20))
    view: Mapped[str] = mapped_column(String(40))  # case, state, events, timeline, task
    client: Mapped[str | None] = mapped_column(String(64))
