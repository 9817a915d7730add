"""What-if on real arrivals: a proposal (a procedure version not yet deployed, a staffing change)
run against the arrivals of a real past period, beside the current procedures, in one run.

Each variant runs in a scratch database of its own (a SQLite file in a temporary folder, removed
afterwards) on an engine the caller builds (``EngineFactory``: the composition root's), with the
newest deployed version of every procedure, and the proposal's files in place of its procedure's
in the proposed variant. The office month simulation (``workflows.simulation``) drives the
scratch office, but what the real cases did is replayed instead of drawn (``ReplayedOffice``):

- the same applicants come at the same times by the same channels, with the same start data;
- each step is completed with the data the real clerk entered at that step (so the documents
  presented, the checks' decisions); a step the real case never had is filled from its form;
- the agencies answer what they answered then, per operation in order (a failure sends the
  case to its manual fallback, as it did); a call the real case never made is answered with
  the failure ``not_recorded`` (nothing is asked of a real agency);
- applicants bring the documents they brought, the same number of working days after the
  notice, withdraw when they withdrew, and give the rating they gave.

What is modelled, the same for both variants: the clerks' minutes per step and their presence
(``workflows.simulation.profile``; presence drawn per day and clerk from the seed), the counter.
After the period the run goes on ``tail_days`` working days without arrivals, so that most cases
finish. The same inputs and seed give the same result, figure for figure. The real database is
only read.
"""

from __future__ import annotations

import random
import tempfile
from collections import Counter, defaultdict, deque
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import select

from engine import RATING_MESSAGE, EngineError, ManualClock, ServiceAnswer, ServiceFailure
from engine import commands as cmd
from engine.audit import Period, quantile, share
from engine.storage import Case, CaseEvent, Task, upgrade

from ..agencies.operations import OPERATIONS
from ..calendar import OFFICE_ZONE
from ..reports import SUPPLEMENT_MESSAGE, clock_stop, is_late, office_time
from ..review import NOTICE_ELEMENT, figures
from ..simulation import OfficeSimulation, SimulationSettings, StaffLine, profile
from ..simulation.forms import FormFiller
from .arrivals import Arrival, current_bundles, read_arrivals

EngineFactory = Callable[[str, str, Any], Any]  # (database url, folder, clock) -> CaseEngine
NOT_RECORDED = "not_recorded"
MAX_DIFFERENCES = 500  # cases that ended differently, listed (all are counted)
INDICATORS = ("sla_compliance", "sla_judged", "sla_late", "breaches", "one_time_notice", "waiting_minutes")


@dataclass(frozen=True)
class WhatIf:
    first: date
    last: date
    staff_current: tuple[StaffLine, ...]
    staff_proposed: tuple[StaffLine, ...]
    procedure: str | None = None  # replay only this procedure's arrivals (None: the office's)
    proposal_key: str | None = None  # the procedure the proposal changes
    proposal: dict[str, bytes] | None = None  # its files, in place of the current version's
    seed: int = 1
    tail_days: int = 10


def run_what_if(engine, factory: EngineFactory, what_if: WhatIf) -> dict[str, Any]:
    """Both variants on the same arrivals; their figures side by side and the cases that ended
    differently."""
    arrivals = read_arrivals(engine, what_if.first, what_if.last, what_if.procedure)
    bundles = current_bundles(engine)
    proposed = dict(bundles)
    if what_if.proposal:
        proposed[what_if.proposal_key] = {**bundles.get(what_if.proposal_key, {}), **what_if.proposal}
    days = _days(engine, what_if.first, what_if.last, what_if.tail_days)
    current = _run_variant(factory, bundles, arrivals, what_if.staff_current, days, what_if.seed)
    changed = _run_variant(factory, proposed, arrivals, what_if.staff_proposed, days, what_if.seed)
    different = [
        {
            "case_id": arrival.case_id,
            "number": arrival.number,
            "procedure": arrival.procedure,
            "real": {"status": arrival.status, "on_time": arrival.on_time},
            "current": current["outcomes"][arrival.case_id],
            "proposed": changed["outcomes"][arrival.case_id],
        }
        for arrival in arrivals
        if current["outcomes"][arrival.case_id] != changed["outcomes"][arrival.case_id]
    ]
    return {
        "arrivals": len(arrivals),
        "days": {"from": days[0].isoformat(), "to": days[-1].isoformat(), "working_days": len(days)},
        "current": {key: value for key, value in current.items() if key != "outcomes"},
        "proposed": {key: value for key, value in changed.items() if key != "outcomes"},
        "change": {key: _delta(current["figures"].get(key), changed["figures"].get(key)) for key in INDICATORS},
        "ended_differently": len(different),
        "cases_ended_differently": different[:MAX_DIFFERENCES],
    }


