"""Helpers for ``engine.validation``: safe parsing of uploaded files (XML and JSON forms;
decoding is in ``engine.upload_encoding``), and the checks that read the BPMN XML directly (sequence flows, conditions,
timers, call activities, business rule tasks, unconnected elements).

Nothing here raises on bad input: problems are added to a ``Report`` as findings. The
orchestration (which file goes where, the SpiffWorkflow parser, the main process) lives in
``engine.validation``.
"""
from __future__ import annotations

import ast
import builtins
import json
import re
import textwrap
from datetime import datetime, timedelta
from typing import Callable, Iterable

from jsonschema.exceptions import SchemaError
from jsonschema.validators import validator_for
from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.definitions.encodings import UploadError, declare_utf8, decode_upload
from engine.definitions.findings import ERROR, INFO, WARNING, Finding

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NSMAP = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}

# Limits that keep validation bounded in time and memory whatever is uploaded.
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ELEMENTS_PER_FILE = 50_000
MAX_ELEMENTS_PER_BUNDLE = 100_000  # SpiffWorkflow parses ~50,000 elements a second
MAX_SCRIPT_CHARS = 20_000  # one script or expression
MAX_CODE_CHARS_PER_BUNDLE = 300_000  # the sandbox compiles ~300,000 characters a second
MAX_TIMER_DAYS = 100 * 366  # a timer further away than ~100 years is surely a mistake
MAX_DETAIL_CHARS = 300  # how much of an unexpected error message we quote


# --------------------------------------------------------------------------------------
# Collecting findings
# --------------------------------------------------------------------------------------

def local_name(tag: object) -> str:
    """``{namespace}userTask`` -> ``userTask`` (comments and PIs have no string tag)."""
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def describe(element: etree._Element) -> str:
    """How a message names an element: ``userTask 'assess' ("Assess application")``."""
    text = f"{local_name(element.tag)} '{element.get('id')}'"
    name = element.get("name")
    return f'{text} ("{name}")' if name else text


def shorten(text: object) -> str:
    """Quote an unexpected error message without flooding the report."""
    text = str(text)
    return text if len(text) <= MAX_DETAIL_CHARS else text[:MAX_DETAIL_CHARS] + "..."


