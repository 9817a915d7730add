"""The review's figures (平時查核 by the director, 年度查核 by the city's Civil Affairs Bureau): the
indicators an office is judged on, per month, each against the office's target with red, amber
or green, and the change from the month before.

Every figure is read from the projections and the event log through ``engine.audit.reports``
(indexed queries): the SLA at the service point (``workflows.reports``), the one-time notice
(notice rounds per case), documents an agency check replaced, breaches and the notices that told
them, complaints, low-rating follow-ups, satisfaction (ratings and surveys), and the counter
queue's waiting minutes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from engine.audit import Period, quantile, reports, share
from engine.storage import Definition, ReportTarget, SurveyAnswer

from .calendar import OFFICE_ZONE
from .improvement.effects import effect
from .reports import (
    LOW_RATING_MAX,
    NOTICE_ELEMENT,
    ReportContext,
    clock_stop,
    complaints_by_category,
    is_late,
    judged_cases,
    office_time,
    queue_tickets_in,
)
from .surveys import SATISFIED_MIN

CHANNELS = ("counter", "online", "home_visit")
FOLLOW_UP_ELEMENT = "follow_up_rating"  # the supervisor's follow-up of a low rating
# The agency answers that replace a paper the applicant would otherwise bring (書表減量).
PAPER_REPLACED = {
    "household_registration/identity_check": (
        "household_register",
        lambda r: r.get("match") and r.get("record_status") == "active",
    ),
    "land_registry/ownership_check": ("proof_of_residence", lambda r: bool(r.get("owner"))),
    "health_insurance/enrolment_check": ("health_insurance_certificate", lambda r: bool(r.get("enrolled"))),
    "justice/criminal_record_check": ("criminal_record_certificate", lambda r: "has_record" in r),
    "immigration/residence_status": ("residence_permit", lambda r: bool(r.get("valid"))),
}


@dataclass(frozen=True)
class Indicator:
    key: str
    name_zh: str
    name_en: str
    unit: str  # share | minutes | working_days | count
    higher_is_better: bool
    target: float | None  # the default target (an office sets its own)
    amber: float | None  # how far from the target still counts as amber


INDICATORS = (
    Indicator("sla_compliance", "案件如期完成率", "Served within the standard time", "share", True, 0.95, 0.05),
    Indicator("sla_compliance_counter", "臨櫃如期完成率", "On time at the counter", "share", True, 0.95, 0.05),
    Indicator("sla_compliance_online", "線上如期完成率", "On time online", "share", True, 0.95, 0.05),
    Indicator("sla_compliance_home_visit", "到府如期完成率", "On time on home visits", "share", True, 0.95, 0.05),
    Indicator("one_time_notice", "一次告知達成率", "Cases needing one notice round only", "share", True, 0.98, 0.03),
    Indicator("papers_saved", "電子查驗免附書證件數", "Documents replaced by agency checks", "count", True, None, None),
    Indicator("breaches", "逾時案件數", "Breaches of the standard time", "count", False, 0, 5),
    Indicator("breach_notices", "逾時主動告知率", "Breaches told to the applicant", "share", True, 1.0, 0.05),
    Indicator("complaints_on_time", "陳情如期辦結率", "Complaints answered on time", "share", True, 1.0, 0.1),
    Indicator(
        "complaint_days",
        "陳情辦結天數中位數",
        "Complaint answer time, median working days",
        "working_days",
        False,
        10,
        5,
    ),
    Indicator("follow_ups_closed", "低評價追蹤完成率", "Low-rating follow-ups closed", "share", True, 0.95, 0.1),
    Indicator(
        "follow_up_days",
        "低評價追蹤天數中位數",
        "Low-rating follow-up, median working days",
        "working_days",
        False,
        1,
        1,
    ),
    Indicator("satisfaction", "滿意度（4–5 分）", "Satisfied (4-5 of 5)", "share", True, 0.85, 0.05),
    Indicator(
        "survey_satisfaction", "問卷滿意度（4–5 分）", "Survey answers satisfied (4-5)", "share", True, 0.85, 0.05
    ),
    Indicator("waiting_minutes", "臨櫃等候分鐘中位數", "Counter waiting, median minutes", "minutes", False, 10, 5),
    Indicator(
        "waiting_minutes_p90", "臨櫃等候分鐘 P90", "Counter waiting, 90th percentile minutes", "minutes", False, 20, 10
    ),
    Indicator("no_shows", "過號未到比率", "Tickets not there when called", "share", False, 0.05, 0.05),
)
BY_KEY = {indicator.key: indicator for indicator in INDICATORS}


# ---------------------------------------------------------------------- targets
def targets(engine) -> dict[str, dict]:
    """Each indicator's target and amber margin: the office's, else the default."""
    with engine.read() as session:
        stored = {row.indicator: row for row in session.scalars(select(ReportTarget))}
    result = {}
    for indicator in INDICATORS:
        row = stored.get(indicator.key)
        result[indicator.key] = {
            "indicator": indicator.key,
            "name_zh": indicator.name_zh,
            "name_en": indicator.name_en,
            "unit": indicator.unit,
            "higher_is_better": indicator.higher_is_better,
            "target": row.target if row else indicator.target,
            "amber": row.amber if row else indicator.amber,
            "set_by": row.updated_by if row else None,
            "set_at": row.updated_at if row else None,
        }
    return result


def set_target(engine, indicator: str, target: float, amber: float, actor: str) -> dict:
    from engine import InvalidInput

    if indicator not in BY_KEY:
        raise InvalidInput(
            f"There is no indicator '{indicator}'", errors=[{"field": "indicator", "message": "unknown indicator"}]
        )
    if BY_KEY[indicator].unit == "share" and not 0 <= target <= 1:
        raise InvalidInput("A share is from 0 to 1", errors=[{"field": "target", "message": "from 0 to 1"}])
    if amber < 0:
        raise InvalidInput("The amber margin cannot be negative", errors=[{"field": "amber", "message": "0 or more"}])
    now = engine.clock.now()
    with engine.write() as session:
        row = session.get(ReportTarget, indicator)
        if row is None:
            session.add(ReportTarget(indicator=indicator, target=target, amber=amber, updated_at=now, updated_by=actor))
        else:
            row.target, row.amber, row.updated_at, row.updated_by = target, amber, now, actor
    return targets(engine)[indicator]


def status(value: float | None, goal: dict) -> str | None:
    """green: the target is met; amber: missed by at most the margin; red: missed by more."""
    target, amber = goal.get("target"), goal.get("amber") or 0
    if value is None or target is None:
        return None
    gap = (target - value) if goal["higher_is_better"] else (value - target)
    if gap <= 1e-9:
        return "green"
    return "amber" if gap <= amber + 1e-9 else "red"


# ---------------------------------------------------------------------- one month's figures
def month_period(first: date) -> Period:
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return Period(first, date.fromordinal(following.toordinal() - 1), OFFICE_ZONE)


def figures(engine, period: Period, now: datetime | None = None) -> dict[str, Any]:
    """Every indicator's value for the period, with the counts behind it."""
    now = now or engine.clock.now()
    ctx = ReportContext(engine, period, None, now, office_time(engine, now))
    result: dict[str, Any] = {}
    _sla_figures(ctx, result)
    _notice_figures(ctx, result)
    _papers_saved(ctx, result)
    _breach_figures(ctx, result)
    _complaint_figures(ctx, result)
    _follow_up_figures(ctx, result)
    _satisfaction_figures(ctx, result)
    _queue_figures(ctx, result)
    _unmeasured_counts(result)
    return result


