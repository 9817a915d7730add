"""Each procedure's main path, for the suites every procedure shares (receipt, channel intake,
rating): how a clerk receives the application and does the work up to the rating.

A new procedure adds one ``Journey`` to ``JOURNEYS``; the shared suite then runs for it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from tests.engine.helpers import RECEIVE as TRANSCRIPT_RECEIVE
from tests.engine.helpers import complete

ADDRESS = {"city": "臺北市", "district": "大安區", "street": "仁愛路四段", "number": "100", "floor": 5}


@dataclass(frozen=True)
class Journey:
    procedure: str
    receive: dict  # the receive_application form of the main path
    work: tuple[tuple[str, dict], ...]  # the clerk's steps after it, up to the rating

    def to_rating(self, engine, case_id: str, complete_step: Callable = complete) -> None:
        """From an open receive_application to the case waiting for the applicant's rating."""
        complete_step(engine, case_id, "receive_application", self.receive)
        for element_id, data in self.work:
            complete_step(engine, case_id, element_id, data)


JOURNEYS = {journey.procedure: journey for journey in [
    Journey("household_transcript", TRANSCRIPT_RECEIVE, (("issue_transcript", {"fee_paid": 15}),)),
    Journey("birth_registration",
            {"national_id": "A123456789", "applicant_name": "王小明", "child_name": "王小華",
             "child_birth_date": "2026-01-20", "child_sex": "male",
             "birth_place": {"city": "臺北市", "district": "大安區", "facility": "臺大醫院"},
             "surname_from": "father",
             "documents_presented": ["birth_certificate", "national_id_card", "surname_agreement"]},
            (("register_birth", {"child_national_id": "A201543212", "household_number": "A0012345"}),)),
    Journey("death_registration",
            {"national_id": "A123456789", "applicant_name": "王小明", "relationship": "child",
             "deceased_national_id": "K123004560", "deceased_name": "蔡明哲", "date_of_death": "2026-02-27",
             "place_of_death": {"city": "臺北市", "district": "中正區"},
             "documents_presented": ["death_certificate", "national_id_card"]},
            (("register_death", {"household_number": "K0077889", "id_card_returned": True}),)),
    Journey("move_in_registration",
            {"national_id": "A123456789", "applicant_name": "王小明", "move_in_date": "2026-03-01",
             "new_address": ADDRESS, "residence_basis": "owner",
             "documents_presented": ["national_id_card", "household_register"]},
            (("residence_check", {"residence_confirmed": True, "checked_on": "2026-03-02", "method": "village_chief"}),
             ("register_move_in", {"household_number": "A0012345", "fee_paid": 0}))),
]}
