"""Diagrams as the modelling tools designers use export them (tests/corpus/tools, one folder per
tool): each gets the verdict it deserves, for the reason it deserves; every executable one is
deployed and worked through (a case started, every user task claimed and completed by some group
of the office) until it ends or waits for a message or a timer; every draft that only has fixable
problems becomes executable through the fixes offered, and then runs too."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bootstrap import build_engine
from engine import commands as cmd
from engine.definitions import FIXABLE, apply_fixes, validate_bundle
from engine.storage import queries
from workflows import OFFICE_GROUPS

TOOLS = Path(__file__).resolve().parent.parent / "corpus" / "tools"
GROUPS = frozenset(OFFICE_GROUPS)

# file -> (verdict, the kinds of finding that block it: why it is not executable)
EXPECTED = {
    "adonis/adonis-event-definition-ref.bpmn": ("draft", {"definition-by-reference", "timer-unquoted"}),
    "adonis/adonis-model-reference.bpmn": ("executable", set()),
    "aris/aris-collaboration.bpmn": ("executable", set()),
    "aris/aris-roles-without-lanes.bpmn": ("draft", {"task-without-lane"}),
    "aris/aris-top-level-definitions.bpmn": ("executable", set()),
    "bizagi/bizagi-data-store.bpmn": ("executable", set()),
    "bizagi/bizagi-untyped-draft.bpmn": ("draft", {"process-draft"}),
    "bizagi/bizagi-vendor-ids.bpmn": ("executable", set()),
    "bonita/bonita-data-objects.bpmn": ("draft", {"data-object-not-written"}),
    "bonita/bonita-employee-lane.bpmn": ("draft", {"lane-without-group"}),
    "bonita/bonita-pool-lanes.bpmn": ("executable", set()),
    "bpmnio/bpmnio-demo-untyped-draft.bpmn": ("draft", {"process-draft", "task-without-lane"}),
    "bpmnio/bpmnio-implicit-split.bpmn": ("draft", {"implicit-split"}),
    "bpmnio/bpmnio-lanes-colors.bpmn": ("executable", set()),
    "camunda/camunda7-form-field-ids.bpmn": ("executable", set()),
    "camunda/camunda7-juel-conditions.bpmn": ("rejected", {"expression-invalid"}),
    "camunda/camunda8-zeebe-no-lanes.bpmn": ("draft", {"task-without-lane"}),
    "cardanit/cardanit-parallel.bpmn": ("executable", set()),
    "cardanit/cardanit-unquoted-timer.bpmn": ("draft", {"timer-unquoted"}),
    "ea/ea-collaboration.bpmn": ("executable", set()),
    "ea/ea-data-store-definition.bpmn": ("executable", set()),
    "ea/ea-laneless-draft.bpmn": ("draft", {"process-draft", "task-without-lane"}),
    "igrafx/igrafx-subprocess-no-lanes.bpmn": ("draft", {"task-without-lane"}),
    "igrafx/igrafx-unknown-role.bpmn": ("draft", {"lane-without-group"}),
    "igrafx/igrafx-untyped-in-lanes.bpmn": ("executable", set()),
    "signavio/signavio-executable-data-store.bpmn": ("executable", set()),
    "signavio/signavio-two-pools-draft.bpmn": (
        "draft",
        {"process-draft", "main-process-ambiguous", "task-without-lane"},
    ),
    "signavio/signavio-untyped-in-lane.bpmn": ("executable", set()),
    "trisotech/trisotech-semantic-prefix.bpmn": ("executable", set()),
    "trisotech/trisotech-three-pools-message.bpmn": ("executable", set()),
    "visual-paradigm/vp-conditional-flows-from-task.bpmn": ("draft", {"implicit-split-conditional"}),
    "visual-paradigm/vp-data-store-annotation.bpmn": ("executable", set()),
}
# The drafts the offered fixes make executable: file -> (fixes, lane, process)
FIXED = {
    "adonis/adonis-event-definition-ref.bpmn": None,  # eventDefinitionRef: redraw the event (no fix)
    "aris/aris-roles-without-lanes.bpmn": (["assign-lane"], "Clerk", None),
    "bizagi/bizagi-untyped-draft.bpmn": (["make-executable"], None, "moving_in_bizagi"),
    "bpmnio/bpmnio-demo-untyped-draft.bpmn": (["make-executable", "assign-lane"], "Clerk", "Process_1"),
    "bpmnio/bpmnio-implicit-split.bpmn": (["implicit-splits"], None, None),
    "camunda/camunda8-zeebe-no-lanes.bpmn": (["assign-lane"], "Clerk", None),
    "cardanit/cardanit-unquoted-timer.bpmn": (["quote-timers"], None, None),
    "ea/ea-laneless-draft.bpmn": (
        ["make-executable", "assign-lane"],
        "Supervisor",
        "EAPK_FCBBDED4_3BD2_0F67_5B2B_1B37F3D8F09B",
    ),
    "igrafx/igrafx-subprocess-no-lanes.bpmn": (["assign-lane"], "Clerk", None),
}
# What each tool's files come out as (the summary the issue asked for).
BY_TOOL = {
    "adonis": {"executable": 1, "draft": 1},
    "aris": {"executable": 2, "draft": 1},
    "bizagi": {"executable": 2, "draft": 1},
    "bonita": {"executable": 1, "draft": 2},
    "bpmnio": {"executable": 1, "draft": 2},
    "camunda": {"executable": 1, "draft": 1, "rejected": 1},
    "cardanit": {"executable": 1, "draft": 1},
    "ea": {"executable": 2, "draft": 1},
    "igrafx": {"executable": 1, "draft": 2},
    "signavio": {"executable": 2, "draft": 1},
    "trisotech": {"executable": 2},
    "visual-paradigm": {"executable": 1, "draft": 1},
}


def _files(name: str) -> dict[str, bytes]:
    return {Path(name).name: (TOOLS / name).read_bytes()}


def _validate(files: dict[str, bytes], **options):
    return validate_bundle(files, operators=set(), groups=GROUPS, **options)


def test_every_tool_file_has_an_expectation():
    assert sorted(str(path.relative_to(TOOLS)) for path in TOOLS.rglob("*.bpmn")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_file_gets_its_verdict_for_its_reason(name):
    verdict, reasons = EXPECTED[name]
    bundle = _validate(_files(name))
    assert bundle.verdict == verdict, [(f.kind, f.element_id, f.message) for f in bundle.findings]
    assert {f.kind for f in bundle.findings if f.blocking} == reasons
    # every blocking finding names its element, or says it is about the file or the bundle
    assert all(f.element_id or f.scope in ("file", "bundle") for f in bundle.findings)


def test_the_verdicts_by_tool():
    counts: dict[str, Counter] = {}
    for name, (verdict, _reasons) in EXPECTED.items():
        counts.setdefault(name.split("/")[0], Counter())[verdict] += 1
    assert {tool: dict(counter) for tool, counter in counts.items()} == BY_TOOL


# --------------------------------------------------------------------------------------
# Working the executable ones
# --------------------------------------------------------------------------------------


def work_through(engine, key: str) -> dict:
    """Start a case and let some group of the office claim and complete every task it reaches,
    until the case ends or waits for something else (a message, a timer). Returns its state."""
    case_id = engine.handle(cmd.StartCase(key, actor="clerk")).case_id
    for _ in range(50):
        with engine.read() as session:
            ready = [task for task in queries.case_tasks(session, case_id) if task.status == "ready"]
        if not ready:
            break
        task = ready[0]
        assert task.lane in GROUPS, f"{task.element_id} is in lane {task.lane!r}, which no group works"
        lanes = frozenset({task.lane})
        engine.handle(cmd.ClaimTask(task.id, f"worker-{task.lane}", lanes=lanes))
        engine.handle(cmd.CompleteTask(task.id, f"worker-{task.lane}", {}, lanes=lanes))
    state = engine.case_state(case_id)
    assert state["completed"] or state["awaited_messages"] or state["next_timer_at"], state
    assert engine.verify_case(case_id).ok
    return state


@pytest.mark.parametrize("name", sorted(name for name, (verdict, _) in EXPECTED.items() if verdict == "executable"))
def test_every_executable_file_deploys_starts_and_is_worked_to_its_end(engine, name):
    deployed = engine.handle(cmd.DeployDefinition(_files(name), actor="designer"))
    assert not deployed.definition.draft
    assert deployed.rehearsal["started"] and deployed.rehearsal["claimable"], deployed.rehearsal
    state = work_through(engine, deployed.definition.process_key)
    if name == "trisotech/trisotech-three-pools-message.bpmn":
        assert state["awaited_messages"] == ["documents"]
    else:
        assert state["completed"], state


@pytest.mark.parametrize("name", sorted(name for name, fix in FIXED.items() if fix))
def test_drafts_become_executable_through_the_fixes_offered_and_run(engine, name):
    bundle = _validate(_files(name))
    offered = {offer.fix for offer in bundle.offers}
    fixes, lane, process = FIXED[name]
    assert set(fixes) == offered == {f.fix for f in bundle.findings if f.severity == FIXABLE}
    fixed = apply_fixes(_files(name), fixes, lane=lane, process=process)
    assert fixed.diffs and all(diff.startswith("---") for diff in fixed.diffs.values())
    assert _validate(fixed.files).verdict == "executable"
    deployed = engine.handle(cmd.DeployDefinition(fixed.files, actor="designer"))
    assert not deployed.definition.draft
    work_through(engine, deployed.definition.process_key)


def test_a_draft_with_no_automatic_fix_offers_none_for_what_needs_the_designer():
    bundle = _validate(_files("adonis/adonis-event-definition-ref.bpmn"))
    assert [offer.fix for offer in bundle.offers] == ["quote-timers"]
    [by_reference] = [f for f in bundle.findings if f.kind == "definition-by-reference"]
    assert (by_reference.element_id, by_reference.fix) == ("obj.203", None)


# --------------------------------------------------------------------------------------
# Tasks in no lane: the office's default group, when it has one
# --------------------------------------------------------------------------------------


@pytest.fixture
def office_with_default_group(settings, clock):
    engine = build_engine(settings.with_overrides(default_group="Clerk"), clock)
    yield engine
    engine.dispose()


def test_with_a_default_group_tasks_in_no_lane_are_worked_by_it(office_with_default_group):
    engine = office_with_default_group
    deployed = engine.handle(cmd.DeployDefinition(_files("camunda/camunda8-zeebe-no-lanes.bpmn"), actor="designer"))
    assert not deployed.definition.draft
    notes = [f for f in deployed.findings if f.kind == "task-default-group"]
    assert {f.element_id for f in notes} == {"Activity_check", "Activity_issue"}
    assert all("'Clerk' will work it" in f.message and "「Clerk」" in f.message_zh for f in notes)
    assert [task["groups"] for task in deployed.rehearsal["tasks"]] == [["Clerk"], ["Clerk"]]
    assert work_through(engine, "transcript_c8")["completed"]
