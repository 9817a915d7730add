"""Email delivery through smtplib to a real (minimal, local) SMTP server, and the HTTP side of
the calendar and the outbox."""

from __future__ import annotations

import socketserver
import threading
from datetime import date, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from io import BytesIO

import pytest
from sqlalchemy import select

from api import create_app
from engine import accounts
from engine import commands as cmd
from engine.background import Outbox, SmtpAdapter
from engine.storage import Notification
from tests.engine.helpers import RECEIVE, case_row, complete, events
from workflows.dgpa import to_dgpa_csv

from .conftest import taipei
from .test_calendar import year_of


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: greets, accepts one or more messages, can refuse them."""

    def reply(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self) -> None:
        server = self.server
        self.reply("220 test ESMTP")
        while True:
            line = self.rfile.readline().decode(errors="replace").strip()
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 test")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 go on")
                data = BytesIO()
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data.write(chunk[1:] if chunk.startswith(b"..") else chunk)
                if server.refuse:
                    self.reply("451 try again later")
                else:
                    server.received.append(message_from_bytes(data.getvalue()))
                    self.reply("250 queued")
            elif verb == "QUIT" or not line:
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


@pytest.fixture
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpHandler)
    server.daemon_threads = True
    server.received, server.refuse = [], False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def overdue_transcript(engine, clock, applicant):
    started = engine.handle(cmd.StartCase("household_transcript", {}, actor="clerk-1", applicant=applicant))
    complete(engine, started.case_id, "receive_application", RECEIVE)
    clock.set(case_row(engine, started.case_id).due_at + timedelta(seconds=1))
    engine.handle(cmd.FireDueTimers(started.case_id))
    return started


def test_email_goes_out_through_smtp_once_and_is_retried_when_refused(engine, transcript, clock, smtp_server):
    case = overdue_transcript(engine, clock, {"name": "王小明", "email": "ming@example.tw"})
    port = smtp_server.server_address[1]
    outbox = Outbox(engine.db, clock, {"email": SmtpAdapter("127.0.0.1", port, sender="office@example.tw")})
    smtp_server.refuse = True
    assert outbox.deliver_due() == {"sent": 0, "retry": 2, "failed": 0}
    with engine.read() as session:
        assert {n.last_error.split(":")[0] for n in session.scalars(select(Notification))} == {"SMTPDataError"}
    smtp_server.refuse = False
    clock.advance(seconds=31)
    assert outbox.deliver_due() == {"sent": 2, "retry": 0, "failed": 0}
    assert outbox.deliver_due()["sent"] == 0
    to_applicant = next(m for m in smtp_server.received if m["To"] == "ming@example.tw")
    subject = str(make_header(decode_header(to_applicant["Subject"])))
    assert case.number in subject and "已超過標準處理時間" in subject
    assert to_applicant["From"] == "office@example.tw" and to_applicant["Message-ID"].startswith("<notification-")
    body = to_applicant.get_payload(decode=True).decode()
    assert "王小明 您好" in body and "Dear 王小明" in body and "2026-03-02 09:15" in body
    assert "15 分鐘" in body and "15 minutes" in body
    assert len(smtp_server.received) == 2  # applicant and supervisor, each once


@pytest.fixture
def staff(engine):
    tokens = {}
    with engine.write() as session:
        for name, roles in {"admin": ["admin"], "clerk": ["clerk"], "supervisor": ["supervisor"]}.items():
            user = accounts.create_user(
                session, name, roles=roles, groups=["Clerk", "Supervisor"], password=None, now=engine.clock.now()
            )
            tokens[name] = {"Authorization": f"Bearer {accounts.issue_token(session, user, now=engine.clock.now())[0]}"}
    return tokens


@pytest.fixture
def client(settings, engine):
    return create_app(settings, engine=engine).test_client()


def test_calendar_over_http_moves_due_dates_and_is_audited(client, staff, engine, transcript, clock):
    clock.set(taipei(2026, 3, 2, 9))
    # The transcript's standard time is 15 office minutes: closing its day moves it to the next one.
    started = engine.handle(cmd.StartCase("household_transcript", {}, actor="clerk"))
    assert case_row(engine, started.case_id).due_at == taipei(2026, 3, 2, 9, 15)
    clock.set(taipei(2026, 3, 2, 9, 10))  # the office closes for a typhoon that morning
    answer = client.post(
        "/api/calendar/overrides",
        headers=staff["clerk"],
        json={"day": "2026-03-02", "working": False, "reason": "颱風停班"},
    )
    assert answer.status_code == 403
    answer = client.post(
        "/api/calendar/overrides",
        headers=staff["supervisor"],
        json={"day": "2026-03-02", "working": False, "reason": "颱風停班"},
    )
    assert answer.status_code == 201, answer.json
    assert answer.json["cases_rescheduled"] == 1 and answer.json["changed_days"] == ["2026-03-02"]
    assert case_row(engine, started.case_id).due_at == taipei(2026, 3, 3, 8, 15)  # 15 office minutes, next day
    assert events(engine, started.case_id)[-1].type == "due_date_changed"
    days = client.get("/api/calendar/days?from=2026-03-01&to=2026-03-03", headers=staff["clerk"]).json
    assert [d["working"] for d in days] == [False, False, True]
    [override] = client.get("/api/calendar/overrides", headers=staff["clerk"]).json
    assert (override["created_by"], override["reason"]) == ("supervisor", "颱風停班")
    revoked = client.post("/api/calendar/revocations", headers=staff["admin"], json={"override_id": override["id"]})
    assert revoked.status_code == 200 and revoked.json["cases_rescheduled"] == 1
    assert case_row(engine, started.case_id).due_at == taipei(2026, 3, 2, 9, 15)
    assert (
        client.post(
            "/api/calendar/revocations", headers=staff["admin"], json={"override_id": override["id"]}
        ).status_code
        == 409
    )
    assert engine.verify_case(started.case_id).ok


def test_dgpa_upload_over_http(client, staff, engine):
    content = to_dgpa_csv({**year_of(2027), date(2027, 3, 3): False})
    upload = {"file": (BytesIO(content), "116年政府行政機關辦公日曆表.csv")}
    answer = client.post(
        "/api/calendar/editions", headers=staff["admin"], data=upload, content_type="multipart/form-data"
    )
    assert answer.status_code == 201 and answer.json["changed_days"] == ["2027-03-03"]
    again = client.post(
        "/api/calendar/editions",
        headers=staff["admin"],
        content_type="multipart/form-data",
        data={"file": (BytesIO(content), "again.csv")},
    )
    assert again.status_code == 200 and again.json["created"] is False
    bad = client.post(
        "/api/calendar/editions",
        headers=staff["admin"],
        content_type="multipart/form-data",
        data={"file": (BytesIO(b"not,a,calendar\n"), "bad.csv")},
    )
    assert bad.status_code == 422 and bad.json["errors"]
    [edition] = client.get("/api/calendar/editions", headers=staff["clerk"]).json
    assert edition["year"] == 2027 and edition["imported_by"] == "admin"


def test_outbox_and_development_mailbox_over_http(client, staff, engine, transcript, clock, settings):
    case = overdue_transcript(engine, clock, {"name": "林", "phone": "0912000111"})
    listed = client.get(f"/api/notifications?case_id={case.case_id}", headers=staff["supervisor"]).json
    assert {(n["audience"], n["channel"], n["status"]) for n in listed} == {
        ("applicant", "sms", "pending"),
        ("supervisor", "email", "pending"),
    }
    assert client.get("/api/notifications", headers=staff["clerk"]).status_code == 403
    app = client.application
    app.extensions["onestop_outbox"].deliver_due()
    mailbox = client.get("/api/development/messages", headers=staff["supervisor"]).json
    assert {m["recipient"] for m in mailbox} == {"0912000111", "supervisor@localhost"}
    assert all(case.number in m["body"] for m in mailbox)
    assert {n["status"] for n in client.get("/api/notifications", headers=staff["admin"]).json} == {"sent"}
