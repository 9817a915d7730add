"""Deploy-time validation of a procedure bundle: BPMN processes, DMN decisions, JSON Schema forms.

``validate_bundle`` never raises. Every problem becomes a ``Finding`` in words a process
designer can act on (what is wrong, on which element, how to fix it). The stages are:

1. load every file safely: size limit, encoding (BOM / UTF-16 -> UTF-8), no DOCTYPE, lxml
   with entity resolution and network access off (``engine.definitions.xml.load_xml``); index
   the ids BPMN defines (semantic and diagram elements; vendor extensions never count);
2. build each document's model view (``engine.definitions.model_view``: what the engine reads,
   without vendor extensions and data stores; a draft marked executable so it is checked fully)
   and check its XML directly: sequence flow ends, conditions, timers, top-level definitions,
   implicit splits, call activity targets, DMN decisions named by business rule tasks;
3. hand the model views to SpiffWorkflow's ``SpiffBpmnParser`` (it never sees raw bytes),
   choose the main process and parse every executable process into specs, translating the
   parser's exceptions (some of them misleading) into plain words;
4. lint what the parser does not check: Python syntax of scripts and expressions, service
   operators, who can claim each user, manual and untyped task, forms (JSON Schema files).

Hostile uploads are bounded: file, bundle, element and code-size limits (see the MAX_*
constants here and in ``engine.definitions.xml``) keep a bundle to a few seconds of work.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterator, Mapping

from lxml import etree
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask as SubWorkflowTaskMixin
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.definitions.checks import (
    check_business_rule_tasks,
    check_call_activities,
    check_dmn_expressions,
    check_expressions,
    check_sequence_flows,
    is_draft,
)
from engine.definitions.context import ValidationContext
from engine.definitions.findings import Finding, has_errors
from engine.definitions.importing import REJECTED, draft_key, note_vendor_extensions, verdict
from engine.definitions.kinds import listing, words
from engine.definitions.limits import check_lengths
from engine.definitions.model_view import drafts_to_check, model_view, running_processes
from engine.definitions.offers import Offer, fix_offers
from engine.definitions.parser_errors import report_parser_error
from engine.definitions.rehearsal import Rehearsal, assign_default_group, rehearse
from engine.definitions.required_steps import check_required_steps
from engine.definitions.sla_checks import check_sla_marks
from engine.definitions.task_checks import check_forms, check_task_specs, check_unconnected_tasks, visible_task_specs
from engine.definitions.timer_checks import check_timers, check_top_level_definitions
from engine.definitions.xml import Report, bpmn_xpath, describe, is_definitions, load_xml, read_text, shorten
from engine.registries import ProcedureCatalogue
from engine.workflow.service_tasks import OnestopBpmnParser

MAX_FILES = 200
MAX_BUNDLE_BYTES = 20 * 1024 * 1024
log = logging.getLogger("onestop.definitions")


@dataclass
class ValidatedBundle:
    findings: list[Finding]
    parser: SpiffBpmnParser | None  # loaded with all BPMN and DMN, None if nothing could be loaded
    process_ids: list[str]  # ids of executable processes found
    main_process_id: str | None  # the process to start cases on
    forms: dict[str, dict]  # form file name -> parsed JSON (Schema, or UI schema)
    normalized_files: dict[str, bytes]  # file name -> UTF-8 bytes as stored
    verdict: str = REJECTED  # executable, draft or rejected (see engine.definitions.importing)
    draft_key: str | None = None  # for a draft: the process it would start cases on
    main_file: str | None = None  # the .bpmn file that holds the process cases start on
    readable: bool = False  # every file could be read: it can be stored as a draft to fix it
    rehearsal: Rehearsal | None = None  # for an executable bundle: a case start tried in memory
    offers: list[Offer] = field(default_factory=list)  # the automatic fixes for its fixable findings

    @property
    def storable_as_draft(self) -> bool:
        """A rejected upload the designer may still import as a draft, to fix it in the modeller."""
        return self.readable and self.process_key is not None

    @property
    def process_key(self) -> str | None:
        """The key the bundle is stored under: its main process, or a draft's main process."""
        return self.main_process_id or self.draft_key

    @property
    def ok(self) -> bool:
        """Deployable: nothing blocks it (no error, no fixable problem) and a main process to start cases on."""
        return not has_errors(self.findings) and self.main_process_id is not None


@contextmanager
def _guard(report: Report, stage: str, file: str | None = None) -> Iterator[None]:
    """Last resort: an unexpected exception in one stage becomes an ERROR finding (in plain
    words: the exception itself goes to the server log)."""
    try:
        yield
    except Exception:  # noqa: BLE001 - validation must never raise
        log.exception("validation failed unexpectedly while %s (%s)", stage, file or "bundle")
        report.add("unexpected-error", file=file, stage=words(stage))