def _days(engine, first: date, last: date, tail: int) -> list[date]:
    calendar = office_time(engine, engine.clock.now()).calendar
    days, day, after = [], first, 0
    while day <= last or after < tail:
        if calendar.is_working_day(day):
            days.append(day)
            after += day > last
        day += timedelta(days=1)
    return days


def _run_variant(factory: EngineFactory, bundles, arrivals, staff, days: list[date], seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="onestop-what-if-") as folder:
        url = f"sqlite:///{Path(folder) / 'scratch.db'}"
        upgrade(url)
        scratch = factory(url, folder, ManualClock(datetime.combine(days[0], time(0), OFFICE_ZONE)))
        try:
            for key, files in bundles.items():
                scratch.handle(cmd.DeployDefinition(files, actor="what-if", process_key=key))
            office = ReplayedOffice(scratch, SimulationSettings(days[0], seed=seed, staff=staff), arrivals, days)
            result = office.run()
            return _measure(scratch, office, days, result.counts)
        finally:
            scratch.dispose()


class ReplayedOffice(OfficeSimulation):
    """The office simulation with the real cases' arrivals, data, answers and habits replayed."""

    def __init__(self, engine, settings: SimulationSettings, arrivals: list[Arrival], days: list[date]) -> None:
        super().__init__(engine, settings)
        self.arrivals = arrivals
        self.days = days
        self._day_index = 0
        self._planned = 0
        self._came: dict[tuple[str, str], deque[Arrival]] = defaultdict(deque)  # arrived, case not started yet
        self.by_number: dict[str, Arrival] = {}  # scratch case number -> the real arrival
        self.by_case: dict[str, Arrival] = {}  # scratch case id -> the real arrival
        self.case_of: dict[str, str] = {}  # real case id -> scratch case id
        self._step_counts: Counter = Counter()
        self._supplied: Counter = Counter()
        self._answer_of_task: dict[tuple[str, str], int] = {}
        self._answers_used: Counter = Counter()
        self.filled_from_form: Counter = Counter()  # steps the real cases never reached, by element
        for name in OPERATIONS:
            engine.operators.register_asynchronous(name, self._recorded_answer(name), "answered from the record")

    # the days and the arrivals
    def working_days(self) -> list[date]:
        return self.days

    def _month_working_days(self) -> list[date]:
        return self.days

    def _plan_day(self, day: date, expected: float) -> None:
        self._day_index += 1
        end = datetime.combine(day, time(23, 59), OFFICE_ZONE)
        while self._planned < len(self.arrivals) and self.arrivals[self._planned].came_at <= end:
            arrival = self.arrivals[self._planned]
            self._schedule(
                max(arrival.came_at, self.clock.now()), "arrive", arrival.procedure, arrival.channel, self._planned
            )
            self._planned += 1

    def _do_arrive(self, procedure: str, channel: str, index: int = -1) -> None:
        self._came[(procedure, channel)].append(self.arrivals[index])
        super()._do_arrive(procedure, channel)

    def _start_case(self, procedure: str, channel: str) -> str | None:
        arrival = self._came[(procedure, channel)].popleft()
        try:
            started = self.engine.handle(
                cmd.StartCase(
                    procedure,
                    dict(arrival.data),
                    channel,
                    applicant=arrival.applicant,
                    actor="online" if channel == "online" else "counter",
                )
            )
        except EngineError as error:
            self._problem(f"starting {arrival.number}: {error.message}")
            return None
        with self.engine.read() as session:
            number = session.get(Case, started.case_id).number
        self.by_number[number], self.by_case[started.case_id] = arrival, arrival
        self.case_of[arrival.case_id] = started.case_id
        self.result.counts["cases_started"] += 1
        return started.case_id

    # the staff: presence drawn per day and clerk, the same in both variants
    def _present_staff(self) -> list[tuple[str, bool]]:
        staff = self._staff()
        present = [m for m in staff if self._keyed("presence", self._day_index, m[0]).random() < profile.CLERK_PRESENCE]
        return present or staff[:1]

    def _keyed(self, *key: Any) -> random.Random:
        return random.Random(":".join(str(part) for part in (self.settings.seed, *key)))

    def _can_start(self, row, moment: datetime) -> bool:
        if row.id not in self._ready_after:
            low, high = profile.task_rule(row.element_id).delay_working_days
            days = self._keyed("delay", self._real_number(row), row.element_id).randint(low, high)
            self._ready_after[row.id] = (
                moment if days == 0 else self.calendar.working_days_after(moment, days) - timedelta(hours=2)
            )
        return super()._can_start(row, moment)

    def _do_call(self, actor: str) -> None:
        """The next visitor comes to the counter (no-shows made no case: they are not arrivals)."""
        ticket = self.engine.queue.call_next(actor.rsplit("-", 1)[-1], actor)
        if ticket is None:
            self._counter_free[actor] = self.clock.now()
            return
        self._schedule(self.clock.now() + timedelta(minutes=profile.COUNTER.walk_minutes), "visit", actor, ticket.id)

    # what the clerks enter
    def _task_data(self, row) -> dict:
        arrival = self.by_number.get(row.number)
        occurrence = self._step_counts[(row.number, row.element_id)]
        self._step_counts[(row.number, row.element_id)] += 1
        recorded = arrival.steps.get(row.element_id, []) if arrival else []
        if occurrence < len(recorded):
            return dict(recorded[occurrence])
        self.result.counts["steps_filled_from_form"] += 1
        self.filled_from_form[row.element_id] += 1
        rng = self._keyed("form", self._real_number(row), row.element_id, occurrence)
        filler = FormFiller(rng, self.clock.now().astimezone(OFFICE_ZONE).date(), profile.field_rules(row.element_id))
        return filler.fill(self._form(row.definition_id, row.form_key)) if row.form_key else {}

    def _real_number(self, row) -> str:
        arrival = self.by_number.get(row.number)
        return arrival.number if arrival else row.number

    # what the agencies answer
    def _recorded_answer(self, operation: str):
        def answer(call) -> ServiceAnswer:
            arrival = self.by_case.get(call.case_id)
            key = (call.case_id, call.task_id)
            if key not in self._answer_of_task:
                self._answer_of_task[key] = self._answers_used[(call.case_id, operation)]
                self._answers_used[(call.case_id, operation)] += 1
            index = self._answer_of_task[key]
            recorded = arrival.answers.get(operation, []) if arrival else []
            if index >= len(recorded):
                self.result.counts["agency_answers_not_recorded"] += 1
                raise ServiceFailure(NOT_RECORDED, "the real case has no answer of this check", retryable=False)
            outcome = recorded[index]
            if "error" in outcome:
                error = outcome["error"]
                raise ServiceFailure(error.get("code") or "service_error", error.get("message") or "", retryable=False)
            return ServiceAnswer(outcome["result"], {"replayed_from": arrival.number})

        return answer

    # what the applicants do
    def _applicant_answers(self, case_id: str, message: str, data: dict) -> None:
        arrival = self.by_case.get(case_id)
        if arrival is None:
            return
        if message == SUPPLEMENT_MESSAGE:
            round_index = self._supplied[case_id]
            self._supplied[case_id] += 1
            if round_index < len(arrival.supplements):
                supplement = arrival.supplements[round_index]
                self._schedule(
                    self._after(supplement.working_days, supplement.at),
                    "message",
                    case_id,
                    message,
                    {"documents": list(supplement.documents)},
                )
            elif arrival.withdrawn_after is not None:
                self._schedule(self._after(arrival.withdrawn_after, time(12)), "withdrawal", case_id)
            else:
                self.result.counts["documents_never_supplied"] += 1
        elif message == RATING_MESSAGE:
            self._rating_asked.add(case_id)
            self._schedule_rating(case_id, data)
        else:
            self.result.counts[f"unanswered_message_{message}"] += 1

    def _after(self, working_days: int, at: time) -> datetime:
        now = self.clock.now()
        day = (
            self.calendar.working_days_after(now, working_days).astimezone(OFFICE_ZONE).date()
            if working_days
            else now.astimezone(OFFICE_ZONE).date()
        )
        return max(now, datetime.combine(day, at, OFFICE_ZONE))

    def _schedule_rating(self, case_id: str, data: dict) -> None:
        arrival = self.by_case.get(case_id)
        if arrival is None or arrival.rating is None or ("rated", case_id) in self._answer_of_task:
            return
        self._answer_of_task[("rated", case_id)] = 1
        when = self.clock.now() + timedelta(hours=arrival.rating_hours or 0)
        self._schedule(when, "recorded_rating", case_id, arrival.rating)

    def _do_recorded_rating(self, case_id: str, score: int) -> None:
        try:
            self.engine.handle(cmd.RecordRating(case_id, score, actor="applicant"))
        except EngineError:
            self.result.counts["ratings_refused"] += 1
            return
        self.result.counts["ratings"] += 1


