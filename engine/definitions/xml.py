"""Safe reading of uploaded files for validation: XML (no DTDs, size limits) and JSON forms
(decoding is in ``engine.definitions.encodings``), the ``Report`` findings are collected in, the
identity rule (which elements' ids count), and the Python check of scripts and expressions.

Nothing here raises on bad input: problems are added to a ``Report`` as findings, by kind
(``engine.definitions.kinds``), in plain words: no parser's or library's own text reaches the
designer. The checks that read the BPMN XML are in ``checks`` and ``timer_checks``; the
orchestration (which file goes where, the SpiffWorkflow parser, the main process) in ``validation``.
"""

from __future__ import annotations

import json
import re
import textwrap
from typing import Any, Iterator

from jsonschema.exceptions import SchemaError
from jsonschema.validators import validator_for
from lxml import etree

from engine.definitions.encodings import UploadError, declare_utf8, decode_upload
from engine.definitions.findings import Finding, Text
from engine.definitions.kinds import KINDS, clean_name, element_text, file_text, type_text, words
from engine.workflow.sandbox.compiler import compile_script

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NSMAP = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}
# Diagram interchange: BPMNDI, DC, DI (and DMN's DMNDI, matched by its "/DMN/" part).
DI_NAMESPACES = {
    "http://www.omg.org/spec/BPMN/20100524/DI",
    "http://www.omg.org/spec/DD/20100524/DC",
    "http://www.omg.org/spec/DD/20100524/DI",
}

# Limits that keep validation bounded in time and memory whatever is uploaded.
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ELEMENTS_PER_FILE = 50_000
MAX_ELEMENTS_PER_BUNDLE = 100_000  # SpiffWorkflow parses ~50,000 elements a second
MAX_SCRIPT_CHARS = 20_000  # one script or expression
MAX_CODE_CHARS_PER_BUNDLE = 300_000  # the sandbox compiles ~300,000 characters a second
MAX_TIMER_DAYS = 100 * 366  # a timer further away than ~100 years is surely a mistake
MAX_DETAIL_CHARS = 300  # how much of a designer's own text (a condition, a name) we quote


# --------------------------------------------------------------------------------------
# Naming elements
# --------------------------------------------------------------------------------------


def local_name(tag: object) -> str:
    """``{namespace}userTask`` -> ``userTask`` (comments and PIs have no string tag)."""
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def describe(element: etree._Element) -> Text:
    """How a message names an element: ``userTask 'assess' ("Assess application")``."""
    return element_text(local_name(element.tag), element.get("id"), element.get("name"))


def shorten(text: object) -> str:
    """Quote a designer's own text (a condition, a name) without flooding the report."""
    text = str(text)
    return text if len(text) <= MAX_DETAIL_CHARS else text[:MAX_DETAIL_CHARS] + "..."


# --------------------------------------------------------------------------------------
# Identity: which elements have ids that count
# --------------------------------------------------------------------------------------


def is_model_namespace(namespace: str | None, root_namespace: str | None) -> bool:
    """BPMN's (or DMN's) semantic model and diagram interchange; vendor namespaces are not."""
    return bool(namespace) and (
        namespace == root_namespace or namespace in DI_NAMESPACES or "/DMN/" in namespace.upper()
    )


def identified_elements(root: etree._Element, *, diagram: bool = True) -> Iterator[etree._Element]:
    """The elements whose ids BPMN defines, in document order: semantic elements and (with
    ``diagram``) diagram interchange elements. Vendor extensions (inside ``extensionElements``, or in
    a foreign namespace anywhere) are carried along and never counted: a tool's own
    ``<vendor:principal id="User"/>`` can repeat an element's id without clashing."""
    root_namespace = etree.QName(root).namespace
    stack = [root]
    while stack:
        element = stack.pop()
        namespace = etree.QName(element).namespace
        if not is_model_namespace(namespace, root_namespace) or local_name(element.tag) == "extensionElements":
            continue
        if not diagram and namespace in DI_NAMESPACES:
            continue
        if element.get("id") and element is not root:
            yield element
        stack.extend(reversed([child for child in element if isinstance(child.tag, str)]))