class Report:
    """Collects the findings of one validation. It knows every element of the loaded BPMN and
    DMN files by id, so that a finding about an element id also gets the element's type, file
    and line; and it keeps the budgets that bound the work a hostile bundle can cause."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self._elements: dict[str, dict[str, etree._Element]] = {}  # file -> id -> element
        # Budgets that bound the time a hostile bundle can cost.
        self.elements_left = MAX_ELEMENTS_PER_BUNDLE
        self._code_chars_left = MAX_CODE_CHARS_PER_BUNDLE

    def add(self, severity: str, message: str, *, file: str | None = None,
            element_id: str | None = None, element_type: str | None = None,
            line: int | None = None) -> None:
        self.findings.append(Finding(element_id, element_type, severity, message, file, line))

    def add_for(self, severity: str, message: str, element: etree._Element, file: str | None) -> None:
        """A finding about an lxml element (id, type and line taken from it)."""
        self.add(severity, message, file=file, element_id=element.get("id"),
                 element_type=local_name(element.tag), line=element.sourceline)

    def add_for_id(self, severity: str, message: str, element_id: str | None, file: str | None,
                   element_type: str | None = None) -> None:
        """A finding about an element known only by id (e.g. from a parsed task spec)."""
        element = self.element(file, element_id)
        if element is not None:
            self.add(severity, message, file=file, element_id=element_id,
                     element_type=element_type or local_name(element.tag), line=element.sourceline)
        else:
            self.add(severity, message, file=file, element_id=element_id, element_type=element_type)

    def index_document(self, file: str, root: etree._Element) -> None:
        """Remember every element with an id; report ids used twice in one file."""
        by_id: dict[str, etree._Element] = {}
        for element in root.iter(tag=etree.Element):
            element_id = element.get("id")
            # A spiffworkflow extension's "id" names an operation or a parameter, not an element:
            # two service tasks may call the same operation with the same parameter names.
            if not element_id or etree.QName(element).namespace == SPIFF_NS:
                continue
            if element_id in by_id:
                self.add_for(ERROR, f"Two elements in this file have the id '{element_id}' "
                             f"({local_name(by_id[element_id].tag)} on line "
                             f"{by_id[element_id].sourceline} and {local_name(element.tag)}). "
                             "Every id must be unique: rename one of them.", element, file)
                continue
            by_id[element_id] = element
        self._elements[file] = by_id

    def element(self, file: str | None, element_id: str | None) -> etree._Element | None:
        """The element with this id, in ``file`` if given, else in any loaded file."""
        if not element_id:
            return None
        if file in self._elements:
            return self._elements[file].get(element_id)
        for by_id in self._elements.values():
            if element_id in by_id:
                return by_id[element_id]
        return None

    def file_of(self, element_id: str) -> str | None:
        for file, by_id in self._elements.items():
            if element_id in by_id:
                return file
        return None

    def check_python(self, source: str, mode: str) -> str | None:
        """``check_python`` within the bundle's budget of code to compile. Past the budget the
        code is not checked, and one ERROR says so."""
        if len(source) > MAX_SCRIPT_CHARS:
            return check_python(source, mode)  # refused without compiling
        if self._code_chars_left >= 0:
            self._code_chars_left -= len(source)
            if self._code_chars_left < 0:
                self.add(ERROR, f"The bundle holds more than {MAX_CODE_CHARS_PER_BUNDLE:,} "
                         "characters of scripts and expressions; the rest was not checked. Move "
                         "long code into registered script functions.")
        return check_python(source, mode) if self._code_chars_left >= 0 else None

    def unique_findings(self) -> list[Finding]:
        """Findings without duplicates (different checks may find the same problem)."""
        return list(dict.fromkeys(self.findings))


# --------------------------------------------------------------------------------------
# JSON form files
# --------------------------------------------------------------------------------------

_JSON_TYPES = {"list": "an array", "str": "a string", "int": "a number", "float": "a number",
               "bool": "true or false", "NoneType": "null"}


def parse_form_file(text: str, is_ui_schema: bool) -> tuple[dict | None, str | None]:
    """Parse a form file (JSON Schema, or a UI schema checked only as a JSON object).
    Returns (document, None), or (None, a problem completing "The form file X ...")."""
    if not text.strip():
        return None, "is empty. It must hold a JSON Schema object."
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        return None, f"is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})."
    except (RecursionError, ValueError) as error:
        return None, f"is not usable JSON ({type(error).__name__}: {shorten(error)})."
    if not isinstance(document, dict):
        found = _JSON_TYPES.get(type(document).__name__, type(document).__name__)
        return None, f"must hold a JSON object ({{...}}), not {found}."
    if is_ui_schema:
        return document, None
    try:
        validator_for(document).check_schema(document)
    except SchemaError as error:
        where = "/".join(str(part) for part in error.absolute_path) or "the top level"
        return None, (f"is not a valid JSON Schema: at {where}, {shorten(error.message)}. "
                      "Fix the form in the form builder.")
    except Exception as error:  # noqa: BLE001 - e.g. RecursionError on absurd nesting
        return None, f"cannot be checked as a JSON Schema ({type(error).__name__}: {shorten(error)})."
    return document, None


# --------------------------------------------------------------------------------------
# Safe XML parsing
# --------------------------------------------------------------------------------------

def _has_doctype(text: str) -> bool:
    """True if the prolog (everything before the root element) holds a DOCTYPE or any other
    ``<!`` declaration. Only the prolog may carry a DTD, so a CDATA section in a script that
    happens to contain "<!DOCTYPE html>" is not mistaken for one."""
    position, length = 0, len(text)
    while position < length:
        while position < length and text[position] in " \t\r\n":
            position += 1
        if text.startswith("<?", position):
            end = text.find("?>", position)
        elif text.startswith("<!--", position):
            end = text.find("-->", position)
        elif text.startswith("<!", position):
            return True
        else:
            return False
        if end < 0:
            return False  # unterminated: lxml reports it as malformed
        position = end + 2
    return False


def _xml_parser() -> etree.XMLParser:
    # A new parser per file: lxml parsers keep state and are not thread safe.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           huge_tree=False, remove_comments=True)


def read_text(report: Report, file: str, raw: bytes, *, xml: bool) -> str | None:
    """Size check and decoding of one upload; None (with an ERROR finding) if unusable."""
    if len(raw) > MAX_FILE_BYTES:
        report.add(ERROR, f"The file is {len(raw):,} bytes; the limit is {MAX_FILE_BYTES:,}. "
                   "Split it or remove unused content.", file=file)
        return None
    if not raw.strip():
        report.add(ERROR, "The file is empty. Upload the file saved from the modeler.", file=file)
        return None
    try:
        text, converted_from = decode_upload(raw, xml=xml)
    except UploadError as error:
        report.add(ERROR, f"The file cannot be read: {error}", file=file)
        return None
    if converted_from:
        report.add(INFO, f"The file was converted from {converted_from} to UTF-8.", file=file)
    return text


def load_xml(report: Report, file: str, raw: bytes) -> tuple[bytes | None, etree._Element | None]:
    """Decode and parse one XML upload. Returns (UTF-8 bytes as stored, root element); on a
    problem adds an ERROR finding and returns ``None`` for what could not be produced."""
    text = read_text(report, file, raw, xml=True)
    if text is None:
        return None, None
    if _has_doctype(text):
        report.add(ERROR, "DOCTYPE and entity declarations are not allowed. Remove the "
                   "<!DOCTYPE ...> part at the top of the file (modelers never write one).", file=file)
        return None, None
    data = declare_utf8(text).encode("utf-8")
    try:
        root = etree.fromstring(data, _xml_parser())
    except etree.XMLSyntaxError as error:
        report.add(ERROR, _xml_syntax_message(error), file=file, line=error.lineno)
        return None, None
    if root.getroottree().docinfo.doctype:  # defence in depth; the prolog scan catches it first
        report.add(ERROR, "DOCTYPE and entity declarations are not allowed.", file=file)
        return None, None
    elements = sum(1 for _ in root.iter())
    report.elements_left -= elements
    if elements > MAX_ELEMENTS_PER_FILE or report.elements_left < 0:
        limit = f"{MAX_ELEMENTS_PER_FILE:,} XML elements" if elements > MAX_ELEMENTS_PER_FILE \
            else f"{MAX_ELEMENTS_PER_BUNDLE:,} XML elements in all the files of the bundle"
        report.add(ERROR, f"The file takes the bundle over the limit of {limit}. Split the "
                   "procedure into smaller processes or bundles.", file=file)
        return None, None
    return data, root


def is_definitions(report: Report, file: str, root: etree._Element, kind: str) -> bool:
    """Is this a BPMN (kind 'bpmn') or DMN (kind 'dmn') document at all?"""
    namespace = etree.QName(root).namespace or ""
    if local_name(root.tag) == "definitions":
        if kind == "bpmn" and namespace == BPMN_NS:
            return True
        if kind == "dmn" and "/DMN/" in namespace.upper():
            return True
    expected = "BPMN 2.0" if kind == "bpmn" else "DMN"
    report.add(ERROR, f"This is not a {expected} file (its root element is "
               f"'{local_name(root.tag)}' in namespace '{shorten(namespace)}'). Export the "
               f"diagram from the modeler as {expected} XML.", file=file, line=root.sourceline)
    return False


def _xml_syntax_message(error: etree.XMLSyntaxError) -> str:
    detail = error.msg or str(error)
    if "Excessive depth" in detail:
        return ("The XML elements are nested more than 256 levels deep, which no modeler "
                "produces. Check that this is the right file.")
    return (f"The file is not well-formed XML (line {error.lineno}: {shorten(detail)}). "
            "Open it in the modeler and save it again.")


# --------------------------------------------------------------------------------------
# Python syntax
# --------------------------------------------------------------------------------------

def _sandbox_checker() -> Callable[[str, str], str | None] | None:
    """``engine.sandbox.check_script_syntax`` (RestrictedPython) when that module exists."""
    try:
        from engine.workflow.sandbox import check_script_syntax
    except Exception:  # not written yet, or RestrictedPython missing
        return None
    return check_script_syntax


def _compile_check(source: str, mode: str) -> str | None:
    """Fallback syntax check with the plain Python compiler, in the sandbox's message style.
    Like the sandbox, it ignores the indentation that XML editors add around the code."""
    source = source.strip() if mode == "eval" else textwrap.dedent(source)
    try:
        compile(source, "<bpmn>", mode, dont_inherit=True)
    except SyntaxError as error:
        return f"Syntax error: line {error.lineno}: {error.msg}"
    except (RecursionError, MemoryError):
        return "Syntax error: the code is nested too deeply"
    except ValueError as error:  # e.g. a NUL byte
        return f"Syntax error: {shorten(error)}"
    return None


def _run_checker(source: str, mode: str) -> str | None:
    """The sandbox's check when available, else plain ``compile()``."""
    checker = _sandbox_checker()
    if checker is not None:
        try:
            return checker(source, mode)
        except Exception:  # e.g. MemoryError on absurd nesting: let compile() give the verdict
            pass
    return _compile_check(source, mode)


