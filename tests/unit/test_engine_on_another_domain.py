"""The engine on a domain it was not built for: everything it does for a procedure comes from
the registries a pack fills in, so a library's reader cards run as well as household cases."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from engine import CaseEngine, DefinitionInvalid, InvalidInput, NotFound, ServiceFailure, files_from_folder
from engine import commands as cmd
from engine.storage import Notification, queries

from .library_pack import BPMN, MemberRegistry, registries

DESK, HEAD = frozenset({"Desk"}), frozenset({"Head"})
ROOT = Path(__file__).resolve().parents[2]


def open_tasks(engine, case_id):
    with engine.read() as session:
        return {t.element_id: t for t in queries.case_tasks(session, case_id) if t.status in ("ready", "claimed")}


def event_types(engine, case_id):
    with engine.read() as session:
        return [e.type for e in queries.case_events(session, case_id)]


def start(engine, reader="r-17"):
    return engine.handle(cmd.StartCase("library_card", {"reader": reader}, actor="desk-1")).case_id


def test_a_card_runs_through_the_packs_functions_operators_and_formats(library, registry):
    case_id = start(library)
    data = library.case_state(case_id)["data"]
    assert (data["card_code"], data["branch"]) == ("LC-R-17", {"branch": "north", "code": "LC-R-17"})
    assert open_tasks(library, case_id) == {}  # waiting for the registry: a worker asks it
    library.run_due_jobs()
    assert registry.calls == ["r-17"]
    issue = open_tasks(library, case_id)["issue_card"]
    assert issue.lane == "Desk"
    with pytest.raises(InvalidInput) as refused:
        library.handle(cmd.CompleteTask(issue.id, "desk-1", {"card_number": "79927398710"}, lanes=DESK))
    assert [error["field"] for error in refused.value.details["errors"]] == ["card_number"]
    library.handle(cmd.CompleteTask(issue.id, "desk-1", {"card_number": "79927398713"}, lanes=DESK))
    assert library.case_state(case_id)["completed"] is True
    assert event_types(library, case_id).count("service_result_recorded") == 2  # lookup, then the registry
    assert library.verify_case(case_id).ok


def test_a_registry_that_cannot_answer_leads_to_the_check_by_hand(library, registry):
    registry.failure = ServiceFailure("registry_down", "no answer", retryable=False)
    case_id = start(library)
    library.run_due_jobs()
    assert set(open_tasks(library, case_id)) == {"check_by_hand"}
    assert library.case_state(case_id)["data"]["registry_failure"]["code"] == "registry_down"
    assert library.verify_case(case_id).ok


def test_lanes_decide_who_works_a_task(library, registry):
    case_id = start(library)
    library.run_due_jobs()
    issue = open_tasks(library, case_id)["issue_card"]
    with pytest.raises(NotFound):  # no work of the head's lane in this case: not theirs to see
        library.handle(cmd.ClaimTask(issue.id, "head-1", lanes=HEAD))
    library.handle(cmd.ClaimTask(issue.id, "desk-1", lanes=DESK))


def test_the_packs_catalogue_sets_the_due_date_and_a_breach_asks_the_packs_policy(library, clock):
    case_id = start(library)
    library.run_due_jobs()
    received = clock.now()
    with library.read() as session:
        assert queries.get_case(session, case_id).due_at == received + timedelta(days=2)
    clock.advance(days=2, seconds=1)
    assert library.handle(cmd.FireDueTimers(case_id, actor="scheduler")) is not None
    assert set(open_tasks(library, case_id)) == {"issue_card", "explain_delay"}
    assert open_tasks(library, case_id)["explain_delay"].lane == "Head"
    with library.read() as session:
        sent = [(n.recipient, n.kind) for n in session.query(Notification).filter_by(case_id=case_id)]
    assert sent == [("head@library.example", "sla_breach")]
    assert library.verify_case(case_id).ok


def test_a_diagram_naming_an_operator_the_pack_lacks_is_refused(database_url, clock):
    bare = CaseEngine(database_url, clock=clock, **registries(MemberRegistry(), with_registry_operator=False))
    try:
        with pytest.raises(DefinitionInvalid) as refused:
            bare.handle(cmd.DeployDefinition(files_from_folder(BPMN), actor="designer"))
        assert "check_member" in {finding["element_id"] for finding in refused.value.details["findings"]}
    finally:
        bare.dispose()


RUN_WITHOUT_THE_PACK = """
import json, sys
sys.path.insert(0, {root!r})
from engine import CaseEngine, files_from_folder, commands as cmd
from engine.storage import upgrade
from tests.unit.library_pack import BPMN, MemberRegistry, registries
url = "sqlite:///" + {db!r}
upgrade(url)
engine = CaseEngine(url, **registries(MemberRegistry()))
engine.handle(cmd.DeployDefinition(files_from_folder(BPMN)))
case_id = engine.handle(cmd.StartCase("library_card", {{"reader": "r-17"}})).case_id
engine.run_due_jobs()
loaded = sorted(name for name in sys.modules if name.split(".")[0] in ("workflows", "api", "workers", "bootstrap", "flask"))
print(json.dumps({{"verified": engine.verify_case(case_id).ok, "loaded": loaded}}))
"""


def test_the_engine_runs_with_no_household_pack_loaded(tmp_path):
    script = RUN_WITHOUT_THE_PACK.format(root=str(ROOT), db=str(tmp_path / "library.db"))
    answer = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert answer.returncode == 0, answer.stderr
    assert json.loads(answer.stdout.splitlines()[-1]) == {"verified": True, "loaded": []}