# ---------------------------------------------------------------------- the figures of a run
def _measure(scratch, office: ReplayedOffice, days: list[date], counts: Counter) -> dict[str, Any]:
    now = scratch.clock.now()
    clock = office_time(scratch, now)
    period = Period(days[0], days[-1], OFFICE_ZONE)
    with scratch.read() as session:
        cases = {case.id: case for case in session.query(Case).all()}
        tasks = session.query(Task).all()
        supplied = session.execute(select(CaseEvent.payload).where(CaseEvent.type == "message_delivered")).scalars()
        supplement_rounds = sum(1 for payload in supplied if (payload or {}).get("name") == SUPPLEMENT_MESSAGE)
    values = figures(scratch, period, now)
    # Every case is judged at the run's end: a case still open past its due date is late (the
    # review's figures judge only the cases whose clock stopped).
    judged = [
        case
        for case in cases.values()
        if case.status != "cancelled" and case.due_at is not None and (clock_stop(case) or is_late(case, now))
    ]
    late = sum(1 for case in judged if is_late(case, now))
    values.update(sla_judged=len(judged), sla_late=late, sla_compliance=share(len(judged) - late, len(judged)))
    outcomes = {}
    for real_id, scratch_id in office.case_of.items():
        case = cases[scratch_id]
        stop = clock_stop(case)
        outcomes[real_id] = {
            "status": case.status,
            "served": case.served_at is not None,
            "on_time": None if stop is None or case.due_at is None else not is_late(case, now),
        }
    for arrival in office.arrivals:
        outcomes.setdefault(arrival.case_id, {"status": "not_started", "served": False, "on_time": None})
    return {
        "figures": {key: values.get(key) for key in INDICATORS},
        "cases": {status: count for status, count in sorted(Counter(c.status for c in cases.values()).items())},
        "supplement_rounds": supplement_rounds,
        "notice_rounds": sum(1 for task in tasks if task.element_id == NOTICE_ELEMENT and task.status == "completed"),
        "steps": _steps(tasks, cases, clock, now),
        "workload": _workload(tasks),
        "counts": {
            key: counts[key]
            for key in sorted(counts)
            if key in ("steps_filled_from_form", "agency_answers_not_recorded", "problems", "documents_never_supplied")
        },
        "filled_from_form": dict(sorted(office.filled_from_form.items())),
        "outcomes": outcomes,
    }


