"""Lists page from their indexes: ``after`` continues a list where its page ended (as cheap on
the hundredth page as on the first), ``total`` counts up to a cap and says when it is exact."""

from __future__ import annotations

import pytest

from engine import commands as cmd
from engine.storage import queries
from engine.storage import search as case_search


def start_cases(engine, clock, count: int) -> list[str]:
    """Cases received a minute apart, each waiting at its first task (in the Clerk lane)."""
    started = []
    for _ in range(count):
        started.append(engine.handle(cmd.StartCase("household_transcript", {}, actor="clerk")).case_id)
        clock.advance(minutes=1)
    return started


def walk(call, path: str, user: str, per_page: int, **query) -> tuple[list[dict], list[dict]]:
    """Every page of a list by its ``next`` cursor: (items, pages)."""
    items, pages, after = [], [], None
    while True:
        page = call(
            "GET", path, user=user, query={**query, "per_page": per_page, **({"after": after} if after else {})}
        )
        assert page.status == 200, page
        pages.append(page.json)
        items += page.json["items"]
        after = page.json["next"]
        if after is None:
            return items, pages


def test_the_inbox_pages_by_cursor_in_its_order(call, engine, transcript, clock):
    start_cases(engine, clock, 7)
    whole = call("GET", "/api/tasks", user="clerk", query={"per_page": 50}).json
    assert (whole["total"], whole["total_exact"], whole["next"]) == (7, True, None)
    items, pages = walk(call, "/api/tasks", "clerk", 3)
    assert [item["id"] for item in items] == [item["id"] for item in whole["items"]]
    assert [len(page["items"]) for page in pages] == [3, 3, 1]
    assert all(page["total"] == 7 for page in pages)
    # The order is the inbox's: soonest due first (the cases' due dates: oldest case first).
    assert [item["case_due_at"] for item in items] == sorted(item["case_due_at"] for item in items)


def test_the_case_list_pages_by_cursor_newest_first(call, engine, transcript, clock):
    started = start_cases(engine, clock, 5)
    items, pages = walk(call, "/api/cases", "auditor", 2)
    assert [item["id"] for item in items] == started[::-1]
    assert [len(page["items"]) for page in pages] == [2, 2, 1] and pages[0]["total"] == 5
    numbered = call("GET", "/api/cases", user="auditor", query={"per_page": 2, "page": 2}).json
    assert [item["id"] for item in numbered["items"]] == started[::-1][2:4]


def test_a_clerk_s_case_list_says_more_instead_of_counting_every_case(call, engine, transcript, clock):
    started = start_cases(engine, clock, 3)
    first = call("GET", "/api/cases", user="clerk", query={"per_page": 2}).json
    assert [item["id"] for item in first["items"]] == started[::-1][:2]
    assert (first["total"], first["total_exact"]) == (3, False)  # at least three
    last = call("GET", "/api/cases", user="clerk", query={"per_page": 2, "after": first["next"]}).json
    assert ([item["id"] for item in last["items"]], last["next"]) == ([started[0]], None)
    assert (last["total"], last["total_exact"]) == (1, True)  # all there is from here


def test_a_count_stops_at_its_cap(engine, transcript, clock, monkeypatch):
    start_cases(engine, clock, 4)
    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    with engine.read() as session:
        page = queries.list_tasks(session, queries.TaskFilter(limit=2))
        cases = case_search.search_cases(session, case_search.CaseSearch(limit=2), None)
    assert (page.total, page.total_exact, len(page.rows)) == (3, False, 2)
    assert (cases.total, cases.total_exact, len(cases.rows)) == (3, False, 2)


@pytest.mark.parametrize("cursor", ["not a cursor", "WyJAMjAyNi0wMy0wMiJd", "e30"])
def test_a_cursor_the_api_did_not_give_is_refused_by_name(call, engine, transcript, clock, cursor):
    start_cases(engine, clock, 1)
    for path in ("/api/tasks", "/api/cases"):
        answer = call("GET", path, user="auditor", query={"after": cursor})
        assert answer.status == 422 and "after" in answer.body.decode(), answer
