"""The office month, driven through the engine's own commands on a manual clock.

Nothing here knows a procedure. Each simulated quarter hour of a working day:

1. the clock moves on, and whatever fell due on the way happens at its own moment: timers
   (SLA breaches, reminders, withdrawals, rating windows) through the scheduler's
   ``TimerRunner``, applicants arriving (``StartCase``), bringing documents or rating, agencies
   going down or coming back;
2. the clerks present that day take READY tasks from the inbox, soonest due first, each as long
   as their time allows, and complete them with data filled from the task's form
   (``forms.FormFiller``, ``profile.TASKS``);
3. the agency calls those steps queued run (``engine.run_due_jobs``, the worker's own code,
   against the agency simulator over HTTP); an agency in an outage fails them and the case goes
   to its manual fallback;
4. cases that changed are looked at: one that waits for a BPMN message gets an applicant's
   answer scheduled (documents after some working days, or never; a rating, or none).

All choices come from one ``random.Random(seed)`` in a fixed order, and the inbox and cases
are taken in a fixed order (due date, creation, case number), so a seed gives the same month.
"""

from __future__ import annotations

import heapq
import json
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable

from sqlalchemy import select

from engine import RATING_MESSAGE, Conflict, EngineError, NotFound
from engine import commands as cmd
from engine.background import TimerRunner, next_due_at
from engine.storage import Case, ServiceJob, Task, queries
from engine.workflow import runtime, serialization

from ..agencies.settings import AGENCIES
from ..agencies.simulator.faults import NO_FAULT, Fault
from ..calendar import OFFICE_CLOSES, OFFICE_OPENS, OFFICE_ZONE
from ..reports import COMPLAINT_PREFIX, LOW_RATING_MAX, SUPPLEMENT_MESSAGE, office_time
from ..surveys import record_answers, survey_for
from . import profile
from .forms import GIVEN, SURNAMES, FormFiller

SUPERVISOR_LANE = "Supervisor"
SECONDS_PER_STEP = 20  # the clock moves this much per completed step, so events keep their order
MAX_ATTEMPTS = 3  # a step the engine refuses this often is left open (counted as a problem)


@dataclass(frozen=True)
class StaffLine:
    """``clerks`` clerks who work the tasks of ``lane`` (None: every lane but the supervisors'),
    each from ``hours[0]`` to ``hours[1]`` o'clock, office time. Clerks of the counter's lane (or
    of every lane) also call the counter's tickets."""

    lane: str | None
    clerks: int
    hours: tuple[int, int] = (OFFICE_OPENS.hour, OFFICE_CLOSES.hour)

    def as_dict(self) -> dict:
        return {"lane": self.lane, "clerks": self.clerks, "hours": list(self.hours)}


COUNTER_LANE = "Clerk"
ANY_LANE = "*"


def parse_staff(text: str) -> tuple[StaffLine, ...]:
    """``"*=3,Surveyor=1@9-12"``: three clerks of every lane, one surveyor from 9 to 12 o'clock."""
    lines = []
    for part in filter(None, (item.strip() for item in text.split(","))):
        lane, _, rest = part.partition("=")
        count, _, hours = rest.partition("@")
        try:
            start, end = (
                (int(value) for value in hours.split("-")) if hours else (OFFICE_OPENS.hour, OFFICE_CLOSES.hour)
            )
            line = StaffLine(None if lane.strip() == ANY_LANE else lane.strip(), int(count), (start, end))
        except ValueError:
            raise ValueError(f"'{part}': write LANE=CLERKS or LANE=CLERKS@FROM-TO, e.g. Surveyor=1@9-12") from None
        check_staff_line(line)
        lines.append(line)
    if not lines:
        raise ValueError("no staff given")
    return tuple(lines)


def check_staff_line(line: StaffLine) -> None:
    if not line.lane and line.lane is not None:
        raise ValueError("a lane needs a name (or * for every lane)")
    if not 0 <= line.clerks <= 100:
        raise ValueError(f"{line.lane or ANY_LANE}: from 0 to 100 clerks")
    if not OFFICE_OPENS.hour <= line.hours[0] < line.hours[1] <= OFFICE_CLOSES.hour:
        raise ValueError(
            f"{line.lane or ANY_LANE}: hours within office hours, {OFFICE_OPENS.hour} to {OFFICE_CLOSES.hour}"
        )


