"""Deploy-time validation of a procedure bundle: BPMN processes, DMN decisions, JSON Schema forms.

``validate_bundle`` never raises. Every problem becomes a ``Finding`` in words a process
designer can act on (what is wrong, on which element, how to fix it). The stages are:

1. load every file safely: size limit, encoding (BOM / UTF-16 -> UTF-8), no DOCTYPE, lxml
   with entity resolution and network access off (``engine.definitions.xml.load_xml``);
2. check the XML directly: sequence flow ends, conditions, timers, call activity targets,
   DMN decisions named by business rule tasks;
3. hand the parsed trees to SpiffWorkflow's ``SpiffBpmnParser`` (it never sees raw bytes),
   choose the main process and parse every executable process into specs, translating the
   parser's exceptions (some of them misleading) into plain words;
4. lint what the parser does not check: Python syntax of scripts and expressions, service
   operators, lanes of user and manual tasks, forms (JSON Schema files).

Hostile uploads are bounded: file, bundle, element and code-size limits (see the MAX_*
constants here and in ``engine.definitions.xml``) keep a bundle to a few seconds of work.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, Mapping

from lxml import etree
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask as SubWorkflowTaskMixin
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.definitions.checks import (
    check_business_rule_tasks,
    check_call_activities,
    check_expressions,
    check_sequence_flows,
    is_draft,
)
from engine.definitions.context import ValidationContext
from engine.definitions.findings import ERROR, INFO, WARNING, Finding, has_errors
from engine.definitions.importing import REJECTED, draft_key, note_vendor_extensions, verdict
from engine.definitions.limits import check_lengths
from engine.definitions.parser_errors import report_parser_error
from engine.definitions.task_checks import check_forms, check_task_specs, check_unconnected_tasks, visible_task_specs
from engine.definitions.timer_checks import check_timers
from engine.definitions.xml import (
    Report,
    bpmn_xpath,
    is_definitions,
    load_xml,
    read_text,
    shorten,
)
from engine.workflow.service_tasks import OnestopBpmnParser

MAX_FILES = 200
MAX_BUNDLE_BYTES = 20 * 1024 * 1024


@dataclass
class ValidatedBundle:
    findings: list[Finding]
    parser: SpiffBpmnParser | None  # loaded with all BPMN and DMN, None if nothing could be loaded
    process_ids: list[str]  # ids of executable processes found
    main_process_id: str | None  # the process to start cases on
    forms: dict[str, dict]  # form file name -> parsed JSON (Schema, or UI schema)
    normalized_files: dict[str, bytes]  # file name -> UTF-8 bytes as stored
    verdict: str = REJECTED  # executable, draft or rejected (see engine.bpmn_import)
    draft_key: str | None = None  # for a draft: the process it would start cases on
    main_file: str | None = None  # the .bpmn file that holds the process cases start on

    @property
    def process_key(self) -> str | None:
        """The key the bundle is stored under: its main process, or a draft's main process."""
        return self.main_process_id or self.draft_key

    @property
    def ok(self) -> bool:
        """Deployable: no ERROR finding and a main process to start cases on."""
        return not has_errors(self.findings) and self.main_process_id is not None


@contextmanager
def _guard(report: Report, what: str, file: str | None = None) -> Iterator[None]:
    """Last resort: an unexpected exception in one stage becomes an ERROR finding."""
    try:
        yield
    except Exception as error:  # noqa: BLE001 - validation must never raise
        report.add(
            ERROR,
            f"Validation could not finish {what} because of an unexpected error "
            f"({type(error).__name__}: {shorten(error)}). Check the file in the modeler; "
            "if it looks right, report this message.",
            file=file,
        )


