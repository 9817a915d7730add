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
CONTACT = {"applicant_email": "wang@example.tw", "applicant_phone": "0912345678"}
COUPLE_REGISTER = {"household_numbers": ["B0078901", "S0055667"], "id_cards_reissued": True, "fee_paid": 50}
# Two people with active records in the simulator's household register.
MARRIAGE = {
    "national_id": "B120304565",
    "applicant_name": "張家豪",
    "birth_date": "1990-11-11",
    "spouse": {"national_id": "S220770127", "name": "劉怡君", "birth_date": "1999-12-24"},
    "marriage_date": "2026-01-05",
    "witnesses": [{"name": "李俊傑"}, {"name": "許文彬"}],
    "documents_presented": ["marriage_agreement", "national_id_card", "photos"],
}
DIVORCE = {
    "national_id": "F131104093",
    "applicant_name": "林志豪",
    "spouse": {"national_id": "F230166779", "name": "陳淑芬"},
    "divorce_type": "agreement",
    "divorce_date": "2026-01-02",
    "witnesses": [{"name": "吳宗憲"}, {"name": "劉怡君"}],
    "documents_presented": ["divorce_agreement", "national_id_card", "photos"],
}


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


JOURNEYS = {
    journey.procedure: journey
    for journey in [
        Journey("household_transcript", TRANSCRIPT_RECEIVE, (("issue_transcript", {"fee_paid": 15}),)),
        Journey(
            "birth_registration",
            {
                "national_id": "A123456789",
                "applicant_name": "王小明",
                "child_name": "王小華",
                "child_birth_date": "2026-01-20",
                "child_sex": "male",
                "birth_place": {"city": "臺北市", "district": "大安區", "facility": "臺大醫院"},
                "surname_from": "father",
                "documents_presented": ["birth_certificate", "national_id_card", "surname_agreement"],
            },
            (("register_birth", {"child_national_id": "A201543212", "household_number": "A0012345"}),),
        ),
        Journey(
            "death_registration",
            {
                "national_id": "A123456789",
                "applicant_name": "王小明",
                "relationship": "child",
                "deceased_national_id": "K123004560",
                "deceased_name": "蔡明哲",
                "date_of_death": "2026-02-27",
                "place_of_death": {"city": "臺北市", "district": "中正區"},
                "documents_presented": ["death_certificate", "national_id_card"],
            },
            (("register_death", {"household_number": "K0077889", "id_card_returned": True}),),
        ),
        Journey(
            "move_in_registration",
            {
                "national_id": "A123456789",
                "applicant_name": "王小明",
                "move_in_date": "2026-03-01",
                "new_address": ADDRESS,
                "residence_basis": "owner",
                "documents_presented": ["national_id_card", "household_register"],
            },
            # The land registry names the owner: registered in the same visit, no residence check.
            (("register_move_in", {"household_number": "A0012345", "fee_paid": 0}),),
        ),
        Journey(
            "id_card",
            {
                "national_id": "A123456789",
                "applicant_name": "王小明",
                "birth_date": "1985-04-12",
                "application_type": "replacement",
                "replacement_reason": "lost",
                "documents_presented": ["photo"],
                **CONTACT,
            },
            (("issue_card", {"card_issued": True, "card_serial": "0123456789", "fee_paid": 200}),),
        ),
        Journey(
            "seal_registration",
            {
                "national_id": "F131104093",
                "applicant_name": "林志豪",
                "application_type": "certificate",
                "certificate_copies": 2,
                "documents_presented": ["national_id_card"],
                **CONTACT,
            },
            (("register_seal", {"seal_compared": True, "certificates_issued": 2, "fee_paid": 40}),),
        ),
        Journey(
            "name_change",
            {
                "national_id": "B120304565",
                "applicant_name": "張家豪",
                "birth_date": "1990-11-11",
                "new_name": "張承恩",
                "reason": "same_name_as_relative",
                "documents_presented": ["national_id_card", "household_register", "reason_document"],
                **CONTACT,
            },
            (("register_name_change", {"registered": True, "new_id_card_issued": True, "fee_paid": 200}),),
        ),
        Journey(
            "house_number",
            {
                "national_id": "H121990034",
                "applicant_name": "李俊傑",
                "building_location": {"city": "桃園市", "district": "中壢區", "street": "中央西路二段"},
                "permit_number": "(115)桃市都建使字第00123號",
                "floors": 5,
                "documents_presented": ["building_permit", "floor_plan", "national_id_card"],
                **CONTACT,
            },
            (
                ("review_application", {"application_in_order": True}),
                ("site_survey", {"building_as_declared": True, "surveyed_on": "2026-03-03", "entrances": 1}),
                ("assign_number", {"assigned_number": {"lane": "12", "number": "5"}}),
                ("issue_certificate", {"certificate_issued": True, "plate_delivered": True, "fee_paid": 100}),
            ),
        ),
        Journey(
            "complaint",
            {
                "complainant_name": "陳淑芬",
                "national_id": "F230166779",
                "channel_received": "mayor_mailbox",
                "category": "waiting_time",
                "subject": "櫃台等候過久",
                "description": "三月二日上午等候超過一小時。",
                "reply_address": {"city": "新北市", "district": "板橋區", "street": "文化路一段", "number": "25"},
                **CONTACT,
            },
            (
                (
                    "answer_complaint",
                    {"outcome": "answered", "answer": "已增設櫃台並調整排班。", "answered_by": "letter"},
                ),
            ),
        ),
        Journey("marriage_registration", MARRIAGE, (("register_marriage", COUPLE_REGISTER),)),
        Journey("divorce_registration", DIVORCE, (("register_divorce", COUPLE_REGISTER),)),
    ]
}