def _unmeasured_counts(result: dict) -> None:
    """A period in which the office received, served and breached nothing (before it opened,
    or a month to come) is not measured: its counts are no figures, not zero breaches met."""
    if not (result["cases_received"] or result["sla_judged"] or result["breaches"] or result["tickets"]):
        for indicator in INDICATORS:
            if indicator.unit == "count":
                result[indicator.key] = None


def _sla_figures(ctx: ReportContext, result: dict) -> None:
    judged = [case for case in judged_cases(ctx) if case.due_at is not None or case.overdue_at is not None]
    late = [case for case in judged if is_late(case, ctx.now)]
    result["sla_judged"], result["sla_late"] = len(judged), len(late)
    result["sla_compliance"] = share(len(judged) - len(late), len(judged))
    for channel in CHANNELS:
        mine = [case for case in judged if case.channel == channel]
        result[f"sla_compliance_{channel}"] = share(sum(1 for c in mine if not is_late(c, ctx.now)), len(mine))


def _notice_figures(ctx: ReportContext, result: dict) -> None:
    """Notice rounds per case received in the period: the one-time notice is met when a case that
    needed a notice needed exactly one."""
    with ctx.engine.read() as session:
        cases = reports.cases_received_in(session, ctx.period)
        completed = reports.events_of_cases(session, [case.id for case in cases], ["task_completed"])
    rounds = {case_id: sum(1 for e in items if e.element_id == NOTICE_ELEMENT) for case_id, items in completed.items()}
    noticed = [count for count in rounds.values() if count]
    result["cases_received"] = len(cases)
    result["notice_cases"] = len(noticed)
    result["notice_cases_more_than_one_round"] = sum(1 for count in noticed if count > 1)
    result["one_time_notice"] = share(sum(1 for count in noticed if count == 1), len(noticed))