def validate_bundle(
    files: Mapping[str, bytes],
    *,
    operators: set[str],
    script_functions: set[str] = frozenset(),
    main_process_id: str | None = None,
    asynchronous_operators: set[str] = frozenset(),
    notice_kinds: set[str] = frozenset(),
) -> ValidatedBundle:
    """Check a bundle of uploaded files before it is deployed. Never raises."""
    report = Report()
    bundle = ValidatedBundle([], None, [], None, {}, {})
    ctx = ValidationContext(
        report,
        set(operators or ()),
        set(script_functions or ()),
        asynchronous_operators=set(asynchronous_operators or ()),
        notice_kinds=set(notice_kinds or ()),
    )
    with _guard(report, "checking the bundle"):
        _validate(ctx, bundle, files, main_process_id)
    bundle.findings = report.unique_findings()
    bundle.verdict = verdict(bundle.findings, ctx.draft_reasons, bool(ctx.unreadable) or not ctx.bpmn)
    if bundle.verdict != REJECTED and bundle.main_process_id is None:
        bundle.draft_key = main_process_id or draft_key(ctx.bpmn)
    bundle.main_file = _file_of_process(ctx, bundle.process_key)
    return bundle


def _file_of_process(ctx: ValidationContext, process_id: str | None) -> str | None:
    """The BPMN file that defines ``process_id`` (shared subprocesses live in files of their own,
    so the file a diagram is shown from must be recorded, not guessed)."""
    return next((file for file, process in ctx.processes() if process.get("id") == process_id), None)


def _validate(
    ctx: ValidationContext, bundle: ValidatedBundle, files: Mapping[str, bytes], requested_main: str | None
) -> None:
    if not _bundle_size_ok(ctx.report, files):
        return
    # 1. Files: decoded, parsed safely, indexed by element id.
    bundle.normalized_files = _load_files(ctx, files)
    for file, root in ctx.dmn.items():
        ctx.report.index_document(file, root)
    # 2. Checks on the XML itself (they work even where SpiffWorkflow will fail).
    for file, root in ctx.bpmn.items():
        with _guard(ctx.report, "checking the XML", file):
            _check_xml(ctx, file, root)
    # 3. SpiffWorkflow: load the documents, pick the main process, parse the processes.
    ctx.parser = bundle.parser = _load_parser(ctx)
    bundle.process_ids = _executable_process_ids(ctx)
    with _guard(ctx.report, "checking call activities and business rule tasks"):
        check_call_activities(ctx.report, ctx.bpmn)
        check_business_rule_tasks(ctx.report, ctx.bpmn, ctx.decisions())
    bundle.main_process_id = _choose_main_process(ctx, bundle.process_ids, requested_main)
    specs = _parse_specs(ctx, bundle.process_ids) if ctx.parser else {}
    # 4. Lint the parsed task specs and the forms.
    with _guard(ctx.report, "checking the tasks"):
        check_task_specs(ctx, specs)
        check_unconnected_tasks(ctx, specs)
        check_lengths(ctx.report, files.keys(), bundle.process_ids, visible_task_specs(specs))
    with _guard(ctx.report, "checking the forms"):
        bundle.forms = check_forms(ctx, specs)
    # Finally, load the main process exactly as the runtime will.
    if bundle.main_process_id and ctx.parser and not has_errors(ctx.report.findings):
        _check_runtime_load(ctx, bundle.main_process_id)


# --------------------------------------------------------------------------------------
# 1. Loading files
# --------------------------------------------------------------------------------------


def _bundle_size_ok(report: Report, files: Mapping[str, bytes]) -> bool:
    if not files:
        report.add(ERROR, "The bundle is empty. Upload at least one .bpmn file.")
        return False
    if len(files) > MAX_FILES:
        report.add(ERROR, f"The bundle has {len(files)} files; the limit is {MAX_FILES}.")
        return False
    total = sum(len(raw) for raw in files.values() if isinstance(raw, (bytes, bytearray, str)))
    if total > MAX_BUNDLE_BYTES:
        report.add(ERROR, f"The bundle is {total:,} bytes; the limit is {MAX_BUNDLE_BYTES:,}.")
        return False
    return True


