"""The authorization matrix: every caller against every route of the app.

Callers: each role, a clerk whose groups are not the task's lane, no token at all, and a revoked
token. Each cell is the exact status expected: the success status of the operation, 401 without
a valid token, 403 for a role the operation does not admit or a task outside the caller's lanes.

The routes come from the app's url_map: a route without a row here fails the test, so a new
endpoint cannot ship without a decision about who may use it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable

import pytest
import schemathesis
from sqlalchemy import select

from engine import ProcedureFailed, accounts, files_from_folder
from engine import commands as cmd
from engine.storage import Notification, User, offices, queries
from tests.engine.helpers import BIRTH_RECEIVE, RECEIVE, VALID_ID, open_tasks
from tests.security import hostile
from workflows.identifiers import make_national_id

from ..conftest import BPMN
from .conftest import TRANSCRIPT_FILES, FlaskCaller
from .online_helpers import PDF, PNG, code_from
from .test_endpoints import all_routes, weekday_calendar
from .test_openapi_fuzz import without_default_responses

STAFF = ("designer", "clerk", "records_clerk", "supervisor", "auditor", "admin")
CALLERS = (*STAFF, "anonymous", "revoked")
READERS = ("clerk", "records_clerk", "supervisor", "auditor", "admin")
WORKERS = ("clerk", "records_clerk", "supervisor")
HISTORY = ("supervisor", "auditor", "admin")
OUTBOX_READERS = ("supervisor", "auditor", "admin")
CALENDAR_EDITORS = ("supervisor", "admin")
INCIDENT_HANDLERS = ("supervisor", "admin")
DESIGNERS = ("designer", "admin")
IMPROVERS = ("designer", "supervisor", "auditor", "admin")
# Tasks of the transcript procedure are in lane "Clerk": records_clerk is a clerk outside it.
IN_LANE_CLERK = ("clerk", "supervisor")
TASK_READERS = ("clerk", "supervisor", "auditor", "admin")
COUNTER = ("clerk", "records_clerk", "supervisor", "admin")  # the kiosk role is not among the callers


def admits(*callers: str, ok: int = 200) -> dict[str, int]:
    return {
        caller: ok if caller in callers else 401 if caller in ("anonymous", "revoked") else 403 for caller in CALLERS
    }


def reaching(expected: dict[str, int], *callers: str) -> dict[str, int]:
    """``expected``, with ``callers`` answered 404: their role admits them, but the case is in
    no lane of theirs (the transcript's work is in lane "Clerk"), so for them it does not exist."""
    return {**expected, **{caller: 404 for caller in callers}}


def everyone(status: int = 200) -> dict[str, int]:
    return {caller: status for caller in CALLERS}


class World:
    """The engine-side setup each request needs: a fresh case at the stage the request wants."""

    def __init__(self, engine, tokens: dict[str, str], revoked: str) -> None:
        self.engine = engine
        self.tokens = tokens
        self.revoked = revoked
        self.serial = 0
        self.birth_deployed = False
        self.deployed: set[str] = set()

    def token(self, caller: str) -> str | None:
        return {"anonymous": None, "revoked": self.revoked}.get(caller, self.tokens.get(caller))

    def fresh_token(self, caller: str) -> str | None:
        if caller in ("anonymous", "revoked"):
            return self.token(caller)
        with self.engine.write() as session:
            user = session.scalar(select(User).where(User.username == caller))
            token, _ = accounts.issue_token(session, user, now=self.engine.clock.now(), lifetime=None)
        return token

    def case(self, stage: str = "received"):
        """received: waiting for receive_application; issuing: for issue_transcript;
        awaiting_rating: both done, waiting for the rating message."""
        started = self.engine.handle(
            cmd.StartCase(
                "household_transcript", {}, actor="clerk", applicant={"name": "王小明", "national_id": VALID_ID}
            )
        )
        if stage in ("issuing", "awaiting_rating"):
            self.complete_open(started.case_id, RECEIVE)
        if stage == "awaiting_rating":
            self.complete_open(started.case_id, {"fee_paid": 15})
        return started

    def awaiting_documents(self):
        """A birth registration after the one-time notice: the surname agreement is missing."""
        if not self.birth_deployed:
            files = files_from_folder(BPMN / "birth_registration")
            self.engine.handle(cmd.DeployDefinition(files, actor="designer"))
            self.birth_deployed = True
        started = self.engine.handle(cmd.StartCase("birth_registration", {}, actor="clerk"))
        self.complete_open(started.case_id, BIRTH_RECEIVE)
        self.complete_open(started.case_id, {"notice_delivered_by": "in_person"})
        return started

    def complete_open(self, case_id: str, data: dict) -> None:
        [task] = open_tasks(self.engine, case_id)
        self.engine.handle(cmd.CompleteTask(task.id, "clerk", data))
        self.engine.run_due_jobs()  # the household register answers (the simulator, over HTTP)

    def task(self, claimed_by: str | None = None) -> str:
        started = self.case()
        [task] = open_tasks(self.engine, started.case_id)
        if claimed_by:
            self.engine.handle(cmd.ClaimTask(task.id, claimed_by))
        return task.id

    def served_case(self):
        """A transcript case served (waiting for its rating), whatever the register answered: a
        busy machine may make the agency call fail and send the check to the clerk."""
        started = self.case()
        forms = {
            "receive_application": RECEIVE,
            "verify_identity_manually": {"identity_confirmed": True, "checked_document": "passport"},
            "issue_transcript": {"fee_paid": 15},
        }
        for _ in range(4):
            tasks = open_tasks(self.engine, started.case_id)
            if not tasks:
                break
            self.complete_open(started.case_id, forms[tasks[0].element_id])
        return started

    def ticket(self, stage: str = "waiting") -> int:
        """A counter-queue ticket: waiting, or called to counter 9."""
        ticket = self.engine.queue.issue("certificate", "kiosk")
        if stage == "called":
            while (called := self.engine.queue.call_next("9", "clerk", ["certificate"])) is not None:
                if called.id == ticket.id:
                    break
        return ticket.id

    def incident(self) -> int:
        """An open incident: a case whose step after its timer computes a power too large (with
        ``n`` from its data: retried with a smaller ``n``, it goes on)."""
        key, files = hostile.procedure("huge_power", "script")
        if key not in self.deployed:
            self.engine.handle(cmd.DeployDefinition(files, actor="designer"))
            self.deployed.add(key)
        started = self.engine.handle(cmd.StartCase(key, dict(hostile.CASE_DATA), actor="clerk"))
        self.engine.clock.set(self.engine.clock.now() + timedelta(hours=2))
        with pytest.raises(ProcedureFailed) as failed:
            self.engine.handle(cmd.FireDueTimers(started.case_id))
        return failed.value.details["incident_id"]

    def dgpa_file(self) -> bytes:
        """A DGPA calendar for 2027, different at each call (a revised edition)."""
        self.serial += 1
        return weekday_calendar(2027, note=f"edition {self.serial}")

    def case_with_document(self) -> tuple[str, str]:
        started = self.case()
        upload = cmd.Upload("scan.pdf", PDF, "national_id_card")
        self.engine.handle(cmd.AttachDocuments(started.case_id, (upload,), actor="clerk"))
        with self.engine.read() as session:
            [document] = queries.case_documents(session, started.case_id)
        return started.case_id, document.id

    def challenge(self) -> tuple[str, str]:
        """A one-time code sent for a new ID number and phone: (challenge id, code)."""
        self.serial += 1
        with self.engine.write() as session:
            sent = accounts.request_code(
                session,
                identity=make_national_id(random.Random(self.serial)),
                channel="sms",
                destination=f"09{self.serial:08d}",
                client="world",
                now=self.engine.clock.now(),
                policy=self.engine.notifications,
            )
            body = session.scalars(select(Notification.body).where(Notification.kind == "verification_code")).all()[-1]
        return sent.challenge_id, code_from(body)

    def applicant_token(self) -> str:
        challenge_id, code = self.challenge()
        with self.engine.write() as session:
            return accounts.check_code(session, challenge_id, code, now=self.engine.clock.now()).token

    def office(self) -> str:
        """Another office, new at each call."""
        self.serial += 1
        code = f"B{self.serial}"
        with self.engine.write() as session:
            offices.save_office(
                session.connection(), {"code": code, "name": f"office {code}"}, now=self.engine.clock.now()
            )
        return code

    def override_id(self) -> int:
        added = self.engine.catalogue.calendar.add_override(
            date(2026, 3, 20), False, "typhoon", actor="admin", now=self.engine.clock.now()
        )
        return added["override_id"]

    def migration(self) -> dict:
        """A running case on the latest version, and a newer version to move it to."""
        started = self.case()
        deployed = self.engine.handle(cmd.DeployDefinition(dict(self.unique_upload()), actor="designer"))
        return {
            "from_version": started.version,
            "to_version": deployed.definition.version,
            "case_ids": [started.case_id],
            "reason": "comment added",
        }

    def unique_upload(self) -> list[tuple[str, bytes]]:
        """The transcript procedure with a comment that makes it a new version."""
        self.serial += 1
        files = []
        for path in TRANSCRIPT_FILES:
            content = path.read_bytes()
            if path.suffix == ".bpmn":
                content += f"<!-- upload {self.serial} -->\n".encode()
            files.append((path.name, content))
        return files


@dataclass
class Request:
    method: str
    path: str
    json: object = None
    query: dict | None = None
    files: list | None = None  # (name, content) in the multipart field "files"
    form: dict | None = None  # multipart form fields
    form_files: list | None = None  # (field, name, content)
    token: object = "caller"  # "caller": the caller's token; otherwise this one


Row = tuple[dict[str, int], Callable[[World, str], Request]]
MATRIX: dict[tuple[str, str], Row] = {
    # ---- documents and operations: open to everyone
    ("/api/openapi.json", "GET"): (everyone(200), lambda w, c: Request("GET", "/api/openapi.json")),
    ("/api/docs", "GET"): (everyone(200), lambda w, c: Request("GET", "/api/docs")),
    ("/api/docs/assets/<path:filename>", "GET"): (
        everyone(200),
        lambda w, c: Request("GET", "/api/docs/assets/swagger-ui.css"),
    ),
    ("/api/health", "GET"): (everyone(200), lambda w, c: Request("GET", "/api/health")),
    ("/api/health/node", "GET"): (everyone(200), lambda w, c: Request("GET", "/api/health/node")),
    ("/api/vocabulary", "GET"): (everyone(200), lambda w, c: Request("GET", "/api/vocabulary")),
    ("/metrics", "GET"): (everyone(200), lambda w, c: Request("GET", "/metrics")),
    # ---- the web application: public files; what a page may do is decided by the API it calls
    ("/", "GET"): (everyone(302), lambda w, c: Request("GET", "/")),
    ("/app/", "GET"): (everyone(200), lambda w, c: Request("GET", "/app/")),
    ("/app/static/<path:filename>", "GET"): (everyone(200), lambda w, c: Request("GET", "/app/static/js/app.js")),
    ("/app/vendor/<string:package>/<path:filename>", "GET"): (
        everyone(200),
        lambda w, c: Request("GET", "/app/vendor/bpmn-js/assets/bpmn-js.css"),
    ),
    # Flask's default static route: nothing is served there, to anyone.
    ("/static/<path:filename>", "GET"): (everyone(404), lambda w, c: Request("GET", "/static/app.js")),
    # ---- tokens
    ("/api/auth/token", "POST"): (
        everyone(201),
        lambda w, c: Request(
            "POST", "/api/auth/token", json={"username": "clerk", "password": "correct horse battery staple"}
        ),
    ),
    ("/api/auth/token", "DELETE"): (
        admits(*STAFF, ok=204),
        lambda w, c: Request("DELETE", "/api/auth/token", token=w.fresh_token(c)),
    ),
    # ---- designers
    ("/api/definitions", "GET"): (admits(*STAFF), lambda w, c: Request("GET", "/api/definitions")),
    ("/api/definitions", "POST"): (
        admits(*DESIGNERS, ok=201),
        lambda w, c: Request("POST", "/api/definitions", files=w.unique_upload()),
    ),
    ("/api/definitions/validate", "POST"): (
        admits(*DESIGNERS),
        lambda w, c: Request("POST", "/api/definitions/validate", files=w.unique_upload()),
    ),
    ("/api/designer/extensions", "GET"): (admits(*DESIGNERS), lambda w, c: Request("GET", "/api/designer/extensions")),
    ("/api/designer/deploy-preview", "POST"): (
        admits(*DESIGNERS),
        lambda w, c: Request("POST", "/api/designer/deploy-preview", files=w.unique_upload()),
    ),
    ("/api/definitions/<string:key>", "GET"): (
        admits(*STAFF),
        lambda w, c: Request("GET", "/api/definitions/household_transcript"),
    ),
    ("/api/definitions/<string:key>/diff", "GET"): (
        admits(*STAFF),
        lambda w, c: Request("GET", "/api/definitions/household_transcript/diff", query={"from": 1, "to": 1}),
    ),
    ("/api/definitions/<string:key>/versions/<int(max=2147483647):version>", "GET"): (
        admits(*STAFF),
        lambda w, c: Request("GET", "/api/definitions/household_transcript/versions/1"),
    ),
    ("/api/definitions/<string:key>/versions/<int(max=2147483647):version>/bpmn", "GET"): (
        admits(*STAFF),
        lambda w, c: Request("GET", "/api/definitions/household_transcript/versions/1/bpmn"),
    ),
    ("/api/definitions/<string:key>/versions/<int(max=2147483647):version>/dry-run", "POST"): (
        admits(*DESIGNERS),
        lambda w, c: Request("POST", "/api/definitions/household_transcript/versions/1/dry-run", json={"data": {}}),
    ),
    ("/api/definitions/<string:key>/move-preview", "GET"): (
        admits("designer", "supervisor", "admin"),
        lambda w, c: Request("GET", "/api/definitions/household_transcript/move-preview", query={"from": 1, "to": 1}),
    ),
    ("/api/definitions/<string:key>/moves", "POST"): (
        admits(*DESIGNERS),
        lambda w, c: Request("POST", "/api/definitions/household_transcript/moves", json=w.migration()),
    ),
    # ---- cases
    ("/api/cases", "POST"): (
        admits(*WORKERS, ok=201),
        lambda w, c: Request("POST", "/api/cases", json={"procedure": "household_transcript"}),
    ),
    ("/api/cases", "GET"): (admits(*READERS), lambda w, c: Request("GET", "/api/cases")),
    ("/api/cases/<string:case_id>", "GET"): (
        reaching(admits(*READERS), "records_clerk"),
        lambda w, c: Request("GET", f"/api/cases/{w.case().case_id}"),
    ),
    ("/api/cases/<string:case_id>/rating", "GET"): (
        reaching(admits(*READERS), "records_clerk"),
        lambda w, c: Request("GET", f"/api/cases/{w.case().case_id}/rating"),
    ),
    ("/api/cases/<string:case_id>/messages/<string:name>", "POST"): (
        reaching(admits(*WORKERS), "records_clerk"),
        lambda w, c: Request(
            "POST",
            f"/api/cases/{w.case('awaiting_rating').case_id}/messages/rating_received",
            json={"payload": {"score": 4}},
        ),
    ),
    ("/api/cases/<string:case_id>/cancel", "POST"): (
        reaching(admits(*WORKERS), "records_clerk"),
        lambda w, c: Request("POST", f"/api/cases/{w.case().case_id}/cancel", json={"reason": "withdrawn"}),
    ),
    ("/api/cases/<string:case_id>/withdraw", "POST"): (
        reaching(admits(*WORKERS), "records_clerk"),
        lambda w, c: Request("POST", f"/api/cases/{w.case().case_id}/withdraw", json={"reason": "申請人撤回"}),
    ),
    ("/api/cases/<string:case_id>/supplements", "POST"): (
        reaching(admits(*WORKERS), "records_clerk"),
        lambda w, c: Request(
            "POST",
            f"/api/cases/{w.awaiting_documents().case_id}/supplements",
            json={"documents": ["surname_agreement"]},
        ),
    ),
    ("/api/cases/<string:case_id>/notes", "POST"): (
        reaching(admits(*WORKERS, ok=201), "records_clerk"),
        lambda w, c: Request("POST", f"/api/cases/{w.case().case_id}/notes", json={"text": "已電話聯絡"}),
    ),
    ("/api/cases/<string:case_id>/activity", "GET"): (
        reaching(admits(*READERS), "records_clerk"),
        lambda w, c: Request("GET", f"/api/cases/{w.case().case_id}/activity"),
    ),
    # Only supervisors make someone else responsible for a case.
    ("/api/cases/<string:case_id>/officer", "PUT"): (
        admits("supervisor"),
        lambda w, c: Request(
            "PUT", f"/api/cases/{w.case().case_id}/officer", json={"officer": "clerk2", "reason": "休假代理"}
        ),
    ),
    # The office directory is read by all staff; an admin keeps it; a supervisor sends a case on.
    ("/api/offices", "GET"): (admits(*READERS), lambda w, c: Request("GET", "/api/offices")),
    ("/api/offices/<string:code>", "GET"): (admits(*READERS), lambda w, c: Request("GET", "/api/offices/main")),
    ("/api/offices/<string:code>", "PUT"): (
        admits("admin"),
        lambda w, c: Request("PUT", "/api/offices/main", json={"phone": "06-2991111"}),
    ),
    ("/api/cases/<string:case_id>/transfer", "POST"): (
        admits("supervisor"),
        lambda w, c: Request(
            "POST", f"/api/cases/{w.case().case_id}/transfer", json={"office": w.office(), "reason": "跨區通辦"}
        ),
    ),
    ("/api/staff", "GET"): (admits(*WORKERS), lambda w, c: Request("GET", "/api/staff", query={"group": "Clerk"})),
    ("/api/cases/<string:case_id>/events", "GET"): (
        admits(*HISTORY),
        lambda w, c: Request("GET", f"/api/cases/{w.case().case_id}/events"),
    ),
    ("/api/cases/<string:case_id>/state", "GET"): (
        admits(*HISTORY),
        lambda w, c: Request("GET", f"/api/cases/{w.case('issuing').case_id}/state", query={"at": 1}),
    ),
    ("/api/cases/<string:case_id>/verify", "GET"): (
        admits(*HISTORY),
        lambda w, c: Request("GET", f"/api/cases/{w.case().case_id}/verify"),
    ),
    # ---- audit, reports and process mining (tests/audit has their behaviour)
    ("/api/cases/<string:case_id>/timeline", "GET"): (
        admits(*HISTORY),
        lambda w, c: Request("GET", f"/api/cases/{w.case('issuing').case_id}/timeline"),
    ),
    ("/api/audit/verifications", "POST"): (
        admits(*HISTORY, ok=201),
        lambda w, c: Request("POST", "/api/audit/verifications", json={"case_id": w.case().case_id}),
    ),
    ("/api/audit/verifications", "GET"): (admits(*HISTORY), lambda w, c: Request("GET", "/api/audit/verifications")),
    ("/api/audit/anchors", "GET"): (admits(*HISTORY), lambda w, c: Request("GET", "/api/audit/anchors")),
    ("/api/audit/personal-data-reads", "GET"): (
        admits("auditor", "admin"),
        lambda w, c: Request("GET", "/api/audit/personal-data-reads"),
    ),
    # 409 for those admitted: the test server has no anchor key (ONESTOP_ANCHOR_KEY)
    ("/api/audit/anchors/verify", "GET"): (
        admits(*HISTORY),
        lambda w, c: Request("GET", "/api/audit/anchors/verify"),
    ),
    # Published: anyone may check the office's signatures.
    ("/api/audit/keys", "GET"): (everyone(200), lambda w, c: Request("GET", "/api/audit/keys")),
    ("/api/audit/consistency", "GET"): (
        admits(*HISTORY),
        lambda w, c: Request("GET", "/api/audit/consistency", query={"from": 0}),
    ),
    # 409 for those admitted: the test server has no signing key (ONESTOP_SIGNING_KEY_FILE)
    ("/api/audit/roots/<string(length=7):month>", "GET"): (
        admits("auditor", "admin", ok=409),
        lambda w, c: Request("GET", "/api/audit/roots/2026-03"),
    ),
    ("/api/cases/<string:case_id>/proof", "GET"): (
        admits(*HISTORY),
        lambda w, c: Request("GET", f"/api/cases/{w.case().case_id}/proof"),
    ),
    ("/api/reports", "GET"): (admits(*HISTORY), lambda w, c: Request("GET", "/api/reports")),
    ("/api/reports/review", "GET"): (admits(*HISTORY), lambda w, c: Request("GET", "/api/reports/review")),
    ("/api/reports/offices", "GET"): (admits(*HISTORY), lambda w, c: Request("GET", "/api/reports/offices")),
    ("/api/reports/targets", "GET"): (admits(*HISTORY), lambda w, c: Request("GET", "/api/reports/targets")),
    ("/api/reports/targets/<string:indicator>", "PUT"): (
        admits(*CALENDAR_EDITORS),
        lambda w, c: Request("PUT", "/api/reports/targets/satisfaction", json={"target": 0.9, "amber": 0.05}),
    ),
    ("/api/reports/annual", "GET"): (
        admits(*HISTORY),
        lambda w, c: Request("GET", "/api/reports/annual", query={"format": "csv"}),
    ),
    # ---- the improvement loop (tests/improvement has its behaviour)
    ("/api/improvement/findings", "GET"): (
        admits(*IMPROVERS),
        lambda w, c: Request("GET", "/api/improvement/findings"),
    ),
    ("/api/improvement/what-ifs", "GET"): (
        admits(*IMPROVERS),
        lambda w, c: Request("GET", "/api/improvement/what-ifs"),
    ),
    # 422 for those admitted: a what-if that proposes nothing
    ("/api/improvement/what-ifs", "POST"): (
        admits("designer", "supervisor", "admin", ok=422),
        lambda w, c: Request("POST", "/api/improvement/what-ifs", json={"from": "2026-03-01", "to": "2026-03-02"}),
    ),
    ("/api/improvement/what-ifs/<int(max=2147483647):run_id>", "GET"): (
        admits(*IMPROVERS, ok=404),
        lambda w, c: Request("GET", "/api/improvement/what-ifs/999999"),
    ),
    ("/api/improvement/effects/<string:procedure>/<int(max=2147483647):version>", "GET"): (
        admits(*IMPROVERS, ok=404),
        lambda w, c: Request("GET", "/api/improvement/effects/household_transcript/999"),
    ),
    # ---- the counter queue: the board and the kinds of service are public, the counter is staff's
    ("/api/queue/services", "GET"): (everyone(200), lambda w, c: Request("GET", "/api/queue/services")),
    ("/api/queue/board", "GET"): (everyone(200), lambda w, c: Request("GET", "/api/queue/board")),
    ("/api/queue/tickets", "POST"): (
        admits(*COUNTER, ok=201),
        lambda w, c: Request("POST", "/api/queue/tickets", json={"service": "certificate"}),
    ),
    ("/api/queue/tickets", "GET"): (admits(*COUNTER), lambda w, c: Request("GET", "/api/queue/tickets")),
    ("/api/queue/calls", "POST"): (
        admits(*COUNTER),
        lambda w, c: (w.ticket(), Request("POST", "/api/queue/calls", json={"counter": "1"}))[1],
    ),
    ("/api/queue/tickets/<int(max=2147483647):ticket_id>/start", "POST"): (
        admits(*COUNTER),
        lambda w, c: Request("POST", f"/api/queue/tickets/{w.ticket('called')}/start"),
    ),
    ("/api/queue/tickets/<int(max=2147483647):ticket_id>/finish", "POST"): (
        admits(*COUNTER),
        lambda w, c: Request("POST", f"/api/queue/tickets/{w.ticket('called')}/finish"),
    ),
    ("/api/queue/tickets/<int(max=2147483647):ticket_id>/no-show", "POST"): (
        admits(*COUNTER),
        lambda w, c: Request("POST", f"/api/queue/tickets/{w.ticket('called')}/no-show"),
    ),
    ("/api/queue/tickets/<int(max=2147483647):ticket_id>/cases", "POST"): (
        reaching(admits(*COUNTER), "records_clerk"),
        lambda w, c: Request(
            "POST", f"/api/queue/tickets/{w.ticket('called')}/cases", json={"case_number": w.case().number}
        ),
    ),
    # ---- the satisfaction survey: the applicant's, by number and access code (no account)
    ("/api/public/cases/<string(maxlength=20):number>/survey", "GET"): (
        everyone(200),
        lambda w, c: (
            lambda case: Request("GET", f"/api/public/cases/{case.number}/survey", query={"code": case.access_code})
        )(w.case()),
    ),
    ("/api/public/cases/<string(maxlength=20):number>/survey", "POST"): (
        everyone(201),
        lambda w, c: (
            lambda case: Request(
                "POST",
                f"/api/public/cases/{case.number}/survey",
                json={"code": case.access_code, "answers": {"counter_courtesy": 5}},
            )
        )(w.served_case()),
    ),
    ("/api/reports/<string:name>", "GET"): (admits(*HISTORY), lambda w, c: Request("GET", "/api/reports/sla")),
    ("/api/mining/xes", "GET"): (admits(*HISTORY), lambda w, c: Request("GET", "/api/mining/xes")),
    ("/api/mining/ocel", "GET"): (admits(*HISTORY), lambda w, c: Request("GET", "/api/mining/ocel")),
    # ---- tasks: the role, and then the lane
    ("/api/tasks", "GET"): (admits(*READERS), lambda w, c: Request("GET", "/api/tasks")),
    ("/api/tasks/<string:task_id>", "GET"): (
        reaching(admits(*TASK_READERS), "records_clerk"),
        lambda w, c: Request("GET", f"/api/tasks/{w.task()}"),
    ),
    ("/api/tasks/<string:task_id>/claim", "POST"): (
        reaching(admits(*IN_LANE_CLERK), "records_clerk"),
        lambda w, c: Request("POST", f"/api/tasks/{w.task()}/claim"),
    ),
    ("/api/tasks/<string:task_id>/unclaim", "POST"): (
        admits(*IN_LANE_CLERK),
        lambda w, c: Request("POST", f"/api/tasks/{w.task(claimed_by=c)}/unclaim"),
    ),
    ("/api/tasks/<string:task_id>/complete", "POST"): (
        reaching(admits(*IN_LANE_CLERK), "records_clerk"),
        lambda w, c: Request("POST", f"/api/tasks/{w.task()}/complete", json={"data": RECEIVE}),
    ),
    ("/api/tasks/<string:task_id>/assign", "POST"): (
        reaching(admits(*IN_LANE_CLERK), "records_clerk"),
        lambda w, c: Request("POST", f"/api/tasks/{w.task()}/assign", json={"assignee": "clerk2"}),
    ),
    ("/api/tasks/<string:task_id>/draft", "PUT"): (
        admits(*IN_LANE_CLERK),
        lambda w, c: Request("PUT", f"/api/tasks/{w.task(claimed_by=c)}/draft", json={"data": {"copies": 2}}),
    ),
    # ---- the office calendar and the outbox
    ("/api/calendar/days", "GET"): (
        admits(*READERS),
        lambda w, c: Request("GET", "/api/calendar/days", query={"from": "2026-03-02", "to": "2026-03-31"}),
    ),
    ("/api/calendar/editions", "GET"): (admits(*READERS), lambda w, c: Request("GET", "/api/calendar/editions")),
    ("/api/calendar/editions", "POST"): (
        admits(*CALENDAR_EDITORS, ok=201),
        lambda w, c: Request("POST", "/api/calendar/editions", form_files=[("file", "2027.csv", w.dgpa_file())]),
    ),
    ("/api/calendar/overrides", "GET"): (admits(*READERS), lambda w, c: Request("GET", "/api/calendar/overrides")),
    ("/api/calendar/overrides", "POST"): (
        admits(*CALENDAR_EDITORS, ok=201),
        lambda w, c: Request(
            "POST", "/api/calendar/overrides", json={"day": "2026-03-20", "working": False, "reason": "typhoon"}
        ),
    ),
    ("/api/calendar/revocations", "POST"): (
        admits(*CALENDAR_EDITORS),
        lambda w, c: Request("POST", "/api/calendar/revocations", json={"override_id": w.override_id()}),
    ),
    # ---- incidents: supervisors and admins
    ("/api/incidents", "GET"): (admits(*INCIDENT_HANDLERS), lambda w, c: Request("GET", "/api/incidents")),
    ("/api/incidents/<int(max=2147483647):incident_id>", "GET"): (
        admits(*INCIDENT_HANDLERS),
        lambda w, c: Request("GET", f"/api/incidents/{w.incident()}"),
    ),
    ("/api/incidents/<int(max=2147483647):incident_id>/retry", "POST"): (
        admits(*INCIDENT_HANDLERS),
        lambda w, c: Request(
            "POST", f"/api/incidents/{w.incident()}/retry", json={"reason": "n was mistyped", "data": {"n": 2}}
        ),
    ),
    ("/api/incidents/<int(max=2147483647):incident_id>/cancel", "POST"): (
        admits(*INCIDENT_HANDLERS),
        lambda w, c: Request("POST", f"/api/incidents/{w.incident()}/cancel", json={"reason": "given up"}),
    ),
    ("/api/notifications", "GET"): (admits(*OUTBOX_READERS), lambda w, c: Request("GET", "/api/notifications")),
    # ---- files attached to cases: read by case readers, attached by case workers
    ("/api/cases/<string:case_id>/documents", "GET"): (
        reaching(admits(*READERS), "records_clerk"),
        lambda w, c: Request("GET", f"/api/cases/{w.case().case_id}/documents"),
    ),
    ("/api/cases/<string:case_id>/documents", "POST"): (
        reaching(admits(*WORKERS), "records_clerk"),
        lambda w, c: Request(
            "POST", f"/api/cases/{w.case().case_id}/documents", form_files=[("documents.photo", "p.png", PNG)]
        ),
    ),
    ("/api/cases/<string:case_id>/documents/<string:document_id>", "GET"): (
        reaching(admits(*READERS), "records_clerk"),
        lambda w, c: (lambda ids: Request("GET", f"/api/cases/{ids[0]}/documents/{ids[1]}"))(w.case_with_document()),
    ),
    ("/api/development/messages", "GET"): (
        admits(*OUTBOX_READERS),
        lambda w, c: Request("GET", "/api/development/messages"),
    ),
    # ---- applicants: number and access code, no account
    ("/api/online/procedures", "GET"): (everyone(200), lambda w, c: Request("GET", "/api/online/procedures")),
    ("/api/online/codes", "POST"): (
        everyone(202),
        lambda w, c: Request(
            "POST",
            "/api/online/codes",
            json={
                "national_id": make_national_id(random.Random(CALLERS.index(c))),
                "channel": "sms",
                "destination": f"0987{CALLERS.index(c):06d}",
            },
        ),
    ),
    ("/api/online/codes/<string(maxlength=36):challenge_id>", "POST"): (
        everyone(201),
        lambda w, c: (lambda sent: Request("POST", f"/api/online/codes/{sent[0]}", json={"code": sent[1]}))(
            w.challenge()
        ),
    ),
    # The applicant's own token, whoever else the browser may be signed in as.
    ("/api/online/session", "GET"): (
        everyone(200),
        lambda w, c: Request("GET", "/api/online/session", token=w.applicant_token()),
    ),
    ("/api/online/session", "DELETE"): (
        everyone(204),
        lambda w, c: Request("DELETE", "/api/online/session", token=w.applicant_token()),
    ),
    ("/api/online/applications", "POST"): (
        everyone(201),
        lambda w, c: Request(
            "POST",
            "/api/online/applications",
            token=w.applicant_token(),
            form={
                "procedure": "household_transcript",
                "data": '{"applicant_name": "王小明", "scope": "full", "copies": 1}',
            },
        ),
    ),
    # The access code decides; a transcript case never waits for documents (409 for everyone).
    ("/api/online/cases/<string(maxlength=20):number>/documents", "POST"): (
        everyone(409),
        lambda w, c: (
            lambda case: Request(
                "POST",
                f"/api/online/cases/{case.number}/documents",
                form={"code": case.access_code},
                form_files=[("documents.national_id_card", "id.pdf", PDF)],
            )
        )(w.case()),
    ),
    ("/api/public/cases/<string(maxlength=20):number>", "GET"): (
        everyone(200),
        lambda w, c: (
            lambda case: Request("GET", f"/api/public/cases/{case.number}", query={"code": case.access_code})
        )(w.case()),
    ),
    ("/api/public/cases/<string(maxlength=20):number>/proof", "GET"): (
        everyone(200),
        lambda w, c: (
            lambda case: Request("GET", f"/api/public/cases/{case.number}/proof", query={"code": case.access_code})
        )(w.case()),
    ),
    ("/api/public/cases/<string(maxlength=20):number>/rating", "POST"): (
        everyone(201),
        lambda w, c: (
            lambda case: Request(
                "POST", f"/api/public/cases/{case.number}/rating", json={"code": case.access_code, "score": 5}
            )
        )(w.served_case()),
    ),
}


@pytest.fixture
def world(engine, tokens, revoked_token, transcript) -> World:
    return World(engine, tokens, revoked_token)


@pytest.fixture
def strict_spec(app):
    return schemathesis.openapi.from_dict(without_default_responses(app.test_client().get("/api/openapi.json").json))


def test_every_route_of_the_app_has_a_row_in_the_matrix(app):
    routes = all_routes(app)
    assert routes - set(MATRIX) == set(), "routes without an authorization decision"
    assert set(MATRIX) - routes == set(), "rows for routes that no longer exist"


@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda route: f"{route[1]} {route[0]}")
def test_authorization_matrix(route, client, world, strict_spec):
    expected, build = MATRIX[route]
    call = FlaskCaller(client, {})
    seen = {}
    for caller in CALLERS:
        request = build(world, caller)
        token = world.token(caller) if request.token == "caller" else request.token
        answer = call(
            request.method,
            request.path,
            user=token,
            json=request.json,
            query=request.query,
            files=request.files,
            form=request.form,
            form_files=request.form_files,
        )
        seen[caller] = answer.status
        if answer.status in (401, 403):
            assert answer.content_type == "application/problem+json", answer
            kind = {401: "unauthorized", 403: "forbidden"}[answer.status]
            assert answer.json["type"] == f"https://onestop.example/problems/{kind}", answer
            if answer.status == 401:
                assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        operation = strict_spec.find_operation_by_path(request.method, request.path)
        if operation is not None:  # the status is documented for the operation, and the body matches
            assert operation.responses.find_by_status_code(answer.status) is not None, (caller, answer)
            operation.validate_response(answer.raw)
    wrong = {
        caller: f"got {seen[caller]}, expected {expected[caller]}"
        for caller in CALLERS
        if seen[caller] != expected[caller]
    }
    assert not wrong, wrong