def check_python(source: str, mode: str) -> str | None:
    """None if ``source`` is acceptable Python (``mode`` 'exec' for scripts, 'eval' for
    expressions), else a plain-words problem that includes the line number."""
    if len(source) > MAX_SCRIPT_CHARS:
        return f"it is {len(source):,} characters long; the limit is {MAX_SCRIPT_CHARS:,}"
    return _run_checker(source, mode)


# --------------------------------------------------------------------------------------
# Checks on the BPMN XML
# --------------------------------------------------------------------------------------

def bpmn_xpath(element: etree._Element, path: str) -> list:
    return element.xpath(path, namespaces=NSMAP)


def check_sequence_flows(report: Report, file: str, root: etree._Element) -> None:
    """Every sequence flow must connect two elements of its own process."""
    for process in bpmn_xpath(root, ".//bpmn:process"):
        ids = {element.get("id") for element in process.iter(tag=etree.Element)}
        for flow in bpmn_xpath(process, ".//bpmn:sequenceFlow"):
            for attribute, role in (("sourceRef", "starts at"), ("targetRef", "points to")):
                ref = flow.get(attribute)
                if not ref:
                    report.add_for(ERROR, f"Sequence flow '{flow.get('id')}' has no {attribute}. "
                                   "Connect both ends of the arrow in the modeler.", flow, file)
                elif ref not in ids:
                    report.add_for(ERROR, missing_flow_end_message(flow.get("id"), role, ref), flow, file)


