"""Findings (改善建議): the improvement candidates of a period, ranked, each backed by its cases.

Four kinds, each read from the projections and the event log of the cases received in the period
(``engine.audit.reports``: indexed queries):

- ``step_wait``: a step (user or manual task) where cases were when their standard passed (the
  task's own due date when the diagram gives it one, else the case's due date), and stayed on. Its
  figure is the office hours spent there beyond the standard;
- ``missing_document``: a document named by one-time notices (一次告知): each notice round of a
  case names the documents still missing then (those brought in that round or later, and those
  never brought);
- ``agency_fallback``: an agency check whose answer was a failure, so the case went to its manual
  fallback (a clerk's step instead of the electronic check);
- ``low_rating``: a procedure whose cases were rated low (1-2) in the period, with the categories
  of the complaints its applicants made (matched by the applicant's ID number's digest).

Candidates are ranked by the number of cases behind them (the office's common measure: how
many applicants a change would reach), then by their own figure. Each names its procedure, the
BPMN element where there is one (with the version the diagram shows), the case search's filters
for its cases and the first of those cases by number.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from engine.audit import Period, element_index, quantile, reports
from engine.storage import Case, Definition, queries

from ..calendar import OFFICE_ZONE
from ..reports import COMPLAINT_PREFIX, LOW_RATING_MAX, NOTICE_ELEMENT, RECEIVE_ELEMENT, SUPPLEMENT_MESSAGE, office_time
from .arrivals import aware

KINDS = ("step_wait", "missing_document", "agency_fallback", "low_rating")
CASES_LISTED = 50  # the cases named with each candidate (all are counted; the search finds the rest)
SERVICE_RESULT = "service_result_recorded"
MESSAGE_DELIVERED = "message_delivered"


@dataclass
class Candidate:
    kind: str
    procedure: str
    element_id: str | None = None
    subject: str | None = None  # the document, the agency operation
    cases: set[str] = field(default_factory=set)
    figure: float = 0.0  # the kind's own measure (hours beyond the standard, rounds, failures, low ratings)
    details: dict[str, Any] = field(default_factory=dict)


def findings(
    engine, first: date, last: date, *, procedure: str | None = None, kind: str | None = None
) -> dict[str, Any]:
    """The ranked candidates of the period [first, last] (office days), optionally of one
    procedure or one kind."""
    period = Period(first, last, OFFICE_ZONE)
    now = engine.clock.now()
    clock = office_time(engine, now)
    with engine.read() as session:
        received = reports.cases_received_in(session, period, procedure=procedure)
        cases = [case for case in received if not case.procedure_key.startswith(COMPLAINT_PREFIX)]
        case_ids = [case.id for case in cases]
        tasks = reports.tasks_of_cases(session, case_ids)
        events = reports.events_of_cases(session, case_ids, [MESSAGE_DELIVERED, SERVICE_RESULT])
        ratings = reports.ratings_in(session, period, procedure=procedure)
        complaints = reports.cases_received_in(session, period, prefix=COMPLAINT_PREFIX)
        complaint_forms = reports.events_of_cases(session, [c.id for c in complaints], ["task_completed"])
        rated_cases = reports.cases_by_id(session, [rating.case_id for rating in ratings])
        digests = _applicant_digests(session, [*(c.id for c in rated_cases), *(c.id for c in complaints)])
        elements = {
            definition_id: element_index(engine.deployments.get(session, definition_id))
            for definition_id in {case.definition_id for case in cases}
        }
        versions = reports.definition_versions(session)
        latest = _latest_versions(cases, versions)
        files = _element_files(session, [definition_id for definition_id, _version in latest.values()])
    by_id = {case.id: case for case in cases}
    found: list[Candidate] = []
    if kind in (None, "step_wait"):
        found += _step_waits(tasks, by_id, clock, now)
    if kind in (None, "missing_document"):
        found += _missing_documents(engine, tasks, events, by_id)
    if kind in (None, "agency_fallback"):
        found += _agency_fallbacks(events, by_id)
    if kind in (None, "low_rating"):
        found += _low_ratings(ratings, complaints, complaint_forms, digests)
    ranked = sorted(
        found, key=lambda c: (-len(c.cases), -c.figure, c.kind, c.procedure, c.element_id or "", c.subject or "")
    )
    numbers = {case.id: case.number for case in [*cases, *rated_cases]}
    return {
        "period": period.as_dict(),
        "generated_at": now,
        "procedure": procedure,
        "cases_received": len(cases),
        "candidates": [
            _shape(rank, candidate, numbers, elements, latest, files, period)
            for rank, candidate in enumerate(ranked, start=1)
        ],
    }


# ---------------------------------------------------------------------- steps
def _step_waits(tasks, by_id: dict, clock, now: datetime) -> list[Candidate]:
    found: dict[tuple[str, str], Candidate] = {}
    waits: dict[tuple[str, str], list[float]] = defaultdict(list)
    for task in tasks:
        case = by_id[task.case_id]
        key = (case.procedure_key, task.element_id)
        end = task.completed_at or (case.closed_at if task.status == "cancelled" else None) or now
        waits[key].append(clock.office_hours(task.created_at, end))
        standard = task.due_at or case.due_at
        # The step the case was in when its standard passed (a step opened later, such as the
        # review of the delay, is its consequence, not its cause).
        if standard is None or not aware(task.created_at) <= aware(standard) < aware(end):
            continue
        beyond = clock.office_hours(standard, end)  # 0 for a standard passed after office hours
        candidate = found.setdefault(key, Candidate("step_wait", case.procedure_key, task.element_id))
        candidate.cases.add(case.id)
        candidate.figure += beyond
    for key, candidate in found.items():
        candidate.figure = round(candidate.figure, 2)
        candidate.details = {
            "hours_beyond_standard": candidate.figure,
            "instances": len(waits[key]),
            "open_hours_median": _rounded(quantile(waits[key], 0.5)),
            "open_hours_p90": _rounded(quantile(waits[key], 0.9)),
        }
    return list(found.values())


# ---------------------------------------------------------------------- documents
def _missing_documents(engine, tasks, events: dict, by_id: dict) -> list[Candidate]:
    notices: Counter = Counter()
    for task in tasks:
        if task.element_id == NOTICE_ELEMENT and task.status == "completed":
            notices[task.case_id] += 1
    found: dict[tuple[str, str], Candidate] = {}
    for case_id, rounds in sorted(notices.items()):
        case = by_id[case_id]
        supplied = [
            list((event.payload.get("payload") or {}).get("documents") or [])
            for event in events.get(case_id, ())
            if event.type == MESSAGE_DELIVERED and event.payload.get("name") == SUPPLEMENT_MESSAGE
        ]
        never = _still_missing(engine, case) if len(supplied) < rounds or case.status != "completed" else []
        for round_index in range(rounds):
            named = set(never).union(*supplied[round_index:])
            for document in named:
                candidate = found.setdefault(
                    (case.procedure_key, document),
                    Candidate("missing_document", case.procedure_key, NOTICE_ELEMENT, subject=document),
                )
                candidate.cases.add(case_id)
                candidate.figure += 1
                candidate.details["not_brought"] = candidate.details.get("not_brought", 0) + (
                    round_index == rounds - 1 and document in never
                )
    for candidate in found.values():
        candidate.details["notice_rounds"] = int(candidate.figure)
    return list(found.values())


def _still_missing(engine, case) -> list[str]:
    """What the case's data still lists as missing (documents never brought, or not yet)."""
    data = engine.case_state(case.id)
    for source in (
        (data.get("awaited_message_data") or {}).get("documents_supplied"),
        data.get("open_data"),
        data["data"],
    ):
        if source and source.get("missing_documents") is not None:
            return [str(document) for document in source.get("missing_documents") or []]
    return []


