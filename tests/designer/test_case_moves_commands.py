"""Moving running cases to a new version: the ``case_migrated`` event, replay and verify across
it, the inbox following the new version, blocked cases, races and the bulk form."""

from __future__ import annotations

import threading

import pytest

from engine import Conflict, InvalidInput, MoveBlocked, NotFound, accounts
from engine import commands as cmd
from engine.storage import queries

from ..engine.helpers import pass_due
from ..tampering import tamper
from .test_case_moves import _deploy, _scripted, _start

# Version 2 changes a later part of the diagram: an issued transcript is checked by a
# supervisor in a new lane before the end, and 'receive' gets a new name and form.
REVIEWED = (
    _scripted()
    .replace(
        '<bpmn:sequenceFlow id="f5" sourceRef="issue" targetRef="end_issued"/>',
        '<bpmn:sequenceFlow id="f5" sourceRef="issue" targetRef="review"/>'
        '<bpmn:sequenceFlow id="f6" sourceRef="review" targetRef="end_issued"/>',
    )
    .replace(
        '<bpmn:userTask id="issue" name="Issue transcript"/>',
        '<bpmn:userTask id="issue" name="Issue transcript"/><bpmn:userTask id="review" name="Review transcript"/>',
    )
    .replace(
        "<bpmn:flowNodeRef>issue</bpmn:flowNodeRef>\n      </bpmn:lane>",
        "<bpmn:flowNodeRef>issue</bpmn:flowNodeRef>\n      </bpmn:lane>"
        '<bpmn:lane id="lane_supervisor" name="Supervisor"><bpmn:flowNodeRef>review</bpmn:flowNodeRef></bpmn:lane>',
    )
    .replace('name="Receive application"', 'name="Receive the application"')
)
# Version 2 without the 'supplement' step: a case waiting there cannot move.
NO_SUPPLEMENT = (
    _scripted()
    .replace('<bpmn:userTask id="supplement" name="Ask for documents"/>', "")
    .replace("<bpmn:flowNodeRef>supplement</bpmn:flowNodeRef>", "")
    .replace(
        '<bpmn:sequenceFlow id="f_missing" sourceRef="found" targetRef="supplement"/>',
        '<bpmn:sequenceFlow id="f_missing" sourceRef="found" targetRef="issue"/>',
    )
    .replace('<bpmn:sequenceFlow id="f4" sourceRef="supplement" targetRef="lookup"/>', "")
)


def _open(engine, case_id: str):
    with engine.read() as session:
        return [t for t in queries.case_tasks(session, case_id) if t.status in ("ready", "claimed")]


def _case(engine, case_id: str):
    with engine.read() as session:
        return queries.get_case(session, case_id)


def _events(engine, case_id: str):
    with engine.read() as session:
        return queries.case_events(session, case_id)


def _finish(engine, case_id: str, element_id: str, data: dict | None = None) -> None:
    [task] = [t for t in _open(engine, case_id) if t.element_id == element_id]
    engine.handle(cmd.CompleteTask(task.id, "clerk", data or {}))


def test_a_waiting_case_moves_and_runs_the_new_path_to_the_end(engine):
    _deploy(engine, _scripted())
    case_id = _start(engine)
    [before] = _open(engine, case_id)
    v2 = _deploy(engine, REVIEWED)

    changed = engine.handle(cmd.MoveCase(case_id, 2, "review step added", actor="designer"))

    case = _case(engine, case_id)
    assert case.definition_id == v2.id and case.status == "running"
    moved_event = _events(engine, case_id)[-1]
    assert (moved_event.type, moved_event.actor, moved_event.seq) == (
        "case_migrated",
        "designer",
        changed.last_event_seq,
    )
    assert {key: moved_event.payload[key] for key in ("from_version", "to_version", "reason")} == {
        "from_version": 1,
        "to_version": 2,
        "reason": "review step added",
    }
    [after] = _open(engine, case_id)  # the same inbox row, described as the new version names it
    assert (after.id, after.element_id, after.name) == (before.id, "receive", "Receive the application")

    _finish(engine, case_id, "receive", {"citizen_id": "A123456789"})
    _finish(engine, case_id, "supplement", {"found_it": True})
    _finish(engine, case_id, "issue")
    [review] = _open(engine, case_id)
    assert (review.element_id, review.lane) == ("review", "Supervisor")
    _finish(engine, case_id, "review")
    assert _case(engine, case_id).status == "completed"
    assert engine.verify_case(case_id).ok