def missing_flow_end_message(flow_id: str | None, role: str, ref: str) -> str:
    return (f"Sequence flow '{flow_id}' {role} element '{ref}' which does not exist in this "
            "process. Reconnect the arrow in the modeler or delete it.")


def is_draft(process: etree._Element) -> bool:
    return process.get("isExecutable", "true").lower() == "false"


def call_activity_problem(element: etree._Element, executable: set[str], drafts: set[str]) -> str | None:
    """Why a call activity cannot run (None if its target is an executable process)."""
    target = element.get("calledElement")
    if not target:
        return (f"{describe(element)} does not say which process it calls. Choose the called "
                "process in the modeler (calledElement).")
    if target in drafts:
        return (f"{describe(element)} calls process '{target}', which is marked as not "
                "executable (a draft). Make that process executable.")
    if target not in executable:
        return (f"{describe(element)} calls process '{target}', which is not in the bundle. "
                f"Add the BPMN file that defines '{target}', or correct the called process id.")
    return None


def check_call_activities(report: Report, documents: dict[str, etree._Element]) -> None:
    """Every call activity must call an executable process of the bundle (any file)."""
    executable, drafts = set(), set()
    for root in documents.values():
        for process in bpmn_xpath(root, ".//bpmn:process"):
            (drafts if is_draft(process) else executable).add(process.get("id"))
    for file, root in documents.items():
        for element in bpmn_xpath(root, ".//bpmn:callActivity"):
            problem = call_activity_problem(element, executable, drafts)
            if problem:
                report.add_for(ERROR, problem, element, file)


def decision_of(task: etree._Element) -> str | None:
    """The DMN decision id a businessRuleTask evaluates (spiffworkflow:calledDecisionId)."""
    refs = bpmn_xpath(task, "./bpmn:extensionElements/spiffworkflow:calledDecisionId")
    return (refs[0].text or "").strip() if refs else None


