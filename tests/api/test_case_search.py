"""The clerks' case search: by number, applicant name, national ID (exact, never shown) and
phone; filters; sorts; keyset pages that neither repeat nor skip a case."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from engine import commands as cmd
from engine.storage import Case, queries
from tests.engine.helpers import RECEIVE, open_task

OTHER_ID = "B120304565"
PEOPLE = [
    # (applicant given at the counter, channel)
    ({"name": "王小明", "national_id": "A123456789", "phone": "0912-345-678"}, "counter"),
    ({"name": "王大同", "phone": "0922333444"}, "counter"),
    ({"name": "Chen Mei-ling", "national_id": OTHER_ID}, "online"),
    ({"name": "林美華"}, "home_visit"),
    (None, "counter"),  # the name comes with the reception form
]


@pytest.fixture
def cases(call, engine, transcript):
    started = []
    for applicant, channel in PEOPLE:
        engine.clock.advance(minutes=1)  # the transcript at the counter is due within 15 minutes
        answer = call(
            "POST",
            "/api/cases",
            user="clerk",
            json={"procedure": "household_transcript", "channel": channel, "applicant": applicant},
        )
        assert answer.status == 201, answer
        started.append(answer.json)
    task = open_task(engine, started[-1]["case_id"], "receive_application")
    form = {**RECEIVE, "national_id": "F131104093", "applicant_name": "張家豪"}
    engine.handle(cmd.CompleteTask(task.id, "clerk", form))
    return started


def numbers(answer) -> list[str]:
    return [item["number"] for item in answer.json["items"]]


def search(call, user="clerk", **query):
    answer = call("GET", "/api/cases", user=user, query=query)
    assert answer.status == 200, answer
    return answer


def test_found_by_number_name_national_id_and_phone(call, cases):
    by_number = [case["number"] for case in cases]
    assert numbers(search(call, q=by_number[2])) == [by_number[2]]
    # The name by its beginning, newest first; Latin letters in any case.
    assert numbers(search(call, q="王")) == [by_number[1], by_number[0]]
    assert numbers(search(call, q="王小")) == [by_number[0]]
    assert numbers(search(call, q="chen")) == [by_number[2]]
    assert numbers(search(call, name="小明")) == []  # the beginning of the name, not any part
    # The name given on the reception form counts as much as one given at the counter.
    found = search(call, q="張家豪")
    assert numbers(found) == [by_number[4]] and found.json["items"][0]["applicant"] == {"name": "張家豪"}
    # The national ID, exactly, typed in any case; never shown in full.
    exact = search(call, q="a123456789")
    assert numbers(exact) == [by_number[0]] and b"A123456789" not in exact.body
    assert exact.json["items"][0]["applicant"]["national_id"] == "A12****789"
    assert numbers(search(call, q="F131104093")) == [by_number[4]]
    assert numbers(search(call, national_id="A12345678")) == []
    # The phone however it is written.
    for typed in ("0912345678", "0912-345-678", "+886 912 345 678"):
        assert numbers(search(call, q=typed)) == [by_number[0]], typed
    assert numbers(search(call, phone="0922 333 444")) == [by_number[1]]


def test_filters_combine(call, engine, cases):
    by_number = [case["number"] for case in cases]
    assert numbers(search(call, channel="online")) == [by_number[2]]
    call("POST", f"/api/cases/{cases[3]['case_id']}/withdraw", user="clerk", json={"reason": "申請人撤回"})
    assert numbers(search(call, status="cancelled")) == [by_number[3]]
    assert numbers(search(call, status="running", q="王")) == [by_number[1], by_number[0]]
    call(
        "PUT",
        f"/api/cases/{cases[1]['case_id']}/officer",
        user="supervisor",
        json={"officer": "clerk2", "reason": "代理"},
    )
    assert numbers(search(call, user="clerk2", officer="me")) == [by_number[1]]
    assert len(numbers(search(call, officer="clerk"))) == 4
    received = [item["received_at"] for item in search(call, sort="received_at").json["items"]]
    window = search(call, received_from=received[1], received_to=received[3])
    assert numbers(window) == [by_number[2], by_number[1]]
    assert numbers(search(call, overdue="true")) == []
    engine.clock.advance(days=3)  # past every channel's standard time
    assert numbers(search(call, overdue="true")) == [n for i, n in reversed(list(enumerate(by_number))) if i != 3]


def test_each_item_says_where_the_case_stands(call, cases):
    [item] = search(call, q=cases[0]["number"]).json["items"]
    assert item["officer"]["username"] == "clerk" and item["awaiting_documents"] is False
    assert [(step["element_id"], step["lane"]) for step in item["current_steps"]] == [("receive_application", "Clerk")]
    assert item["procedure"] == "household_transcript" and item["sla_state"] in ("on_time", "due_today")


def test_keyset_pages_neither_repeat_nor_skip_cases_arriving_meanwhile(call, engine, cases):
    """As an auditor, who reaches every case: the total is counted."""
    everything = numbers(search(call, user="auditor"))
    assert len(everything) == 5 and search(call, user="auditor").json["total"] == 5
    seen, cursor, pages = [], None, 0
    while True:
        query = {"per_page": 2, **({"after": cursor} if cursor else {})}
        page = search(call, user="auditor", **query).json
        assert page["total"] == (5 if pages == 0 else 6) and page["total_exact"] is True
        seen += [item["number"] for item in page["items"]]
        cursor, pages = page["next"], pages + 1
        if pages == 1:  # a new case arrives while the clerk reads the first page
            engine.clock.advance(minutes=1)
            call("POST", "/api/cases", user="clerk", json={"procedure": "household_transcript"})
        if cursor is None:
            break
    assert seen == everything and pages == 3


@pytest.mark.parametrize("sort", ["received_at", "-received_at", "due_at", "-due_at"])
def test_every_sort_pages_through_every_case_once(call, engine, cases, sort):
    # One case with no due date at all (a procedure without a standard time): last either way.
    with engine.write() as session:
        session.execute(update(Case).where(Case.id == cases[2]["case_id"]).values(due_at=None))
    whole = search(call, sort=sort).json["items"]
    key = sort.lstrip("-")
    dated = whole
    if key == "due_at":
        assert whole[-1]["number"] == cases[2]["number"] and whole[-1]["due_at"] is None
        dated = whole[:-1]
    values = [item[key] for item in dated]
    assert len(whole) == 5 and values == sorted(values, reverse=sort.startswith("-"))
    seen, cursor = [], None
    while True:
        page = search(call, sort=sort, per_page=1, **({"after": cursor} if cursor else {})).json
        seen += [item["number"] for item in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert seen == [item["number"] for item in whole]


def test_a_cursor_belongs_to_its_sort_and_counts_stop_at_the_cap(call, cases, monkeypatch):
    cursor = search(call, per_page=1).json["next"]
    other = call("GET", "/api/cases", user="clerk", query={"after": cursor, "sort": "due_at"})
    assert other.status == 422 and other.json["errors"][0]["field"] == "after"
    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    page = search(call, user="auditor").json
    assert (page["total"], page["total_exact"], len(page["items"])) == (3, False, 5)
    # A clerk's plain list is not counted (the access rule looks at each case): "at least".
    first = search(call, per_page=2).json
    assert (first["total"], first["total_exact"]) == (3, False)
    # A search by a key is counted, the access rule applied to its few matches.
    keyed = search(call, q="王", per_page=1).json
    assert (keyed["total"], keyed["total_exact"], len(keyed["items"])) == (2, True, 1)


def test_cases_started_before_the_search_get_their_keys(call, engine, cases, cli):
    with engine.write() as session:
        session.execute(
            update(Case).values(
                applicant_name=None, applicant_name_key=None, applicant_id_digest=None, applicant_phone=None
            )
        )
    assert numbers(search(call, q="王")) == []
    result = cli("cases", "index-applicants")
    assert '"indexed": 5' in result.output
    assert numbers(search(call, q="王")) == [cases[1]["number"], cases[0]["number"]]
    assert numbers(search(call, q="F131104093")) == [cases[4]["number"]]  # from the reception form
    assert '"indexed": 0' in cli("cases", "index-applicants").output


def test_the_search_finds_only_the_cases_the_caller_reaches(call, cases):
    """A clerk of another group reaches no case of lane Clerk, until one is given to them as its
    officer: then they find that one (the case-access rule counts the officer)."""
    assert search(call, user="records_clerk").json["total"] == 0
    assert search(call, user="auditor").json["total"] == 5
    change = {"officer": "records_clerk", "reason": "跨組支援"}
    assert call("PUT", f"/api/cases/{cases[0]['case_id']}/officer", user="supervisor", json=change).status == 200
    mine = search(call, user="records_clerk", officer="me")
    assert numbers(mine) == [cases[0]["number"]] and mine.json["total"] == 1
    assert call("GET", f"/api/cases/{cases[0]['case_id']}", user="records_clerk").status == 200
    assert call("GET", f"/api/cases/{cases[1]['case_id']}", user="records_clerk").status == 404


def test_a_name_is_found_by_its_beginning_on_the_index(call, engine, cases):
    """Wildcards are letters, and the name's beginning is looked up on its index, not by reading
    every case (SQLite's LIKE ignores case and cannot use it; the search asks for a range)."""
    assert numbers(search(call, name="%")) == [] and numbers(search(call, name="王_")) == []
    if engine.db.dialect.name != "sqlite":
        return
    from sqlalchemy import select, text

    from engine.storage import search as case_search

    with engine.read() as session:
        condition = case_search.name_starts_with("林美", "sqlite")
        query = select(Case.id).where(condition).compile(engine.db, compile_kwargs={"literal_binds": True})
        plan = " ".join(row[-1] for row in session.execute(text(f"EXPLAIN QUERY PLAN {query}")))
        assert [case.number for case in session.scalars(select(Case).where(condition))] == [cases[3]["number"]]
    assert (
        "USING INDEX ix_cases_applicant_name_key" in plan or "USING COVERING INDEX ix_cases_applicant_name_key" in plan
    )


def test_the_open_steps_of_a_page_are_read_on_the_cases_index(engine, cases):
    """Not on the index of every open task of the office (SQLite picked it when the query named
    the status)."""
    if engine.db.dialect.name != "sqlite":
        return
    from sqlalchemy import event

    from engine.storage import search as case_search

    seen = []

    def keep(_conn, _cursor, statement, parameters, _context, _many):
        seen.append((statement, parameters))

    ids = [case["case_id"] for case in cases]
    event.listen(engine.db, "before_cursor_execute", keep)
    try:
        with engine.read() as session:
            steps = case_search.open_steps(session, ids)
            statement, parameters = next(item for item in seen if "FROM tasks" in item[0])
            plan = " ".join(
                row[-1] for row in session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            )
    finally:
        event.remove(engine.db, "before_cursor_execute", keep)
    assert "ix_tasks_case" in plan
    assert all(task.status in ("ready", "claimed") for tasks in steps.values() for task in tasks)
    assert any(steps.values())
