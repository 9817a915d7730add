"""Stage 4 of validation: checks on the parsed task specs that the parser does not make
(Python of scripts, service operators, lanes, SLA marks, notices, forms)."""

from __future__ import annotations

from typing import Iterator

from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask as ManualTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.none_task import NoneTask as NoneTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask as ScriptTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask as ServiceTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin

from engine.definitions.checks import check_unconnected, form_references
from engine.definitions.context import ValidationContext
from engine.definitions.findings import ERROR, WARNING
from engine.definitions.xml import describe, parse_form_file, shorten
from engine.workflow.runtime import (
    FORM_KEY_PROPERTY,
    FORM_UI_PROPERTY,
    NOTIFY_PROPERTY,
    SLA_EXTENSION_PROPERTY,
    element_properties,
    sla_extension_amount,
)
from engine.workflow.service_tasks import has_error_boundary


def visible_task_specs(specs: dict) -> Iterator[tuple[str | None, object]]:
    """(file, task spec) of every task spec that stands for a BPMN element."""
    for spec in specs.values():
        for task_spec in spec.task_specs.values():
            if getattr(task_spec, "bpmn_id", None):
                yield spec.file, task_spec


def check_task_specs(ctx: ValidationContext, specs: dict) -> None:
    for file, task_spec in visible_task_specs(specs):
        _check_scripts(ctx, file, task_spec)
        if isinstance(task_spec, ServiceTaskMixin):
            _check_service_task(ctx, file, task_spec)
        _check_lane(ctx, file, task_spec)
        _check_sla_extension(ctx, file, task_spec)
        _check_notice(ctx, file, task_spec)


def _task_name(ctx: ValidationContext, file: str | None, task_spec) -> str:
    element = ctx.report.element(file, task_spec.bpmn_id)
    return describe(element) if element is not None else f"task '{task_spec.bpmn_id}'"


def _check_scripts(ctx: ValidationContext, file: str | None, task_spec) -> None:
    scripts = []
    if isinstance(task_spec, ScriptTaskMixin):
        if not (task_spec.script or "").strip():
            ctx.report.add_for_id(
                ERROR,
                f"{_task_name(ctx, file, task_spec)} has no script. "
                "Write the script, or change it to another task type.",
                task_spec.bpmn_id,
                file,
            )
        else:
            scripts.append(("script", task_spec.script))
    scripts += [
        (what, getattr(task_spec, attribute, None))
        for what, attribute in (("pre-script", "prescript"), ("post-script", "postscript"))
    ]
    for what, source in scripts:
        problem = ctx.report.check_python(source, "exec") if source else None
        if problem:
            ctx.report.add_for_id(
                ERROR,
                f"The {what} of {_task_name(ctx, file, task_spec)} is not accepted: {problem}. Fix the {what}.",
                task_spec.bpmn_id,
                file,
            )


def _check_service_task(ctx: ValidationContext, file: str | None, task_spec) -> None:
    name = _task_name(ctx, file, task_spec)
    operator = getattr(task_spec, "operation_name", None)
    if operator not in ctx.operators:
        ctx.report.add_for_id(
            ERROR,
            f"{name} calls the operator '{operator}', which is not "
            f"registered. Choose a registered operator or register it. "
            f"{ctx.operator_list()}",
            task_spec.bpmn_id,
            file,
        )
    if operator in ctx.asynchronous_operators and not has_error_boundary(task_spec):
        ctx.report.add_for_id(
            ERROR,
            f"{name} asks another agency ('{operator}'), which can fail to answer. "
            "Attach an error boundary event that leads to a task where a clerk checks by "
            "hand (see docs/agencies.md).",
            task_spec.bpmn_id,
            file,
        )
    for param, details in (getattr(task_spec, "operation_params", None) or {}).items():
        expression = str(details.get("value", "")) if isinstance(details, dict) else ""
        problem = ctx.report.check_python(expression, "eval") if expression.strip() else None
        if problem:
            ctx.report.add_for_id(
                ERROR,
                f"The parameter '{param}' of {name} is not accepted "
                f"as a Python expression: {problem}. Fix `{shorten(expression)}` "
                "(to pass a text, write it in quotes).",
                task_spec.bpmn_id,
                file,
            )


def _check_lane(ctx: ValidationContext, file: str | None, task_spec) -> None:
    """User and manual tasks need a lane (the role that does them); untyped tasks wait too."""
    if isinstance(task_spec, (UserTaskMixin, ManualTaskMixin)) and task_spec.lane is None:
        name = _task_name(ctx, file, task_spec)
        ctx.report.add_for_id(
            ERROR,
            f"{name} is not in a lane, so nobody would be asked to do "
            "it. Put it in a lane named after the role that does it (e.g. "
            '"Clerk"); unnamed lanes do not count.',
            task_spec.bpmn_id,
            file,
        )
    elif isinstance(task_spec, NoneTaskMixin):
        name = _task_name(ctx, file, task_spec)
        ctx.report.add_for_id(
            WARNING,
            f"{name} has no task type, so the engine waits for "
            "someone to complete it like a manual task. Make it a user, "
            "manual, script or service task.",
            task_spec.bpmn_id,
            file,
        )