def _load_files(ctx: ValidationContext, files: Mapping[str, bytes]) -> dict[str, bytes]:
    """Load every file into ``ctx``; return the normalized bytes of the usable ones."""
    normalized: dict[str, bytes] = {}
    for name, raw in files.items():
        name = str(name)
        ctx.unreadable.add(name)  # until it loads
        with _guard(ctx.report, "reading the file", name):
            raw = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
            kind = name.rsplit(".", 1)[-1].lower() if "." in name else ""
            if kind in ("bpmn", "dmn"):
                ctx.bpmn_files_given += kind == "bpmn"
                data, root = load_xml(ctx.report, name, raw)
                if root is not None and is_definitions(ctx.report, name, root, kind):
                    normalized[name] = data
                    (ctx.bpmn if kind == "bpmn" else ctx.dmn)[name] = root
                    ctx.unreadable.discard(name)
            elif kind == "json":
                text = read_text(ctx.report, name, raw, xml=False)
                if text is not None:
                    normalized[name] = text.encode("utf-8")
                    ctx.json_texts[name] = text
                    ctx.unreadable.discard(name)
            else:
                ctx.unreadable.discard(name)
                ctx.report.add(
                    WARNING,
                    "Ignored file: only .bpmn (processes), .dmn (decision tables) and .json (forms) files are used.",
                    file=name,
                )
    return normalized


# --------------------------------------------------------------------------------------
# 2. Checks on the XML
# --------------------------------------------------------------------------------------


def _check_xml(ctx: ValidationContext, file: str, root: etree._Element) -> None:
    ctx.report.index_document(file, root)
    check_sequence_flows(ctx.report, file, root)
    check_expressions(ctx.report, file, root)
    check_timers(ctx.report, file, root, ctx.script_functions)
    note_vendor_extensions(ctx.report, file, root)


def _executable_process_ids(ctx: ValidationContext) -> list[str]:
    """Ids of the executable processes (in file order).

    A process marked not executable is a note when another process runs (a collaboration's pool
    for the citizen or another office is drawn, not run), and a draft reason when none does.
    """
    ids, drafts = [], []
    for file, process in ctx.processes():
        process_id = process.get("id")
        if not process_id:
            ctx.report.add_for(ERROR, "A process has no id. Give it one in the modeler.", process, file)
        elif is_draft(process):
            drafts.append((file, process))
        elif ctx.parser is not None and process_id in ctx.parser.process_parsers:
            ids.append(process_id)
    for file, process in drafts:
        _report_not_executable(ctx, file, process, runs_elsewhere=bool(ids))
    return list(dict.fromkeys(ids))


def _report_not_executable(ctx: ValidationContext, file: str, process: etree._Element, runs_elsewhere: bool) -> None:
    process_id = process.get("id")
    if runs_elsewhere:
        ctx.report.add_for(
            INFO,
            f"Process '{process_id}' is marked as not executable "
            '(isExecutable="false"): it is kept as documentation (for example the '
            "pool of another participant) and never runs.",
            process,
            file,
        )
        return
    ctx.report.add_for(
        ERROR,
        f"Process '{process_id}' is marked as not executable "
        '(isExecutable="false"), which means it is a draft: it is stored but no case '
        'can start on it. When it is ready, tick "Executable" in the modeler '
        '(isExecutable="true").',
        process,
        file,
    )
    ctx.mark_last_as_draft_reason()


# --------------------------------------------------------------------------------------
# 3. SpiffWorkflow parser
# --------------------------------------------------------------------------------------


def _load_parser(ctx: ValidationContext) -> SpiffBpmnParser | None:
    """A parser holding every DMN and BPMN document that SpiffWorkflow accepted."""
    parser, loaded = OnestopBpmnParser(), False
    for file, root in ctx.dmn.items():
        with _guard(ctx.report, "loading the decision table", file):
            loaded |= _add_dmn(ctx, parser, file, root)
    for file, root in ctx.bpmn.items():
        try:
            parser.add_bpmn_xml(root.getroottree(), filename=file)
            loaded = True
        except Exception as error:  # noqa: BLE001
            report_parser_error(ctx, error, file)
    return parser if loaded else None


