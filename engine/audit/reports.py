"""Generic building blocks of management reports: period and month arithmetic, quantiles, CSV,
and the queries the reports are made of.

Every query reads the projections (``cases``, ``tasks``, ``ratings``) through an index on the
column it filters by; the event log is read only by event type and case (an index too), never
scanned whole. What the numbers mean for an office (which message is a supplement round, what
counts as a low rating, working days) is the domain pack's business (``workflows.reports``).

Every query is limited to the offices of the report's scope (``office_scope``: the offices a
report is asked for, within those its reader works for), so each figure exists per office and
for the whole deployment; ``figures_by_office`` gives the SLA figures of every office at once.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import defaultdict
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import fmean
from typing import Any, Iterable, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from engine.errors import InvalidInput
from engine.events import MESSAGE_DELIVERED
from engine.storage.models import Case, CaseEvent, Definition, Notification, Rating, Task

CLOSED = ("completed", "cancelled")
MAX_PERIOD_DAYS = 3 * 366
# The offices the reports being computed cover (None: every office): set by ``office_scope``.
_SCOPE: ContextVar[frozenset[str] | None] = ContextVar("report_offices", default=None)


@contextmanager
def office_scope(offices: Iterable[str] | None):
    """Compute the reports inside for these offices only (None: every office)."""
    token = _SCOPE.set(frozenset(offices) if offices is not None else None)
    try:
        yield
    finally:
        _SCOPE.reset(token)


def scope_offices() -> frozenset[str] | None:
    """The offices of the reports being computed (None: every office)."""
    return _SCOPE.get()


def of_cases_in_scope(case_id_column) -> list:
    """Conditions limiting rows that name a case to the cases of the scope ([] for every office)."""
    return [] if _SCOPE.get() is None else [case_id_column.in_(_scoped(select(Case.id)))]


def _scoped(query, office_column=Case.office):
    offices = _SCOPE.get()
    return query if offices is None else query.where(office_column.in_(sorted(offices)))


# ---------------------------------------------------------------------- periods and months
@dataclass(frozen=True)
class Period:
    """[start, end) in UTC, from two office-local dates (``last`` inclusive)."""

    first: date
    last: date
    zone: ZoneInfo

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise InvalidInput(
                "The period ends before it starts", errors=[{"field": "to", "message": "must not be before 'from'"}]
            )
        if (self.last - self.first).days > MAX_PERIOD_DAYS:
            raise InvalidInput(
                "The period is too long (at most three years)",
                errors=[{"field": "to", "message": "at most three years after 'from'"}],
            )

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), self.zone)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(0), self.zone)

    def as_dict(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat(), "timezone": self.zone.key}


def month_of(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m")


def current_month(now: datetime, zone: ZoneInfo) -> Period:
    today = now.astimezone(zone).date()
    return Period(today.replace(day=1), today, zone)


# ---------------------------------------------------------------------- numbers
def quantile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values: Sequence[float], digits: int = 2) -> dict[str, Any]:
    def rounded(value):
        return None if value is None else round(value, digits)

    return {
        "count": len(values),
        "median": rounded(quantile(values, 0.5)),
        "p90": rounded(quantile(values, 0.9)),
        "mean": rounded(fmean(values)) if values else None,
    }


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def to_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _csv_value(row.get(key)) for key in columns})
    return buffer.getvalue()


# A spreadsheet program runs a cell starting with one of these as a formula (CSV injection): such
# text (a designer's step name, an applicant's comment) is written with a leading apostrophe,
# which spreadsheets read as "this is text". Plain numbers such as -3 stay numbers.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def spreadsheet_writer(buffer) -> Any:
    """A ``csv.writer`` on ``buffer`` for rows given as lists, each cell written as ``to_csv``
    writes it (a formula start neutralised)."""
    writer = csv.writer(buffer, lineterminator="\r\n")

    class SafeRows:
        @staticmethod
        def writerow(row: Sequence[Any]) -> None:
            writer.writerow([_csv_value(value) for value in row])

    return SafeRows()


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


# ---------------------------------------------------------------------- queries
CASE_COLUMNS = (
    Case.id,
    Case.number,
    Case.procedure_key,
    Case.definition_id,
    Case.channel,
    Case.status,
    Case.received_at,
    Case.closed_at,
    Case.due_at,
    Case.overdue_at,
    Case.served_at,
    Case.sla_paused_at,
    Case.sla_standard,
    Case.applicant,
)


def _procedure_filter(query, procedure: str | None, prefix: str | None):
    if procedure is not None:
        query = query.where(Case.procedure_key == procedure)
    if prefix is not None:
        query = query.where(Case.procedure_key.startswith(prefix, autoescape=True))
    return _scoped(query)


def cases_closed_in(
    session: Session,
    period: Period,
    *,
    procedure: str | None = None,
    prefix: str | None = None,
    statuses: Sequence[str] = CLOSED,
) -> list:
    """Cases closed in the period (index on ``closed_at``)."""
    query = select(*CASE_COLUMNS).where(
        Case.closed_at >= period.start, Case.closed_at < period.end, Case.status.in_(list(statuses))
    )
    return session.execute(_procedure_filter(query, procedure, prefix)).all()


def cases_received_in(
    session: Session, period: Period, *, procedure: str | None = None, prefix: str | None = None
) -> list:
    """Cases received in the period (index on ``received_at``)."""
    query = select(*CASE_COLUMNS).where(Case.received_at >= period.start, Case.received_at < period.end)
    return session.execute(_procedure_filter(query, procedure, prefix)).all()


def cases_served_in(
    session: Session, period: Period, *, procedure: str | None = None, prefix: str | None = None
) -> list:
    """Cases whose service was delivered in the period (index on ``served_at``)."""
    query = select(*CASE_COLUMNS).where(Case.served_at >= period.start, Case.served_at < period.end)
    return session.execute(_procedure_filter(query, procedure, prefix)).all()


def cases_overdue_in(session: Session, period: Period) -> list:
    """Cases whose due date passed in the period without the service: their breaches (index on
    ``overdue_at``)."""
    query = select(*CASE_COLUMNS).where(Case.overdue_at >= period.start, Case.overdue_at < period.end)
    return session.execute(_scoped(query)).all()


def cases_of_definition(session: Session, definition_id: int) -> list:
    """The cases of one version of a procedure (index on ``definition_id``)."""
    return session.execute(_scoped(select(*CASE_COLUMNS).where(Case.definition_id == definition_id))).all()


def tasks_of_element_created_in(session: Session, period: Period, element_id: str) -> list:
    """Tasks of one BPMN element opened in the period (index on element and creation)."""
    query = select(Task.id, Task.case_id, Task.status, Task.created_at, Task.completed_at).where(
        Task.element_id == element_id, Task.created_at >= period.start, Task.created_at < period.end
    )
    return session.execute(_scoped(query, Task.office)).all()


def cases_by_id(session: Session, case_ids: Sequence[str], batch_size: int = 900) -> list:
    found = []
    for start in range(0, len(case_ids), batch_size):
        batch = list(case_ids[start : start + batch_size])
        found.extend(session.execute(select(*CASE_COLUMNS).where(Case.id.in_(batch))).all())
    return found


def events_of_cases(
    session: Session, case_ids: Sequence[str], types: Sequence[str], batch_size: int = 900
) -> dict[str, list]:
    """case id -> its events of ``types`` (type, occurred_at, element_id, actor, payload), in order
    (index on event type and case)."""
    found: dict[str, list] = defaultdict(list)
    for start in range(0, len(case_ids), batch_size):
        batch = list(case_ids[start : start + batch_size])
        rows = session.execute(
            select(
                CaseEvent.case_id,
                CaseEvent.type,
                CaseEvent.occurred_at,
                CaseEvent.element_id,
                CaseEvent.actor,
                CaseEvent.payload,
            )
            .where(CaseEvent.type.in_(list(types)), CaseEvent.case_id.in_(batch))
            .order_by(CaseEvent.case_id, CaseEvent.seq)
        )
        for row in rows:
            found[row.case_id].append(row)
    return found


def notifications_of_cases(
    session: Session, case_ids: Sequence[str], kind: str, batch_size: int = 900
) -> dict[str, list]:
    """case id -> its outbox rows of ``kind`` (audience, channel, status) (index on the case)."""
    found: dict[str, list] = defaultdict(list)
    for start in range(0, len(case_ids), batch_size):
        batch = list(case_ids[start : start + batch_size])
        rows = session.execute(
            select(Notification.case_id, Notification.audience, Notification.channel, Notification.status).where(
                Notification.case_id.in_(batch), Notification.kind == kind
            )
        )
        for row in rows:
            found[row.case_id].append(row)
    return found


def tasks_of_elements_completed_in(session: Session, period: Period, element_ids: Sequence[str]) -> list:
    """Tasks of these BPMN elements completed in the period (index on ``completed_at``)."""
    query = (
        select(Task.id, Task.case_id, Task.element_id, Task.created_at, Task.completed_at, Case.procedure_key)
        .join(Case, Case.id == Task.case_id)
        .where(
            Task.status == "completed",
            Task.completed_at >= period.start,
            Task.completed_at < period.end,
            Task.element_id.in_(list(element_ids)),
        )
    )
    return session.execute(_scoped(query)).all()


def open_cases(session: Session, *, procedure: str | None = None, prefix: str | None = None) -> list:
    """Running cases (index on ``status``)."""
    query = select(*CASE_COLUMNS).where(Case.status == "running")
    return session.execute(_procedure_filter(query, procedure, prefix)).all()


def messages_per_case(
    session: Session, case_ids: Sequence[str], names: Sequence[str], batch_size: int = 900
) -> dict[str, list[datetime]]:
    """When each case received one of the messages ``names`` (index on event type and case)."""
    found: dict[str, list[datetime]] = defaultdict(list)
    name = CaseEvent.payload["name"].as_string()
    for start in range(0, len(case_ids), batch_size):
        batch = list(case_ids[start : start + batch_size])
        rows = session.execute(
            select(CaseEvent.case_id, CaseEvent.occurred_at).where(
                CaseEvent.type == MESSAGE_DELIVERED, CaseEvent.case_id.in_(batch), name.in_(list(names))
            )
        )
        for case_id, occurred_at in rows:
            found[case_id].append(occurred_at)
    return found


def first_claims(session: Session, case_ids: Sequence[str], batch_size: int = 900) -> dict[str, datetime]:
    """task id -> when it was first claimed (index on event type and case)."""
    claims: dict[str, datetime] = {}
    for start in range(0, len(case_ids), batch_size):
        batch = list(case_ids[start : start + batch_size])
        rows = session.execute(
            select(CaseEvent.payload, CaseEvent.occurred_at)
            .where(CaseEvent.type == "task_claimed", CaseEvent.case_id.in_(batch))
            .order_by(CaseEvent.seq)
        )
        for payload, occurred_at in rows:
            claims.setdefault((payload or {}).get("task_id"), occurred_at)
    return claims


def last_task_completions(session: Session, case_ids: Sequence[str], batch_size: int = 900) -> dict[str, datetime]:
    """case id -> when its last task was completed (index on the task's case)."""
    found: dict[str, datetime] = {}
    # The status is tested inside the aggregate, not in WHERE: a status condition there would
    # steer the planner to the (status, completed_at) index and a walk over every completed task.
    last_done = func.max(case((Task.status == "completed", Task.completed_at)))
    for start in range(0, len(case_ids), batch_size):
        batch = list(case_ids[start : start + batch_size])
        found.update(
            (case_id, done)
            for case_id, done in session.execute(
                select(Task.case_id, last_done).where(Task.case_id.in_(batch)).group_by(Task.case_id)
            )
            if done
        )
    return found


def tasks_of_cases(session: Session, case_ids: Sequence[str], batch_size: int = 900) -> list[Task]:
    tasks: list[Task] = []
    for start in range(0, len(case_ids), batch_size):
        tasks.extend(session.scalars(select(Task).where(Task.case_id.in_(list(case_ids[start : start + batch_size])))))
    return tasks


def ratings_in(session: Session, period: Period, *, procedure: str | None = None) -> list:
    """Ratings given in the period (index on ``rated_at``)."""
    query = select(Rating.case_id, Rating.procedure_key, Rating.channel, Rating.score, Rating.rated_at).where(
        Rating.rated_at >= period.start, Rating.rated_at < period.end
    )
    if procedure is not None:
        query = query.where(Rating.procedure_key == procedure)
    return session.execute(query.where(*of_cases_in_scope(Rating.case_id))).all()


def ratings_of_cases(session: Session, case_ids: Sequence[str], batch_size: int = 900) -> dict[str, int]:
    scores: dict[str, int] = {}
    for start in range(0, len(case_ids), batch_size):
        batch = list(case_ids[start : start + batch_size])
        scores.update(session.execute(select(Rating.case_id, Rating.score).where(Rating.case_id.in_(batch))).all())
    return scores


def tasks_completed_in(session: Session, period: Period, *, procedure: str | None = None) -> list:
    """Completed tasks in the period with their case's procedure (index on ``completed_at``)."""
    query = (
        select(
            Task.id,
            Task.case_id,
            Task.element_id,
            Task.completed_by,
            Task.created_at,
            Task.completed_at,
            Case.procedure_key,
        )
        .join(Case, Case.id == Task.case_id)
        .where(Task.status == "completed", Task.completed_at >= period.start, Task.completed_at < period.end)
    )
    if procedure is not None:
        query = query.where(Case.procedure_key == procedure)
    return session.execute(_scoped(query)).all()


def definition_versions(session: Session) -> dict[int, int]:
    return dict(session.execute(select(Definition.id, Definition.version)).all())


def count_cases(session: Session) -> int:
    return session.scalar(_scoped(select(func.count()).select_from(Case))) or 0


# ---------------------------------------------------------------------- offices side by side
def _count(condition):
    return func.sum(case((condition, 1), else_=0))


def figures_by_office(session: Session, period: Period, now: datetime) -> dict[str, dict[str, Any]]:
    """office -> the SLA figures of the cases its clock stopped for in the period, grouped in the
    database (one pass per figure on the index of its time column): ``judged`` (served in the
    period, or completed in it unserved), ``late`` (a recorded breach, or the clock stopped after
    the due date), ``no_deadline``, ``breaches``; ``received`` in the period; ``open`` now (not served yet)
    and ``open_overdue`` (of those, clock running and past the due date); ``ratings`` and their sum."""
    stop = func.coalesce(Case.served_at, Case.sla_paused_at, Case.closed_at)
    late = or_(Case.overdue_at.is_not(None), and_(Case.due_at.is_not(None), stop > Case.due_at))
    judged = or_(
        and_(Case.served_at >= period.start, Case.served_at < period.end),
        and_(
            Case.status == "completed",
            Case.served_at.is_(None),
            Case.closed_at >= period.start,
            Case.closed_at < period.end,
        ),
    )
    figures: dict[str, dict[str, Any]] = defaultdict(dict)

    def collect(query, names):
        for office, *values in session.execute(_scoped(query.group_by(Case.office))):
            figures[office].update({name: int(value or 0) for name, value in zip(names, values)})

    collect(
        select(
            Case.office,
            func.count(),
            _count(late),
            _count(and_(Case.due_at.is_(None), Case.overdue_at.is_(None))),
            _count(Case.overdue_at.is_not(None)),
        ).where(judged),
        ("judged", "late", "no_deadline", "breaches"),
    )
    received = and_(Case.received_at >= period.start, Case.received_at < period.end)
    collect(select(Case.office, func.count()).where(received), ("received",))
    overdue_now = and_(Case.sla_paused_at.is_(None), Case.due_at < now)
    collect(
        select(Case.office, func.count(), _count(overdue_now)).where(
            Case.status == "running", Case.served_at.is_(None)
        ),
        ("open", "open_overdue"),
    )
    collect(
        select(Case.office, func.count(), func.sum(Rating.score))
        .join_from(Rating, Case, Case.id == Rating.case_id)
        .where(Rating.rated_at >= period.start, Rating.rated_at < period.end),
        ("ratings", "rating_sum"),
    )
    return dict(figures)
