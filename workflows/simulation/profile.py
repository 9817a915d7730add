"""The simulated office: how many applicants of each procedure come by which channel, how long
clerks take, how applicants behave. Office defaults for a mid-sized city office, not law; an
office can change any line.

A procedure joins the simulation by being deployed: it gets ``DEFAULT_WEIGHT`` of the arrivals,
its tasks are filled from their forms by field name (``forms``). A line in ``PROCEDURES`` gives
it its real share and channel mix; a line in ``TASKS`` a step's duration, its days of field
work, or a decision the form alone cannot make sensibly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..agencies.simulator.records import PARCELS
from .forms import SKIP, FormFiller

CHANNELS = ("counter", "online", "home_visit")


@dataclass(frozen=True)
class ProcedureMix:
    weight: float  # share of the arrivals (relative to the other lines)
    channels: tuple[float, float, float] = (0.88, 0.10, 0.02)  # counter, online, home visit


# Shares of a month's applications at a city household registration office: transcripts and
# ID cards are the daily bulk, moves next, then the life events. Keys of procedures that are
# not deployed are skipped.
PROCEDURES: dict[str, ProcedureMix] = {
    "household_transcript": ProcedureMix(34, (0.70, 0.28, 0.02)),
    "id_card": ProcedureMix(16, (0.96, 0.0, 0.04)),
    "move_in_registration": ProcedureMix(13, (0.93, 0.05, 0.02)),
    "seal_registration": ProcedureMix(8, (0.90, 0.0, 0.10)),
    "birth_registration": ProcedureMix(6, (0.92, 0.08, 0.0)),
    "marriage_registration": ProcedureMix(5, (1.0, 0.0, 0.0)),
    "death_registration": ProcedureMix(4, (0.95, 0.02, 0.03)),
    "divorce_registration": ProcedureMix(2, (1.0, 0.0, 0.0)),
    "name_change": ProcedureMix(2, (0.97, 0.03, 0.0)),
    "house_number": ProcedureMix(1, (0.80, 0.20, 0.0)),
    "complaint": ProcedureMix(1, (0.30, 0.65, 0.05)),
}
DEFAULT_WEIGHT = 2.0  # a deployed procedure without a line
DEFAULT_CHANNELS = (0.88, 0.10, 0.02)

# Arrivals over a working day (local hours 8..16) and over the week (Monday first).
HOURLY_WEIGHTS = {8: 0.8, 9: 1.4, 10: 1.5, 11: 1.2, 12: 0.5, 13: 1.0, 14: 1.3, 15: 1.2, 16: 0.8}
WEEKDAY_WEIGHTS = (1.25, 1.0, 0.95, 0.95, 1.1, 0.6, 0.6)  # make-up Saturdays are quieter

CLERK_PRESENCE = 0.92  # chance a clerk works on a given day (leave, training, sick days)
LUNCH_HOUR = 12  # clerks take the back-office tasks at noon less: the counter is staffed thin


# ---------------------------------------------------------------------- clerks' steps
def chance(p: float) -> Callable[[FormFiller, str, dict], bool]:
    return lambda filler, name, schema: filler.rng.random() < p


def documents_presented(p_missing: float) -> Callable[[FormFiller, str, dict], Any]:
    """Every document, except that with ``p_missing`` the applicant forgot one or two."""

    def rule(filler: FormFiller, name: str, schema: dict) -> Any:
        documents = list(schema.get("items", {}).get("enum", ()))
        if documents and filler.rng.random() < p_missing:
            for _ in range(1 if filler.rng.random() < 0.75 else 2):
                if documents:
                    documents.remove(filler.rng.choice(documents))
        return documents

    return rule


def today(filler: FormFiller, name: str, schema: dict) -> str:
    return filler.today.isoformat()


def leave_out(filler: FormFiller, name: str, schema: dict) -> Any:
    return SKIP


def own_home_mostly(share: float) -> Callable[[FormFiller, str, dict], Any]:
    """A move-in's new address: an applicant the land registry knows as an owner moves into
    their own home with ``share`` (the registry then establishes the right to live there and
    the move-in is done in the visit); anyone else to an address of the form's choosing."""

    def rule(filler: FormFiller, name: str, schema: dict) -> Any:
        national_id = filler.person()[0]
        homes = sorted(parcel.building_address for parcel in PARCELS.values() if national_id in parcel.owners)
        if homes and filler.rng.random() < share:
            filler.facts["own_home"] = True
            return filler.structured_address(filler.rng.choice(homes), schema)
        return filler.from_schema(name, schema)

    return rule


def residence_basis(filler: FormFiller, name: str, schema: dict) -> Any:
    """Owner where the applicant moves into their own home, else a lease or the owner's consent."""
    if filler.facts.get("own_home") and "owner" in schema.get("enum", ()):
        return "owner"
    others = [basis for basis in schema.get("enum", ()) if basis != "owner"]
    return filler.rng.choice(others) if others else filler.from_schema(name, schema)