# ---------------------------------------------------------------------- agencies
def _agency_fallbacks(events: dict, by_id: dict) -> list[Candidate]:
    calls: Counter = Counter()
    found: dict[tuple[str, str, str], Candidate] = {}
    for case_id, items in events.items():
        case = by_id[case_id]
        for event in items:
            if event.type != SERVICE_RESULT:
                continue
            operation = event.payload.get("operation") or "?"
            key = (case.procedure_key, event.element_id or "", operation)
            calls[key] += 1
            error = event.payload.get("error")
            if not error:
                continue
            candidate = found.setdefault(
                key, Candidate("agency_fallback", case.procedure_key, event.element_id, subject=operation)
            )
            candidate.cases.add(case_id)
            candidate.figure += 1
            codes = candidate.details.setdefault("errors", {})
            codes[error.get("code") or "?"] = codes.get(error.get("code") or "?", 0) + 1
    for key, candidate in found.items():
        candidate.details.update(
            {
                "failures": int(candidate.figure),
                "checks": calls[key],
                "failure_share": _share(candidate.figure, calls[key]),
            }
        )
    return list(found.values())


# ---------------------------------------------------------------------- ratings and complaints
def _low_ratings(ratings, complaints, complaint_forms: dict, digests: dict[str, str]) -> list[Candidate]:
    categories_of: dict[str, Counter] = defaultdict(Counter)  # applicant digest -> complaint categories
    for complaint in complaints:
        form = next(
            (
                e.payload.get("data") or {}
                for e in complaint_forms.get(complaint.id, ())
                if e.element_id == RECEIVE_ELEMENT
            ),
            {},
        )
        digest = digests.get(complaint.id)
        if digest and form.get("category"):
            categories_of[digest][form["category"]] += 1
    by_procedure: dict[str, list] = defaultdict(list)
    for rating in ratings:
        if not rating.procedure_key.startswith(COMPLAINT_PREFIX):
            by_procedure[rating.procedure_key].append(rating)
    found = []
    for key, items in sorted(by_procedure.items()):
        low = [rating for rating in items if rating.score <= LOW_RATING_MAX]
        if not low:
            continue
        categories: Counter = Counter()
        for digest in {digests.get(rating.case_id) for rating in items} - {None}:
            categories.update(categories_of.get(digest, {}))
        mean = sum(rating.score for rating in items) / len(items)
        found.append(
            Candidate(
                "low_rating",
                key,
                cases={rating.case_id for rating in low},
                figure=len(low),
                details={
                    "ratings": len(items),
                    "mean": round(mean, 2),
                    "low_ratings": len(low),
                    "complaint_categories": dict(sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))),
                },
            )
        )
    return found