def _add_dmn(ctx: ValidationContext, parser: SpiffBpmnParser, file: str, root: etree._Element) -> bool:
    before = dict(parser.dmn_parsers)
    try:
        parser.add_dmn_xml(root, filename=file)
        for decision_id in set(parser.dmn_parsers) - set(before):
            parser.get_engine(decision_id, root)  # parses the table as a business rule task would
    except Exception as error:  # noqa: BLE001
        if isinstance(error, (IndexError, KeyError)):
            ctx.report.add(
                ERROR,
                "The decision table cannot be read: it needs a decision with "
                "an id that holds one decision table. Check it in the modeler.",
                file=file,
            )
        else:
            report_parser_error(ctx, error, file)
        return False
    for decision_id in before:
        if before[decision_id] is not parser.dmn_parsers.get(decision_id):
            ctx.report.add(
                ERROR,
                f"Decision '{decision_id}' is defined in two files "
                f"({before[decision_id].filename} and {file}). Rename one.",
                file=file,
            )
    return True


def _choose_main_process(ctx: ValidationContext, executable: list[str], requested: str | None) -> str | None:
    all_ids = [process.get("id") for _, process in ctx.processes()]
    if requested:
        if requested in executable:
            return requested
        found = ", ".join(p for p in all_ids if p) or "none"
        ctx.report.add(
            ERROR,
            f"The main process '{requested}' is not an executable process of this bundle. Processes found: {found}.",
            element_id=requested,
            element_type="process",
        )
        return None
    called = {
        element.get("calledElement")
        for root in ctx.bpmn.values()
        for element in bpmn_xpath(root, ".//bpmn:callActivity")
    }
    candidates = [process_id for process_id in executable if process_id not in called]
    if len(candidates) == 1:
        return candidates[0]
    if not all_ids and ctx.bpmn_files_given:
        ctx.report.add(ERROR, "No BPMN process could be loaded, so no case can be started. Fix the errors above.")
    elif not all_ids:
        ctx.report.add(ERROR, "The bundle contains no BPMN process. Add the .bpmn file of the procedure.")
    elif not executable:
        ctx.report.add(
            ERROR,
            "The bundle has no executable process that could be loaded, so no "
            "case can be started. Fix the errors above.",
        )
        if ctx.draft_reasons or any(is_draft(process) for _, process in ctx.processes()):
            ctx.mark_last_as_draft_reason()
    elif not candidates:
        ctx.report.add(
            ERROR,
            "Every executable process is called by a call activity, so none of "
            "them is the process to start cases on. Name the main process when deploying.",
        )
    else:
        ctx.report.add(
            ERROR,
            "Cannot tell which process starts the cases: "
            f"{', '.join(candidates)} are not called by any call activity. Name the "
            "main process when deploying, or remove the processes that are not needed.",
        )
    return None


def _parse_specs(ctx: ValidationContext, process_ids: list[str]) -> dict:
    """Parse every executable process and what it calls or embeds, one at a time, so that an
    error in one process does not hide the errors of the others.

    (``parser.get_subprocess_specs`` stops at the first error. A process whose parse failed is
    never asked again: SpiffWorkflow would return the half-built spec it cached.)
    """
    specs, failed = {}, set()
    pending = list(process_ids)
    while pending:
        process_id = pending.pop(0)
        if process_id in specs or process_id in failed:
            continue
        try:
            spec = ctx.parser.get_spec(process_id)
        except Exception as error:  # noqa: BLE001
            failed.add(process_id)
            report_parser_error(ctx, error, ctx.report.file_of(process_id))
            continue
        specs[process_id] = spec
        for task_spec in spec.task_specs.values():
            if isinstance(task_spec, SubWorkflowTaskMixin) and _can_parse(ctx.parser, task_spec.spec):
                pending.append(task_spec.spec)
    return specs


def _can_parse(parser: SpiffBpmnParser, process_id: str) -> bool:
    process_parser = parser.get_process_parser(process_id)
    return process_parser is not None and process_parser.process_executable


def _check_runtime_load(ctx: ValidationContext, main_process_id: str) -> None:
    """Load the main process exactly as the runtime will (with everything it calls)."""
    try:
        ctx.parser.get_spec(main_process_id)
        ctx.parser.get_subprocess_specs(main_process_id)
    except Exception as error:  # noqa: BLE001
        report_parser_error(ctx, error, ctx.report.file_of(main_process_id))