def _steps(tasks, cases, clock, now: datetime) -> list[dict]:
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for task in tasks:
        groups[(cases[task.case_id].procedure_key, task.element_id)].append(task)
    rows = []
    for (procedure, element_id), items in sorted(groups.items()):
        done = [task for task in items if task.status == "completed"]
        waits = [
            clock.office_hours(task.created_at, task.completed_at or now)
            for task in items
            if task.status != "cancelled"
        ]
        rows.append(
            {
                "procedure": procedure,
                "element_id": element_id,
                "element_name": items[0].name,
                "lane": items[0].lane,
                "instances": len(items),
                "completed": len(done),
                "open_at_end": sum(1 for task in items if task.status in ("ready", "claimed")),
                "waiting_hours_median": _rounded(quantile(waits, 0.5)),
                "waiting_hours_p90": _rounded(quantile(waits, 0.9)),
                "processing_minutes": profile.task_rule(element_id).minutes,
            }
        )
    return rows


def _workload(tasks) -> list[dict]:
    by_actor: dict[str, list] = defaultdict(list)
    for task in tasks:
        if task.status == "completed" and task.completed_by:
            by_actor[task.completed_by].append(task)
    return [
        {
            "actor": actor,
            "lanes": sorted({task.lane or "" for task in items}),
            "tasks": len(items),
            "minutes": round(sum(profile.task_rule(task.element_id).minutes for task in items), 1),
        }
        for actor, items in sorted(by_actor.items())
    ]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _delta(old, new):
    return None if old is None or new is None else round(new - old, 4)