def test_verify_replay_and_past_states_hold_across_the_move(engine):
    _deploy(engine, _scripted())
    case_id = _start(engine)
    _finish(engine, case_id, "receive", {"citizen_id": "A123456789"})  # now waits at 'supplement'
    _deploy(engine, REVIEWED)
    engine.handle(cmd.MoveCase(case_id, 2, "review step added", actor="designer"))
    _finish(engine, case_id, "supplement", {"found_it": True})

    verification = engine.verify_case(case_id)
    assert verification.ok, verification.problems
    events = _events(engine, case_id)
    move_seq = next(event.seq for event in events if event.type == "case_migrated")
    before = engine.case_state(case_id, at_seq=move_seq - 1)
    assert before["divergence"] is None
    assert [task["element_id"] for task in before["ready_tasks"]] == ["supplement"]
    at = engine.case_state(case_id, at_seq=move_seq)
    assert at["divergence"] is None and [task["element_id"] for task in at["ready_tasks"]] == ["supplement"]
    now = engine.case_state(case_id, at_seq=events[-1].seq)
    assert now["divergence"] is None and [task["element_id"] for task in now["ready_tasks"]] == ["issue"]
    assert now["data"] == engine.case_state(case_id)["data"]


def test_the_timeline_and_process_mining_show_the_move(engine):
    from engine.audit import CaseSelection, mined_cases, timeline_of

    _deploy(engine, _scripted())
    case_id = _start(engine)
    _deploy(engine, REVIEWED)
    engine.handle(cmd.MoveCase(case_id, 2, "review step added", actor="designer"))
    _finish(engine, case_id, "receive", {"citizen_id": "A123456789"})

    timeline = timeline_of(engine, case_id)
    assert timeline["divergence"] is None
    [moved] = [entry for entry in timeline["entries"] if entry["type"] == "case_migrated"]
    assert moved["actor"] == "designer" and moved["changes"] == [] and moved["finished_steps"] == []
    assert timeline["entries"][-1]["element_id"] == "receive"
    [mined] = mined_cases(engine, CaseSelection(case_ids=[case_id]))
    assert mined.version == 2
    assert "Moved to a new version" in [event.activity for event in mined.events]


def test_a_tampered_move_event_is_found_by_verify(engine):
    from sqlalchemy import update

    from engine.storage import CaseEvent

    _deploy(engine, _scripted())
    case_id = _start(engine)
    _deploy(engine, REVIEWED)
    engine.handle(cmd.MoveCase(case_id, 2, "review step added", actor="designer"))
    seq = _events(engine, case_id)[-1].seq
    tamper(
        engine,
        update(CaseEvent)
        .where(CaseEvent.case_id == case_id, CaseEvent.seq == seq)
        .values(payload={"reason": "edited"}),
    )
    verification = engine.verify_case(case_id)
    assert not verification.ok and verification.first_divergent_seq == seq


def test_a_case_waiting_at_a_removed_task_is_refused_naming_it(engine):
    _deploy(engine, _scripted())
    case_id = _start(engine)
    _finish(engine, case_id, "receive", {"citizen_id": "A123456789"})  # waits at 'supplement'
    _deploy(engine, NO_SUPPLEMENT)
    events_before = len(_events(engine, case_id))

    with pytest.raises(MoveBlocked, match="'supplement'") as refused:
        engine.handle(cmd.MoveCase(case_id, 2, "no more supplements", actor="designer"))

    assert [b["element_id"] for b in refused.value.details["blocked_by"]] == ["supplement"]
    assert len(_events(engine, case_id)) == events_before
    assert _case(engine, case_id).definition_id != _deploy(engine, NO_SUPPLEMENT).id


def test_bad_requests_are_refused_before_touching_the_case(engine):
    _deploy(engine, _scripted())
    case_id = _start(engine)
    _deploy(engine, REVIEWED)
    with pytest.raises(InvalidInput, match="reason"):
        engine.handle(cmd.MoveCase(case_id, 2, "  ", actor="designer"))
    with pytest.raises(InvalidInput, match="newer"):
        engine.handle(cmd.MoveCase(case_id, 1, "same version", actor="designer"))
    with pytest.raises(Conflict, match="on version 1, not 2"):
        engine.handle(cmd.MoveCase(case_id, 2, "stale", actor="designer", from_version=2))
    engine.handle(cmd.MoveCase(case_id, 2, "review step added", actor="designer"))
    with pytest.raises(InvalidInput, match="newer"):  # already there: moving it again is refused
        engine.handle(cmd.MoveCase(case_id, 2, "again", actor="designer"))
    with pytest.raises(InvalidInput, match="errors|newer"):
        engine.handle(cmd.MoveCases("dry_case", 2, 1, "backwards", actor="designer"))


