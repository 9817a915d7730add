"""Online applications through the API: the one-time code (outbox, hashing, tries, expiry,
single use, throttling), the application with its documents (sniffed by content, sized, stored,
hashed into the event log, verified), the clerk's view of the files, and the supplement from the
status page that the waiting document check receives."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from engine import commands as cmd
from engine import files_from_folder
from engine.storage import DevelopmentMessage, Notification, VerificationCode
from tests.conftest import BPMN
from tests.engine.helpers import complete, events, open_task, run_jobs_of

from .online_helpers import APPLICANT_ID, APPLICANT_PHONE, BIRTH_FORM, EXECUTABLE, JPEG, PDF, PNG, code_from

PROBLEM_JSON = "application/problem+json"


@pytest.fixture
def birth(engine):
    return engine.handle(cmd.DeployDefinition(files_from_folder(BPMN / "birth_registration"), actor="designer"))


@pytest.fixture
def client_at(app):
    """A test client whose requests come from ``address``."""

    def at(address: str = "192.0.2.10"):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        return client

    return at


def ask_code(client, national_id=APPLICANT_ID, channel="sms", destination=APPLICANT_PHONE):
    return client.post(
        "/api/online/codes", json={"national_id": national_id, "channel": channel, "destination": destination}
    )


def delivered_code(app, destination: str = APPLICANT_PHONE) -> str:
    """Deliver the outbox as the scheduler would and read the code from the development mailbox."""
    app.extensions["onestop_outbox"].deliver_due()
    engine = app.extensions["onestop_engine"]
    with engine.read() as session:
        message = session.scalars(
            select(DevelopmentMessage)
            .where(DevelopmentMessage.recipient == destination)
            .order_by(DevelopmentMessage.id.desc())
        ).first()
    return code_from(message.body)


def verified_token(app, client, national_id=APPLICANT_ID, destination=APPLICANT_PHONE) -> str:
    sent = ask_code(client, national_id, destination=destination)
    assert sent.status_code == 202, sent.json
    checked = client.post(
        f"/api/online/codes/{sent.json['challenge_id']}", json={"code": delivered_code(app, destination)}
    )
    assert checked.status_code == 201, checked.json
    return checked.json["token"]


def apply(client, token, files, data=None, procedure="birth_registration", headers=None):
    form = {"procedure": procedure, "data": json.dumps(data if data is not None else BIRTH_FORM)}
    for field, name, content in files:
        form.setdefault(field, []).append((io.BytesIO(content), name))
    return client.post(
        "/api/online/applications",
        data=form,
        content_type="multipart/form-data",
        headers={"Authorization": f"Bearer {token}", **(headers or {})},
    )


def stored_files(settings) -> list[Path]:
    return sorted(path for path in Path(settings.document_folder).rglob("*") if path.is_file())


# ---------------------------------------------------------------------- the one-time code
def test_the_code_goes_through_the_outbox_is_kept_hashed_and_opens_a_session(app, client_at, engine):
    client = client_at()
    sent = ask_code(client)
    assert sent.status_code == 202
    assert sent.json["destination"] == "0912***678" and sent.json["channel"] == "sms"
    with engine.read() as session:
        row = session.get(VerificationCode, sent.json["challenge_id"])
        notification = session.scalars(select(Notification).where(Notification.kind == "verification_code")).one()
    code = code_from(notification.body)
    assert notification.ephemeral and notification.case_id is None and notification.recipient == APPLICANT_PHONE
    assert row.code_hash.startswith("scrypt$") and code not in row.code_hash

    assert delivered_code(app) == code
    with engine.read() as session:
        sent_row = session.get(Notification, notification.id)
    # Sent: the outbox no longer holds a usable code.
    assert sent_row.status == "sent" and code not in sent_row.body

    checked = client.post(f"/api/online/codes/{sent.json['challenge_id']}", json={"code": code})
    assert checked.status_code == 201
    assert checked.json["national_id"] == "A12****789"
    who = client.get("/api/online/session", headers={"Authorization": f"Bearer {checked.json['token']}"})
    assert who.status_code == 200 and who.json["destination"] == "0912***678"
    # Used once: the same code again is refused.
    again = client.post(f"/api/online/codes/{sent.json['challenge_id']}", json={"code": code})
    assert again.status_code == 409 and "already been used" in again.json["detail"]


def test_wrong_codes_count_down_and_then_even_the_right_code_is_refused(app, client_at):
    client = client_at()
    challenge = ask_code(client).json["challenge_id"]
    code = delivered_code(app)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    left = []
    for _ in range(5):
        answer = client.post(f"/api/online/codes/{challenge}", json={"code": wrong})
        assert answer.status_code == 422 and answer.content_type == PROBLEM_JSON
        assert answer.json["errors"][0]["field"] == "code"
        left.append(answer.json["context"]["tries_left"])
    assert left == [4, 3, 2, 1, 0]
    refused = client.post(f"/api/online/codes/{challenge}", json={"code": code})
    assert refused.status_code == 409 and "Too many wrong codes" in refused.json["detail"]


def test_a_code_expires_after_ten_minutes(app, client_at, clock):
    client = client_at()
    challenge = ask_code(client).json["challenge_id"]
    code = delivered_code(app)
    clock.advance(minutes=10)
    expired = client.post(f"/api/online/codes/{challenge}", json={"code": code})
    assert expired.status_code == 409 and "expired" in expired.json["detail"]


def test_an_applicant_session_ends_after_thirty_minutes(app, client_at, clock):
    client = client_at()
    token = verified_token(app, client)
    clock.advance(minutes=30)
    answer = client.get("/api/online/session", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401 and "one-time code" in answer.json["detail"]


def test_codes_are_throttled_per_national_id(client_at, clock):
    client = client_at()
    for phone in ("0911111111", "0922222222", "0933333333"):
        assert ask_code(client, destination=phone).status_code == 202
    refused = ask_code(client, destination="0944444444")
    assert refused.status_code == 429 and refused.content_type == PROBLEM_JSON
    assert "ID number" in refused.json["detail"]
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    # Another person from the same connection is not held up by it.
    assert ask_code(client, national_id="B120304565", destination="0955555555").status_code == 202
    clock.advance(minutes=15)
    assert ask_code(client, destination="0944444444").status_code == 202


def test_codes_are_throttled_per_phone_number(client_at):
    client = client_at()
    for national_id in ("A123456789", "B120304565", "F131104093"):
        assert ask_code(client, national_id=national_id).status_code == 202
    refused = ask_code(client, national_id="F230166779")
    assert refused.status_code == 429 and "phone number or email" in refused.json["detail"]


def test_codes_are_throttled_per_client_address(client_at):
    ids = ["A123456789", "B120304565", "F131104093", "F230166779", "S220770127", "K123004560"]
    ids += ["A201543212", "B120304565", "A123456789", "F131104093"]
    client = client_at("198.51.100.7")
    for index, national_id in enumerate(ids):
        # Different IDs and phones: only the caller is the same.
        assert ask_code(client, national_id=national_id, destination=f"09{index:08d}").status_code == 202
    refused = ask_code(client, national_id="S220770127", destination="0987654321")
    assert refused.status_code == 429 and "connection" in refused.json["detail"]
    assert ask_code(client_at("198.51.100.8"), national_id="S220770127", destination="0987654321").status_code == 202


def test_a_code_request_names_what_is_wrong(client_at):
    client = client_at()
    bad_id = ask_code(client, national_id="A123456788")
    assert bad_id.status_code == 422 and bad_id.json["errors"][0]["field"] == "national_id"
    bad_phone = ask_code(client, destination="12345")
    assert bad_phone.status_code == 422 and bad_phone.json["errors"][0]["field"] == "destination"
    bad_email = ask_code(client, channel="email", destination="not-an-address")
    assert bad_email.status_code == 422 and bad_email.json["errors"][0]["field"] == "destination"


# ---------------------------------------------------------------------- the application
def test_the_office_offers_its_online_procedures_with_the_counter_form(client, birth):
    offered = client.get("/api/online/procedures").json
    assert [item["procedure"] for item in offered] == ["birth_registration"]  # only what is deployed
    birth_offer = offered[0]
    assert birth_offer["form_schema"]["title"].startswith("受理出生登記")
    assert birth_offer["document_kinds"] == [
        "birth_certificate",
        "household_register",
        "national_id_card",
        "surname_agreement",
    ]
    assert set(birth_offer["office_fields"]) == {"national_id", "applicant_email", "applicant_phone"}
    assert birth_offer["accepted_types"] == ["application/pdf", "image/jpeg", "image/png"]


def test_an_online_application_starts_the_case_with_its_files_hashed_into_the_history(
    app, client_at, engine, birth, call, settings
):
    client = client_at()
    token = verified_token(app, client)
    files = [
        ("documents.birth_certificate", "出生證明.pdf", PDF),
        ("documents.national_id_card", "id-front.png", PNG),
        ("documents.national_id_card", "id-back.jpg", JPEG),
    ]
    answer = apply(client, token, files)
    assert answer.status_code == 201, answer.json
    receipt = answer.json["receipt"]
    assert receipt["channel"] == "online" and receipt["received"]["applicant"]["national_id"] == "A12****789"
    assert answer.json["receipt_sent_to"] == ["0912***678"]
    number, code = answer.json["number"], answer.json["access_code"]

    case = call("GET", "/api/cases", user="clerk").json["items"][0]
    assert case["number"] == number and case["channel"] == "online"
    data = call("GET", f"/api/cases/{case['id']}", user="clerk", query={"unmask": "true"}).json["data"]
    # The office filled the verified ID and phone; the documents are what was uploaded.
    assert data["national_id"] == APPLICANT_ID and data["applicant_phone"] == APPLICANT_PHONE
    assert data["documents_presented"] == ["birth_certificate", "national_id_card"]

    attached = [event for event in events(engine, case["id"]) if event.type == "document_attached"]
    assert [(e.payload["file_name"], e.payload["sha256"]) for e in attached] == [
        (name, hashlib.sha256(content).hexdigest()) for _field, name, content in files
    ]
    assert {e.payload["media_type"] for e in attached} == {"application/pdf", "image/png", "image/jpeg"}
    assert engine.verify_case(case["id"]).ok

    listed = call("GET", f"/api/cases/{case['id']}/documents", user="clerk").json
    assert [(item["kind"], item["file_name"], item["size"]) for item in listed] == [
        ("birth_certificate", "出生證明.pdf", len(PDF)),
        ("national_id_card", "id-back.jpg", len(JPEG)),
        ("national_id_card", "id-front.png", len(PNG)),
    ]
    opened = call("GET", f"/api/cases/{case['id']}/documents/{listed[0]['id']}", user="clerk")
    assert opened.status == 200 and opened.body == PDF and opened.content_type == "application/pdf"
    assert opened.headers["Content-Disposition"].startswith("inline;")
    assert "filename*=UTF-8''%E5%87%BA%E7%94%9F%E8%AD%89%E6%98%8E.pdf" in opened.headers["Content-Disposition"]
    assert opened.headers["X-Content-Type-Options"] == "nosniff"
    assert call("GET", f"/api/cases/{case['id']}/documents/{listed[0]['id']}").status == 401

    # The receipt goes to the verified phone, with what the status page asks for.
    with engine.read() as session:
        receipt_sms = session.scalars(select(Notification).where(Notification.kind == "case_received")).one()
    assert receipt_sms.recipient == APPLICANT_PHONE and number in receipt_sms.body and code in receipt_sms.body
    status = client.get(f"/api/public/cases/{number}", query_string={"code": code}).json
    assert [item["file_name"] for item in status["received_documents"]] == [
        "出生證明.pdf",
        "id-back.jpg",
        "id-front.png",
    ]
    assert len(stored_files(settings)) == 3


def test_a_pdf_that_is_really_a_program_is_refused_by_name_and_nothing_is_kept(app, client_at, engine, birth, settings):
    client = client_at()
    token = verified_token(app, client)
    answer = apply(
        client,
        token,
        [("documents.birth_certificate", "birth.pdf", PDF), ("documents.national_id_card", "setup.pdf", EXECUTABLE)],
    )
    assert answer.status_code == 422 and answer.content_type == PROBLEM_JSON
    assert "'setup.pdf'" in answer.json["detail"] and "application/x-msdownload" in answer.json["detail"]
    assert answer.json["errors"] == [
        {
            "field": "documents/1",
            "file": "setup.pdf",
            "code": "not_accepted_type",
            "message": "is not a PDF, JPEG or PNG file (its content is application/x-msdownload), whatever its name says",
        }
    ]
    unknown = apply(client, token, [("documents.birth_certificate", "notes.pdf", b"just some text, no PDF at all")])
    assert unknown.status_code == 422 and "'notes.pdf'" in unknown.json["detail"]
    assert "no known type" in unknown.json["detail"]
    with engine.read() as session:
        assert session.scalars(select(Notification).where(Notification.kind == "case_received")).all() == []
    assert stored_files(settings) == []  # neither the refused file nor the good one beside it


def test_file_sizes_are_limited_per_file_and_per_request(app, client_at, birth, engine):
    client = client_at()
    token = verified_token(app, client)
    limit = engine.document_rules.max_bytes
    too_big = PDF + b"\n%" + b"0" * limit
    answer = apply(client, token, [("documents.birth_certificate", "scan.pdf", too_big)])
    assert answer.status_code == 413 and answer.content_type == PROBLEM_JSON
    assert "'scan.pdf'" in answer.json["detail"] and "at most 10.0 MB" in answer.json["detail"]
    empty = apply(client, token, [("documents.birth_certificate", "empty.pdf", b"")])
    assert empty.status_code == 422 and "'empty.pdf' is empty" in empty.json["detail"]
    whole = apply(
        client, token, [("documents.birth_certificate", f"p{i}.pdf", PDF + b"0" * (limit // 2)) for i in range(6)]
    )
    assert whole.status_code == 413 and whole.content_type == PROBLEM_JSON


def test_an_application_is_refused_without_a_verified_session_or_with_a_wrong_form(app, client_at, birth):
    client = client_at()
    assert apply(client, "not-a-token", [("documents.birth_certificate", "b.pdf", PDF)]).status_code == 401
    token = verified_token(app, client)
    missing = apply(client, token, [], data={"applicant_name": "王小明"})
    assert missing.status_code == 422
    messages = " ".join(error["message"] for error in missing.json["errors"])
    assert "'child_name' is a required property" in messages and "'birth_place'" in messages
    wrong_kind = apply(client, token, [("documents.seal", "seal.png", PNG)])
    assert wrong_kind.status_code == 422 and "'seal.png'" in wrong_kind.json["detail"]
    elsewhere = apply(client, token, [], procedure="id_card")
    assert elsewhere.status_code == 404


def test_a_retried_application_with_the_same_key_is_one_case(app, client_at, birth, call, settings):
    client = client_at()
    token = verified_token(app, client)
    files = [("documents.birth_certificate", "birth.pdf", PDF)]
    first = apply(client, token, files, headers={"Idempotency-Key": "apply-1"})
    again = apply(client, token, files, headers={"Idempotency-Key": "apply-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json["number"] == again.json["number"] and again.json["existing"]
    assert call("GET", "/api/cases", user="clerk").json["total"] == 1
    assert len(stored_files(settings)) == 1  # the retry's copy was removed


# ---------------------------------------------------------------------- the supplement
def received_online(app, client, engine) -> tuple[str, str, str]:
    """An online birth application missing the surname agreement, taken by the clerks up to the
    one-time notice; returns (case id, number, access code)."""
    token = verified_token(app, client)
    files = [("documents.birth_certificate", "birth.pdf", PDF), ("documents.national_id_card", "id.png", PNG)]
    answer = apply(client, token, files).json
    with engine.read() as session:
        from engine.storage import queries

        case_id = queries.get_case_by_number(session, answer["number"]).id
    complete(
        engine,
        case_id,
        "review_online_application",
        {"online_review": {"signed_with": "one_time_code", "reviewed_on": "2026-03-02"}},
    )
    received = engine.case_state(case_id)["data"]
    form = {key: received[key] for key in (*BIRTH_FORM, "national_id", "applicant_phone", "documents_presented")}
    complete(engine, case_id, "receive_application", form)
    run_jobs_of(engine, case_id)
    complete(engine, case_id, "issue_notice", {"notice_delivered_by": "sms"})
    return case_id, answer["number"], answer["access_code"]


def supplement(client, number, code, files):
    form = {"code": code}
    for field, name, content in files:
        form.setdefault(field, []).append((io.BytesIO(content), name))
    return client.post(f"/api/online/cases/{number}/documents", data=form, content_type="multipart/form-data")


def test_the_supplement_uploaded_from_the_status_page_is_the_message_the_case_waits_for(
    app, client_at, call, engine, birth
):
    client = client_at()
    case_id, number, code = received_online(app, client, engine)
    status = client.get(f"/api/public/cases/{number}", query_string={"code": code}).json
    assert status["awaiting_documents"] and status["missing_documents"] == ["surname_agreement"]
    assert status["supplement_deadline"]
    # The clerk's case view reads the same notice: the same documents, the same deadline.
    notice = call("GET", f"/api/cases/{case_id}", user="clerk").json["documents"]
    assert notice["awaiting"] and notice["missing"] == status["missing_documents"]
    assert notice["deadline"] == status["supplement_deadline"] and notice["notices"] == 1

    wrong = supplement(client, number, code, [("documents.birth_certificate", "again.pdf", PDF)])
    assert wrong.status_code == 422 and "'again.pdf'" in wrong.json["detail"]
    bad_code = supplement(client, number, "WRONGCODE", [("documents.surname_agreement", "a.pdf", PDF)])
    assert bad_code.status_code == 404
    answer = supplement(client, number, code, [("documents.surname_agreement", "約定書.pdf", PDF)])
    assert answer.status_code == 200, answer.json
    assert [item["file_name"] for item in answer.json["documents"]] == ["約定書.pdf"]

    history = events(engine, case_id)
    delivered = next(e for e in history if e.type == "message_delivered")
    attached = history[history.index(delivered) + 1 :]
    assert delivered.payload == {
        "name": "documents_supplied",
        "payload": {"documents": ["surname_agreement"], "channel": "online"},
    }
    assert attached[0].type == "document_attached" and attached[0].command_id == delivered.command_id
    assert attached[0].payload["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert open_task(engine, case_id, "register_birth")  # the documents are complete now
    status = client.get(f"/api/public/cases/{number}", query_string={"code": code}).json
    assert not status["awaiting_documents"] and status["missing_documents"] == []
    assert engine.verify_case(case_id).ok
    # Not waiting any more: a second upload is refused, and nothing is attached.
    late = supplement(client, number, code, [("documents.surname_agreement", "again.pdf", PDF)])
    assert late.status_code == 409 and "not waiting for documents" in late.json["detail"]
    assert len([e for e in events(engine, case_id) if e.type == "document_attached"]) == 3


def test_a_changed_file_fails_verification_and_is_not_served(app, client_at, engine, birth, call, settings):
    client = client_at()
    answer = apply(client, verified_token(app, client), [("documents.birth_certificate", "birth.pdf", PDF)]).json
    case = call("GET", "/api/cases", user="clerk").json["items"][0]
    document = call("GET", f"/api/cases/{case['id']}/documents", user="clerk").json[0]
    assert engine.verify_case(case["id"]).ok
    [path] = stored_files(settings)
    path.write_bytes(PDF.replace(b"Catalog", b"Katalog"))
    result = engine.verify_case(case["id"])
    assert not result.ok and "birth.pdf" in result.problems[0] and "SHA-256" in result.problems[0]
    assert result.first_divergent_seq == next(
        e.seq for e in events(engine, case["id"]) if e.type == "document_attached"
    )
    refused = call("GET", f"/api/cases/{case['id']}/documents/{document['id']}", user="clerk")
    assert refused.status == 409 and "birth.pdf" in refused.json["detail"]
    path.unlink()
    assert "missing" in engine.verify_case(case["id"]).problems[0]
    assert answer["number"]


# ---------------------------------------------------------------------- the receipt by SMS or email
def test_a_home_visit_case_gets_its_receipt_by_sms_and_a_counter_case_does_not(call, engine, transcript):
    applicant = {"name": "陳阿嬤", "phone": "0911222333"}
    visit = call(
        "POST",
        "/api/cases",
        user="clerk",
        json={"procedure": "household_transcript", "channel": "home_visit", "applicant": applicant},
    ).json
    call(
        "POST",
        "/api/cases",
        user="clerk",
        json={"procedure": "household_transcript", "channel": "counter", "applicant": applicant},
    )
    with engine.read() as session:
        receipts = session.scalars(select(Notification).where(Notification.kind == "case_received")).all()
    assert [(r.channel, r.recipient) for r in receipts] == [("sms", "0911222333")]
    assert visit["number"] in receipts[0].body and visit["access_code"] in receipts[0].body


def test_the_receipt_goes_to_every_contact_the_applicant_gave(app, client_at, engine, birth):
    client = client_at()
    token = verified_token(app, client)
    answer = apply(client, token, [], data={**BIRTH_FORM, "applicant_email": "wang@example.tw"})
    assert answer.status_code == 201 and answer.json["receipt_sent_to"] == ["0912***678", "wa***@example.tw"]
    with engine.read() as session:
        receipts = session.scalars(select(Notification).where(Notification.kind == "case_received")).all()
    assert sorted((r.channel, r.recipient) for r in receipts) == [
        ("email", "wang@example.tw"),
        ("sms", APPLICANT_PHONE),
    ]
    assert all(answer.json["access_code"] in r.body for r in receipts)
