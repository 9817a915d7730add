"""schemathesis against the OpenAPI document the app serves: generated requests (valid and
invalid) to every operation, authenticated as a user holding every role.

Checks: no 5xx, every status code documented, every body matching the documented schema and
content type. The document is loaded from /api/openapi.json with its catch-all ``default``
response removed, so that an undocumented status code is a failure and not "the default".

Each operation is one test. Besides fully generated requests, a third of the examples aim at
things that exist (real case and task ids, the deployed procedure, a real case number with its
access code), so that the generated bodies and queries reach the code behind the 404s.

(schemathesis' own lazy pytest loader, ``schemathesis.pytest.from_fixture``, fails on this
pytest version with "'Function' object has no attribute '_nodeid'"; the strategies are driven
directly with Hypothesis instead.)
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api import create_app
from config import Settings
from engine import ProcedureFailed, accounts
from engine import commands as cmd
from engine.storage import User, queries
from tests.engine.helpers import RECEIVE, VALID_ID, open_tasks
from tests.security import hostile

from .online_helpers import PDF

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Per operation; raise it for a deeper run: ONESTOP_FUZZ_EXAMPLES=500 pytest tests/api/test_openapi_fuzz.py
MAX_EXAMPLES = int(os.environ.get("ONESTOP_FUZZ_EXAMPLES", "30"))


def without_default_responses(spec: dict) -> dict:
    for path_item in spec["paths"].values():
        for operation in path_item.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].pop("default", None)
    return spec


def served_operations() -> list[tuple[str, str]]:
    """(method, path) of every operation in the document (it does not depend on the database)."""
    spec = (
        create_app(Settings(environment="test", database_url="sqlite://")).test_client().get("/api/openapi.json").json
    )
    return [(method.upper(), path) for path, item in spec["paths"].items() for method in item if method != "parameters"]


@pytest.fixture
def fuzzer_token(engine):
    """Makes tokens for a user with every role and the lanes of the transcript procedure (the
    fuzzer may call DELETE /api/auth/token, which revokes the token it was sent with)."""
    with engine.write() as session:
        user_id = accounts.create_user(
            session, "fuzzer", roles=list(accounts.ROLES), groups=["Clerk", "Supervisor"], now=engine.clock.now()
        ).id

    def new_token() -> str:
        with engine.write() as session:
            token, _ = accounts.issue_token(session, session.get(User, user_id), now=engine.clock.now(), lifetime=None)
        return token

    return new_token


def held_incident(engine) -> int:
    """A case held by an incident: its step after the timer computes a power too large."""
    key, files = hostile.procedure("huge_power", "script", wait='"PT0S"')
    engine.handle(cmd.DeployDefinition(files, actor="designer"))
    started = engine.handle(cmd.StartCase(key, dict(hostile.CASE_DATA), actor="clerk"))
    engine.clock.advance(seconds=1)
    with pytest.raises(ProcedureFailed) as failed:
        engine.handle(cmd.FireDueTimers(started.case_id))
    return failed.value.details["incident_id"]


@pytest.fixture
def existing(engine, transcript) -> dict:
    """Cases at three stages (waiting for reception, for issue, rated) and their open tasks."""
    cases = []
    for index in range(3):
        started = engine.handle(
            cmd.StartCase(
                "household_transcript",
                {},
                actor="clerk",
                idempotency_key=f"seed-{index}",
                applicant={"name": "王小明", "national_id": VALID_ID},
            )
        )
        if index:
            [receive] = open_tasks(engine, started.case_id)
            engine.handle(cmd.CompleteTask(receive.id, "clerk", RECEIVE))
        if index == 2:
            engine.run_due_jobs()  # the household register answers: the issue step opens
            [issue] = open_tasks(engine, started.case_id)
            engine.handle(cmd.CompleteTask(issue.id, "clerk", {"fee_paid": 15}))
            engine.handle(cmd.RecordRating(started.case_id, 4, "快"))
        cases.append(started)
    engine.handle(
        cmd.AttachDocuments(cases[0].case_id, (cmd.Upload("scan.pdf", PDF, "national_id_card"),), actor="clerk")
    )
    with engine.read() as session:
        document_ids = [row.id for row in queries.case_documents(session, cases[0].case_id)]
    with engine.write() as session:
        challenge = accounts.request_code(
            session,
            identity=VALID_ID,
            channel="sms",
            destination="0912345678",
            client="fuzzer",
            now=engine.clock.now(),
            policy=engine.notifications,
        )
    return {
        "incident_id": [held_incident(engine)],
        "case_id": [c.case_id for c in cases],
        "task_id": [t.id for c in cases for t in open_tasks(engine, c.case_id)],
        "number": [c.number for c in cases],
        "codes": {c.number: c.access_code for c in cases},
        "key": ["household_transcript"],
        "version": [1],
        "procedure": ["household_transcript"],
        "run_id": [1],
        "name": ["rating_received"],
        "month": ["2026-03", "2026-12"],
        "document_id": document_ids,
        "challenge_id": [challenge.challenge_id],
        "indicator": ["sla_compliance", "waiting_minutes"],
        "ticket_id": [engine.queue.issue("certificate", "kiosk").id for _ in range(3)],
        "code": ["main", "TN01"],
    }


@pytest.fixture
def api_schema(app):
    schema = schemathesis.openapi.from_dict(without_default_responses(app.test_client().get("/api/openapi.json").json))
    schema.app = app
    return schema


def strategies(operation, existing: dict):
    generated = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
    )
    names = [parameter.name for parameter in operation.iter_parameters() if parameter.location == "path"]
    if not names:
        return generated

    @st.composite
    def aimed(draw):
        path = {name: draw(st.sampled_from(existing[name])) for name in names}
        query = {"code": existing["codes"][path["number"]]} if "number" in path and operation.method == "get" else None
        return draw(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=path, query=query))

    return st.one_of(generated, generated, aimed())


@pytest.mark.parametrize("method, path", served_operations())
def test_generated_requests_get_documented_answers_and_never_a_server_error(
    method, path, api_schema, existing, fuzzer_token
):
    operation = api_schema[path][method]

    @given(case=strategies(operation, existing))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def answers_as_documented(case):
        case.call_and_validate(headers={"Authorization": f"Bearer {fuzzer_token()}"}, checks=CHECKS)

    answers_as_documented()