def test_completion_and_move_racing_on_one_case_each_happen_once(engine):
    """Clerks complete the waiting task while designers move the case: exactly one completion
    and exactly one move win, the others are refused, and the history still verifies."""
    _deploy(engine, _scripted())
    case_id = _start(engine)
    [task] = _open(engine, case_id)
    _deploy(engine, REVIEWED)
    barrier = threading.Barrier(8)
    outcomes: dict[str, list[str]] = {"complete": [], "move": []}
    lock = threading.Lock()

    def act(kind: str, number: int) -> None:
        barrier.wait()
        try:
            if kind == "complete":
                engine.handle(cmd.CompleteTask(task.id, f"clerk-{number}", {"citizen_id": "A123456789"}))
            else:
                engine.handle(cmd.MoveCase(case_id, 2, "review step added", actor=f"designer-{number}", from_version=1))
            outcome = "ok"
        except (Conflict, InvalidInput) as error:
            outcome = type(error).__name__
        except Exception as error:  # anything else is a bug, reported with its type
            outcome = f"error: {type(error).__name__}: {error}"
        with lock:
            outcomes[kind].append(outcome)

    threads = [threading.Thread(target=act, args=(kind, n)) for n in range(4) for kind in ("complete", "move")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes["complete"]) == ["Conflict"] * 3 + ["ok"]
    assert sorted(outcomes["move"]) == ["Conflict"] * 3 + ["ok"]
    types = [event.type for event in _events(engine, case_id)]
    assert types.count("case_migrated") == 1 and types.count("task_completed") == 1
    assert [t.element_id for t in _open(engine, case_id)] == ["supplement"]
    assert engine.verify_case(case_id).ok


def test_bulk_move_moves_the_movable_and_reports_the_blocked(engine):
    _deploy(engine, _scripted())
    at_receive, at_supplement = _start(engine), _start(engine)
    _finish(engine, at_supplement, "receive", {"citizen_id": "A123456789"})
    _deploy(engine, NO_SUPPLEMENT)

    outcomes = engine.handle(cmd.MoveCases("dry_case", 1, 2, "no more supplements", actor="designer"))

    by_case = {outcome.case_id: outcome for outcome in outcomes}
    assert by_case[at_receive].outcome == "moved"
    assert by_case[at_supplement].outcome == "blocked"
    assert [b["element_id"] for b in by_case[at_supplement].blocked_by] == ["supplement"]
    assert engine.verify_case(at_receive).ok and engine.verify_case(at_supplement).ok
    # The moved case now runs without the supplement step: not found goes straight to 'issue'.
    _finish(engine, at_receive, "receive", {"citizen_id": "A123456789"})
    assert [t.element_id for t in _open(engine, at_receive)] == ["issue"]
    again = engine.handle(cmd.MoveCases("dry_case", 1, 2, "retry", actor="designer", case_ids=(at_supplement,)))
    assert [(o.case_id, o.outcome) for o in again] == [(at_supplement, "blocked")]
    with pytest.raises(InvalidInput, match="case_ids|Not running"):
        engine.handle(cmd.MoveCases("dry_case", 1, 2, "retry", actor="designer", case_ids=(at_receive,)))


