"""The command-line interface, through Flask's CLI runner on a real database."""

from __future__ import annotations

import json

from tests.conftest import BPMN
from tests.engine.helpers import RECEIVE


def test_a_case_from_deploy_to_verify(cli):
    cli("db", "upgrade")
    deployed = json.loads(cli("definitions", "deploy", str(BPMN)).output)
    procedures = sorted(folder.name for folder in BPMN.iterdir() if folder.is_dir())
    assert len(procedures) >= 11 and "household_transcript" in procedures
    assert [(d["key"], d["version"], d["created"]) for d in deployed] == [(key, 1, True) for key in procedures]
    assert "household_transcript" in [d["key"] for d in json.loads(cli("definitions", "list").output)]

    started = json.loads(cli("cases", "start", "household_transcript", "--channel", "counter").output)
    tasks = json.loads(cli("tasks", "list", "--group", "Clerk").output)["tasks"]
    assert [t["element_id"] for t in tasks] == ["receive_application"]
    cli("tasks", "complete", tasks[0]["id"], "--data", json.dumps(RECEIVE))

    history = [json.loads(line) for line in cli("cases", "history", started["number"]).output.splitlines()]
    assert [event["type"] for event in history] == ["case_started", "task_completed"]
    state = json.loads(cli("cases", "state", started["case_id"], "--at", "1").output)
    assert state["ready_tasks"][0]["element_id"] == "receive_application"
    verified = json.loads(cli("cases", "verify", started["number"]).output)
    assert verified["ok"] is True
    assert cli("cases", "verify", "--all").exit_code == 0


def test_errors_are_reported_with_a_non_zero_exit(cli):
    missing = cli("cases", "start", "no_such_procedure", ok=False)
    assert missing.exit_code == 1 and "invalid-input" in missing.output
    bad_json = cli("cases", "start", "household_transcript", "--data", "{nope", ok=False)
    assert bad_json.exit_code == 2 and "not valid JSON" in bad_json.output
    assert cli("cases", "verify", ok=False).exit_code == 2


def test_users_and_tokens(cli, engine):
    from engine import accounts

    cli("users", "create", "amy", "--role", "clerk", "--group", "Clerk", "--password", "pw-123456")
    token = json.loads(cli("tokens", "issue", "amy").output)["token"]
    with engine.read() as session:
        assert accounts.resolve_token(session, token, now=engine.clock.now()).username == "amy"
    assert json.loads(cli("tokens", "revoke", "amy").output) == {"revoked": 1}
    with engine.read() as session:
        assert accounts.resolve_token(session, token, now=engine.clock.now()) is None
    assert cli("users", "create", "amy", "--role", "clerk", ok=False).exit_code == 1