@dataclass(frozen=True)
class SimulationSettings:
    month: date  # its first day
    seed: int = 7
    cases: int = 1200  # applications expected in the month
    clerks: int = 4
    supervisors: int = 1
    tick_minutes: int = 15
    working_days: int | None = None  # only the first N working days (a quick run)
    start_day: date | None = None  # begin on this day of the month (None: its first)
    # One office of a city (workflows.simulation.city): its cases and its inbox only; None: the
    # install's one office. ``elsewhere`` are the other offices, for which a share of the
    # applicants (``cross_share``, registered in another district) apply here (跨區通辦).
    office: str | None = None
    elsewhere: tuple[str, ...] = ()
    cross_share: float = 0.0
    # The clock moves this much per completed step, so events keep their order (a city's offices
    # share the clock: their steps move it less, so that one office's work does not delay another's).
    seconds_per_step: int = SECONDS_PER_STEP
    # The staff by lane (replaces ``clerks`` when given): e.g. three clerks of every lane and one
    # surveyor in the mornings.
    staff: tuple[StaffLine, ...] | None = None

    def staff_lines(self) -> tuple[StaffLine, ...]:
        return self.staff if self.staff is not None else (StaffLine(None, self.clerks),)


@dataclass
class SimulationResult:
    first_day: date
    last_day: date
    working_days: int
    counts: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)


@dataclass(order=True)
class _Action:
    when: datetime
    order: int
    kind: str = field(compare=False)
    args: tuple = field(compare=False, default=())


