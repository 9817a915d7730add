"""A city's month (Tainan's first N offices): each office is an ``OfficeSimulation`` bound to it,
with its own demand (a city-centre office busier than a rural one), its clerks and its
applicants, some of whom are registered in another district (跨區通辦: received here, worked
there); one district closes for a typhoon one day (announced the evening before: that office does
not open, the due dates of its open cases move; the other offices work as usual).

The offices share the engine's clock: each quarter hour every open office takes its turn. At the
end, the bureau's comparison of the offices is checked office by office against the SLA report
computed for that office alone (two computations of the same figures), and every case is
verified by replay by the caller.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Callable

from engine.audit import Period, reports
from engine.storage import DEFAULT_OFFICE, offices

from ..bureau import office_comparison
from ..calendar import OFFICE_CLOSES, OFFICE_OPENS, OFFICE_ZONE
from ..office_calendar import recompute_due_dates
from ..offices import tainan_offices
from ..reports import run_report
from .driver import OfficeSimulation, SimulationSettings

# Demand falls with an office's place in the city's order (the centre first): office i receives
# a share proportional to 1 / (i + 1) ** DEMAND_SLOPE of the month's applications.
DEMAND_SLOPE = 0.8
CROSS_DISTRICT_SHARE = 0.08  # applicants registered in another district
TYPHOON_OFFICE = 1  # the second office's district closes (a busy one: its cases move)
TYPHOON_REASON = "颱風停止上班（區公所公告）"


@dataclass
class CityResult:
    first_day: date
    last_day: date
    offices: list[dict]
    typhoon: dict
    working_days: int = 0
    counts: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)


def demand_shares(count: int) -> list[float]:
    weights = [1 / (index + 1) ** DEMAND_SLOPE for index in range(count)]
    return [weight / sum(weights) for weight in weights]


class CitySimulation:
    def __init__(self, engine, settings: SimulationSettings, offices_count: int, faults=None, outbox=None) -> None:
        if not 2 <= offices_count <= 37:
            raise ValueError("a city simulation has 2 to 37 offices")
        self.engine, self.settings = engine, settings
        self.offices = tainan_offices(offices_count)
        with engine.write() as session:
            known = {office["code"] for office in offices.list_offices(session.connection())}
            for office in self.offices:
                if office["code"] not in known:
                    offices.save_office(session.connection(), office, now=engine.clock.now())
            if DEFAULT_OFFICE in known:  # the install's own office takes no part (the month starts empty)
                offices.save_office(
                    session.connection(), {"code": DEFAULT_OFFICE, "active": False}, now=engine.clock.now()
                )
        codes = [office["code"] for office in self.offices]
        self.simulations = [
            OfficeSimulation(
                engine,
                replace(
                    settings,
                    seed=settings.seed * 1000 + index,
                    cases=max(1, round(settings.cases * share)),
                    clerks=max(2, math.ceil(settings.clerks * share)),  # every office has two counters at least
                    office=code,
                    elsewhere=tuple(other for other in codes if other != code),
                    cross_share=CROSS_DISTRICT_SHARE,
                    seconds_per_step=1,
                ),
                faults=faults if index == 0 else None,  # one fault book: outages planned once
                outbox=outbox,
            )
            for index, (code, share) in enumerate(zip(codes, demand_shares(offices_count)))
        ]
        typhoon_office = self.offices[TYPHOON_OFFICE]
        self.place = (typhoon_office["region"], typhoon_office["district"])
        days = self.working_days()
        self.typhoon_day = days[min(len(days) - 1, max(1, len(days) // 2))]
        self.result = CityResult(settings.month, settings.month, self.offices, {})

    def working_days(self) -> list[date]:
        return self.simulations[0].working_days()

    def run(self, on_day: Callable[[int], None] | None = None) -> CityResult:
        days = self.working_days()
        for day in days:
            if day == self.typhoon_day:
                self._announce_typhoon(day)
            calendar = self.engine.catalogue.calendar
            open_today = [
                simulation
                for simulation, office in zip(self.simulations, self.offices)
                if calendar.as_of(self.engine.clock.now(), (office["region"], office["district"])).is_working_day(day)
            ]
            present = {id(simulation): simulation.open_day(day) for simulation in open_today}
            moment = datetime.combine(day, OFFICE_OPENS, OFFICE_ZONE)
            while moment < datetime.combine(day, OFFICE_CLOSES, OFFICE_ZONE):
                self._in_time_order(open_today, moment)
                for simulation in open_today:
                    simulation.tick(moment, present[id(simulation)])
                moment += timedelta(minutes=self.settings.tick_minutes)
            for simulation in open_today:
                simulation.result.working_days += 1
            self.result.working_days += 1
            if on_day:
                on_day(1)
        for simulation in self.simulations:
            simulation.finish(days)
            self.result.counts.update(simulation.result.counts)
            self.result.problems.extend(simulation.result.problems)
        self.result.last_day = self.simulations[0].result.last_day
        return self.result

    @staticmethod
    def _in_time_order(simulations: list[OfficeSimulation], moment: datetime) -> None:
        """The offices' planned actions up to ``moment``, the earliest first whichever office's:
        the shared clock reaches each at its time (an office taking its turn first would move the
        clock past the others' arrivals and visits)."""
        while True:
            due = [(when, index) for index, s in enumerate(simulations) if (when := s.next_action_at()) is not None]
            due = [item for item in due if item[0] <= moment]
            if not due:
                return
            when, index = min(due)
            simulations[index].advance_to(when)

    def _announce_typhoon(self, day: date) -> None:
        """The evening before: the district's office will not open; its open cases' due dates move."""
        evening = datetime.combine(day - timedelta(days=1), time(20, 0), OFFICE_ZONE)
        if evening > self.engine.clock.now():
            self.engine.clock.set(evening)
        calendar = self.engine.catalogue.calendar
        added = calendar.add_override(
            day, False, TYPHOON_REASON, actor="simulation", now=self.engine.clock.now(), place=self.place
        )
        moved = recompute_due_dates(
            self.engine, added["changed_days"], actor="simulation", reason=TYPHOON_REASON, place=self.place
        )
        self.result.typhoon = {"day": day.isoformat(), "district": self.place[1], **moved}


def city_report(engine, first: date, last: date) -> dict:
    """The bureau's comparison for the period, each office's row checked against the SLA report
    computed for that office alone: ``disagreements`` lists the offices whose figures differ."""
    period = Period(first, last, OFFICE_ZONE)
    comparison = office_comparison(engine, period)
    disagreements = []
    for row in comparison["offices"]:
        with reports.office_scope({row["code"]}):
            sla = run_report(engine, "sla", first=first, last=last)["rows"]
        judged, late = sum(r["judged"] for r in sla), sum(r["late"] for r in sla)
        if (judged, late) != (row["judged"], row["late"]):
            disagreements.append(
                {"office": row["code"], "comparison": (row["judged"], row["late"]), "sla": (judged, late)}
            )
    return {**comparison, "disagreements": disagreements}


def comparison_table(report: dict) -> str:
    """The ranked offices as plain text, the city's totals last."""
    lines = [
        f"{'rank':>4}  {'office':<6} {'district':<6} {'received':>8} {'judged':>6} {'on time':>8} {'breaches':>8} {'open':>5}"
    ]
    for row in [*report["offices"], {**report["city"], "code": "city", "district": "", "rank": None}]:
        compliance = "—" if row["compliance"] is None else f"{row['compliance'] * 100:.1f}%"
        lines.append(
            f"{row['rank'] or '':>4}  {row['code']:<6} {row.get('district') or '':<6} {row['received']:>8} "
            f"{row['judged']:>6} {compliance:>8} {row['breaches']:>8} {row['open']:>5}"
        )
    return "\n".join(lines)