def missing_decision_message(task: etree._Element, decision: str | None, available: list[str]) -> str:
    listing = f"Decisions in the bundle: {', '.join(available)}." if available else \
        "The bundle has no DMN decision."
    if not decision:
        return (f"{describe(task)} does not say which decision to evaluate. Choose the DMN "
                f"decision in the modeler (spiffworkflow:calledDecisionId). {listing}")
    return (f"{describe(task)} evaluates decision '{decision}', which is not in the bundle. "
            f"Add the .dmn file that defines it, or correct the decision id. {listing}")


def check_business_rule_tasks(report: Report, documents: dict[str, etree._Element],
                              decisions: list[str]) -> None:
    """Every business rule task must name a DMN decision of the bundle."""
    for file, root in documents.items():
        for task in bpmn_xpath(root, ".//bpmn:businessRuleTask"):
            decision = decision_of(task)
            if not decision or decision not in decisions:
                report.add_for(ERROR, missing_decision_message(task, decision, decisions), task, file)


# Tags of the BPMN elements that take part in the flow (used to spot unconnected ones).
_FLOW_NODES = {
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask",
    "sendTask", "receiveTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
    "boundaryEvent", "exclusiveGateway", "inclusiveGateway", "parallelGateway",
    "eventBasedGateway", "complexGateway",
}


def check_unconnected(report: Report, file: str | None, container: etree._Element, reached: set) -> None:
    """Warn about flow elements of a process (or subProcess) that the parser never reached."""
    for child in container:
        if local_name(child.tag) in _FLOW_NODES and child.get("id") not in reached:
            report.add_for(WARNING, f"{describe(child)} is not connected to the start event, so "
                           "it will never run. Connect it with sequence flows or delete it.", child, file)


# Expressions evaluated by the engine, outside scripts: (XPath, what it is called)
_EXPRESSIONS = [
    (".//bpmn:sequenceFlow/bpmn:conditionExpression", "condition"),
    (".//bpmn:conditionalEventDefinition/bpmn:condition", "condition"),
    (".//bpmn:standardLoopCharacteristics/bpmn:loopCondition", "loop condition"),
    (".//bpmn:multiInstanceLoopCharacteristics/bpmn:loopCardinality", "loop cardinality"),
    (".//bpmn:multiInstanceLoopCharacteristics/bpmn:completionCondition", "completion condition"),
]


def _owner(element: etree._Element) -> etree._Element:
    """The closest enclosing element with an id (a flow, task or event)."""
    current = element.getparent()
    while current is not None and not current.get("id"):
        current = current.getparent()
    return current if current is not None else element


def check_expressions(report: Report, file: str, root: etree._Element) -> None:
    """Conditions and loop expressions must be valid Python expressions."""
    for path, what in _EXPRESSIONS:
        for expression in bpmn_xpath(root, path):
            text = expression.text
            if text is None or not text.strip():
                continue  # an empty condition is reported by the SpiffWorkflow parser
            problem = report.check_python(text, "eval")
            if problem:
                owner = _owner(expression)
                report.add_for(ERROR, f"The {what} of {describe(owner)} is not accepted as a "
                               f"Python expression: {problem}. Fix the expression `{shorten(text.strip())}`.",
                               owner, file)


# --------------------------------------------------------------------------------------
# Timers
# --------------------------------------------------------------------------------------

# An ISO 8601 value written without quotes: P5D, PT4H, R3/P2D, 2026-01-02T09:00:00+08:00
_UNQUOTED_ISO = re.compile(
    r"^(R\d*/\S+|P(?=\S*\d)[0-9YMWDTHS.,]+|\d{4}-\d{2}-\d{2}([T ]\S*)?|\d{4}-?W\d{2}\S*)$",
    re.IGNORECASE)
_TIMER_KINDS = ("timeDate", "timeDuration", "timeCycle")
_EXAMPLES = {"timeDate": '"2026-01-02T09:00:00+08:00"', "timeDuration": '"P5D"',
             "timeCycle": '"R3/P2D"'}
_KNOWN_BUILTINS = frozenset(dir(builtins))


