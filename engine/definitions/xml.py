"""Safe reading of uploaded files for validation: XML (no DTDs, size limits) and JSON forms
(decoding is in ``engine.definitions.encodings``), the ``Report`` findings are collected in, and
the syntax check of the Python in scripts and expressions.

Nothing here raises on bad input: problems are added to a ``Report`` as findings. The checks
that read the BPMN XML are in ``checks`` and ``timer_checks``; the orchestration (which file
goes where, the SpiffWorkflow parser, the main process) in ``validation``.
"""

from __future__ import annotations

import json
import textwrap

from jsonschema.exceptions import SchemaError
from jsonschema.validators import validator_for
from lxml import etree

from engine.definitions.encodings import UploadError, declare_utf8, decode_upload
from engine.definitions.findings import ERROR, INFO, Finding
from engine.workflow.sandbox import check_script_syntax

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

    def add(
        self,
        severity: str,
        message: str,
        *,
        file: str | None = None,
        element_id: str | None = None,
        element_type: str | None = None,
        line: int | None = None,
    ) -> None:
        self.findings.append(Finding(element_id, element_type, severity, message, file, line))

    def add_for(self, severity: str, message: str, element: etree._Element, file: str | None) -> None:
        """A finding about an lxml element (id, type and line taken from it)."""
        self.add(
            severity,
            message,
            file=file,
            element_id=element.get("id"),
            element_type=local_name(element.tag),
            line=element.sourceline,
        )

    def add_for_id(
        self, severity: str, message: str, element_id: str | None, file: str | None, element_type: str | None = None
    ) -> None:
        """A finding about an element known only by id (e.g. from a parsed task spec)."""
        element = self.element(file, element_id)
        if element is not None:
            self.add(
                severity,
                message,
                file=file,
                element_id=element_id,
                element_type=element_type or local_name(element.tag),
                line=element.sourceline,
            )
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
                self.add_for(
                    ERROR,
                    f"Two elements in this file have the id '{element_id}' "
                    f"({local_name(by_id[element_id].tag)} on line "
                    f"{by_id[element_id].sourceline} and {local_name(element.tag)}). "
                    "Every id must be unique: rename one of them.",
                    element,
                    file,
                )
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
                self.add(
                    ERROR,
                    f"The bundle holds more than {MAX_CODE_CHARS_PER_BUNDLE:,} "
                    "characters of scripts and expressions; the rest was not checked. Move "
                    "long code into registered script functions.",
                )
        return check_python(source, mode) if self._code_chars_left >= 0 else None

    def unique_findings(self) -> list[Finding]:
        """Findings without duplicates (different checks may find the same problem)."""
        return list(dict.fromkeys(self.findings))


# --------------------------------------------------------------------------------------
# JSON form files
# --------------------------------------------------------------------------------------

_JSON_TYPES = {
    "list": "an array",
    "str": "a string",
    "int": "a number",
    "float": "a number",
    "bool": "true or false",
    "NoneType": "null",
}


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
        return None, (
            f"is not a valid JSON Schema: at {where}, {shorten(error.message)}. Fix the form in the form builder."
        )
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
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
    )


def read_text(report: Report, file: str, raw: bytes, *, xml: bool) -> str | None:
    """Size check and decoding of one upload; None (with an ERROR finding) if unusable."""
    if len(raw) > MAX_FILE_BYTES:
        report.add(
            ERROR,
            f"The file is {len(raw):,} bytes; the limit is {MAX_FILE_BYTES:,}. Split it or remove unused content.",
            file=file,
        )
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
        report.add(
            ERROR,
            "DOCTYPE and entity declarations are not allowed. Remove the "
            "<!DOCTYPE ...> part at the top of the file (modelers never write one).",
            file=file,
        )
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
        limit = (
            f"{MAX_ELEMENTS_PER_FILE:,} XML elements"
            if elements > MAX_ELEMENTS_PER_FILE
            else f"{MAX_ELEMENTS_PER_BUNDLE:,} XML elements in all the files of the bundle"
        )
        report.add(
            ERROR,
            f"The file takes the bundle over the limit of {limit}. Split the "
            "procedure into smaller processes or bundles.",
            file=file,
        )
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
    report.add(
        ERROR,
        f"This is not a {expected} file (its root element is "
        f"'{local_name(root.tag)}' in namespace '{shorten(namespace)}'). Export the "
        f"diagram from the modeler as {expected} XML.",
        file=file,
        line=root.sourceline,
    )
    return False


def _xml_syntax_message(error: etree.XMLSyntaxError) -> str:
    detail = error.msg or str(error)
    if "Excessive depth" in detail:
        return (
            "The XML elements are nested more than 256 levels deep, which no modeler "
            "produces. Check that this is the right file."
        )
    return (
        f"The file is not well-formed XML (line {error.lineno}: {shorten(detail)}). "
        "Open it in the modeler and save it again."
    )


# --------------------------------------------------------------------------------------
# Python syntax
# --------------------------------------------------------------------------------------


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
    """The sandbox's check; plain ``compile()`` gives the verdict where the sandbox's own
    analysis fails (e.g. MemoryError on absurd nesting)."""
    try:
        return check_script_syntax(source, mode)
    except Exception:
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
