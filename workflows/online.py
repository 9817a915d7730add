"""Online applications (線上申辦): which procedures the office takes online, and how each one's
counter form serves an applicant who has no account.

An applicant proves who they are with their national ID and a one-time code sent to their phone
or email, then fills the same JSON Schema form a clerk fills at the counter (``form``). The
office fills some fields itself: the ID number the code was sent for (``identity_field``), the
verified phone or email (``phone_field``, ``email_field``) and ``prefill``. Where the form lists
the documents presented (``documents_field``), the applicant uploads a file for each document
instead of ticking it; the list is what was uploaded.

Later the shared document check (bpmn_shared/document_check.bpmn) may give the one-time notice
and wait for the message ``documents_supplied``: the applicant uploads the missing documents
from the status page, and the upload delivers that message with the documents' codes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from workflows.notice import SUPPLEMENT


@dataclass(frozen=True)
class OnlineApplication:
    form: str = "receive_application.schema.json"
    identity_field: str | None = "national_id"
    name_field: str = "applicant_name"
    email_field: str | None = "applicant_email"
    phone_field: str | None = "applicant_phone"
    documents_field: str | None = "documents_presented"
    prefill: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {**asdict(self), "supplement": dict(SUPPLEMENT)}


# The office's choice (an office default, like the standard times): the procedures people
# commonly start from home. ID cards, seals, marriages and divorces need the applicant in person.
ONLINE_APPLICATIONS = {
    "birth_registration": OnlineApplication(),
    "move_in_registration": OnlineApplication(),
    "house_number": OnlineApplication(),
    "household_transcript": OnlineApplication(email_field=None, phone_field=None, documents_field=None),
    "complaint": OnlineApplication(
        name_field="complainant_name", documents_field=None, prefill={"channel_received": "online"}
    ),
}
