"""The counter queue (號碼牌) on a real database: numbering per day and service, calls to
counters (never one ticket twice, also from two threads at once), service, no-shows, the
cases a visit produced, the waiting room's board, and the API with its roles."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from engine import Conflict, InvalidInput, NotFound
from tests.api.conftest import _create_users, app, call, client  # noqa: F401 (fixtures)
from tests.engine.helpers import start

from ..api.conftest import FlaskCaller


@pytest.fixture
def queue(engine):
    return engine.queue


def test_numbers_run_per_service_and_restart_each_day(queue, clock):
    first, second = queue.issue("registration", "kiosk"), queue.issue("registration", "kiosk")
    other = queue.issue("certificate", "kiosk")
    assert [first.number, second.number, other.number] == ["A001", "A002", "B001"]
    assert (second.status, second.waiting_ahead) == ("waiting", 1)
    clock.advance(days=1)
    assert queue.issue("registration", "kiosk").number == "A001"
    with pytest.raises(InvalidInput) as refused:
        queue.issue("passport", "kiosk")
    assert refused.value.details["errors"][0]["field"] == "service"


def test_a_visit_is_called_served_and_timed_and_linked_to_its_cases(engine, queue, transcript, clock):
    ticket = queue.issue("certificate", "kiosk")
    clock.advance(minutes=12)
    called = queue.call_next("3", "clerk-1")
    assert (called.id, called.status, called.counter, called.waiting_minutes) == (ticket.id, "called", "3", 12.0)
    clock.advance(minutes=1)
    queue.start(ticket.id, "clerk-1")
    case = start(engine)
    linked = queue.link_case(ticket.id, case.case_id, "clerk-1")
    assert linked.case_ids == (case.case_id,)
    clock.advance(minutes=6)
    done = queue.finish(ticket.id, "clerk-1")
    assert (done.status, done.service_minutes, done.served_by) == ("done", 6.0, "clerk-1")
    with pytest.raises(Conflict):
        queue.finish(ticket.id, "clerk-1")  # done once


def test_calls_take_the_longest_waiting_of_the_counters_services_and_no_shows_are_kept(queue, clock):
    a1 = queue.issue("registration", "kiosk")
    clock.advance(minutes=1)
    b1 = queue.issue("certificate", "kiosk")
    assert queue.call_next("1", "clerk-1", ["certificate"]).id == b1.id
    assert queue.call_next("2", "clerk-2").id == a1.id
    assert queue.call_next("2", "clerk-2") is None  # nobody left
    gone = queue.no_show(a1.id, "clerk-2")
    assert gone.status == "no_show" and gone.waiting_minutes == 1.0 and gone.service_minutes is None
    with pytest.raises(Conflict):
        queue.start(a1.id, "clerk-2")
    with pytest.raises(NotFound):
        queue.start(999, "clerk-2")
    with pytest.raises(InvalidInput):
        queue.call_next(" ", "clerk-2")


def test_two_counters_calling_at_once_never_get_the_same_ticket(queue, clock):
    issued = {queue.issue("registration", "kiosk").id for _ in range(20)}
    called: list[int] = []
    errors: list[Exception] = []
    gate = threading.Barrier(4)

    def counter(name: str) -> None:
        gate.wait()
        try:
            while (ticket := queue.call_next(name, f"clerk-{name}")) is not None:
                called.append(ticket.id)
        except Exception as error:  # noqa: BLE001 - the assertion below reports it
            errors.append(error)

    threads = [threading.Thread(target=counter, args=(str(n),)) for n in range(1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and sorted(called) == sorted(issued) and len(called) == len(set(called))


def test_the_board_shows_numbers_only(queue, clock):
    for _ in range(3):
        queue.issue("registration", "kiosk")
    queue.issue("id_card", "kiosk")
    queue.call_next("1", "clerk-1", ["registration"])
    clock.advance(minutes=2)
    queue.call_next("2", "clerk-2", ["id_card"])
    board = queue.board()
    assert board["now_serving"] == [
        {"counter": "1", "number": "A001", "service": "registration", "called_at": clock.now() - timedelta(minutes=2)},
        {"counter": "2", "number": "C001", "service": "id_card", "called_at": clock.now()},
    ]
    registration = next(s for s in board["services"] if s["service"] == "registration")
    assert (registration["waiting"], registration["next"]) == (2, ["A002", "A003"])


@pytest.fixture
def queue_users(engine):
    return _create_users(
        engine,
        {
            "kiosk": (["kiosk"], []),
            "clerk": (["clerk"], ["Clerk"]),
            "records_clerk": (["clerk"], ["Records"]),  # no work of the transcript's lanes
            "auditor": (["auditor"], []),
        },
    )


def test_the_api_kiosk_issues_clerks_call_anyone_reads_the_board(client, queue_users, engine, transcript, clock):  # noqa: F811
    call = FlaskCaller(client, queue_users)
    kinds = call("GET", "/api/queue/services")
    assert kinds.status == 200 and [k["prefix"] for k in kinds.json] == ["A", "B", "C", "D"]
    issued = call("POST", "/api/queue/tickets", user="kiosk", json={"service": "certificate"})
    assert issued.status == 201 and issued.json["number"] == "B001" and issued.json["waiting_ahead"] == 0
    assert call("POST", "/api/queue/tickets", json={"service": "certificate"}).status == 401
    assert call("POST", "/api/queue/tickets", user="auditor", json={"service": "certificate"}).status == 403
    bad = call("POST", "/api/queue/tickets", user="kiosk", json={"service": "passport"})
    assert bad.status == 422 and bad.content_type == "application/problem+json"
    assert call("POST", "/api/queue/calls", user="kiosk", json={"counter": "1"}).status == 403
    clock.advance(minutes=4)
    called = call("POST", "/api/queue/calls", user="clerk", json={"counter": "1"})
    assert called.status == 200 and called.json["waiting_minutes"] == 4.0
    ticket_id = called.json["id"]
    assert call("POST", f"/api/queue/tickets/{ticket_id}/start", user="clerk").status == 200
    case = start(engine)
    # A clerk the case is out of reach of cannot link it, nor learn that its number exists.
    unreached = call(
        "POST", f"/api/queue/tickets/{ticket_id}/cases", user="records_clerk", json={"case_number": case.number}
    )
    assert unreached.status == 404
    linked = call("POST", f"/api/queue/tickets/{ticket_id}/cases", user="clerk", json={"case_number": case.number})
    assert linked.status == 200 and linked.json["case_ids"] == [case.case_id]
    missing = call("POST", f"/api/queue/tickets/{ticket_id}/cases", user="clerk", json={"case_number": "2026-999999"})
    assert missing.status == 404
    assert call("POST", f"/api/queue/tickets/{ticket_id}/finish", user="clerk").status == 200
    assert call("POST", f"/api/queue/tickets/{ticket_id}/finish", user="clerk").status == 409
    assert call("POST", "/api/queue/calls", user="clerk", json={"counter": "1"}).status == 204
    board = call("GET", "/api/queue/board")
    assert board.status == 200 and board.json["now_serving"] == []
    listed = call("GET", "/api/queue/tickets", user="clerk")
    assert [t["status"] for t in listed.json] == ["done"]