def test_the_api_moves_cases_and_reports_the_blocked(client, as_user, engine):
    _deploy(engine, _scripted())
    at_receive, at_supplement = _start(engine), _start(engine)
    _finish(engine, at_supplement, "receive", {"citizen_id": "A123456789"})
    _deploy(engine, NO_SUPPLEMENT)
    url = "/api/definitions/dry_case/moves"

    answer = client.post(
        url, json={"from_version": 1, "to_version": 2, "reason": "no more supplements"}, headers=as_user("designer")
    )

    assert answer.status_code == 200, answer.json
    assert (answer.json["moved"], answer.json["blocked"], answer.json["failed"]) == (1, 1, 0)
    by_case = {case["case_id"]: case for case in answer.json["cases"]}
    assert by_case[at_receive]["outcome"] == "moved"
    assert by_case[at_supplement]["outcome"] == "blocked"
    assert by_case[at_supplement]["blocked_by"][0]["element_id"] == "supplement"
    assert _events(engine, at_receive)[-1].actor == "designer"


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({"from_version": 1, "to_version": 7, "reason": "x"}, 404, None),
        ({"from_version": 2, "to_version": 1, "reason": "x"}, 422, "to_version"),
        ({"from_version": 1, "to_version": 2, "reason": ""}, 422, "reason"),
        ({"from_version": 1, "to_version": 2}, 422, "reason"),
        ({"from_version": 1, "to_version": 2, "reason": "x", "case_ids": []}, 422, "case_ids"),
        ({"from_version": 1, "to_version": 2, "reason": "x", "extra": 1}, 422, "extra"),
        ({"from_version": "one", "to_version": 2, "reason": "x"}, 422, "from_version"),
    ],
)
def test_the_api_refuses_bad_requests(client, as_user, engine, body, status, field):
    _deploy(engine, _scripted())
    _deploy(engine, REVIEWED)
    answer = client.post("/api/definitions/dry_case/moves", json=body, headers=as_user("designer"))
    assert answer.status_code == status, answer.json
    assert answer.content_type == "application/problem+json"
    if field:
        assert field in {error["field"].split(".")[0] for error in answer.json["errors"]}, answer.json


def test_the_api_refuses_a_case_of_another_procedure(client, as_user, engine, transcript):
    _deploy(engine, _scripted())
    _deploy(engine, REVIEWED)
    other = engine.handle(cmd.StartCase("household_transcript", {}, actor="clerk")).case_id
    answer = client.post(
        "/api/definitions/dry_case/moves",
        headers=as_user("designer"),
        json={"from_version": 1, "to_version": 2, "reason": "x", "case_ids": [other]},
    )
    assert answer.status_code == 422, answer.json
    assert answer.json["errors"][0]["field"] == "case_ids" and other in answer.json["errors"][0]["message"]
    assert _case(engine, other).procedure_key == "household_transcript"


