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
COUPLE_REGISTER = {"household_numbers": ["B0078901", "S0055667"], "id_cards_reissued": True, "fee_paid": 50}
# Two people with active records in the simulator's household register.
MARRIAGE = {"national_id": "B120304565", "applicant_name": "張家豪", "birth_date": "1990-11-11",
            "spouse": {"national_id": "S220770127", "name": "劉怡君", "birth_date": "1999-12-24"},
            "marriage_date": "2026-01-05", "witnesses": [{"name": "李俊傑"}, {"name": "許文彬"}],
            "documents_presented": ["marriage_agreement", "national_id_card", "photos"]}
DIVORCE = {"national_id": "F131104093", "applicant_name": "林志豪",
           "spouse": {"national_id": "F230166779", "name": "陳淑芬"}, "divorce_type": "agreement",
           "divorce_date": "2026-01-02", "witnesses": [{"name": "吳宗憲"}, {"name": "劉怡君"}],
           "documents_presented": ["divorce_agreement", "national_id_card", "photos"]}


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
    Journey("marriage_registration", MARRIAGE, (("register_marriage", COUPLE_REGISTER),)),
    Journey("divorce_registration", DIVORCE, (("register_divorce", COUPLE_REGISTER),)),
]}