def _check_sla_extension(ctx: ValidationContext, file: str | None, task_spec) -> None:
    properties = element_properties(task_spec)
    value = properties.get(SLA_EXTENSION_PROPERTY)
    if value is not None and sla_extension_amount(task_spec) is None:
        ctx.report.add_for_id(
            ERROR,
            f"{_task_name(ctx, file, task_spec)} has {SLA_EXTENSION_PROPERTY} = "
            f"'{shorten(value)}': write a positive number, the standard time (in the "
            "procedure's unit) the element adds each time it finishes.",
            task_spec.bpmn_id,
            file,
        )


def _check_notice(ctx: ValidationContext, file: str | None, task_spec) -> None:
    """``notifyApplicant`` sends its notice when someone completes the task: it needs a user or
    manual task, and a kind the office has a text for."""
    kind = element_properties(task_spec).get(NOTIFY_PROPERTY)
    if kind is None:
        return
    name = _task_name(ctx, file, task_spec)
    if not isinstance(task_spec, (UserTaskMixin, ManualTaskMixin)):
        ctx.report.add_for_id(
            ERROR,
            f"{name} has {NOTIFY_PROPERTY}, but only a user or manual task sends "
            "its notice (when someone completes it). Move the property to such a task.",
            task_spec.bpmn_id,
            file,
        )
    elif kind not in ctx.notice_kinds:
        known = ", ".join(sorted(ctx.notice_kinds)) or "none"
        ctx.report.add_for_id(
            ERROR,
            f"{name} asks for the notice '{shorten(kind)}' ({NOTIFY_PROPERTY}), "
            f"which the office has no text for, so nobody would be told. Known notices: "
            f"{known}.",
            task_spec.bpmn_id,
            file,
        )


def check_unconnected_tasks(ctx: ValidationContext, specs: dict) -> None:
    """Flow elements that the parser never reached (no path from a start event) never run."""
    reached = {task_spec.bpmn_id for _, task_spec in visible_task_specs(specs)}
    for spec_name, spec in specs.items():
        container = ctx.report.element(spec.file, spec_name)  # the process or subProcess
        if container is not None:
            check_unconnected(ctx.report, spec.file, container, reached)


# --------------------------------------------------------------------------------------
# Forms
# --------------------------------------------------------------------------------------


def check_forms(ctx: ValidationContext, specs: dict) -> dict[str, dict]:
    """Check every .json file and every user task's form; return the usable form files."""
    references = {name: set() for name in (FORM_KEY_PROPERTY, FORM_UI_PROPERTY)}
    for root in ctx.bpmn.values():
        for prop, value in form_references(root):
            references.setdefault(prop, set()).add(value)
    forms, problems = {}, {}
    for file, text in ctx.json_texts.items():
        is_ui = file in references[FORM_UI_PROPERTY] and file not in references[FORM_KEY_PROPERTY]
        document, problem = parse_form_file(text, is_ui)
        if problem:
            problems[file] = problem
            ctx.report.add(ERROR, f"The form file {file} {problem}", file=file)
        else:
            forms[file] = document
        if not any(file in names for names in references.values()):
            ctx.report.add(
                WARNING,
                f"No user task uses this form. Reference it from a user task ({FORM_KEY_PROPERTY}) or remove it.",
                file=file,
            )
    for file, task_spec in visible_task_specs(specs):
        if isinstance(task_spec, UserTaskMixin):
            _check_task_forms(ctx, file, task_spec, problems)
    return forms


def _check_task_forms(ctx: ValidationContext, file: str | None, task_spec, problems: dict[str, str]) -> None:
    properties = element_properties(task_spec)
    for prop in (FORM_KEY_PROPERTY, FORM_UI_PROPERTY):
        form = properties.get(prop)
        if not form:
            continue
        name = _task_name(ctx, file, task_spec)
        if form in ctx.unreadable:
            ctx.report.add_for_id(
                ERROR,
                f"{name} uses the form file {form}, which cannot be read (see the finding about that file).",
                task_spec.bpmn_id,
                file,
            )
        elif form not in ctx.json_texts:
            ctx.report.add_for_id(
                ERROR,
                f"{name} uses the form file {form} ({prop}), which is "
                "not in the bundle. Add the file or correct the name.",
                task_spec.bpmn_id,
                file,
            )
        elif form in problems:
            ctx.report.add_for_id(
                ERROR,
                f"{name} uses the form file {form}, which is not usable: it {problems[form]}",
                task_spec.bpmn_id,
                file,
            )