def _applicant_digests(session, case_ids: list[str], batch_size: int = 900) -> dict[str, str]:
    """case id -> the digest of its applicant's ID number (the case search's key), where known."""
    found: dict[str, str] = {}
    for start in range(0, len(case_ids), batch_size):
        batch = case_ids[start : start + batch_size]
        rows = session.execute(select(Case.id, Case.applicant_id_digest).where(Case.id.in_(batch)))
        found.update((case_id, digest) for case_id, digest in rows if digest)
    return found


# ---------------------------------------------------------------------- shaping
def _latest_versions(cases, versions: dict[int, int]) -> dict[str, tuple[int, int]]:
    """procedure -> (definition id, version) of the newest version its cases ran on."""
    latest: dict[str, tuple[int, int]] = {}
    for case in cases:
        version = versions.get(case.definition_id, 0)
        if version >= latest.get(case.procedure_key, (0, -1))[1]:
            latest[case.procedure_key] = (case.definition_id, version)
    return latest


def _element_files(session, definition_ids: list[int]) -> dict[int, dict[str, str]]:
    """definition id -> element id -> the BPMN file that draws it (the main file first: a
    step of a called sub-process is drawn in the sub-process's file)."""
    found: dict[int, dict[str, str]] = {}
    for definition_id in definition_ids:
        main = session.scalar(select(Definition.main_file).where(Definition.id == definition_id))
        files = queries.definition_files(session, definition_id)
        names = sorted((name for name in files if name.endswith(".bpmn")), key=lambda name: (name != main, name))
        index: dict[str, str] = {}
        for name in names:
            text = files[name].decode("utf-8", "replace") if isinstance(files[name], bytes) else files[name]
            for element_id in _ELEMENT_ID.findall(text):
                index.setdefault(element_id, name)
        found[definition_id] = index
    return found


_ELEMENT_ID = re.compile(
    r'<(?:\w+:)?(?:userTask|manualTask|serviceTask|task|callActivity|scriptTask)\b[^>]*?\bid="([^"]+)"'
)


def _shape(rank: int, candidate: Candidate, numbers: dict, elements, latest, files, period: Period) -> dict:
    definition_id, version = latest.get(candidate.procedure, (None, None))
    element = elements.get(definition_id, {}).get(candidate.element_id) if candidate.element_id else None
    listed = sorted(candidate.cases, key=lambda case_id: numbers.get(case_id, ""))[:CASES_LISTED]
    return {
        "rank": rank,
        "kind": candidate.kind,
        "procedure": candidate.procedure,
        "element_id": candidate.element_id,
        "element_name": element.name if element else None,
        "version": version,
        "diagram_file": files.get(definition_id, {}).get(candidate.element_id) if candidate.element_id else None,
        "subject": candidate.subject,
        "cases": len(candidate.cases),
        "figure": candidate.figure,
        **candidate.details,
        "case_search": {
            "procedure": candidate.procedure,
            "from": period.first.isoformat(),
            "to": period.last.isoformat(),
        },
        "case_list": [{"id": case_id, "number": numbers.get(case_id)} for case_id in listed],
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _share(part: float, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