class OfficeSimulation:
    def __init__(self, engine, settings: SimulationSettings, faults=None, outbox=None) -> None:
        """``engine`` runs on a ``ManualClock`` (``set``); ``faults`` is the agency simulator's
        fault book (``set(agency, Fault)``), None to run without outages; ``outbox`` delivers the
        notices the cases queue (receipts, one-time notices, breach notices) as the month goes,
        None to leave them queued."""
        if not hasattr(engine.clock, "set"):
            raise ValueError("the simulation needs an engine on a ManualClock")
        self.engine, self.settings, self.faults, self.outbox = engine, settings, faults, outbox
        self.clock = engine.clock
        self.rng = random.Random(settings.seed)
        self.calendar = office_time(engine, self.clock.now()).calendar
        self.timers = TimerRunner(engine, actor="scheduler")
        self.result = SimulationResult(settings.month, settings.month, 0)
        self._queue: list[_Action] = []
        self._order = 0
        self._seen: dict[str, int] = {}  # case id -> last event seq looked at
        self._answered: set[str] = set()  # waiting message tasks an applicant's answer was decided for
        self._rating_asked: set[str] = set()
        self._finished: set[str] = set()
        self._ready_after: dict[str, datetime] = {}  # task id -> earliest moment a clerk can do it
        self._attempts: Counter = Counter()
        self._forms: dict[tuple[int, str], dict] = {}
        self._carry: dict[str, float] = {}
        self._mix = self._procedure_mix()
        # The counter (號碼牌): what each waiting ticket's visitor came for, which case each clerk
        # serves at the counter, and when each clerk is free again.
        self._ticket_procedure: dict[int, str] = {}  # waiting or called tickets only
        self._present_today: set[str] = set()
        self._counter_free: dict[str, datetime] = {}
        self._at_counter: set[str] = set()  # cases being served in a visit: not the back office's
        # The counter queue is one per deployment (tickets carry no office yet): a city's offices
        # receive their visitors without tickets.
        self._queue_services = {
            key: engine.queue.services.for_procedure(key)
            for key in self._mix
            if engine.queue.services.all() and settings.office is None
        }
        self._complaint_procedures = sorted(key for key in self._mix if key.startswith(COMPLAINT_PREFIX))
        self._lines: dict[str, StaffLine] = {}  # actor -> the staff line they belong to

    # ------------------------------------------------------------------ the month
    def working_days(self) -> list[date]:
        """The working days the simulation runs through."""
        days = [day for day in self._month_working_days() if day >= (self.settings.start_day or day)]
        return days[: self.settings.working_days] if self.settings.working_days else days

    def _month_working_days(self) -> list[date]:
        first = self.settings.month.replace(day=1)
        days, day = [], first
        while day.month == first.month:
            if self.calendar.is_working_day(day):
                days.append(day)
            day += timedelta(days=1)
        return days

    def run(self, on_day: Callable[[int], None] | None = None) -> SimulationResult:
        days = self.working_days()
        if not days:
            raise ValueError("the month has no working day")
        if not self._mix:
            raise ValueError("no procedure is deployed")
        for day in days:
            present = self.open_day(day)
            moment = _local(day, OFFICE_OPENS)
            while moment < _local(day, OFFICE_CLOSES):
                self.tick(moment, present)
                moment += timedelta(minutes=self.settings.tick_minutes)
            self.result.working_days += 1
            if on_day:
                on_day(1)
        return self.finish(days)

    def next_action_at(self) -> datetime | None:
        """When the office's next planned action (an arrival, a visit's step, an answer) is due."""
        return self._queue[0].when if self._queue else None

    def open_day(self, day: date) -> list[tuple[str, bool]]:
        """Plan the day's applicants (the month's volume spread over all its working days, also
        when only the first few run); who of the staff is at work."""
        month_weight = sum(profile.WEEKDAY_WEIGHTS[day.weekday()] for day in self._month_working_days())
        self._plan_day(day, self.settings.cases * profile.WEEKDAY_WEIGHTS[day.weekday()] / month_weight)
        present = self._present_staff()
        self._present_today = {
            actor for actor, supervisor in present if not supervisor and self._lines[actor].lane in (None, COUNTER_LANE)
        }
        return present

    def tick(self, moment: datetime, present: list[tuple[str, bool]]) -> None:
        """One quarter hour of the office: what fell due, the counter, the clerks, the agencies."""
        self.advance_to(moment)
        self._call_tickets(present, moment)
        self._work(present, moment)
        self._run_jobs()
        self._look_at_cases()
        self._deliver_notices()

    def finish(self, days: list[date]) -> SimulationResult:
        """The month's end: timers until its last minute, the applicants' last answers."""
        last = days[-1] if self.settings.working_days else _month_end(days[0])
        self.advance_to(_local(last, time(23, 59)))
        self._look_at_cases()
        self._deliver_notices()
        self.result.last_day = last
        return self.result

    def advance_to(self, target: datetime) -> None:
        """Move the clock to ``target``, doing on the way, each at its moment, what falls due."""
        stuck: datetime | None = None  # a timer whose case failed to fire: not retried in this move
        while True:
            with self.engine.read() as session:
                timer = next_due_at(session.connection())
            if timer is not None and stuck is not None and timer <= stuck:
                timer = None
            action = self._queue[0].when if self._queue else None
            if timer is not None and timer < target and (action is None or timer <= action):
                self._set_clock(timer + timedelta(seconds=1))
                fired = self.timers.fire_due()
                if not fired:
                    stuck = timer
                    self._problem(f"a timer due at {timer.isoformat()} did not fire")
                self.result.counts["timer_firings"] += fired
                self._run_jobs()
                self._look_at_cases()
            elif action is not None and action <= target:
                step = heapq.heappop(self._queue)
                self._set_clock(step.when)
                getattr(self, f"_do_{step.kind}")(*step.args)
                self._run_jobs()
            else:
                break
        self._set_clock(target)

    def _set_clock(self, moment: datetime) -> None:
        if moment > self.clock.now():
            self.clock.set(moment)

    def _schedule(self, when: datetime, kind: str, *args: Any) -> None:
        self._order += 1
        heapq.heappush(self._queue, _Action(when, self._order, kind, args))

    # ------------------------------------------------------------------ arrivals and agencies
    def _procedure_mix(self) -> dict[str, profile.ProcedureMix]:
        """The deployed procedures applicants come for: those with a line in the profile or a
        standard time in the catalogue (not a sub-process deployed on its own)."""
        with self.engine.read() as session:
            deployed = sorted({d.process_key for d in queries.list_definitions(session) if not d.draft})
        default = profile.ProcedureMix(profile.DEFAULT_WEIGHT, profile.DEFAULT_CHANNELS)
        return {
            key: profile.PROCEDURES.get(key, default)
            for key in deployed
            if key in profile.PROCEDURES or self.engine.catalogue.standard_time(key) is not None
        }

    def _plan_day(self, day: date, expected: float) -> None:
        count = max(0, round(self.rng.gauss(expected, math.sqrt(expected)))) if expected > 0 else 0
        hours = sorted(profile.HOURLY_WEIGHTS)
        keys = list(self._mix)
        for _ in range(count):
            hour = self.rng.choices(hours, [profile.HOURLY_WEIGHTS[h] for h in hours])[0]
            when = _local(day, time(hour, self.rng.randrange(60), self.rng.randrange(60)))
            procedure = self.rng.choices(keys, [self._mix[k].weight for k in keys])[0]
            channel = self.rng.choices(profile.CHANNELS, self._mix[procedure].channels)[0]
            self._schedule(when, "arrive", procedure, channel)
        if self.faults is None:
            return
        habits = profile.AGENCY_HABITS
        for agency in sorted(AGENCIES):
            if self.rng.random() < habits.outage_share:
                start = _local(day, OFFICE_OPENS) + timedelta(minutes=self.rng.randrange(8 * 60))
                self._schedule(start, "outage", agency)
                self._schedule(start + timedelta(minutes=self.rng.randint(*habits.outage_minutes)), "recovery", agency)

    def _do_arrive(self, procedure: str, channel: str) -> None:
        kind = self._queue_services.get(procedure)
        if channel == "counter" and kind is not None:
            ticket = self.engine.queue.issue(kind.key, actor="kiosk")  # the visitor takes a number
            self._ticket_procedure[ticket.id] = procedure
            self.result.counts["tickets_issued"] += 1
            return
        if channel == "counter" and self.settings.office is not None:
            self._do_walk_in(procedure)
            return
        self._start_case(procedure, channel)

    def _do_walk_in(self, procedure: str, waited: int = 0) -> None:
        """A visitor at a city's office (no ticket: the counter queue is one per deployment) goes
        to the first free clerk at the counter and is served in the visit, or waits in line."""
        now = self.clock.now()
        free = [actor for actor in sorted(self._present_today) if self._counter_free.get(actor, now) <= now]
        if not free and waited < profile.COUNTER.agency_wait_minutes * 10:
            self._schedule(now + timedelta(minutes=5), "walk_in", procedure, waited + 5)
            return
        case_id = self._start_case(procedure, "counter")
        if case_id is None or not free or case_id in self._sent_away:
            return  # refused, left to the back office after a long wait, or worked by another office
        self._counter_free[free[0]] = datetime.max.replace(tzinfo=OFFICE_ZONE)
        self._at_counter.add(case_id)
        self._serve_step(free[0], None, case_id)

    def _start_case(self, procedure: str, channel: str) -> str | None:
        competent = self._competent_office(procedure)
        try:
            started = self.engine.handle(
                cmd.StartCase(
                    procedure,
                    {},
                    channel,
                    applicant=self._applicant(),
                    actor="online" if channel == "online" else "counter",
                    office=self.settings.office,
                    competent_office=competent,
                )
            )
        except EngineError as error:
            self._problem(f"starting a {procedure} case: {error.message}")
            return None
        self.result.counts["cases_started"] += 1
        self.result.counts[f"channel_{channel}"] += 1
        if competent is not None:
            self._sent_away.add(started.case_id)
        return started.case_id

    def _competent_office(self, procedure: str) -> str | None:
        """Another office, for an applicant registered in another district (跨區通辦), if the
        procedure may be received anywhere; else None (this office is competent)."""
        if not self.settings.elsewhere or self.rng.random() >= self.settings.cross_share:
            return None
        if not self.engine.catalogue.received_anywhere(procedure):
            return None
        self.result.counts["cross_district"] += 1
        return self.rng.choice(self.settings.elsewhere)

    @property
    def _sent_away(self) -> set[str]:
        """Cases received here for another office (their steps are that office's)."""
        return self.__dict__.setdefault("_sent_away_ids", set())

    def _applicant(self) -> dict:
        """Most applicants leave an email address, a mobile number, or both (profile.CONTACTS)."""
        habits = profile.CONTACTS
        name = f"{self.rng.choice(SURNAMES)}{self.rng.choice(GIVEN)}"
        applicant = {"name": name}
        if self.rng.random() < habits.email_share:
            applicant["email"] = f"applicant{self.rng.randrange(10**6):06d}@example.tw"
        if self.rng.random() < habits.phone_share:
            applicant["phone"] = f"09{self.rng.randrange(10**8):08d}"
        if len(applicant) == 1:
            self.result.counts["applicants_without_contact"] += 1
        return applicant

    # ------------------------------------------------------------------ the counter
    def _call_tickets(self, present: list[tuple[str, bool]], moment: datetime) -> None:
        """Clerks free at their counter call the next ticket (the counter before the back office);
        while no one waits, they work the back office."""
        if self.settings.office is not None:
            return  # a city's office: visitors walk in (_do_walk_in)
        if not self._ticket_procedure:
            return
        for actor, supervisor in present:
            if supervisor or not self._at_counter_now(actor, moment) or self._counter_free.get(actor, moment) > moment:
                continue
            self._counter_free[actor] = datetime.max.replace(tzinfo=OFFICE_ZONE)  # busy until the visit ends
            self._schedule(moment, "call", actor)

    def _do_call(self, actor: str) -> None:
        ticket = self.engine.queue.call_next(actor.rsplit("-", 1)[-1], actor)
        if ticket is None:
            self._counter_free[actor] = self.clock.now()
            return
        if self.rng.random() < profile.COUNTER.no_show_share:
            self._schedule(
                self.clock.now() + timedelta(minutes=profile.COUNTER.no_show_wait_minutes), "no_show", actor, ticket.id
            )
            return
        self._schedule(self.clock.now() + timedelta(minutes=profile.COUNTER.walk_minutes), "visit", actor, ticket.id)

    def _do_no_show(self, actor: str, ticket_id: int) -> None:
        self.engine.queue.no_show(ticket_id, actor)
        self._ticket_procedure.pop(ticket_id, None)
        self.result.counts["tickets_no_show"] += 1
        self._next_call(actor)

    def _do_visit(self, actor: str, ticket_id: int) -> None:
        """The visitor at the counter: the case is received and served in the same visit. A ticket
        drawn before this run began (a visitor this run does not know) has gone."""
        if ticket_id not in self._ticket_procedure:
            self._do_no_show(actor, ticket_id)
            return
        self.engine.queue.start(ticket_id, actor)
        case_id = self._start_case(self._ticket_procedure.pop(ticket_id), "counter")
        if case_id is None:
            self._end_visit(actor, ticket_id)
            return
        self.engine.queue.link_case(ticket_id, case_id, actor)
        self._at_counter.add(case_id)
        self._serve_step(actor, ticket_id, case_id)

    def _serve_step(self, actor: str, ticket_id: int, case_id: str, waited: int = 0) -> None:
        """Schedule the visit's next step of the case, or end the visit when none can be done now.
        While an agency's answer (or its retries) is still to come, the clerk and the visitor wait
        for it at the counter, a minute at a time: a registry that does not answer sends the case
        to the manual check there and then, not to the back office."""
        with self.engine.read() as session:
            rows = session.execute(
                select(Task.id, Task.element_id, Task.lane)
                .where(Task.case_id == case_id, Task.status == "ready")
                .order_by(Task.created_at, Task.element_id)
            ).all()
            asking = session.scalar(
                select(ServiceJob.id).where(
                    ServiceJob.case_id == case_id, ServiceJob.status.in_(("pending", "running"))
                )
            )
        if not rows and asking is not None and waited < profile.COUNTER.agency_wait_minutes:
            self._schedule(self.clock.now() + timedelta(minutes=1), "visit_wait", actor, ticket_id, case_id, waited + 1)
            return
        for row in rows:
            rule = profile.task_rule(row.element_id)
            if self._works_lane(actor, False, row.lane) and rule.delay_working_days == (0, 0):
                minutes = profile.counter_minutes(row.element_id)
                self._schedule(
                    self.clock.now() + timedelta(minutes=minutes), "visit_step", actor, ticket_id, case_id, row.id
                )
                return
        self._at_counter.discard(case_id)
        self._end_visit(actor, ticket_id)

    def _do_visit_step(self, actor: str, ticket_id: int, case_id: str, task_id: str) -> None:
        with self.engine.read() as session:
            row = session.execute(
                select(Task.id, Task.element_id, Task.form_key, Case.number, Case.definition_id)
                .join(Case, Case.id == Task.case_id)
                .where(Task.id == task_id, Task.status == "ready")
            ).first()
        if row is not None:
            self._complete(row, actor, advance=False)
            self._run_jobs()
        self._serve_step(actor, ticket_id, case_id)

    def _do_visit_wait(self, actor: str, ticket_id: int, case_id: str, waited: int) -> None:
        self._run_jobs()
        self._serve_step(actor, ticket_id, case_id, waited)

    def _end_visit(self, actor: str, ticket_id: int | None) -> None:
        if ticket_id is None:  # a walk-in at a city's office
            self._counter_free[actor] = self.clock.now()
            self.result.counts["walk_ins_served"] += 1
            return
        self.engine.queue.finish(ticket_id, actor)
        self.result.counts["tickets_served"] += 1
        self._next_call(actor)

    def _next_call(self, actor: str) -> None:
        """Call the next visitor right away while anyone waits (also past closing time: whoever
        took a number before closing is served)."""
        self._counter_free[actor] = self.clock.now()
        if actor in self._present_today and self._ticket_procedure:
            self._counter_free[actor] = datetime.max.replace(tzinfo=OFFICE_ZONE)
            self._schedule(self.clock.now(), "call", actor)

    def _do_outage(self, agency: str) -> None:
        self.faults.set(agency, Fault(mode="error", status=503))
        self.result.counts["agency_outages"] += 1

    def _do_recovery(self, agency: str) -> None:
        self.faults.set(agency, NO_FAULT)

    def _deliver_notices(self) -> None:
        while self.outbox is not None:
            outcomes = self.outbox.deliver_due(limit=500)
            for outcome, count in outcomes.items():
                self.result.counts[f"notices_{outcome}"] += count
            if not any(outcomes.values()):
                return

    def _run_jobs(self) -> None:
        while True:
            outcomes = self.engine.run_due_jobs(limit=200)
            for outcome, count in outcomes.items():
                self.result.counts[f"agency_calls_{outcome}"] += count
            if not outcomes:
                return

    # ------------------------------------------------------------------ clerks
    def _staff(self) -> list[tuple[str, bool]]:
        """(actor, is supervisor) of the whole staff, in a fixed order."""
        prefix = f"{self.settings.office}-" if self.settings.office else ""
        staff, number = [], 0
        for line in self.settings.staff_lines():
            for _ in range(line.clerks):
                number += 1
                actor = f"{prefix}clerk-{number}"
                self._lines[actor] = line
                staff.append((actor, False))
        return staff + [(f"{prefix}supervisor-{n}", True) for n in range(1, self.settings.supervisors + 1)]

    def _present_staff(self) -> list[tuple[str, bool]]:
        """(actor, is supervisor) of the staff at work today, in a fixed order."""
        staff = self._staff()
        present = [member for member in staff if self.rng.random() < profile.CLERK_PRESENCE]
        return present or staff[:1]

    def _on_duty(self, actor: str, moment: datetime) -> bool:
        line = self._lines.get(actor)
        if line is None:
            return True  # a supervisor: office hours
        return line.hours[0] <= moment.astimezone(OFFICE_ZONE).hour < line.hours[1]

    def _at_counter_now(self, actor: str, moment: datetime) -> bool:
        line = self._lines.get(actor)
        return self._on_duty(actor, moment) and (line is None or line.lane in (None, COUNTER_LANE))

    def _works_lane(self, actor: str, supervisor: bool, lane: str | None) -> bool:
        """Clerks never do the supervisors' steps; supervisors do the clerks' too unless the staff is
        given by lane; a clerk of a lane does only its tasks."""
        if lane == SUPERVISOR_LANE or supervisor:
            return supervisor and (lane == SUPERVISOR_LANE or self.settings.staff is None)
        line = self._lines.get(actor)
        return line is None or line.lane is None or line.lane == lane

    def _inbox(self) -> list:
        far = datetime.max.replace(tzinfo=OFFICE_ZONE)
        with self.engine.read() as session:
            rows = session.execute(
                select(
                    Task.id,
                    Task.case_id,
                    Task.element_id,
                    Task.lane,
                    Task.form_key,
                    Task.created_at,
                    Task.due_at,
                    Case.number,
                    Case.definition_id,
                )
                .join(Case, Case.id == Task.case_id)
                .where(Task.status == "ready", *self._at_office(Task.office))
            ).all()
        return sorted(rows, key=lambda r: (_aware(r.due_at) or far, _aware(r.created_at), r.number, r.element_id))

    def _work(self, present: list[tuple[str, bool]], moment: datetime) -> None:
        inbox = [row for row in self._inbox() if self._can_start(row, moment)]
        taken: set[str] = set()
        minutes = self.settings.tick_minutes * (0.5 if moment.astimezone(OFFICE_ZONE).hour == profile.LUNCH_HOUR else 1)
        inbox = [row for row in inbox if row.case_id not in self._at_counter]
        for actor, supervisor in present:
            if self._counter_free.get(actor, moment) > moment or not self._on_duty(actor, moment):
                continue  # serving a visitor at the counter, or not on duty at this hour
            budget = self._carry.get(actor, 0.0) + minutes
            keep = self.settings.tick_minutes  # time carried to the next tick
            for row in sorted(inbox, key=lambda r: (r.lane != SUPERVISOR_LANE) if supervisor else 0):
                if row.id in taken or not self._works_lane(actor, supervisor, row.lane):
                    continue
                needed = profile.task_rule(row.element_id).minutes
                if needed > budget:
                    # A step longer than what a tick leaves over is started once enough time
                    # has gathered (the clerk is on it meanwhile).
                    keep = max(keep, needed)
                    break
                taken.add(row.id)
                budget -= needed
                self._complete(row, actor)
            self._carry[actor] = min(budget, keep)

    def _at_office(self, column) -> list:
        """Only the office's own work (a city's office), or all of it (the one office)."""
        return [column == self.settings.office] if self.settings.office else []

    def _can_start(self, row, moment: datetime) -> bool:
        if self._attempts[row.id] >= MAX_ATTEMPTS:
            return False
        if row.id not in self._ready_after:
            low, high = profile.task_rule(row.element_id).delay_working_days
            days = self.rng.randint(low, high)
            self._ready_after[row.id] = (
                moment if days == 0 else self.calendar.working_days_after(moment, days) - timedelta(hours=2)
            )
        return self._ready_after[row.id] <= moment

    def _complete(self, row, actor: str, advance: bool = True) -> None:
        if advance:
            self.clock.set(self.clock.now() + timedelta(seconds=self.settings.seconds_per_step))
        data = self._task_data(row)
        try:
            self.engine.handle(cmd.CompleteTask(row.id, actor, data))
        except (Conflict, NotFound):
            return  # a timer or a message took the step away meanwhile
        except EngineError as error:
            self._attempts[row.id] += 1
            self._problem(f"{row.number} {row.element_id}: {error.message}")
            return
        self.result.counts["tasks_completed"] += 1

    def _task_data(self, row) -> dict:
        """The step's data, filled from its form."""
        filler = FormFiller(
            self.rng, self.clock.now().astimezone(OFFICE_ZONE).date(), profile.field_rules(row.element_id)
        )
        return filler.fill(self._form(row.definition_id, row.form_key)) if row.form_key else {}

    def _form(self, definition_id: int, form_key: str) -> dict:
        key = (definition_id, form_key)
        if key not in self._forms:
            with self.engine.read() as session:
                files = queries.definition_files(session, definition_id)
            self._forms[key] = json.loads(files[form_key]) if form_key in files else {}
        return self._forms[key]

    # ------------------------------------------------------------------ applicants
    def _look_at_cases(self) -> None:
        with self.engine.read() as session:
            rows = session.execute(
                select(Case.id, Case.number, Case.status, Case.last_event_seq)
                .where(*self._at_office(Case.office))
                .order_by(Case.number)
            ).all()
        changed = [row for row in rows if self._seen.get(row.id) != row.last_event_seq]
        for row in changed:
            self._seen[row.id] = row.last_event_seq
            if row.status == "running":
                for task_id, name, data in self._waiting_messages(row.id):
                    if task_id not in self._answered:
                        self._answered.add(task_id)
                        self._applicant_answers(row.id, name, data)
            elif row.status == "completed" and row.id not in self._finished:
                self._finished.add(row.id)
                if row.id not in self._rating_asked and self.rng.random() < profile.HABITS.unprompted_rating_share:
                    self._schedule_rating(row.id, {})

    def _waiting_messages(self, case_id: str) -> list[tuple[str, str, dict]]:
        with self.engine.read() as session:
            case = queries.get_case(session, case_id)
            definition = self.engine.deployments.get(session, case.definition_id)
            state = case.state
        workflow = serialization.loads(state, definition.spec, definition.subprocess_specs)
        return [(str(task.id), name, dict(task.data)) for task, name in runtime.waiting_for_messages(workflow)]

    def _applicant_answers(self, case_id: str, message: str, data: dict) -> None:
        habits = profile.HABITS
        if message == SUPPLEMENT_MESSAGE:
            if self.rng.random() >= habits.supply_share:
                self.result.counts["documents_never_supplied"] += 1
                if self.rng.random() < habits.withdraw_share:  # says so, rather than letting it lapse
                    days = self.rng.randint(*habits.withdraw_working_days)
                    when = self.calendar.working_days_after(self.clock.now(), days) - timedelta(hours=4)
                    self._schedule(when, "withdrawal", case_id)
                return
            documents = list(data.get("missing_documents") or [])
            if len(documents) > 1 and self.rng.random() < habits.partial_supply_share:
                documents.remove(self.rng.choice(documents))
            days = self.rng.randint(*habits.supply_working_days)
            when = self.calendar.working_days_after(self.clock.now(), days) - timedelta(
                minutes=self.rng.randrange(30, 8 * 60)
            )
            self._schedule(when, "message", case_id, message, {"documents": documents})
        elif message == RATING_MESSAGE:
            self._rating_asked.add(case_id)
            if self.rng.random() < habits.rating_share:
                self._schedule_rating(case_id, data)
        else:
            self.result.counts[f"unanswered_message_{message}"] += 1

    def _schedule_rating(self, case_id: str, data: dict) -> None:
        hours = self.rng.uniform(*profile.HABITS.rating_delay_hours)
        # Drawn now, so that the order of draws does not depend on when the rating comes.
        draw = self.rng.random()
        self._schedule(
            self.clock.now() + timedelta(hours=hours), "rating", case_id, bool(data.get("supplement_rounds")), draw
        )

    def _do_message(self, case_id: str, name: str, payload: Any) -> None:
        try:
            self.engine.handle(cmd.DeliverMessage(case_id, name, payload, actor="applicant"))
        except (Conflict, NotFound):
            self.result.counts[f"late_{name}"] += 1  # e.g. documents after the case was withdrawn
            return
        self.result.counts[f"message_{name}"] += 1

    def _do_withdrawal(self, case_id: str) -> None:
        try:
            self.engine.handle(cmd.CancelCase(case_id, "the applicant withdrew the application", actor="applicant"))
        except (Conflict, NotFound):
            return  # already withdrawn by the office's deadline
        self.result.counts["withdrawn_by_applicant"] += 1

    def _do_rating(self, case_id: str, had_supplement: bool, draw: float) -> None:
        habits = profile.HABITS
        with self.engine.read() as session:
            case = queries.get_case(session, case_id)
            late, procedure = case.overdue_at is not None, case.procedure_key
        weights = habits.late_scores if late else habits.supplement_scores if had_supplement else habits.scores
        score = _pick(draw, weights) + 1
        try:
            self.engine.handle(cmd.RecordRating(case_id, score, actor="applicant"))
        except (Conflict, NotFound):
            self.result.counts["ratings_refused"] += 1
            return
        self.result.counts["ratings"] += 1
        self._answer_survey(case_id, score)
        if (
            score <= LOW_RATING_MAX
            and self._complaint_procedures
            and not procedure.startswith(COMPLAINT_PREFIX)
            and self.rng.random() < habits.complaint_after_low_rating
        ):
            days = self.rng.randint(*habits.complaint_delay_working_days)
            when = self.calendar.working_days_after(self.clock.now(), days) - timedelta(hours=3)
            self._schedule(max(when, self.clock.now()), "arrive", self.rng.choice(self._complaint_procedures), "online")

    def _answer_survey(self, case_id: str, score: int) -> None:
        """Some who rate also answer the short survey of their service type, near their rating."""
        if self.rng.random() >= profile.HABITS.survey_share:
            return
        with self.engine.read() as session:
            case = queries.get_case(session, case_id)
        _key, questions = survey_for(case.channel)
        answers = {q.key: max(1, min(5, score + self.rng.choice((-1, 0, 0, 0, 1)))) for q in questions}
        try:
            record_answers(self.engine, case, answers)
        except EngineError:
            return
        self.result.counts["survey_answers"] += len(answers)

    def _problem(self, text: str) -> None:
        self.result.counts["problems"] += 1
        if len(self.result.problems) < 50:
            self.result.problems.append(text)


def _pick(draw: float, weights: tuple[float, ...]) -> int:
    total, running = sum(weights), 0.0
    for index, weight in enumerate(weights):
        running += weight / total
        if draw < running:
            return index
    return len(weights) - 1


def _local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, OFFICE_ZONE)


def _month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite gives back naive UTC datetimes."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)
