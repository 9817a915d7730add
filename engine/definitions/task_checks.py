"""Stage 4 of validation: checks on the parsed task specs that the parser does not make
(Python of scripts, service operators, who can claim a task, SLA marks, notices, forms)."""

from __future__ import annotations

from typing import Iterator

from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask as ManualTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.none_task import NoneTask as NoneTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask as ScriptTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask as ServiceTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin

from engine.definitions.checks import check_unconnected, form_references
from engine.definitions.context import ValidationContext
from engine.definitions.findings import Text
from engine.definitions.kinds import listing, words
from engine.definitions.xml import parse_form_file, shorten
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


def _add(ctx: ValidationContext, kind: str, file: str | None, task_spec, **params) -> None:
    """A finding about the element a task spec stands for."""
    ctx.report.add(kind, element_id=task_spec.bpmn_id, file=file, **params)


def _check_scripts(ctx: ValidationContext, file: str | None, task_spec) -> None:
    scripts = []
    if isinstance(task_spec, ScriptTaskMixin):
        if not (task_spec.script or "").strip():
            _add(ctx, "script-missing", file, task_spec)
        else:
            scripts.append(("what-script", task_spec.script))
    scripts += [
        (what, getattr(task_spec, attribute, None))
        for what, attribute in (("what-prescript", "prescript"), ("what-postscript", "postscript"))
    ]
    for what, source in scripts:
        problem = ctx.report.check_python(source, "exec") if source else None
        if problem:
            _add(ctx, "script-invalid", file, task_spec, what=words(what), problem=problem)


def _check_service_task(ctx: ValidationContext, file: str | None, task_spec) -> None:
    operator = getattr(task_spec, "operation_name", None)
    if operator not in ctx.operators:
        _add(ctx, "service-operator-unknown", file, task_spec, operator=operator, operators=ctx.operator_list())
    if operator in ctx.asynchronous_operators and not has_error_boundary(task_spec):
        _add(ctx, "service-needs-fallback", file, task_spec, operator=operator)
    for param, details in (getattr(task_spec, "operation_params", None) or {}).items():
        expression = str(details.get("value", "")) if isinstance(details, dict) else ""
        problem = ctx.report.check_python(expression, "eval") if expression.strip() else None
        if problem:
            _add(
                ctx,
                "service-parameter-invalid",
                file,
                task_spec,
                param=param,
                problem=problem,
                code=shorten(expression),
            )


def _check_lane(ctx: ValidationContext, file: str | None, task_spec) -> None:
    """Someone must be able to claim every user, manual and untyped task: it is in a lane named
    after a group of the office, or (in no lane) the office's default group works it."""
    if not isinstance(task_spec, (UserTaskMixin, ManualTaskMixin, NoneTaskMixin)):
        return
    if isinstance(task_spec, NoneTaskMixin):
        _add(ctx, "untyped-task", file, task_spec)
    if task_spec.lane is None:
        if ctx.default_group:
            _add(ctx, "task-default-group", file, task_spec, group=ctx.default_group)
        else:
            _add(ctx, "task-without-lane", file, task_spec, groups=ctx.group_list())
    elif ctx.groups is not None and task_spec.lane not in ctx.groups:
        _add(ctx, "lane-without-group", file, task_spec, lane=shorten(task_spec.lane), groups=ctx.group_list())


def _check_sla_extension(ctx: ValidationContext, file: str | None, task_spec) -> None:
    properties = element_properties(task_spec)
    value = properties.get(SLA_EXTENSION_PROPERTY)
    if value is not None and sla_extension_amount(task_spec) is None:
        _add(ctx, "sla-extension-invalid", file, task_spec, property=SLA_EXTENSION_PROPERTY, value=shorten(value))


def _check_notice(ctx: ValidationContext, file: str | None, task_spec) -> None:
    """``notifyApplicant`` sends its notice when someone completes the task: it needs a user or
    manual task, and a kind the office has a text for."""
    kind = element_properties(task_spec).get(NOTIFY_PROPERTY)
    if kind is None:
        return
    if not isinstance(task_spec, (UserTaskMixin, ManualTaskMixin)):
        _add(ctx, "notice-on-wrong-task", file, task_spec, property=NOTIFY_PROPERTY)
    elif kind not in ctx.notice_kinds:
        _add(
            ctx,
            "notice-unknown",
            file,
            task_spec,
            notice=shorten(kind),
            property=NOTIFY_PROPERTY,
            known=listing(sorted(ctx.notice_kinds)),
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
    forms, problems = {}, {}  # problems: file -> what is wrong with it
    for file, text in ctx.json_texts.items():
        is_ui = file in references[FORM_UI_PROPERTY] and file not in references[FORM_KEY_PROPERTY]
        document, problem = parse_form_file(text, is_ui)
        if problem:
            problems[file] = problem
            ctx.report.add("form-file-unusable", file=file, form=file, problem=problem)
        else:
            forms[file] = document
        if not any(file in names for names in references.values()):
            ctx.report.add("form-unused", file=file, property=FORM_KEY_PROPERTY)
    for file, task_spec in visible_task_specs(specs):
        if isinstance(task_spec, UserTaskMixin):
            _check_task_forms(ctx, file, task_spec, problems)
    _check_data_objects(ctx, specs, forms)
    return forms


def _check_data_objects(ctx: ValidationContext, specs: dict, forms: dict[str, dict]) -> None:
    """A data object association moves a value named after the data object between the task and
    the process: a worked task must give that value (a form field), and what is read must be written."""
    written = {
        data_object.bpmn_id
        for _, task_spec in visible_task_specs(specs)
        for data_object in getattr(task_spec, "data_output_associations", [])
    }
    for file, task_spec in visible_task_specs(specs):
        for data_object in getattr(task_spec, "data_input_associations", []):
            if _is_data_object(data_object) and data_object.bpmn_id not in written:
                _add(ctx, "data-object-never-written", file, task_spec, data_object=_label(data_object))
        if not isinstance(task_spec, (UserTaskMixin, ManualTaskMixin, NoneTaskMixin)):
            continue  # scripts and services may set any value
        fields = _form_fields(forms.get(element_properties(task_spec).get(FORM_KEY_PROPERTY) or ""))
        for data_object in getattr(task_spec, "data_output_associations", []):
            if _is_data_object(data_object) and data_object.bpmn_id not in fields:
                _add(ctx, "data-object-not-written", file, task_spec, data_object=_label(data_object))


def _label(data_object) -> str:
    name = getattr(data_object, "bpmn_name", None)
    return f"{data_object.bpmn_id}" + (f" ({' '.join(name.split())})" if name and name != data_object.bpmn_id else "")


def _is_data_object(spec) -> bool:
    return type(spec).__name__ == "DataObject"


def _form_fields(schema: dict | None) -> set[str]:
    properties = (schema or {}).get("properties")
    return set(properties) if isinstance(properties, dict) else set()


def _check_task_forms(ctx: ValidationContext, file: str | None, task_spec, problems: dict[str, Text]) -> None:
    properties = element_properties(task_spec)
    for prop in (FORM_KEY_PROPERTY, FORM_UI_PROPERTY):
        form = properties.get(prop)
        if not form:
            continue
        if form in ctx.unreadable:
            _add(ctx, "task-form-unreadable", file, task_spec, form=form)
        elif form not in ctx.json_texts:
            _add(ctx, "task-form-missing", file, task_spec, form=form, property=prop)
        elif form in problems:
            _add(ctx, "task-form-unusable", file, task_spec, form=form, problem=problems[form])