def test_a_clerk_cannot_list_the_inbox_of_a_group_they_are_not_in(call, world):
    world.task()
    assert call("GET", "/api/tasks", user="records_clerk", query={"group": "Clerk"}).status == 403
    assert call("GET", "/api/tasks", user="records_clerk").json["total"] == 0
    assert call("GET", "/api/tasks", user="clerk", query={"group": "Clerk"}).json["total"] == 1
    assert call("GET", "/api/tasks", user="auditor", query={"group": "Clerk"}).json["total"] == 1


def test_an_expired_token_is_refused(call, engine, world):
    with engine.write() as session:
        user = session.scalar(select(User).where(User.username == "clerk"))
        token, _ = accounts.issue_token(session, user, now=engine.clock.now(), lifetime=timedelta(hours=1))
    assert call("GET", "/api/tasks", user=token).status == 200
    engine.clock.advance(hours=1)
    answer = call("GET", "/api/tasks", user=token)
    assert answer.status == 401 and answer.content_type == "application/problem+json"


@pytest.mark.parametrize("header", ["Basic Y2xlcms6cGFzcw==", "Bearer", "Bearer    ", "bearer not-a-token", "Token x"])
def test_malformed_or_unknown_credentials_are_401(call, world, header):
    answer = call("GET", "/api/cases", headers={"Authorization": header})
    assert answer.status == 401 and answer.json["type"].endswith("/unauthorized")
