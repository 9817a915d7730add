"""Feedback into the process (服務評價回饋): for each BPMN element of a procedure, per definition
version, how long cases wait there and how long the work takes, and how often it is the step
that leads to a supplement round, a missed due date or a low rating.

- waiting: from the task entering the inbox to its first claim (to its completion when it was
  completed without a claim);
- working: from the first claim to the completion;
- supplement round: the task was the last one completed in its case before the applicant
  supplied documents (the step that asked for them);
- breach: the case's due date passed while the task was open (the step the case was stuck in);
- low rating: the case was rated low after the task had been completed in it.

Durations are measured by a function the caller gives (the office measures in office hours);
rates are per task instance. Rows are per (version, element), so a designer compares versions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Sequence

from engine.audit import reports
from engine.audit.reports import Period
from engine.audit.timeline import element_index

Measure = Callable[[datetime, datetime], float]


@dataclass
class ElementStats:
    instances: int = 0
    completed: int = 0
    waiting: list[float] = field(default_factory=list)
    working: list[float] = field(default_factory=list)
    supplements: int = 0
    breaches: int = 0
    rated: int = 0
    low_ratings: int = 0

    def as_row(self) -> dict[str, Any]:
        waiting, working = reports.summary(self.waiting), reports.summary(self.working)
        return {
            "instances": self.instances,
            "completed": self.completed,
            "waiting_median": waiting["median"],
            "waiting_p90": waiting["p90"],
            "working_median": working["median"],
            "working_p90": working["p90"],
            "supplement_rounds": self.supplements,
            "supplement_rate": reports.share(self.supplements, self.instances),
            "breaches": self.breaches,
            "breach_rate": reports.share(self.breaches, self.instances),
            "rated": self.rated,
            "low_ratings": self.low_ratings,
            "low_rating_rate": reports.share(self.low_ratings, self.rated),
        }


@dataclass(frozen=True)
class FeedbackRules:
    measure: Measure  # duration between two moments, in the unit the office reads
    supplement_messages: Sequence[str]  # messages that mean "the applicant supplied documents"
    low_rating_max: int  # a score at or below this is a low rating


def element_feedback(
    engine, procedure: str, period: Period, rules: FeedbackRules, now: datetime
) -> list[dict[str, Any]]:
    """Rows per (version, element) for cases of ``procedure`` received in ``period``."""
    with engine.read() as session:
        cases = reports.cases_received_in(session, period, procedure=procedure)
        case_ids = [case.id for case in cases]
        tasks = reports.tasks_of_cases(session, case_ids)
        claims = reports.first_claims(session, case_ids)
        supplied = reports.messages_per_case(session, case_ids, rules.supplement_messages)
        scores = reports.ratings_of_cases(session, case_ids)
        versions = reports.definition_versions(session)
        names = {
            definition_id: element_index(engine.deployments.get(session, definition_id))
            for definition_id in {case.definition_id for case in cases}
        }
    by_case = {case.id: case for case in cases}
    asked = _supplement_askers(tasks, supplied)
    stats: dict[tuple[int, int, str], ElementStats] = defaultdict(ElementStats)
    for task in tasks:
        case = by_case[task.case_id]
        item = stats[(case.definition_id, versions.get(case.definition_id, 0), task.element_id)]
        _count(item, task, case, claims.get(task.id), asked, scores.get(task.case_id), rules, now)
    return [
        {
            "procedure": procedure,
            "version": version,
            "element_id": element_id,
            "element_name": _name(names[definition_id], element_id),
            **item.as_row(),
        }
        for (definition_id, version, element_id), item in sorted(stats.items(), key=lambda kv: kv[0][1:])
    ]


def _name(elements, element_id: str) -> str | None:
    element = elements.get(element_id)
    return element.name if element else None


def _count(
    item: ElementStats, task, case, claimed_at, asked: set[str], score: int | None, rules: FeedbackRules, now: datetime
) -> None:
    item.instances += 1
    if task.status == "completed":
        item.completed += 1
        item.waiting.append(rules.measure(task.created_at, claimed_at or task.completed_at))
        if claimed_at is not None:
            item.working.append(rules.measure(claimed_at, task.completed_at))
        if score is not None:
            item.rated += 1
            item.low_ratings += score <= rules.low_rating_max
    item.supplements += task.id in asked
    item.breaches += _open_when_due_passed(task, case, now)


def _open_when_due_passed(task, case, now: datetime) -> bool:
    due = case.due_at
    if due is None or (case.closed_at or now) <= due:
        return False  # the case did not (yet) miss its due date
    left = task.completed_at or (case.closed_at if task.status == "cancelled" else None) or now
    return task.created_at <= due < left


def _supplement_askers(tasks, supplied: dict[str, list[datetime]]) -> set[str]:
    """The task last completed before each supplement round, per case."""
    completed = defaultdict(list)
    for task in tasks:
        if task.status == "completed" and task.completed_at is not None:
            completed[task.case_id].append(task)
    askers = set()
    for case_id, moments in supplied.items():
        done = sorted(completed.get(case_id, []), key=lambda task: task.completed_at)
        for moment in moments:
            before = [task for task in done if task.completed_at <= moment]
            if before:
                askers.add(before[-1].id)
    return askers


def compare_versions(
    rows: list[dict[str, Any]],
    metrics: Sequence[str] = ("waiting_median", "working_median", "supplement_rate", "breach_rate", "low_rating_rate"),
) -> list[dict]:
    """Per element, each metric by version and its change from the first version to the last."""
    by_element: dict[str, dict[int, dict]] = defaultdict(dict)
    for row in rows:
        by_element[row["element_id"]][row["version"]] = row
    compared = []
    for element_id, versions in sorted(by_element.items()):
        ordered = sorted(versions)
        first, last = versions[ordered[0]], versions[ordered[-1]]
        compared.append(
            {
                "element_id": element_id,
                "element_name": last["element_name"],
                "versions": ordered,
                "by_version": {str(v): {m: versions[v][m] for m in ("instances", *metrics)} for v in ordered},
                "change": {m: _delta(first[m], last[m]) for m in metrics} if len(ordered) > 1 else {},
            }
        )
    return compared


def _delta(old, new):
    return None if old is None or new is None else round(new - old, 4)