# By field name, in every procedure's forms.
FIELD_RULES: dict[str, Callable[[FormFiller, str, dict], Any]] = {
    "documents_presented": documents_presented(0.18),
    "new_address": own_home_mostly(0.9),
    "residence_basis": residence_basis,
    "checked_on": today,
    "note": leave_out,
    "comment": leave_out,
}


@dataclass(frozen=True)
class TaskRule:
    minutes: float = 8.0  # a clerk's time on the step
    # Working days before the step can be done at all (field work, waiting for a visit).
    delay_working_days: tuple[int, int] = (0, 0)
    fields: dict[str, Callable[[FormFiller, str, dict], Any]] = field(default_factory=dict)


DEFAULT_TASK = TaskRule()
# By BPMN element id; the shared sub-processes' steps have one id in every procedure.
TASKS: dict[str, TaskRule] = {
    "receive_application": TaskRule(minutes=12),
    "issue_notice": TaskRule(minutes=5),
    "send_reminder": TaskRule(minutes=4),
    # The visit within 3 working days (published practice); now and then it takes longer.
    "residence_check": TaskRule(minutes=25, delay_working_days=(1, 4), fields={"residence_confirmed": chance(0.94)}),
    "review_delay": TaskRule(minutes=10),
    # The surveyor goes out to the building (門牌編釘): the visit with the way there and back.
    "site_survey": TaskRule(minutes=40),
    "follow_up_rating": TaskRule(minutes=15, delay_working_days=(0, 2), fields={"contacted_applicant": chance(0.9)}),
}


def task_rule(element_id: str) -> TaskRule:
    return TASKS.get(element_id, DEFAULT_TASK)


# Minutes a step takes at the counter, in the visit (隨到隨辦): a transcript is issued in a few
# minutes, a registration takes longer. Steps not named take DEFAULT_COUNTER_MINUTES.
COUNTER_MINUTES: dict[str, float] = {
    "receive_application": 5,
    "issue_transcript": 3,
    "issue_card": 12,
    "register_seal": 6,
    "register_birth": 14,
    "register_death": 12,
    "register_marriage": 16,
    "register_divorce": 16,
    "register_move_in": 12,
    "register_name_change": 14,
    "issue_notice": 4,
}
DEFAULT_COUNTER_MINUTES = 6.0


def counter_minutes(element_id: str) -> float:
    return COUNTER_MINUTES.get(element_id, DEFAULT_COUNTER_MINUTES)


@dataclass(frozen=True)
class CounterHabits:
    no_show_share: float = 0.03  # called, and the visitor has gone
    no_show_wait_minutes: float = 2  # how long the clerk waits before calling the next
    walk_minutes: float = 1  # from the call to the visitor at the counter
    agency_wait_minutes: int = 5  # how long the counter waits for an agency's answer before going on without it


COUNTER = CounterHabits()


@dataclass(frozen=True)
class ContactHabits:
    email_share: float = 0.6
    phone_share: float = 0.8  # most leave at least one way to be told (about 92 %)


CONTACTS = ContactHabits()


def field_rules(element_id: str) -> dict[str, Callable[[FormFiller, str, dict], Any]]:
    return {**FIELD_RULES, **task_rule(element_id).fields}


# ---------------------------------------------------------------------- applicants
@dataclass(frozen=True)
class ApplicantHabits:
    supply_share: float = 0.86  # applicants who bring the missing documents at all
    supply_working_days: tuple[int, int] = (1, 9)  # after the notice; past 10 the case is withdrawn
    partial_supply_share: float = 0.12  # bring only part: another round
    withdraw_share: float = 0.3  # of those who never bring them: withdraw the application
    withdraw_working_days: tuple[int, int] = (1, 6)
    rating_share: float = 0.62  # rate a case that asks for a rating
    unprompted_rating_share: float = 0.15  # rate a case whose procedure does not ask
    rating_delay_hours: tuple[float, float] = (0.1, 60.0)
    # Scores 1..5 of a case that went well; a late case or one with supplement rounds moves
    # weight to the low scores.
    scores: tuple[float, ...] = (0.02, 0.03, 0.09, 0.31, 0.55)
    late_scores: tuple[float, ...] = (0.14, 0.18, 0.25, 0.25, 0.18)
    supplement_scores: tuple[float, ...] = (0.04, 0.06, 0.16, 0.36, 0.38)
    complaint_after_low_rating: float = 0.35  # a rating of 1-2 followed by a complaint case
    complaint_delay_working_days: tuple[int, int] = (0, 3)
    survey_share: float = 0.4  # of those who rate, answer the short survey of their service type


HABITS = ApplicantHabits()


# ---------------------------------------------------------------------- agencies
@dataclass(frozen=True)
class AgencyHabits:
    outage_share: float = 0.06  # chance an agency has an outage on a given working day
    outage_minutes: tuple[int, int] = (30, 150)


AGENCY_HABITS = AgencyHabits()