def validate_bundle(
    files: Mapping[str, bytes],
    *,
    operators: set[str],
    script_functions: set[str] = frozenset(),
    main_process_id: str | None = None,
    asynchronous_operators: set[str] = frozenset(),
    notice_kinds: set[str] = frozenset(),
    groups: frozenset[str] | None = None,
    default_group: str | None = None,
    rehearse_with: Callable[[], Any] | None = None,
    now: Callable[[], datetime] | None = None,
    catalogue: ProcedureCatalogue | None = None,
) -> ValidatedBundle:
    """Check a bundle of uploaded files before it is deployed. Never raises.

    ``groups`` are the office's groups (a task's lane must be one of them; None: not compared) and
    ``default_group`` the group that works tasks drawn in no lane (None: such tasks block).
    ``rehearse_with`` builds the script engine a rehearsal of a case start runs with (at ``now``),
    for an executable bundle; without it, nothing runs."""
    report = Report()
    bundle = ValidatedBundle([], None, [], None, {}, {})
    ctx = ValidationContext(
        report,
        set(operators or ()),
        set(script_functions or ()),
        asynchronous_operators=set(asynchronous_operators or ()),
        notice_kinds=set(notice_kinds or ()),
        groups=frozenset(groups) if groups is not None else None,
        default_group=default_group or None,
        catalogue=catalogue,
    )
    with _guard(report, "stage-bundle"):
        _validate(ctx, bundle, files, main_process_id)
    if rehearse_with is not None and bundle.main_process_id and not has_errors(report.findings):
        with _guard(report, "stage-rehearsal"):
            spec, subprocess_specs = _specs(bundle)
            clock = now or (lambda: datetime.now(timezone.utc))
            bundle.rehearsal = rehearse(
                spec,
                subprocess_specs,
                rehearse_with(),
                groups=ctx.groups,
                now=clock(),
                report=report,
                files=report.file_of,
            )
    bundle.findings = report.unique_findings()
    bundle.offers = fix_offers(bundle.findings, ctx.bpmn, ctx.groups)
    unreadable = bool(ctx.unreadable) or not ctx.bpmn
    bundle.readable = not unreadable
    bundle.verdict = verdict(bundle.findings, unreadable, marked_draft=bool(ctx.as_executable))
    if bundle.main_process_id is None and not unreadable:
        requested = main_process_id if main_process_id in {p.get("id") for _, p in ctx.processes()} else None
        bundle.draft_key = requested or draft_key(ctx.bpmn)
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
    # 1. Files: decoded, parsed safely, indexed by the ids BPMN defines.
    bundle.normalized_files = _load_files(ctx, files)
    for file, root in ctx.dmn.items():
        ctx.report.index_document(file, root)
        check_dmn_expressions(ctx.report, file, root)
    # 2. What the engine reads of each document, and checks on its XML (they work even where
    #    SpiffWorkflow will fail).
    ctx.as_executable = drafts_to_check(ctx.uploaded)
    for file, root in ctx.uploaded.items():
        with _guard(ctx.report, "stage-xml", file):
            ctx.report.index_document(file, root)
            note_vendor_extensions(ctx.report, file, root)
            check_top_level_definitions(ctx.report, file, root)
            ctx.bpmn[file] = model_view(ctx.report, file, root, ctx.as_executable)
            _check_xml(ctx, file, ctx.bpmn[file])
    # 3. SpiffWorkflow: load the documents, pick the main process, parse the processes.
    ctx.parser = bundle.parser = _load_parser(ctx)
    bundle.process_ids = _executable_process_ids(ctx)
    with _guard(ctx.report, "stage-calls"):
        running = [(file, process) for file, root in ctx.bpmn.items() for process in running_processes(root)]
        check_call_activities(ctx.report, ctx.bpmn, running)
        check_business_rule_tasks(ctx.report, running, ctx.decisions())
    bundle.main_process_id = _choose_main_process(ctx, bundle.process_ids, requested_main)
    specs = _parse_specs(ctx, bundle.process_ids) if ctx.parser else {}
    # 4. Lint the parsed task specs and the forms.
    with _guard(ctx.report, "stage-tasks"):
        check_task_specs(ctx, specs)
        check_unconnected_tasks(ctx, specs)
        check_sla_marks(ctx, specs, bundle.main_process_id)
        check_lengths(ctx.report, files.keys(), bundle.process_ids, visible_task_specs(specs))
    with _guard(ctx.report, "stage-forms"):
        bundle.forms = check_forms(ctx, specs)
    # Finally, load the main process exactly as the runtime will.
    if bundle.main_process_id and ctx.parser and not has_errors(ctx.report.findings):
        _check_runtime_load(ctx, bundle.main_process_id)
    if bundle.main_process_id and ctx.parser and not has_errors(ctx.report.findings):
        assign_default_group(*_specs(bundle), ctx.default_group)


def _specs(bundle: ValidatedBundle) -> tuple[Any, dict]:
    """The main process's spec and the specs of what it calls (cached by the parser)."""
    return bundle.parser.get_spec(bundle.main_process_id), bundle.parser.get_subprocess_specs(bundle.main_process_id)