# --------------------------------------------------------------------------------------
# Collecting findings
# --------------------------------------------------------------------------------------


class Report:
    """Collects the findings of one validation. It knows every element of the loaded BPMN and
    DMN files by id, so that a finding about an element id also gets the element's type, name,
    file and line; and it keeps the budgets that bound the work a hostile bundle can cause."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self._elements: dict[str, dict[str, etree._Element]] = {}  # file -> id -> element
        # Budgets that bound the time a hostile bundle can cost.
        self.elements_left = MAX_ELEMENTS_PER_BUNDLE
        self._code_chars_left = MAX_CODE_CHARS_PER_BUNDLE

    def add(
        self,
        kind: str,
        *,
        at: etree._Element | None = None,
        element_id: str | None = None,
        element_type: str | None = None,
        file: str | None = None,
        line: int | None = None,
        **params: Any,
    ) -> Finding:
        """Add a finding of ``kind``: about the element ``at``, or the element with ``element_id``
        (looked up in ``file``), or else about ``file``, or else about the whole bundle. The kind's
        ``{element}`` placeholder names the element unless ``params`` give it."""
        element = at if at is not None else self.element(file, element_id)
        name = None
        if element is not None:
            element_id = element.get("id")
            element_type = element_type or local_name(element.tag)
            line = element.sourceline
            name = clean_name(element.get("name"))
            params.setdefault("element", describe(element))
        elif element_id:
            params.setdefault("element", element_text(element_type or "element", element_id))
        else:
            params.setdefault("element", file_text(file))
        spec = KINDS[kind]
        text = spec.text(params)
        finding = Finding(
            element_id or None,
            element_type if element_id else None,
            spec.severity,
            text.en,
            file,
            line,
            kind=kind,
            message_zh=text.zh,
            element_name=name,
            fix=spec.fix,
        )
        self.findings.append(finding)
        return finding

    def index_document(self, file: str, root: etree._Element) -> None:
        """Remember every element whose id counts; report ids used twice in one file."""
        by_id: dict[str, etree._Element] = {}
        for element in identified_elements(root):
            element_id = element.get("id")
            first = by_id.get(element_id)
            if first is not None:
                self.add(
                    "duplicate-id",
                    at=element,
                    file=file,
                    id=element_id,
                    first=type_text(local_name(first.tag)),
                    first_line=first.sourceline,
                    second=type_text(local_name(element.tag)),
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

    def check_python(self, source: str, mode: str) -> Text | None:
        """``check_python`` within the bundle's budget of code to compile. Past the budget the
        code is not checked, and one ERROR says so."""
        if len(source) > MAX_SCRIPT_CHARS:
            return check_python(source, mode)  # refused without compiling
        if self._code_chars_left >= 0:
            self._code_chars_left -= len(source)
            if self._code_chars_left < 0:
                self.add("code-budget", limit=f"{MAX_CODE_CHARS_PER_BUNDLE:,}")
        return check_python(source, mode) if self._code_chars_left >= 0 else None

    def unique_findings(self) -> list[Finding]:
        """Findings without duplicates (different checks may find the same problem)."""
        return list(dict.fromkeys(self.findings))


# --------------------------------------------------------------------------------------
# JSON form files
# --------------------------------------------------------------------------------------

_JSON_TYPES = {
    "list": "json-array",
    "str": "json-string",
    "int": "json-number",
    "float": "json-number",
    "bool": "json-boolean",
    "NoneType": "json-null",
}


def parse_form_file(text: str, is_ui_schema: bool) -> tuple[dict | None, Text | None]:
    """Parse a form file (JSON Schema, or a UI schema checked only as a JSON object).
    Returns (document, None), or (None, a problem completing "The form file X ...")."""
    if not text.strip():
        return None, words("form-empty")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        return None, words("form-not-json", line=error.lineno, column=error.colno)
    except (RecursionError, ValueError):
        return None, words("form-unusable")
    if not isinstance(document, dict):
        return None, words("form-not-object", found=words(_JSON_TYPES.get(type(document).__name__, "json-null")))
    if is_ui_schema:
        return document, None
    try:
        validator_for(document).check_schema(document)
    except SchemaError as error:
        where = "/".join(str(part) for part in error.absolute_path) or words("json-top-level")
        return None, words("form-invalid-schema", where=where, keyword=error.validator)
    except Exception:  # noqa: BLE001 - e.g. RecursionError on absurd nesting
        return None, words("form-unusable")
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


def xml_parser(keep_comments: bool = False) -> etree.XMLParser:
    # A new parser per file: lxml parsers keep state and are not thread safe.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=not keep_comments
    )


def read_text(report: Report, file: str, raw: bytes, *, xml: bool) -> str | None:
    """Size check and decoding of one upload; None (with an ERROR finding) if unusable."""
    if len(raw) > MAX_FILE_BYTES:
        report.add("file-too-large", file=file, size=f"{len(raw):,}", limit=f"{MAX_FILE_BYTES:,}")
        return None
    if not raw.strip():
        report.add("file-empty", file=file)
        return None
    try:
        text, converted_from = decode_upload(raw, xml=xml)
    except UploadError as error:
        report.add(error.kind, file=file, **error.params)
        return None
    if converted_from:
        report.add("file-converted", file=file, encoding=converted_from)
    return text


def load_xml(
    report: Report, file: str, raw: bytes, *, keep_comments: bool = False
) -> tuple[bytes | None, etree._Element | None]:
    """Decode and parse one XML upload. Returns (UTF-8 bytes as stored, root element); on a
    problem adds an ERROR finding and returns ``None`` for what could not be produced."""
    text = read_text(report, file, raw, xml=True)
    if text is None:
        return None, None
    if _has_doctype(text):
        report.add("xml-doctype", file=file)
        return None, None
    data = declare_utf8(text).encode("utf-8")
    try:
        root = etree.fromstring(data, xml_parser(keep_comments))
    except etree.XMLSyntaxError as error:
        _report_syntax_error(report, file, error)
        return None, None
    if root.getroottree().docinfo.doctype:  # defence in depth; the prolog scan catches it first
        report.add("xml-doctype", file=file)
        return None, None
    elements = sum(1 for _ in root.iter())
    report.elements_left -= elements
    if elements > MAX_ELEMENTS_PER_FILE or report.elements_left < 0:
        limit = (
            words("limit-elements-file", count=f"{MAX_ELEMENTS_PER_FILE:,}")
            if elements > MAX_ELEMENTS_PER_FILE
            else words("limit-elements-bundle", count=f"{MAX_ELEMENTS_PER_BUNDLE:,}")
        )
        report.add("xml-too-many-elements", file=file, limit=limit)
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
    report.add(
        "not-bpmn",
        file=file,
        line=root.sourceline,
        expected="BPMN 2.0" if kind == "bpmn" else "DMN",
        root=shorten(local_name(root.tag)),
        namespace=shorten(namespace),
    )
    return False


# libxml2's error codes (and words of its messages) -> what the designer reads.
_XML_PROBLEMS = [
    (lambda code, msg: code == 76, "xml-tag-mismatch"),
    (lambda code, msg: code == 77 or "EndTag" in msg or "Premature end" in msg, "xml-truncated"),
    (lambda code, msg: code == 5, "xml-extra-content"),
    (lambda code, msg: code == 42, "xml-duplicate-attribute"),
    (lambda code, msg: code in (39, 40, 41, 65) or "attribute" in msg.lower(), "xml-bad-attribute"),
    (lambda code, msg: "EntityRef" in msg or "entity" in msg.lower(), "xml-ampersand"),
    (lambda code, msg: "invalid element name" in msg, "xml-bad-name"),
    (lambda code, msg: code == 9 or "Char" in msg, "xml-bad-character"),
    (lambda code, msg: code == 4, "xml-no-root"),
]


def _report_syntax_error(report: Report, file: str, error: etree.XMLSyntaxError) -> None:
    message = error.msg or ""
    if "Excessive depth" in message:
        report.add("xml-too-deep", file=file)
        return
    problem = next((code for test, code in _XML_PROBLEMS if test(error.code, message)), "xml-other")
    line, column = error.position if error.position else (error.lineno, 0)
    report.add("xml-not-well-formed", file=file, line=line, row=line, column=column, problem=words(problem))


# --------------------------------------------------------------------------------------
# Python syntax
# --------------------------------------------------------------------------------------

# Python's and the sandbox's words for a refused line -> the kind that says it plainly.
_PYTHON_PROBLEMS = [
    (re.compile(r"'([(\[{])' was never closed"), "python-unclosed"),
    (re.compile(r"unmatched '([)\]}])'"), "python-unmatched"),
    (re.compile(r"does not match opening parenthesis"), "python-mismatched"),
    (re.compile(r"indent", re.IGNORECASE), "python-indent"),
    (re.compile(r"unterminated|EOL while scanning|EOF while scanning triple"), "python-string"),
    (re.compile(r"expected ':'"), "python-colon"),
    (re.compile(r"unexpected EOF|incomplete input"), "python-incomplete"),
    (re.compile(r"invalid (non-printable )?character|invalid decimal literal"), "python-character"),
    (re.compile(r"cannot assign|cannot delete"), "python-assign"),
    (re.compile(r"import statements are not allowed"), "python-import"),
    (re.compile(r"class definitions are not allowed"), "python-class"),
    (re.compile(r'"(_\w*)" is an invalid (variable|attribute) name'), "python-underscore"),
    # The sandbox's size guards (engine/workflow/sandbox/sizes.py) on constants: the whole reason.
    (
        re.compile(r"(.* would (?:be a number of about|hold) [\d,]+ (?:bits|items).*|.*widths in %-formatting.*)"),
        "python-too-large",
    ),
]


def _python_problem(error: str, is_syntax_error: bool) -> Text:
    line_match = re.match(r"line (\d+): (.*)", error)
    line, detail = (line_match.group(1), line_match.group(2)) if line_match else ("?", error)
    if "nested too deeply" in detail:
        return words("python-too-deep")
    if "null" in detail.lower() or "NUL" in detail:
        return words("python-nul")
    for pattern, code in _PYTHON_PROBLEMS:
        match = pattern.search(detail)
        if match:
            return words(code, line=line, bracket=match.group(1) if match.groups() else "", name=_group(match))
    return words("python-syntax" if is_syntax_error else "python-not-allowed", line=line)


def _group(match: re.Match) -> str:
    return match.group(1) if match.groups() else ""


def check_python(source: str, mode: str) -> Text | None:
    """None if ``source`` is acceptable Python (``mode`` 'exec' for scripts, 'eval' for
    expressions), else a plain-words problem that includes the line number."""
    if len(source) > MAX_SCRIPT_CHARS:
        return words("python-too-long", length=f"{len(source):,}", limit=f"{MAX_SCRIPT_CHARS:,}")
    try:
        compiled = compile_script(source, mode)
    except Exception:  # noqa: BLE001 - the sandbox's analysis failed: plain compile() decides
        return _compile_check(source, mode)
    if compiled.code is not None:
        return None
    return _python_problem(compiled.errors[0] if compiled.errors else "", compiled.is_syntax_error)


def _compile_check(source: str, mode: str) -> Text | None:
    """Fallback syntax check with the plain Python compiler. Like the sandbox, it ignores the
    indentation that XML editors add around the code."""
    source = source.strip() if mode == "eval" else textwrap.dedent(source)
    try:
        compile(source, "<bpmn>", mode, dont_inherit=True)
    except SyntaxError as error:
        return _python_problem(f"line {error.lineno}: {error.msg}", True)
    except (RecursionError, MemoryError):
        return words("python-too-deep")
    except ValueError:  # e.g. a NUL byte
        return words("python-nul")
    return None


# --------------------------------------------------------------------------------------
# Checks on the BPMN XML
# --------------------------------------------------------------------------------------


def bpmn_xpath(element: etree._Element, path: str) -> list:
    return element.xpath(path, namespaces=NSMAP)
