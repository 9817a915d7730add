"""Import fidelity: identity as BPMN defines it, inert top-level definitions, data stores, tasks
nobody could claim, drafts checked fully, and the words of every finding."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.definitions import KINDS, apply_fixes, lint_bundle, validate_bundle
from engine.definitions.kinds.base import PHRASE, placeholders

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
GROUPS = frozenset({"Clerk", "Supervisor"})
HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
    'xmlns:vendor="http://vendor.example/bpmn" id="defs" targetNamespace="x">\n'
)
LANES = (
    '<bpmn:laneSet id="lanes"><bpmn:lane id="lane_clerk" name="Clerk">'
    "<bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>review</bpmn:flowNodeRef>"
    "<bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>"
)


def process(body: str, *, executable: str = "true", lanes: str = LANES, top: str = "", after: str = "") -> bytes:
    return (
        HEAD + top + f'<bpmn:process id="case" name="Case" isExecutable="{executable}">{lanes}'
        '<bpmn:startEvent id="start"/>' + body + '<bpmn:endEvent id="end"/>'
        "</bpmn:process>" + after + "</bpmn:definitions>"
    ).encode()


REVIEW = (
    '<bpmn:userTask id="review" name="Review"/>'
    '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>'
    '<bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end"/>'
)


def check(content: bytes, **options):
    options.setdefault("groups", GROUPS)
    return validate_bundle({"case.bpmn": content}, operators=set(), **options)


def kinds(bundle) -> set[str]:
    return {finding.kind for finding in bundle.findings}


# ---------------------------------------------------------------- identity
def test_vendor_extensions_with_ids_never_clash_with_elements():
    body = REVIEW.replace(
        '<bpmn:userTask id="review" name="Review"/>',
        '<bpmn:userTask id="review" name="Review"><bpmn:extensionElements>'
        '<vendor:principal id="User"/><vendor:principal id="User"/><vendor:ref id="case"/><vendor:ref id="review"/>'
        "</bpmn:extensionElements></bpmn:userTask>",
    )
    bundle = check(process(body, top='<vendor:settings id="start"/>'))
    assert bundle.verdict == "executable", bundle.findings
    assert "duplicate-id" not in kinds(bundle)
    [note] = [f for f in bundle.findings if f.kind == "vendor-extensions"]
    # first used at the top of the file: the note names the definitions, never the vendor element
    assert (note.severity, note.element_id, note.element_type) == ("note", "defs", "definitions")


@pytest.mark.parametrize(
    "twice",
    [
        '<bpmn:userTask id="review" name="Again"/>',  # two semantic elements
        '<bpmndi:BPMNDiagram id="review"/>',  # a diagram element and a semantic one
    ],
)
def test_ids_of_bpmn_and_diagram_elements_still_clash(twice):
    bundle = check(process(REVIEW + twice) if "userTask" in twice else process(REVIEW, after=twice))
    [duplicate] = [f for f in bundle.findings if f.kind == "duplicate-id"]
    assert duplicate.element_id == "review" and duplicate.severity == "error"


# ---------------------------------------------------------------- top-level definitions
def test_an_unused_top_level_timer_definition_is_ignored_with_a_note():
    bundle = check(process(REVIEW, top='<bpmn:timerEventDefinition id="unused_timer"/>'))
    assert bundle.verdict == "executable", bundle.findings
    [note] = [f for f in bundle.findings if f.kind == "definition-unused"]
    assert (note.severity, note.element_id, note.element_type) == ("note", "unused_timer", "timerEventDefinition")


def test_an_event_pointing_at_a_top_level_definition_names_the_event():
    body = (
        '<bpmn:intermediateCatchEvent id="wait" name="Wait"><bpmn:eventDefinitionRef>later</bpmn:eventDefinitionRef>'
        '</bpmn:intermediateCatchEvent><bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="wait"/>'
        '<bpmn:sequenceFlow id="f3" sourceRef="wait" targetRef="end"/>'
    )
    top = (
        '<bpmn:timerEventDefinition id="later"><bpmn:timeDuration>"P1D"</bpmn:timeDuration></bpmn:timerEventDefinition>'
    )
    bundle = check(process(body, lanes="", top=top))
    [finding] = [f for f in bundle.findings if f.kind == "definition-by-reference"]
    assert (finding.element_id, finding.severity) == ("wait", "error")
    assert bundle.verdict == "draft"  # sound BPMN the engine does not run as drawn


# ---------------------------------------------------------------- data stores
def test_a_data_store_with_a_name_over_several_lines_is_a_note_naming_it():
    body = REVIEW.replace(
        '<bpmn:userTask id="review" name="Review"/>',
        '<bpmn:userTask id="review" name="Review"><bpmn:dataInputAssociation id="in">'
        "<bpmn:sourceRef>store</bpmn:sourceRef></bpmn:dataInputAssociation></bpmn:userTask>",
    )
    store = '<bpmn:dataStoreReference id="store" name="Household&#10;  registry"/>'
    bundle = check(process(body + store))
    assert bundle.verdict == "executable", bundle.findings
    [note] = [f for f in bundle.findings if f.kind == "data-store"]
    assert (note.severity, note.element_id, note.element_type, note.element_name) == (
        "note",
        "store",
        "dataStoreReference",
        "Household registry",
    )
    assert '("Household registry")' in note.message and "「Household registry」" in note.message_zh


# ---------------------------------------------------------------- who works a task
@pytest.mark.parametrize("tag", ["userTask", "manualTask", "task"])
def test_a_worked_task_in_no_lane_blocks_with_a_fix(tag):
    bundle = check(process(REVIEW.replace("userTask", tag), lanes=""))
    [finding] = [f for f in bundle.findings if f.kind == "task-without-lane"]
    assert (finding.element_id, finding.severity, finding.fix) == ("review", "fixable", "assign-lane")
    assert bundle.verdict == "draft" and not bundle.ok
    [offer] = bundle.offers
    assert offer.fix == "assign-lane" and [c["value"] for c in offer.choices] == ["Clerk", "Supervisor"]


def test_the_lane_fix_adds_the_chosen_lane_and_the_diff_shows_it():
    files = {"case.bpmn": process(REVIEW, lanes="")}
    fixed = apply_fixes(files, ["assign-lane"], lane="Supervisor")
    assert check(fixed.files["case.bpmn"]).verdict == "executable"
    added = [
        line for line in fixed.diffs["case.bpmn"].splitlines() if line.startswith("+") and not line.startswith("+++")
    ]
    assert any(
        '<bpmn:laneSet id="case_lanes"><bpmn:lane id="lane_supervisor" name="Supervisor">'
        "<bpmn:flowNodeRef>review</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>" in line
        for line in added
    )
    assert [r.element_id for r in fixed.rewrites] == ["case", "review"]


def test_with_a_default_group_a_task_in_no_lane_is_a_note_saying_who_works_it():
    bundle = check(process(REVIEW, lanes=""), default_group="Clerk")
    [note] = [f for f in bundle.findings if f.kind == "task-default-group"]
    assert note.severity == "note" and "'Clerk'" in note.message
    assert bundle.verdict == "executable"
    assert bundle.parser.get_spec("case").task_specs["review"].lane == "Clerk"  # the runtime's lane


def test_a_lane_no_group_works_blocks_and_names_the_groups():
    bundle = check(process(REVIEW, lanes=LANES.replace('name="Clerk"', 'name="Archivist"')))
    [finding] = [f for f in bundle.findings if f.kind == "lane-without-group"]
    assert finding.element_id == "review" and "Archivist" in finding.message and "Clerk, Supervisor" in finding.message
    assert bundle.verdict == "draft"
    assert check(process(REVIEW, lanes=LANES.replace('name="Clerk"', 'name="Archivist"')), groups=None).ok


def test_lanes_are_read_as_drawn_despite_line_breaks_and_padding():
    lanes = LANES.replace('name="Clerk"', 'name="&#10;Clerk&#10;"').replace(
        "<bpmn:flowNodeRef>review</bpmn:flowNodeRef>", "<bpmn:flowNodeRef>\n   review\n</bpmn:flowNodeRef>"
    )
    assert check(process(REVIEW, lanes=lanes)).ok


# ---------------------------------------------------------------- the rehearsal of a case start
def test_the_rehearsal_starts_a_case_and_says_who_claims_each_task(engine):
    bundle = engine.check_upload({"case.bpmn": process(REVIEW)})
    assert bundle.verdict == "executable"
    rehearsal = bundle.rehearsal.as_dict()
    assert (rehearsal["started"], rehearsal["completed"], rehearsal["claimable"]) == (True, False, True)
    assert rehearsal["waiting"] == [{"element_id": "review", "name": "Review", "lane": "Clerk", "groups": ["Clerk"]}]


def test_a_start_that_fails_without_data_is_a_warning_naming_the_element(engine):
    body = REVIEW.replace('sourceRef="start" targetRef="review"', 'sourceRef="start" targetRef="fee"') + (
        '<bpmn:scriptTask id="fee" name="Fee"><bpmn:script>fee = documents * 20</bpmn:script></bpmn:scriptTask>'
        '<bpmn:sequenceFlow id="f0" sourceRef="fee" targetRef="review"/>'
    )
    bundle = engine.check_upload({"case.bpmn": process(body)})
    assert bundle.verdict == "executable"  # cases started with the data the script needs are fine
    [warning] = [f for f in bundle.findings if f.kind == "start-fails"]
    assert (warning.severity, warning.element_id, warning.element_type) == ("warning", "fee", "scriptTask")
    assert bundle.rehearsal.stopped == {"element_id": "fee"} and not bundle.rehearsal.started


# ---------------------------------------------------------------- drafts checked fully
def test_a_draft_is_checked_fully_and_says_what_would_block_it():
    body = REVIEW.replace('targetRef="end"', 'targetRef="compute"') + (
        '<bpmn:scriptTask id="compute" name="Compute"><bpmn:script>x = (</bpmn:script></bpmn:scriptTask>'
        '<bpmn:sequenceFlow id="f3" sourceRef="compute" targetRef="end"/>'
    )
    bundle = check(process(body, executable="false"))
    assert bundle.verdict == "draft"  # the designer's draft stays a draft...
    assert {"process-draft", "script-invalid"} <= kinds(bundle)  # ...and shows what would block it
    [offer] = bundle.offers
    assert (offer.fix, [c["value"] for c in offer.choices]) == ("make-executable", ["case"])


def test_all_errors_are_shown_before_the_split_rewrite_is_offered():
    """Behind an implicit split the rest of the process is checked too: accepting the rewrite
    brings no surprise."""
    body = (
        '<bpmn:userTask id="review" name="Review"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>'
        '<bpmn:scriptTask id="a" name="A"><bpmn:script>x = (</bpmn:script></bpmn:scriptTask>'
        '<bpmn:scriptTask id="b" name="B"><bpmn:script>y = 1</bpmn:script></bpmn:scriptTask>'
        '<bpmn:sequenceFlow id="fa" sourceRef="review" targetRef="a"/><bpmn:sequenceFlow id="fb" sourceRef="review" targetRef="b"/>'
        '<bpmn:parallelGateway id="join"/><bpmn:sequenceFlow id="fja" sourceRef="a" targetRef="join"/>'
        '<bpmn:sequenceFlow id="fjb" sourceRef="b" targetRef="join"/><bpmn:sequenceFlow id="fe" sourceRef="join" targetRef="end"/>'
    )
    before = check(process(body))
    assert {"implicit-split", "script-invalid"} <= kinds(before)
    fixed = apply_fixes({"case.bpmn": process(body)}, ["implicit-splits"])
    after = check(fixed.files["case.bpmn"])
    assert {f.kind for f in after.findings if f.blocking} == {"script-invalid"}
    assert before.verdict == after.verdict == "rejected"  # the same verdict, for the same hidden-no-more reason


# ---------------------------------------------------------------- the words of every finding
def _corpus_bundles():
    for path in sorted(CORPUS.rglob("*.bpmn")):
        yield path.relative_to(CORPUS), {path.name: path.read_bytes()}
    for folder in sorted(p for p in (CORPUS / "bad_bpmn").iterdir() if p.is_dir()):
        yield folder.relative_to(CORPUS), {child.name: child.read_bytes() for child in folder.iterdir()}
    yield Path("good"), {child.name: child.read_bytes() for child in (CORPUS / "good").iterdir()}


RAW = re.compile(r"0x[0-9a-f]{4,}|<Element|Traceback|Error\(|Exception\(", re.IGNORECASE)
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_no_raw_library_text_reaches_the_designer_in_any_language():
    seen = 0
    for name, files in _corpus_bundles():
        bundle = validate_bundle(files, operators={"registry/lookup"}, groups=GROUPS)
        for finding in [*bundle.findings, *lint_bundle(files)]:
            seen += 1
            for text in (finding.message, finding.message_zh):
                assert not RAW.search(text), (name, finding.kind, text)
                assert not any(f"{{{p}}}" in text for p in placeholders(KINDS[finding.kind].en)), text
            assert CJK.search(finding.message_zh), (name, finding.kind, finding.message_zh)
            assert finding.kind in KINDS
            if finding.element_id:  # names the element: id, type (and its name in the words)
                assert finding.element_type and finding.scope == "element"
            else:  # or says it is about a whole file, or the whole bundle
                assert finding.scope == ("file" if finding.file else "bundle")
    assert seen > 150


def test_every_kind_has_a_policy_and_the_same_placeholders_in_both_languages():
    for code, kind in KINDS.items():
        assert kind.severity in ("error", "fixable", "warning", "note", PHRASE), code
        assert placeholders(kind.en) == placeholders(kind.zh), code
        assert kind.en.strip() and CJK.search(kind.zh) or kind.severity == PHRASE, code