def check_timers(report: Report, file: str, root: etree._Element, script_functions: set[str]) -> None:
    for definition in bpmn_xpath(root, ".//bpmn:timerEventDefinition"):
        bodies = [child for child in definition.iter(tag=etree.Element)
                  if local_name(child.tag) in _TIMER_KINDS]
        if not bodies:
            message, target = timer_without_time(definition)
            report.add_for(ERROR, message, target, file)
            continue
        subject, target = _timer_subject(definition)
        for severity, message in timer_problems(local_name(bodies[0].tag), bodies[0].text,
                                                script_functions, report.check_python):
            report.add_for(severity, f"{subject} {message}", target, file)


def _timer_subject(definition: etree._Element) -> tuple[str, etree._Element]:
    """How messages name a timer, and the element findings are about: the
    timerEventDefinition if it has an id, else its event."""
    event = definition.getparent()
    if definition.get("id"):
        return f"The timer '{definition.get('id')}' of {describe(event)}", definition
    return f"The timer of {describe(event)}", event


def timer_without_time(definition: etree._Element) -> tuple[str, etree._Element]:
    """(message, element) for a timer with no timeDate, timeDuration or timeCycle."""
    subject, target = _timer_subject(definition)
    return (f'{subject} has no time set. Give it a timeDuration (e.g. "P5D"), a timeDate or '
            "a timeCycle.", target)


def timer_problems(kind: str, body: str | None, script_functions: set[str],
                   check: Callable[[str, str], str | None] = check_python) -> list[tuple[str, str]]:
    """Problems with one timer body, as (severity, message completing "The timer of X ...").
    ``check`` is the Python syntax check to use."""
    example = _EXAMPLES[kind]
    text = (body or "").strip()
    if not text:
        return [(ERROR, f"has an empty {kind}. Write a value in quotes, e.g. {example}.")]
    if _UNQUOTED_ISO.match(text):
        return [(ERROR, f"has the {kind} {_clip(text)} without quotes. Timer values are Python "
                 f'expressions, so write it in double quotes: "{_clip(text)}".')]
    problem = check(body, "eval")
    if problem:
        return [(ERROR, f"has a {kind} that is not accepted as a Python expression: {problem}. "
                 f"Write a value in quotes, e.g. {example}.")]
    try:
        tree = ast.parse(text, mode="eval")
    except Exception:  # compiled above, so this is not expected; stay safe anyway
        return []
    if isinstance(tree.body, ast.Constant):
        return _literal_timer_problems(kind, tree.body.value)
    return _unknown_function_warnings(kind, tree, script_functions)


def _literal_timer_problems(kind: str, value: object) -> list[tuple[str, str]]:
    if not isinstance(value, str):
        return [(ERROR, f"has the {kind} {value!r}, which is not text. Write an ISO 8601 value "
                 f"in quotes, e.g. {_EXAMPLES[kind]}.")]
    if value != value.strip():
        return [(ERROR, f"has the {kind} {_quote(value)}, with spaces inside the quotes, which the "
                 f'engine cannot read. Write it as "{_clip(value.strip())}".')]
    check = {"timeDate": _time_date_problems, "timeDuration": _time_duration_problems,
             "timeCycle": _time_cycle_problems}[kind]
    return check(value)


def _clip(text: str) -> str:
    return text if len(text) <= 60 else text[:60] + "..."


def _quote(text: str) -> str:
    """A timer value as a message shows it: in double quotes, cut if very long."""
    return f'"{_clip(text)}"'


def _unknown_function_warnings(kind: str, tree: ast.AST, script_functions: set[str]) -> list[tuple[str, str]]:
    called = sorted({node.func.id for node in ast.walk(tree)
                     if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)})
    unknown = [name for name in called if name not in _KNOWN_BUILTINS and name not in script_functions]
    return [(WARNING, f"calls {name}() in its {kind}, which is neither a Python builtin nor a "
             "registered script function. Check the spelling or register the function.")
            for name in unknown]