def _papers_saved(ctx: ReportContext, result: dict) -> None:
    with ctx.engine.read() as session:
        cases = reports.cases_received_in(session, ctx.period)
        answers = reports.events_of_cases(session, [case.id for case in cases], ["service_result_recorded"])
    saved = Counter()
    for items in answers.values():
        for event in items:
            payload = event.payload or {}
            rule = PAPER_REPLACED.get(payload.get("operation"))
            answer = payload.get("result")
            if rule and isinstance(answer, dict) and rule[1](answer):
                saved[rule[0]] += 1
    result["papers_saved"] = sum(saved.values())
    result["papers_saved_by_document"] = dict(sorted(saved.items()))


def _breach_figures(ctx: ReportContext, result: dict) -> None:
    """Breaches whose due date passed in the period, and the notices that told them."""
    with ctx.engine.read() as session:
        breached = [case for case in reports.cases_overdue_in(session, ctx.period)]
        told = reports.notifications_of_cases(session, [case.id for case in breached], "sla_breach")
    to_applicant = sum(1 for case in breached if any(n.audience == "applicant" for n in told.get(case.id, ())))
    to_supervisor = sum(1 for case in breached if any(n.audience == "supervisor" for n in told.get(case.id, ())))
    sent = sum(
        1 for case in breached if any(n.audience == "applicant" and n.status == "sent" for n in told.get(case.id, ()))
    )
    no_contact = sum(1 for case in breached if not _has_contact(case))
    result.update(
        breaches=len(breached),
        breach_notices_applicant=to_applicant,
        breach_notices_applicant_sent=sent,
        breach_notices_supervisor=to_supervisor,
        breaches_without_contact=no_contact,
        breach_notices=share(to_applicant, len(breached) - no_contact),
    )


def _has_contact(case) -> bool:
    applicant = case.applicant or {}
    return bool(applicant.get("email") or applicant.get("phone"))


def _complaint_figures(ctx: ReportContext, result: dict) -> None:
    rows = complaints_by_category(ctx)
    answered = sum(row["answered"] for row in rows)
    on_time = sum(row["answered_on_time"] for row in rows)
    days = [d for row in rows for d in row.pop("_days")]
    result["complaints"] = sum(row["received"] for row in rows)
    result["complaints_answered"] = answered
    result["complaints_on_time"] = share(on_time, answered)
    result["complaint_days"] = _rounded(quantile(days, 0.5))
    result["complaints_by_category"] = rows


def _follow_up_figures(ctx: ReportContext, result: dict) -> None:
    """Low-rating follow-ups opened in the period: how many closed, how fast (working days)."""
    with ctx.engine.read() as session:
        opened = reports.tasks_of_element_created_in(session, ctx.period, FOLLOW_UP_ELEMENT)
    closed = [task for task in opened if task.status == "completed"]
    days = [ctx.clock.working_days(task.created_at, task.completed_at) for task in closed]
    result["follow_ups"] = len(opened)
    result["follow_ups_closed_count"] = len(closed)
    result["follow_ups_closed"] = share(len(closed), len(opened))
    result["follow_up_days"] = _rounded(quantile(days, 0.5))


