"""The one-time notice and the reminder in writing: when the clerk gives the notice of missing
documents, or reminds the applicant before the deadline, the applicant gets it by email and SMS
too (notifyApplicant on the shared document check's tasks, the texts in
workflows/notifications.py), once per notice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from engine import commands as cmd
from engine import files_from_folder
from engine.storage import Notification
from tests.conftest import BPMN
from tests.engine.helpers import complete, pass_due
from workflows.calendar import OFFICE_ZONE

from .test_birth_registration import receive
from .test_move_in_registration import step_data
from .test_office_procedures import deploy

APPLICANT = {"name": "王小明", "email": "ming@example.tw", "phone": "0912345678"}


def started_missing(engine, documents, applicant=APPLICANT) -> str:
    deploy(engine, "birth_registration")
    case_id = engine.handle(cmd.StartCase("birth_registration", {}, actor="clerk-1", applicant=applicant)).case_id
    complete(engine, case_id, "receive_application", receive(name="王大明", documents=documents))
    return case_id


def outbox(engine, case_id: str) -> list[Notification]:
    with engine.read() as session:
        return list(
            session.scalars(select(Notification).where(Notification.case_id == case_id).order_by(Notification.id))
        )


def test_the_applicant_gets_the_notice_in_writing_with_every_missing_document_and_the_deadline(engine, clock):
    case_id = started_missing(engine, ["birth_certificate", "national_id_card"])
    deadline = datetime.fromisoformat(step_data(engine, case_id, "issue_notice")["supplement_deadline"])
    assert outbox(engine, case_id) == []  # nothing before the clerk gives the notice
    complete(engine, case_id, "issue_notice", {"notice_delivered_by": "in_person"})

    email, sms = outbox(engine, case_id)
    assert (email.kind, email.channel, email.recipient) == ("documents_missing", "email", "ming@example.tw")
    assert (sms.kind, sms.channel, sms.recipient) == ("documents_missing", "sms", "0912345678")
    local_deadline = deadline.astimezone(OFFICE_ZONE).strftime("%Y-%m-%d %H:%M")
    for message in (email, sms):
        # The documents by name, as the applicant knows them; the deadline in office time.
        assert "戶口名簿、子女姓氏約定書" in message.body and local_deadline in message.body
    assert "Household register, Agreement on the child's surname" in email.body
    assert "A123456789" not in email.body + sms.body
    assert engine.verify_case(case_id).ok


def test_a_second_notice_is_sent_too_and_lists_only_what_is_left(engine, clock):
    case_id = started_missing(engine, ["birth_certificate", "national_id_card"])
    complete(engine, case_id, "issue_notice", {"notice_delivered_by": "email"})
    engine.handle(
        cmd.DeliverMessage(case_id, "documents_supplied", {"documents": ["household_register"]}, actor="clerk-1")
    )
    complete(engine, case_id, "issue_notice", {"notice_delivered_by": "email"})

    emails = [message for message in outbox(engine, case_id) if message.channel == "email"]
    assert len(emails) == 2
    assert "戶口名簿" in emails[0].body and "戶口名簿" not in emails[1].body
    assert "子女姓氏約定書" in emails[1].body


def test_the_reminder_before_the_deadline_is_sent_in_writing_too(engine, clock):
    case_id = started_missing(engine, ["birth_certificate", "national_id_card"])
    complete(engine, case_id, "issue_notice", {"notice_delivered_by": "in_person"})
    waiting = step_data(engine, case_id, "await_documents")
    pass_due(clock, datetime.fromisoformat(waiting["reminder_at"]))
    engine.handle(cmd.FireDueTimers(case_id))
    complete(engine, case_id, "send_reminder", {"reminded_by": "phone"})

    reminders = [message for message in outbox(engine, case_id) if message.kind == "documents_reminder"]
    assert sorted(message.channel for message in reminders) == ["email", "sms"]
    deadline = datetime.fromisoformat(waiting["supplement_deadline"]).astimezone(OFFICE_ZONE)
    for message in reminders:
        assert "仍缺" in message.body and "戶口名簿" in message.body
        assert deadline.strftime("%Y-%m-%d %H:%M") in message.body
    assert engine.verify_case(case_id).ok


def test_no_contact_no_message_and_the_notice_still_counts(engine, clock):
    case_id = started_missing(engine, [], applicant={"name": "王大明"})
    complete(engine, case_id, "issue_notice", {"notice_delivered_by": "mail"})
    assert outbox(engine, case_id) == []
    assert step_data(engine, case_id, "await_documents")["notices_issued"] == 1  # the case goes on


NOTICE_PROPERTY = b'<spiffworkflow:property name="notifyApplicant" value="documents_missing"/>'


def findings_with_notice(engine, *, kind: str = "documents_missing", on_script: bool = False) -> list:
    """The deploy findings about notifyApplicant of birth registration when its document check
    asks for the notice ``kind`` on the notice task, or on the script task that lists what is missing."""
    files = files_from_folder(BPMN / "birth_registration")
    check = files["document_check.bpmn"]
    asked = f'<spiffworkflow:property name="notifyApplicant" value="{kind}"/>'.encode()
    if on_script:
        script = 'name="比對缺件 List every missing document">'.encode()
        check = check.replace(NOTICE_PROPERTY, b"").replace(
            script,
            script
            + b"<bpmn:extensionElements><spiffworkflow:properties>"
            + asked
            + b"</spiffworkflow:properties></bpmn:extensionElements>",
        )
    else:
        check = check.replace(NOTICE_PROPERTY, asked)
    files["document_check.bpmn"] = check
    return [finding for finding in engine.validate(files) if "notifyApplicant" in finding.message]


def test_a_notice_the_office_has_no_text_for_is_refused_at_deploy(engine):
    [finding] = findings_with_notice(engine, kind="documents_mising")
    assert (finding.severity, finding.element_id) == ("error", "issue_notice")
    assert "documents_mising" in finding.message and "Known notices: documents_missing" in finding.message


def test_a_notice_on_a_task_nobody_completes_is_refused_at_deploy(engine):
    [finding] = findings_with_notice(engine, on_script=True)
    assert (finding.severity, finding.element_id) == ("error", "compute_missing")


def test_the_shipped_notice_deploys_without_findings_about_it(engine):
    assert findings_with_notice(engine) == []