# --------------------------------------------------------------------------------------
# 1. Loading files
# --------------------------------------------------------------------------------------


def _bundle_size_ok(report: Report, files: Mapping[str, bytes]) -> bool:
    if not files:
        report.add("bundle-empty")
        return False
    if len(files) > MAX_FILES:
        report.add("bundle-too-many-files", count=len(files), limit=MAX_FILES)
        return False
    total = sum(len(raw) for raw in files.values() if isinstance(raw, (bytes, bytearray, str)))
    if total > MAX_BUNDLE_BYTES:
        report.add("bundle-too-large", size=f"{total:,}", limit=f"{MAX_BUNDLE_BYTES:,}")
        return False
    return True


def _load_files(ctx: ValidationContext, files: Mapping[str, bytes]) -> dict[str, bytes]:
    """Load every file into ``ctx``; return the normalized bytes of the usable ones."""
    normalized: dict[str, bytes] = {}
    for name, raw in files.items():
        name = str(name)
        ctx.unreadable.add(name)  # until it loads
        with _guard(ctx.report, "stage-file", name):
            raw = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
            kind = name.rsplit(".", 1)[-1].lower() if "." in name else ""
            if kind in ("bpmn", "dmn"):
                ctx.bpmn_files_given += kind == "bpmn"
                data, root = load_xml(ctx.report, name, raw)
                if root is not None and is_definitions(ctx.report, name, root, kind):
                    normalized[name] = data
                    (ctx.uploaded if kind == "bpmn" else ctx.dmn)[name] = root
                    ctx.unreadable.discard(name)
            elif kind == "json":
                text = read_text(ctx.report, name, raw, xml=False)
                if text is not None:
                    normalized[name] = text.encode("utf-8")
                    ctx.json_texts[name] = text
                    ctx.unreadable.discard(name)
            else:
                ctx.unreadable.discard(name)
                ctx.report.add("file-ignored", file=name)
    return normalized


# --------------------------------------------------------------------------------------
# 2. Checks on the XML
# --------------------------------------------------------------------------------------


def _check_xml(ctx: ValidationContext, file: str, view: etree._Element) -> None:
    """Checks on what runs: processes marked not executable beside a running one are
    documentation (another participant's pool), never judged."""
    for process in running_processes(view):
        check_sequence_flows(ctx.report, file, process)
        check_expressions(ctx.report, file, process)
        check_timers(ctx.report, file, process, ctx.script_functions)
        check_required_steps(ctx.report, file, process)


def _executable_process_ids(ctx: ValidationContext) -> list[str]:
    """Ids of the executable processes (in file order).

    A process marked not executable is a note when another process runs (a collaboration's pool
    for the citizen or another office is drawn, not run). When none is executable the upload is a
    draft: each process is checked as if it were executable, with a finding that says so.
    """
    ids = []
    for file, process in ctx.processes():
        process_id = process.get("id")
        if not process_id:
            ctx.report.add("process-without-id", file=file, line=process.sourceline)
        elif is_draft(process):
            ctx.report.add("process-documentation", element_id=process_id, file=file, process=describe(process))
        elif ctx.parser is not None and process_id in ctx.parser.process_parsers:
            ids.append(process_id)
    for file, process in ctx.processes():
        if process.get("id") in ctx.as_executable:
            ctx.report.add("process-draft", element_id=process.get("id"), file=file, process=describe(process))
    return list(dict.fromkeys(ids))


# --------------------------------------------------------------------------------------
# 3. SpiffWorkflow parser
# --------------------------------------------------------------------------------------


def _load_parser(ctx: ValidationContext) -> SpiffBpmnParser | None:
    """A parser holding every DMN and BPMN document that SpiffWorkflow accepted."""
    parser, loaded = OnestopBpmnParser(), False
    for file, root in ctx.dmn.items():
        with _guard(ctx.report, "stage-dmn", file):
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
            ctx.report.add("decision-table-unreadable", file=file)
        else:
            report_parser_error(ctx, error, file)
        return False
    for decision_id in before:
        if before[decision_id] is not parser.dmn_parsers.get(decision_id):
            ctx.report.add(
                "decision-duplicate", file=file, decision=decision_id, first=before[decision_id].filename, second=file
            )
    return True


def _choose_main_process(ctx: ValidationContext, executable: list[str], requested: str | None) -> str | None:
    all_ids = [process.get("id") for _, process in ctx.processes()]
    if requested:
        if requested in executable:
            return requested
        ctx.report.add(
            "main-process-unknown",
            element_id=requested,
            element_type="process",
            requested=shorten(requested),
            found=listing(p for p in all_ids if p),
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
        ctx.report.add("no-process-loaded")
    elif not all_ids:
        ctx.report.add("no-process")
    elif not executable:
        ctx.report.add("no-executable-process")
    elif not candidates:
        ctx.report.add("all-processes-called")
    else:
        ctx.report.add("main-process-ambiguous", candidates=listing(candidates))
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