def _satisfaction_figures(ctx: ReportContext, result: dict) -> None:
    with ctx.engine.read() as session:
        ratings = reports.ratings_in(session, ctx.period)
        answered = session.execute(
            select(SurveyAnswer.survey, SurveyAnswer.case_id, SurveyAnswer.score).where(
                SurveyAnswer.answered_at >= ctx.period.start,
                SurveyAnswer.answered_at < ctx.period.end,
                *reports.of_cases_in_scope(SurveyAnswer.case_id),
            )
        ).all()
    answers = [score for _survey, _case, score in answered]
    result["ratings"] = len(ratings)
    result["low_ratings"] = sum(1 for r in ratings if r.score <= LOW_RATING_MAX)
    result["satisfaction"] = share(sum(1 for r in ratings if r.score >= SATISFIED_MIN), len(ratings))
    result["survey_answers"] = len(answers)
    result["survey_satisfaction"] = share(sum(1 for score in answers if score >= SATISFIED_MIN), len(answers))
    by_survey: dict[str, list[int]] = defaultdict(list)
    respondents: dict[str, set[str]] = defaultdict(set)
    for survey, case_id, score in answered:
        by_survey[survey].append(score)
        respondents[survey].add(case_id)
    result["surveys_by_type"] = [
        {
            "survey": survey,
            "respondents": len(respondents[survey]),
            "answers": len(scores),
            "satisfied": share(sum(s >= SATISFIED_MIN for s in scores), len(scores)),
        }
        for survey, scores in sorted(by_survey.items())
    ]


def _queue_figures(ctx: ReportContext, result: dict) -> None:
    tickets = queue_tickets_in(ctx.engine, ctx.period)
    called = [t for t in tickets if t["waiting_minutes"] is not None]
    waits = [t["waiting_minutes"] for t in called]
    result["tickets"] = len(tickets)
    result["tickets_served"] = sum(1 for t in tickets if t["status"] == "done")
    result["tickets_no_show"] = sum(1 for t in tickets if t["status"] == "no_show")
    result["no_shows"] = share(result["tickets_no_show"], len(called))
    result["waiting_minutes"] = _rounded(quantile(waits, 0.5))
    result["waiting_minutes_p90"] = _rounded(quantile(waits, 0.9))
    service = [t["service_minutes"] for t in tickets if t["service_minutes"] is not None]
    result["service_minutes"] = _rounded(quantile(service, 0.5))
    result["counter_by_counter"] = _ticket_groups(tickets, "counter")
    result["counter_by_hour"] = _ticket_groups(tickets, "hour")


def _ticket_groups(tickets: list[dict], key: str) -> list[dict]:
    """The tickets by counter (those called) or by hour of issue: how many, not there when
    called, waiting and service minutes (medians)."""
    groups: dict[Any, list[dict]] = defaultdict(list)
    for ticket in tickets:
        if ticket[key] is not None:
            groups[ticket[key]].append(ticket)
    rows = []
    for value, items in sorted(groups.items(), key=lambda item: (len(str(item[0])), str(item[0]))):
        waits = [t["waiting_minutes"] for t in items if t["waiting_minutes"] is not None]
        service = [t["service_minutes"] for t in items if t["service_minutes"] is not None]
        rows.append(
            {
                key: value,
                "tickets": len(items),
                "no_shows": sum(1 for t in items if t["status"] == "no_show"),
                "waiting_minutes": _rounded(quantile(waits, 0.5), 1),
                "service_minutes": _rounded(quantile(service, 0.5), 1),
            }
        )
    return rows


def _rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


# ---------------------------------------------------------------------- the monthly review
def monthly_review(engine, first: date) -> dict[str, Any]:
    """One month's indicators, each with the target, red/amber/green and the change from the
    month before."""
    now = engine.clock.now()
    current = figures(engine, month_period(first), now)
    previous_first = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
    previous = figures(engine, month_period(previous_first), now)
    goals = targets(engine)
    rows = []
    for indicator in INDICATORS:
        value, before = current.get(indicator.key), previous.get(indicator.key)
        rows.append(
            {
                **goals[indicator.key],
                "month": first.strftime("%Y-%m"),
                "value": value,
                "previous": before,
                "change": None if value is None or before is None else round(value - before, 4),
                "status": status(value, goals[indicator.key]),
            }
        )
    return {"month": first.strftime("%Y-%m"), "indicators": rows, "figures": current, "previous_figures": previous}


