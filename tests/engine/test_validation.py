"""Tests for engine.validation: every bad file becomes a finding, nothing raises, all is fast.

The corpus of bad files lives in tests/corpus/bad_bpmn: a file there is a one-file bundle, a
folder is a bundle of its files. EXPECTED below says what each entry must produce.
tests/corpus/good holds a valid bundle (lanes, a form, scripts, timers, a service operator,
a DMN decision and a call activity).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine import ERROR, FIXABLE, NOTE, WARNING, Finding
from engine.definitions import KINDS, ValidatedBundle, validate_bundle, validation
from engine.definitions.timer_checks import timer_problems

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
BAD = CORPUS / "bad_bpmn"
GOOD = CORPUS / "good"
EXAMPLES = Path("/work/shared/examples")

OPERATORS = {"registry/lookup"}
SCRIPT_FUNCTIONS = {"business_days"}


def load_bundle(path: Path) -> dict[str, bytes]:
    """A corpus entry as the upload would hand it over: file name -> raw bytes."""
    if path.is_dir():
        return {child.name: child.read_bytes() for child in sorted(path.iterdir())}
    return {path.name: path.read_bytes()}


def validate(files: dict[str, bytes], **kwargs) -> ValidatedBundle:
    """validate_bundle with the test registries. (Hostile input is refused by what the findings
    say: entities never expanded, sizes and depths over the limits; speed is bench/'s matter.)"""
    kwargs.setdefault("operators", OPERATORS)
    kwargs.setdefault("script_functions", SCRIPT_FUNCTIONS)
    bundle = validate_bundle(files, **kwargs)
    assert all(isinstance(finding, Finding) for finding in bundle.findings)
    return bundle


def show(findings: list[Finding]) -> str:
    return "\n".join(f"{f.severity} {f.element_type}:{f.element_id} [{f.file}:{f.line}] {f.message}" for f in findings)


def errors(bundle: ValidatedBundle) -> list[Finding]:
    return [finding for finding in bundle.findings if finding.severity == ERROR]


@dataclass(frozen=True)
class Expect:
    severity: str
    element_id: str | None  # None: a finding about a whole file, or about the whole bundle
    text: str  # part of the message (case-insensitive)
    ok: bool = False  # whether the bundle is still deployable
    # For findings without element: the file they name. By default the entry itself when it is
    # a file; None (a finding about the bundle) when it is a folder.
    file: str | None = None


EXPECTED = {
    # reading the file
    "malformed.bpmn": Expect(ERROR, None, "not well-formed XML (line 14"),
    "xxe.bpmn": Expect(ERROR, None, "DOCTYPE and entity declarations are not allowed"),
    "billion_laughs.bpmn": Expect(ERROR, None, "DOCTYPE and entity declarations are not allowed"),
    "empty.bpmn": Expect(ERROR, None, "the file is empty"),
    "binary.bpmn": Expect(ERROR, None, "binary file"),
    "not_utf8.bpmn": Expect(ERROR, None, "save the file as UTF-8"),
    "not_bpmn.bpmn": Expect(ERROR, None, "not a BPMN 2.0 file"),
    "utf16_le_bom.bpmn": Expect(NOTE, None, "converted from UTF-16", ok=True),
    "utf16_be_no_bom.bpmn": Expect(NOTE, None, "converted from UTF-16", ok=True),
    "utf8_bom.bpmn": Expect(NOTE, None, "byte order mark", ok=True),
    "big5_declared.bpmn": Expect(NOTE, None, "converted from Big5", ok=True),
    # what the SpiffWorkflow parser rejects, in plain words
    "complex_gateway.bpmn": Expect(ERROR, "cg", "replace it with exclusive, inclusive or parallel"),
    "implicit_split.bpmn": Expect(FIXABLE, "review", "inserts the gateway after the task"),
    "service_without_operator.bpmn": Expect(ERROR, "lookup", "has no operator"),
    "flow_to_missing_target.bpmn": Expect(ERROR, "f_broken", "points to element 'archive' which does not exist"),
    "flow_without_condition.bpmn": Expect(ERROR, "f_no", "without a condition"),
    "not_executable.bpmn": Expect(FIXABLE, "draft_case", "draft"),
    "no_start_event.bpmn": Expect(ERROR, "case", "no start event"),
    "undefined_message.bpmn": Expect(ERROR, "docs_in", "message 'msg_missing', which is not defined"),
    "missing_call_target.bpmn": Expect(ERROR, "notify", "'notify_citizen', which is not in the bundle"),
    "missing_decision.bpmn": Expect(ERROR, "fee_rule", "decision 'fee_table', which is not in the bundle"),
    "duplicate_id.bpmn": Expect(ERROR, "review", "every id must be unique"),
    "two_main_processes": Expect(ERROR, None, "case_a, case_b"),  # about the bundle: no file
    # what the parser does not check
    "unregistered_operator.bpmn": Expect(ERROR, "lookup", "'registry/not_there', which is not registered"),
    "bad_service_parameter.bpmn": Expect(ERROR, "lookup", "parameter 'citizen_id'"),
    "bad_script.bpmn": Expect(ERROR, "compute_fee", "line 2"),
    "bad_prescript.bpmn": Expect(ERROR, "review", "pre-script"),
    "empty_script.bpmn": Expect(ERROR, "compute_fee", "has no script"),
    "bad_condition.bpmn": Expect(ERROR, "f_yes", "condition"),
    "timer_unquoted_duration.bpmn": Expect(FIXABLE, "wait_timer", 'written in double quotes: "P5D"'),
    "timer_invalid_duration.bpmn": Expect(ERROR, "wait_timer", '"P5X" is not a valid ISO 8601 duration'),
    "timer_naive_date.bpmn": Expect(WARNING, "wait_timer", "without a UTC offset", ok=True),
    "timer_date_is_duration.bpmn": Expect(ERROR, "wait_timer", "which is a duration"),
    "timer_invalid_cycle.bpmn": Expect(ERROR, "wait_timer", "not an ISO 8601 repetition"),
    "timer_unknown_function.bpmn": Expect(WARNING, "wait_timer", "business_dayz()", ok=True),
    "timer_empty.bpmn": Expect(ERROR, "wait_timer", "empty timeDuration"),
    "user_task_outside_lane.bpmn": Expect(FIXABLE, "approve", "is in no lane"),
    "missing_form.bpmn": Expect(
        ERROR, "review", "review-schema.json (formJsonSchemaFilename), which is not in the bundle"
    ),
    "invalid_form_schema": Expect(ERROR, "review", "not a valid JSON Schema"),
    "form_not_json": Expect(ERROR, "review", "not valid JSON"),
    "unconnected_task.bpmn": Expect(WARNING, "orphan", "never run", ok=True),
    "plain_task.bpmn": Expect(WARNING, "check_documents", "has no task type"),
    "timer_without_time.bpmn": Expect(ERROR, "wait_timer", "has no time set"),
    "boundary_without_event_type.bpmn": Expect(ERROR, "escalation", "has no event type"),
    "property_without_name.bpmn": Expect(ERROR, "review", "an extension property without a name"),
    "data_store.bpmn": Expect(NOTE, "registry_db", "carried along as documentation", ok=True),
    "duplicate_process": Expect(ERROR, "case", "two processes have the id 'case'"),
    "call_to_draft": Expect(ERROR, "notify", "not executable (a draft)"),
    "bad_dmn": Expect(ERROR, "rule_1_out", "'100 +'"),
    "empty_form_file": Expect(ERROR, "review", "cannot be read"),
    "unreferenced_form": Expect(WARNING, None, "No user task uses this form", ok=True, file="old-form.json"),
}


def test_every_corpus_entry_has_an_expectation():
    assert sorted(path.name for path in BAD.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("entry", sorted(EXPECTED))
def test_bad_corpus(entry):
    expect = EXPECTED[entry]
    bundle = validate(load_bundle(BAD / entry))
    # A whole-file finding names the entry itself unless told otherwise.
    file = expect.file or (entry if not (BAD / entry).is_dir() else None)
    matching = [
        finding
        for finding in bundle.findings
        if finding.severity == expect.severity
        and finding.element_id == expect.element_id
        and expect.text.lower() in finding.message.lower()
        and (expect.element_id is not None or finding.file == file)
    ]
    assert matching, show(bundle.findings)
    assert bundle.ok is expect.ok, show(bundle.findings)


@pytest.mark.parametrize("entry", sorted(EXPECTED))
def test_findings_about_elements_say_where_they_are(entry):
    for finding in validate(load_bundle(BAD / entry)).findings:
        if finding.element_id is not None:
            assert finding.element_type and ":" not in finding.element_type  # no namespace prefix
            assert finding.file is not None
            assert finding.element_id in finding.message or finding.element_type == "process"


# --------------------------------------------------------------------------------------
# Generated hostile input
# --------------------------------------------------------------------------------------

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions '
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="x">'
    '<bpmn:process id="case" isExecutable="true"><bpmn:startEvent id="start"/>'
)
TAIL = "</bpmn:process></bpmn:definitions>"


def test_huge_file_is_refused_before_parsing():
    data = (HEAD + "<!--" + "x" * (5 * 1024 * 1024) + "-->" + TAIL).encode()
    bundle = validate({"huge.bpmn": data})
    assert any("the limit is" in f.message and f.file == "huge.bpmn" for f in errors(bundle))


def test_deeply_nested_xml_is_refused():
    data = (HEAD + "<a>" * 100_000 + "</a>" * 100_000 + TAIL).encode()
    bundle = validate({"deep.bpmn": data})
    assert any("nested more than 256 levels" in f.message for f in errors(bundle)), show(bundle.findings)


def test_too_many_elements_are_refused():
    data = (HEAD + "".join(f'<bpmn:task id="t{i}"/>' for i in range(60_000)) + TAIL).encode()
    bundle = validate({"many.bpmn": data})
    assert any("limit of 50,000 XML elements" in f.message for f in errors(bundle))


def test_too_many_elements_in_the_whole_bundle_are_refused():
    one = HEAD + "".join(f'<bpmn:task id="t{i}"/>' for i in range(40_000)) + TAIL
    files = {f"p{n}.bpmn": one.replace('id="case"', f'id="case{n}"').encode() for n in range(3)}
    bundle = validate(files)
    assert any("in all the files of the bundle" in f.message and f.file == "p2.bpmn" for f in errors(bundle)), show(
        bundle.findings
    )


def test_the_amount_of_code_to_compile_is_bounded():
    # 100 distinct scripts of ~19,000 characters: far more code than a bundle needs.
    script = "x = [a + b * 2 for a in range(3)]\n" * 550
    tasks = "".join(
        f'<bpmn:scriptTask id="t{i}"><bpmn:script>{script}z = {i}</bpmn:script>'
        f'</bpmn:scriptTask><bpmn:sequenceFlow id="f{i}" sourceRef="start" targetRef="t{i}"/>'
        for i in range(100)
    )
    bundle = validate({"code.bpmn": (HEAD + tasks + TAIL).encode()})
    assert any("characters of scripts and expressions" in f.message for f in errors(bundle))


def test_oversized_bundle_is_refused():
    chunk = b" " * (4 * 1024 * 1024)
    bundle = validate({f"f{i}.json": chunk for i in range(6)})
    assert any("the limit is" in f.message for f in errors(bundle))


def test_too_long_chain_of_tasks_becomes_a_finding():
    # SpiffWorkflow parses the flow recursively; a very long chain exhausts Python's stack.
    tasks = "".join(
        f'<bpmn:scriptTask id="t{i}"><bpmn:script>x = {i}</bpmn:script></bpmn:scriptTask>' for i in range(3000)
    )
    flows = '<bpmn:sequenceFlow id="fs" sourceRef="start" targetRef="t0"/>' + "".join(
        f'<bpmn:sequenceFlow id="f{i}" sourceRef="t{i}" targetRef="t{i + 1}"/>' for i in range(2999)
    )
    bundle = validate({"chain.bpmn": (HEAD + tasks + flows + TAIL).encode()})
    assert any("too long for the engine" in f.message for f in errors(bundle)), show(bundle.findings)


@pytest.mark.parametrize(
    "script",
    [
        "x = " + "(" * 100_000 + ")" * 100_000,  # longer than the script limit
        "x = " + "-" * 50_000 + "1",  # nesting that makes the compiler give up
        "x = 1\x00",
    ],
)
def test_hostile_scripts_become_findings(script):
    from xml.sax.saxutils import escape

    body = (
        f'<bpmn:scriptTask id="t"><bpmn:script>{escape(script).replace(chr(0), "&#0;")}'
        '</bpmn:script></bpmn:scriptTask><bpmn:sequenceFlow id="f" sourceRef="start" targetRef="t"/>'
    )
    bundle = validate({"s.bpmn": (HEAD + body + TAIL).encode()})
    assert errors(bundle), show(bundle.findings)


def test_truncated_and_corrupted_files_never_raise():
    data = (GOOD / "case.bpmn").read_bytes()
    for end in range(0, len(data), max(1, len(data) // 60)):
        validate({"case.bpmn": data[:end]})
    rng = random.Random(1234)
    for _ in range(40):
        corrupted = bytearray(data)
        for _ in range(5):
            corrupted[rng.randrange(len(corrupted))] = rng.randrange(256)
        validate({"case.bpmn": bytes(corrupted)})


def test_odd_arguments_never_raise():
    bundle = validate({"a.bpmn": "<not xml", "notes.txt": b"hello", 5: b"<x/>"})  # type: ignore[dict-item]
    assert not bundle.ok
    assert any(f.severity == WARNING and "Ignored file" in f.message for f in bundle.findings)
    assert validate({}).ok is False


def test_an_unexpected_internal_error_becomes_an_error_finding(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(validation, "check_task_specs", broken)
    bundle = validate(load_bundle(GOOD))
    [finding] = [f for f in errors(bundle) if f.kind == "unexpected-error"]
    assert "checking the tasks" in finding.message and "檢查各項工作" in finding.message_zh
    assert "boom" not in finding.message + finding.message_zh  # the exception goes to the log only
    assert not bundle.ok


# --------------------------------------------------------------------------------------
# The good bundle
# --------------------------------------------------------------------------------------


def test_good_bundle_is_ok():
    bundle = validate(load_bundle(GOOD))
    assert bundle.ok, show(bundle.findings)
    assert not errors(bundle)
    assert bundle.main_process_id == "household_move"
    assert bundle.process_ids == ["household_move", "notify_citizen"]
    assert set(bundle.forms) == {"review-form.json"}
    assert bundle.forms["review-form.json"]["type"] == "object"
    assert set(bundle.normalized_files) == {"case.bpmn", "notify.bpmn", "fee.dmn", "review-form.json"}
    # The parser is ready for the runtime: the main spec and everything it calls.
    spec = bundle.parser.get_spec(bundle.main_process_id)
    assert "review" in spec.task_specs
    assert set(bundle.parser.get_subprocess_specs(bundle.main_process_id)) == {"notify_citizen"}


def test_good_bundle_with_an_unregistered_operator_is_refused():
    bundle = validate(load_bundle(GOOD), operators=set())
    assert [f.element_id for f in errors(bundle)] == ["lookup_record"]
    assert "No operators are registered" in errors(bundle)[0].message


def test_main_process_can_be_named():
    files = load_bundle(BAD / "two_main_processes")
    bundle = validate(files, main_process_id="case_b")
    assert bundle.ok and bundle.main_process_id == "case_b"
    bundle = validate(files, main_process_id="nope")
    assert not bundle.ok and any("'nope'" in f.message for f in errors(bundle))


def test_converted_files_are_stored_as_utf8():
    bundle = validate(load_bundle(BAD / "utf16_le_bom.bpmn"))
    stored = bundle.normalized_files["utf16_le_bom.bpmn"]
    assert stored.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert "戶籍登記".encode() in stored
    # Validating the stored bytes again needs no conversion and gives the same verdict.
    again = validate({"utf16_le_bom.bpmn": stored})
    assert again.ok and not [f for f in again.findings if f.severity == NOTE]


def test_a_cdata_doctype_inside_a_script_is_not_mistaken_for_a_dtd():
    body = (
        '<bpmn:scriptTask id="t"><bpmn:script><![CDATA[page = "<!DOCTYPE html><p>hi</p>"]]>'
        '</bpmn:script></bpmn:scriptTask><bpmn:endEvent id="e"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="t"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>'
    )
    assert validate({"c.bpmn": (HEAD + body + TAIL).encode()}).ok


# --------------------------------------------------------------------------------------
# The shared SpiffWorkflow examples (syntax references; some tasks have no lane)
# --------------------------------------------------------------------------------------

EXAMPLE_OPERATORS = {"registry/credit_score", "post/send_letter"}
EXAMPLE_LANE_ERRORS = {"messages.bpmn": set(), "sla.bpmn": set(), "services.bpmn": {"read_instructions"}}


def blocking(bundle: ValidatedBundle) -> list[Finding]:
    return [finding for finding in bundle.findings if finding.blocking]


@pytest.mark.parametrize("name", sorted(EXAMPLE_LANE_ERRORS))
def test_shared_examples_only_lack_lanes(name):
    path = EXAMPLES / name
    if not path.exists():
        pytest.skip(f"{path} not available")
    bundle = validate({name: path.read_bytes()}, operators=EXAMPLE_OPERATORS)
    assert {f.element_id for f in blocking(bundle)} == EXAMPLE_LANE_ERRORS[name], show(bundle.findings)
    assert all(f.kind == "task-without-lane" for f in blocking(bundle))
    assert bundle.main_process_id is not None


def test_shared_examples_together():
    if not EXAMPLES.is_dir():
        pytest.skip("shared examples not available")
    files = {path.name: path.read_bytes() for path in sorted(EXAMPLES.glob("*.bpmn"))}
    bundle = validate(files, operators=EXAMPLE_OPERATORS)
    assert bundle.main_process_id is None  # three processes, none called: ambiguous
    assert any("Cannot tell which process" in f.message for f in errors(bundle))
    bundle = validate(files, operators=EXAMPLE_OPERATORS, main_process_id="sla_case")
    assert bundle.main_process_id == "sla_case"
    assert {f.element_id for f in blocking(bundle)} == {"read_instructions"}


# --------------------------------------------------------------------------------------
# Timer expressions
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, body, severity",
    [
        ("timeDuration", '"P5D"', None),
        ("timeDuration", '"PT4H30M"', None),
        ("timeDuration", '"P2W"', None),
        ("timeDuration", 'f"P{days}D"', None),
        ("timeDuration", '\n   "P5D"\n  ', None),
        ("timeDuration", "P5D", FIXABLE),
        ("timeDuration", '"P5X"', ERROR),
        ("timeDuration", '"5D"', ERROR),
        ("timeDuration", '"P"', ERROR),
        ("timeDuration", '" P5D"', ERROR),
        ("timeDuration", '"P99999999999M"', ERROR),
        ("timeDuration", '"P99999999999999999999999D"', ERROR),
        ("timeDuration", "5", ERROR),
        ("timeDuration", "1 +", ERROR),
        ("timeDuration", "business_days(3)", None),
        ("timeDuration", "unknown_function(3)", WARNING),
        ("timeDate", '"2026-01-02T09:00:00+08:00"', None),
        ("timeDate", '"2026-01-02T01:00:00Z"', None),
        ("timeDate", '"2026-01-02T09:00:00"', WARNING),
        ("timeDate", '"2026-01-02"', WARNING),
        ("timeDate", '"2026-13-02T09:00:00+08:00"', ERROR),
        ("timeDate", "2026-01-02T09:00:00+08:00", FIXABLE),
        ("timeDate", '"P5D"', ERROR),
        ("timeCycle", '"R3/P2D"', None),
        ("timeCycle", '"R/P1D"', None),
        ("timeCycle", '"R3/2026-01-02T09:00:00+08:00/P1D"', None),
        ("timeCycle", '"R3/2026-01-02T09:00:00/P1D"', WARNING),
        ("timeCycle", "R3/P2D", FIXABLE),
        ("timeCycle", '"P2D"', ERROR),
        ("timeCycle", '"R3/P2X"', ERROR),
        ("timeCycle", '"R5/P999999Y"', ERROR),
        ("timeCycle", "", ERROR),
    ],
)
def test_timer_expressions(kind, body, severity):
    severities = [KINDS[problem].severity for problem, _ in timer_problems(kind, body, SCRIPT_FUNCTIONS)]
    worst = ERROR if ERROR in severities else (severities[0] if severities else None)
    assert worst == severity, severities


def test_two_service_tasks_may_call_the_same_operator_with_the_same_parameters():
    """A spiffworkflow extension's id names an operation or parameter, not an element: asking
    the same agency about two people is two tasks with the same operator and parameter ids."""
    files = load_bundle(GOOD)
    case = files["case.bpmn"].decode("utf-8")
    task_start = case.index('<bpmn:serviceTask id="lookup_record"')
    task_end = case.index("</bpmn:serviceTask>", task_start) + len("</bpmn:serviceTask>")
    second = case[task_start:task_end].replace('id="lookup_record"', 'id="lookup_second_record"')
    assert 'id="registry/lookup"' in second and 'id="citizen_id"' in second
    files["case.bpmn"] = case[:task_end].encode("utf-8") + second.encode("utf-8") + case[task_end:].encode("utf-8")
    findings = validate(files).findings
    assert not [f for f in findings if "Every id must be unique" in f.message], show(findings)
    # Real elements still may not share an id.
    assert any(
        "have the id 'lookup_record'" in f.message
        for f in validate(
            {
                "case.bpmn": files["case.bpmn"].replace(b"lookup_second_record", b"lookup_record"),
                **{k: v for k, v in files.items() if k != "case.bpmn"},
            }
        ).findings
    )


def test_names_longer_than_the_engine_stores_are_refused_naming_the_element():
    """SQLite would store them; PostgreSQL would refuse the first command. Deploy says so first."""
    folder = Path(__file__).resolve().parents[2] / "bpmn" / "household_transcript"
    files = load_bundle(folder)
    text = files["household_transcript.bpmn"].decode()
    text = text.replace(
        '<bpmn:userTask id="receive_application" name="受理申請 Receive application">',
        f'<bpmn:userTask id="receive_application" name="{"受理" * 200}">',
    )
    text = text.replace('<bpmn:lane id="lane_clerk" name="Clerk">', f'<bpmn:lane id="lane_clerk" name="{"C" * 201}">')
    long_key = "household_transcript_" + "x" * 190
    text = text.replace('<bpmn:process id="household_transcript"', f'<bpmn:process id="{long_key}"')
    files["household_transcript.bpmn"] = text.encode()
    files["f" * 300 + ".json"] = b"{}"
    bundle = validate(files)
    found = {(f.element_id, f.message.split(";")[0]) for f in errors(bundle) if "characters" in f.message}
    assert ("receive_application", "The name of element 'receive_application' has 400 characters") in found
    assert ("receive_application", "The lane of element 'receive_application' has 201 characters") in found
    assert (long_key, f"The process id '{long_key}' has 211 characters") in found
    assert any(f.file == "f" * 300 + ".json" and "Rename the file" in f.message for f in errors(bundle))
    assert not bundle.ok