def test_the_cli_moves_cases(settings, engine):
    import json

    from api import create_app

    _deploy(engine, _scripted())
    case_id = _start(engine)
    _deploy(engine, REVIEWED)
    runner = create_app(settings, engine=engine).test_cli_runner()
    result = runner.invoke(
        args=[
            "definitions",
            "move-cases",
            "dry_case",
            "--from",
            "1",
            "--to",
            "2",
            "--reason",
            "review step added",
            "--case",
            case_id,
        ]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["cases"] == [
        {"case_id": case_id, "outcome": "moved", "reason": None, "blocked_by": []}
    ]
    assert _events(engine, case_id)[-1].type == "case_migrated"
    backwards = runner.invoke(
        args=["definitions", "move-cases", "dry_case", "--from", "2", "--to", "1", "--reason", "undo"]
    )
    assert backwards.exit_code == 1 and "not newer" in backwards.output


def _new_version_of(engine, folder: str):
    """The procedure again with a comment added: a new version with the same diagram."""
    from engine import files_from_folder
    from tests.conftest import BPMN

    files = files_from_folder(BPMN / folder)
    files = {name: content + b"<!-- v2 -->\n" if name.endswith(".bpmn") else content for name, content in files.items()}
    return engine.handle(cmd.DeployDefinition(files, actor="designer")).definition


def test_a_case_waiting_in_a_called_process_keeps_its_timers_when_it_moves(engine, clock):
    """Move-in: the case waits inside the shared document check (a call activity) with its
    reminder timer running and its SLA clock paused; after the move the called process runs on
    the new version's specs, the timer fires when it was due, and the case still verifies."""
    from datetime import datetime

    from engine import files_from_folder
    from tests.conftest import BPMN
    from tests.engine.helpers import complete
    from tests.procedures.test_move_in_registration import TENANT_ID, receive, step_data

    engine.handle(cmd.DeployDefinition(files_from_folder(BPMN / "move_in_registration"), actor="designer"))
    case_id = engine.handle(cmd.StartCase("move_in_registration", {}, actor="clerk-1")).case_id
    complete(engine, case_id, "receive_application", receive(TENANT_ID, [], basis="lease"))
    complete(engine, case_id, "issue_notice", {"notice_delivered_by": "sms"})
    reminder_at = datetime.fromisoformat(step_data(engine, case_id, "await_documents")["reminder_at"])
    timer_before = _case(engine, case_id).next_timer_at
    clock.advance(hours=1)
    v2 = _new_version_of(engine, "move_in_registration")

    engine.handle(cmd.MoveCase(case_id, v2.version, "comment added", actor="designer"))

    assert _case(engine, case_id).next_timer_at == timer_before
    pass_due(clock, reminder_at)
    engine.handle(cmd.FireDueTimers(case_id))
    assert [t.element_id for t in _open(engine, case_id)] == ["send_reminder"]
    verification = engine.verify_case(case_id)
    assert verification.ok, verification.problems


def test_a_case_waiting_for_an_agency_moves_and_gets_the_answer(engine):
    from engine import files_from_folder
    from tests.conftest import BPMN
    from tests.engine.helpers import complete
    from tests.procedures.test_move_in_registration import receive

    engine.handle(cmd.DeployDefinition(files_from_folder(BPMN / "move_in_registration"), actor="designer"))
    case_id = engine.handle(cmd.StartCase("move_in_registration", {}, actor="clerk-1")).case_id
    complete(engine, case_id, "receive_application", receive(), run_jobs=False)  # the land registry job waits
    v2 = _new_version_of(engine, "move_in_registration")

    engine.handle(cmd.MoveCase(case_id, v2.version, "comment added", actor="designer"))
    engine.run_due_jobs()

    # The land registry names the owner: no residence check, the move-in is registered in the visit.
    assert [t.element_id for t in _open(engine, case_id)] == ["register_move_in"]
    verification = engine.verify_case(case_id)
    assert verification.ok, verification.problems


def test_a_waiting_timer_keeps_its_due_time_when_the_case_moves(engine, transcript, clock):
    """Transcript: after issuing, the case waits 7 days for a rating. Moving it a day later
    does not restart the 7 days, and the window closes when it was due to."""
    from tests.engine.helpers import RECEIVE, complete

    case_id = engine.handle(cmd.StartCase("household_transcript", {}, actor="clerk")).case_id
    complete(engine, case_id, "receive_application", RECEIVE)
    complete(engine, case_id, "issue_transcript", {"fee_paid": 15})
    window_closes = _case(engine, case_id).next_timer_at
    assert window_closes is not None and _open(engine, case_id) == []
    clock.advance(days=1)
    v2 = _new_version_of(engine, "household_transcript")

    engine.handle(cmd.MoveCase(case_id, v2.version, "comment added", actor="designer"))

    assert _case(engine, case_id).next_timer_at == window_closes
    pass_due(clock, window_closes)
    engine.handle(cmd.FireDueTimers(case_id))
    assert _case(engine, case_id).status == "completed"
    assert _events(engine, case_id)[-1].type == "case_completed"
    assert engine.verify_case(case_id).ok


def test_a_case_that_passed_a_removed_step_is_blocked_in_preview_and_move_alike(engine):
    """Version 2 starts with the lookup (no 'receive' any more): a case still at 'receive' is
    blocked by it, and so is a case that already passed it (its history names the step)."""

    _deploy(engine, _scripted())
    at_receive, at_supplement = _start(engine), _start(engine)
    _finish(engine, at_supplement, "receive", {"citizen_id": "A123456789"})
    _deploy(
        engine,
        _scripted()
        .replace('<bpmn:userTask id="receive" name="Receive application"/>', "")
        .replace("<bpmn:flowNodeRef>receive</bpmn:flowNodeRef>", "")
        .replace(
            '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="receive"/>',
            '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="lookup"/>',
        )
        .replace('<bpmn:sequenceFlow id="f2" sourceRef="receive" targetRef="lookup"/>', ""),
    )

    preview = engine.preview_move("dry_case", 1, 2)
    assert preview["movable"] == []
    reasons = {case["case_id"]: case["blocked_by"] for case in preview["blocked"]}
    assert [b["element_id"] for b in reasons[at_receive]] == ["receive"]
    assert [b["element_id"] for b in reasons[at_supplement]] == ["receive"]
    assert "already passed" in reasons[at_supplement][0]["reason"]
    with pytest.raises(MoveBlocked, match="already passed userTask 'receive'"):
        engine.handle(cmd.MoveCase(at_supplement, 2, "no reception step", actor="designer"))
    assert engine.verify_case(at_supplement).ok and _case(engine, at_supplement).status == "running"


# Version 2 has 'receive' done at a counter: another lane.
RECEIVED_AT_COUNTER = (
    _scripted()
    .replace("<bpmn:flowNodeRef>receive</bpmn:flowNodeRef>", "")
    .replace(
        "</bpmn:laneSet>",
        '<bpmn:lane id="lane_counter" name="Counter"><bpmn:flowNodeRef>receive</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>',
    )
)
CLERKS = frozenset({"Clerk"})


def _claimed_then_moved(engine, new_version: str):
    """A case whose 'receive' a clerk claimed, moved to ``new_version``: (case id, the task)."""
    _deploy(engine, _scripted())
    case_id = _start(engine)
    [task] = _open(engine, case_id)
    engine.handle(cmd.ClaimTask(task.id, "clerk", lanes=CLERKS))
    _deploy(engine, new_version)
    engine.handle(cmd.MoveCase(case_id, 2, "a new version", actor="designer"))
    return case_id, task


def test_a_claim_is_released_when_the_new_version_puts_the_task_in_another_lane(engine):
    with engine.write() as session:  # the office's counter group: a deploy checks that someone works each lane
        accounts.create_user(session, "counter-clerk", roles=["clerk"], groups=["Counter"], now=engine.clock.now())
    case_id, task = _claimed_then_moved(engine, RECEIVED_AT_COUNTER)

    [moved] = _open(engine, case_id)
    assert (moved.id, moved.lane, moved.status, moved.assignee) == (task.id, "Counter", "ready", None)
    moved_event, released = _events(engine, case_id)[-2:]
    assert (moved_event.type, released.type, released.actor) == ("case_migrated", "task_unclaimed", "engine")
    assert released.payload["previous_assignee"] == "clerk" and "Counter" in released.payload["reason"]
    # The clerk's lane no longer has the task, nor any other work of the case: for the clerk, the
    # task does not exist.
    with pytest.raises(NotFound):
        engine.handle(cmd.CompleteTask(task.id, "clerk", {"citizen_id": "A123456789"}, lanes=CLERKS))
    engine.handle(
        cmd.CompleteTask(task.id, "counter-clerk", {"citizen_id": "A123456789"}, lanes=frozenset({"Counter"}))
    )
    assert engine.verify_case(case_id).ok


def test_a_claim_stays_when_the_task_keeps_its_lane(engine):
    case_id, _task = _claimed_then_moved(engine, REVIEWED)

    [moved] = _open(engine, case_id)
    assert (moved.lane, moved.status, moved.assignee) == ("Clerk", "claimed", "clerk")
    assert _events(engine, case_id)[-1].type == "case_migrated"


def _transcript_version(engine, *, pause_at_receive: bool, mark: str):
    """The transcript again (``mark`` makes it a new version), its receive step marked slaPause
    when ``pause_at_receive``."""
    from engine import files_from_folder
    from tests.conftest import BPMN

    files = files_from_folder(BPMN / "household_transcript")
    text = files["household_transcript.bpmn"] + f"<!-- {mark} -->\n".encode()
    if pause_at_receive:
        form = b'<spiffworkflow:property name="formJsonSchemaFilename" value="receive_application.schema.json"/>'
        text = text.replace(form, form + b'<spiffworkflow:property name="slaPause" value="true"/>', 1)
    files["household_transcript.bpmn"] = text
    return engine.handle(cmd.DeployDefinition(files, actor="designer")).definition


def test_the_sla_clock_follows_where_the_moved_case_waits(engine, transcript, clock):
    case_id = engine.handle(cmd.StartCase("household_transcript", {}, actor="clerk")).case_id
    due = _case(engine, case_id).due_at
    paused = _transcript_version(engine, pause_at_receive=True, mark="v2")

    engine.handle(cmd.MoveCase(case_id, paused.version, "the receive step waits for the applicant", actor="designer"))

    moved, pause = _events(engine, case_id)[-2:]
    assert (moved.type, pause.type, pause.element_id) == ("case_migrated", "sla_paused", "receive_application")
    assert _case(engine, case_id).sla_paused_at == clock.now()
    clock.advance(hours=2)
    running = _transcript_version(engine, pause_at_receive=False, mark="v3")

    engine.handle(cmd.MoveCase(case_id, running.version, "it no longer waits", actor="designer"))

    assert _events(engine, case_id)[-1].type == "sla_resumed"
    case = _case(engine, case_id)
    assert case.sla_paused_at is None and case.due_at > due  # the paused hours do not count
    assert engine.verify_case(case_id).ok