# ---------------------------------------------------------------------- the annual review
def annual_review(engine, year: int) -> dict[str, Any]:
    """The year's indicators per month, the targets met, and the improvements made: each diagram
    version deployed in the year with the figures of its cases against the version before."""
    now = engine.clock.now()
    goals = targets(engine)
    months = []
    for month in range(1, 13):
        first = date(year, month, 1)
        if month_period(first).start > now:
            break
        values = figures(engine, month_period(first), now)
        months.append({"month": first.strftime("%Y-%m"), "values": {i.key: values.get(i.key) for i in INDICATORS}})
    whole = figures(engine, Period(date(year, 1, 1), date(year, 12, 31), OFFICE_ZONE), now)
    summary = []
    for indicator in INDICATORS:
        statuses = [status(month["values"][indicator.key], goals[indicator.key]) for month in months]
        summary.append(
            {
                **goals[indicator.key],
                "year_value": whole.get(indicator.key),
                "status": status(whole.get(indicator.key), goals[indicator.key]),
                "months_met": sum(1 for s in statuses if s == "green"),
                "months_measured": sum(1 for s in statuses if s is not None),
            }
        )
    return {
        "year": year,
        "generated_at": now,
        "months": months,
        "indicators": summary,
        "improvements": improvements(engine, year, now),
    }


def improvements(engine, year: int, now: datetime) -> list[dict]:
    """Each diagram version deployed in the year (after the first of its procedure), with the SLA
    compliance and median minutes or working days of the cases served on it and on the version before."""
    start, end = Period(date(year, 1, 1), date(year, 12, 31), OFFICE_ZONE).start, None
    with engine.read() as session:
        versions = session.execute(
            select(
                Definition.id,
                Definition.process_key,
                Definition.version,
                Definition.deployed_at,
                Definition.deployed_by,
            )
            .where(Definition.draft.is_(False))
            .order_by(Definition.process_key, Definition.version)
        ).all()
    by_key: dict[str, list] = defaultdict(list)
    for row in versions:
        by_key[row.process_key].append(row)
    rows = []
    clock = office_time(engine, now)
    for key, items in sorted(by_key.items()):
        for before, after in zip(items, items[1:]):
            if after.deployed_at < start or (end and after.deployed_at >= end):
                continue
            rows.append(
                {
                    "procedure": key,
                    "version": after.version,
                    "deployed_at": after.deployed_at,
                    "deployed_by": after.deployed_by,
                    "before": _version_figures(engine, before.id, clock, now),
                    "after": _version_figures(engine, after.id, clock, now),
                    "measured": _measured(engine, key, after.version),
                }
            )
    return rows


MEASURED = (
    "cases",
    "open",
    "sla_judged",
    "sla_late",
    "sla_compliance",
    "processing_working_days_median",
    "rating_mean",
)


def _measured(engine, procedure: str, version: int) -> dict:
    """The office's figures in two periods of the same length before and after the deploy
    (docs/improvement.md), without the per-step detail."""
    measured = effect(engine, procedure, version)
    return {
        "days": measured["days"],
        "before": {key: measured["before"][key] for key in MEASURED},
        "after": {key: measured["after"][key] for key in MEASURED},
        "changes": measured["changes"],
    }


def _version_figures(engine, definition_id: int, clock, now: datetime) -> dict:
    with engine.read() as session:
        cases = reports.cases_of_definition(session, definition_id)
    judged = [case for case in cases if clock_stop(case) is not None and case.status != "cancelled"]
    late = [case for case in judged if is_late(case, now)]
    minutes = [clock.office_hours(case.received_at, clock_stop(case)) * 60 for case in judged]
    return {
        "cases": len(judged),
        "compliance": share(len(judged) - len(late), len(judged)),
        "minutes_median": _rounded(quantile(minutes, 0.5), 1),
    }