def _duration_problem(text: str) -> str | None:
    """Why ``text`` is not a usable ISO 8601 duration such as P5D or PT4H30M (None if it is)."""
    if not text.upper().startswith("P"):
        return f'{_quote(text)} is not an ISO 8601 duration: it must start with P, e.g. "P5D" or "PT4H"'
    try:
        parsed = TimerEventDefinition.parse_iso_duration(text)
    except Exception:
        return (f'{_quote(text)} is not a valid ISO 8601 duration. Examples: "P5D" (5 days), '
                '"PT4H" (4 hours), "P1M" (1 month), "P2W" (2 weeks)')
    if not parsed:
        return f'{_quote(text)} has no length. Write e.g. "P5D"'
    # Check the size before SpiffWorkflow adds up month lengths one month at a time.
    months = parsed.get("years", 0) * 12 + parsed.get("months", 0)
    try:
        too_long = months > MAX_TIMER_DAYS / 28 or \
            TimerEventDefinition.get_timedelta_from_start(dict(parsed)) > timedelta(days=MAX_TIMER_DAYS)
    except (OverflowError, ValueError, TypeError):
        too_long = True
    if too_long:
        return f'{_quote(text)} is longer than 100 years, which is surely a mistake'
    return None


def _time_duration_problems(text: str) -> list[tuple[str, str]]:
    problem = _duration_problem(text)
    return [(ERROR, f"has a timeDuration problem: {problem}.")] if problem else []


def _date_problem(text: str) -> str | None:
    try:
        TimerEventDefinition.parse_time_or_duration(text)  # dates and ISO week dates
    except Exception:
        return f'{_quote(text)} is not a valid ISO 8601 date and time such as "2026-01-02T09:00:00+08:00"'
    return None


def _has_utc_offset(text: str) -> bool:
    try:
        return datetime.fromisoformat(text).tzinfo is not None
    except ValueError:  # ISO week dates ("2026W021T09:00+08:00"): look at the time's end
        return bool(re.search(r"T.*(Z|[+-]\d{2}(:?\d{2})?)$", text, re.IGNORECASE))


def _naive_warning(kind: str, text: str) -> tuple[str, str]:
    return (WARNING, f'has the {kind} {_quote(text)} without a UTC offset, so it would be read in '
            'the server\'s time zone. Add the offset, e.g. "2026-01-02T09:00:00+08:00".')


def _time_date_problems(text: str) -> list[tuple[str, str]]:
    if text.upper().startswith("P"):
        return [(ERROR, f'has the timeDate {_quote(text)}, which is a duration. A timeDate needs a '
                 'date and time such as "2026-01-02T09:00:00+08:00"; to wait for a period, '
                 "change the timer type to a duration (timeDuration).")]
    problem = _date_problem(text)
    if problem:
        return [(ERROR, f"has a timeDate problem: {problem}.")]
    return [] if _has_utc_offset(text) else [_naive_warning("timeDate", text)]


def _time_cycle_problems(text: str) -> list[tuple[str, str]]:
    if not text.upper().startswith("R"):
        return [(ERROR, f'has the timeCycle {_quote(text)}, which is not an ISO 8601 repetition. '
                 'Write "R<count>/<duration>", e.g. "R3/P2D" (3 times, every 2 days).')]
    # Mirror SpiffWorkflow's own splitting; check each part before it computes anything.
    parts = text.upper().replace("--", "/").strip("R").split("/")
    findings: list[tuple[str, str]] = []
    for part in parts[1:]:
        problem = _duration_problem(part) if part.startswith("P") else _date_problem(part)
        if problem:
            return [(ERROR, f"has a timeCycle problem: {problem}.")]
        if not part.startswith("P") and not _has_utc_offset(part):
            findings.append(_naive_warning("timeCycle", text))
    try:
        TimerEventDefinition.parse_iso_recurring_interval(text)
    except Exception:
        return [(ERROR, f'has the timeCycle {_quote(text)}, which is not a valid ISO 8601 repetition. '
                 'Write e.g. "R3/P2D" (3 times, every 2 days) or "R/P1D" (every day).')]
    return findings


def form_references(root: etree._Element) -> Iterable[tuple[str, str]]:
    """(property name, file name) of every spiffworkflow:property in the document."""
    for prop in bpmn_xpath(root, ".//spiffworkflow:property"):
        if prop.get("name") and prop.get("value"):
            yield prop.get("name"), prop.get("value")
