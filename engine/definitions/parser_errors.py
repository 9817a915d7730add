"""SpiffWorkflow's parser exceptions, translated into findings a process designer can act on.

The parser's messages are written for developers, and some are misleading ("perhaps a form has
the same ID?" for a flow whose target is missing, a TypeError for an undefined reference): each
known message has a handler that names the element and says how to fix it, in
``_TRANSLATIONS``. Part of deploy-time validation (``engine.validation``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from engine.definitions.checks import (
    call_activity_problem,
    decision_of,
    missing_decision_message,
    missing_flow_end_message,
)
from engine.definitions.context import ValidationContext
from engine.definitions.findings import ERROR
from engine.definitions.timer_checks import timer_without_time
from engine.definitions.xml import bpmn_xpath, describe, local_name, shorten


@dataclass
class _ParserError:
    """What we know about one exception from SpiffWorkflow's parser."""

    file: str | None
    element: etree._Element | None  # the element the parser complained about, if known

    def where(self) -> str:
        return describe(self.element) if self.element is not None else f"File {self.file}"


def report_parser_error(ctx: ValidationContext, error: Exception, file: str | None) -> None:
    """Add an ERROR finding for an exception raised by SpiffWorkflow's parser."""
    explain = None
    if isinstance(error, ValidationException):
        file = error.file_name or file
        raw = str(error.args[0]) if error.args else ""
        problem = _ParserError(file, ctx.report.element(file, error.id or None))
        for pattern, explain in _TRANSLATIONS:
            match = pattern.search(raw)
            if match:
                message, element = explain(ctx, problem, match)
                break
        else:
            message, element = (
                f"{problem.where()} cannot be loaded: {shorten(raw)}. Check this element in the modeler.",
                problem.element,
            )
    else:
        message, element = (
            f"The engine could not load the process ({type(error).__name__}: "
            f"{shorten(error)}). Check the file in the modeler; if it looks "
            "right, report this message.",
            None,
        )
    if element is not None:
        ctx.report.add_for(ERROR, message, element, file)
    else:
        ctx.report.add(ERROR, message, file=file)
    if isinstance(error, ValidationException) and explain in _DRAFT_REASONS:
        ctx.mark_last_as_draft_reason()


def _unsupported(ctx: ValidationContext, problem: _ParserError, match: re.Match):
    tag = local_name(problem.element.tag) if problem.element is not None else ""
    fix = (
        "Replace it with exclusive, inclusive or parallel gateways."
        if tag == "complexGateway"
        else "Replace it with a supported element (user, manual, script, service or business "
        "rule task, call activity, subprocess, exclusive, inclusive, parallel or event-based "
        "gateway, or an event)."
    )
    return f"{problem.where()} is not supported by the engine. {fix}", problem.element


def _implicit_split(ctx: ValidationContext, problem: _ParserError, match: re.Match):
    flows = _outgoing_flows(ctx, problem)
    listing = f" ({', '.join(flows)})" if flows else ""
    return (
        f"{problem.where()} has {len(flows) or 'several'} outgoing sequence flows{listing}. "
        "The engine does not split the flow after a task by itself: add a parallel gateway "
        "after the task to follow all paths at the same time, or an exclusive gateway to "
        "choose one of them. If no flow has a condition, validating with "
        "?fix=implicit-splits inserts the parallel gateway for you.",
        problem.element,
    )


def _outgoing_flows(ctx: ValidationContext, problem: _ParserError) -> list[str]:
    if problem.element is None or problem.file not in ctx.bpmn:
        return []
    source = problem.element.get("id")
    return [
        flow.get("id")
        for flow in bpmn_xpath(ctx.bpmn[problem.file], ".//bpmn:sequenceFlow")
        if flow.get("sourceRef") == source
    ]


def _missing_target(ctx: ValidationContext, problem: _ParserError, match: re.Match):
    # SpiffWorkflow says "perhaps a form has the same ID?"; the flow's target does not exist.
    target = match.group(1)
    source = problem.element.get("id") if problem.element is not None else None
    root = ctx.bpmn.get(problem.file)
    for flow in bpmn_xpath(root, ".//bpmn:sequenceFlow") if root is not None else []:
        if flow.get("sourceRef") == source and flow.get("targetRef") == target:
            return missing_flow_end_message(flow.get("id"), "points to", target), flow
    return (
        f"A sequence flow leaving {problem.where()} points to element '{target}' which does "
        "not exist. Reconnect the arrow in the modeler or delete it.",
        problem.element,
    )


def _no_operator(ctx: ValidationContext, problem: _ParserError, match: re.Match):
    return (
        f"{problem.where()} has no operator. Choose the operation it calls in the modeler "
        f"(spiffworkflow:serviceTaskOperator). {ctx.operator_list()}",
        problem.element,
    )


def _flow_without_condition(ctx: ValidationContext, problem: _ParserError, match: re.Match):
    flow = problem.element
    gateway = ctx.report.element(problem.file, flow.get("sourceRef")) if flow is not None else None
    origin = describe(gateway) if gateway is not None else "a gateway"
    return (
        f"{problem.where()} leaves {origin} without a condition. Give it a condition, or "
        "make it the gateway's default flow.",
        flow,
    )


def _no_start_event(ctx: ValidationContext, problem: _ParserError, match: re.Match):
    return (f"{problem.where()} has no start event. Add a start event where cases begin.", problem.element)


def _missing_decision(ctx: ValidationContext, problem: _ParserError, match: re.Match):
    task = problem.element
    if task is None:
        return (f"A business rule task evaluates decision '{match.group(1)}', which is not in the bundle.", None)
    return missing_decision_message(task, decision_of(task), ctx.decisions()), task


def _no_called_element(ctx: ValidationContext, problem: _ParserError, match: re.Match):
    return call_activity_problem(problem.element, set(), set()), problem.element


def _duplicate_process(ctx: ValidationContext, problem: _ParserError, match: re.Match):
    return (
        f"Two processes have the id '{match.group(1)}'. Process ids must be unique in the bundle: rename one of them.",
        problem.element,
    )


def _data_store(ctx: ValidationContext, problem: _ParserError, match: re.Match):
    return (
        f"Data store '{match.group(1)}' is not supported by the engine. Remove it and keep "
        "the data in process variables instead.",
        None,
    )


def _catch_event_without_type(ctx: ValidationContext, problem: _ParserError, match: re.Match):
    return (
        f"{problem.where()} has no event type. Choose one in the modeler (timer, message, "
        "signal, error, escalation) or remove the event.",
        problem.element,
    )


def _undefined_reference(ctx: ValidationContext, problem: _ParserError, match: re.Match):
    # SpiffWorkflow's error path for an undefined message/signal/error/escalation itself fails
    # with a TypeError; find the dangling reference ourselves.
    element = problem.element
    if element is not None:
        for node in element.iter(tag=etree.Element):
            for attribute in ("messageRef", "signalRef", "errorRef", "escalationRef"):
                ref = node.get(attribute)
                if ref and ctx.report.element(None, ref) is None:
                    kind = attribute[:-3]
                    return (
                        f"{problem.where()} refers to {kind} '{ref}', which is not defined. "
                        f"Choose an existing {kind} in the modeler or define it.",
                        element,
                    )
    return (
        f"{problem.where()} refers to a message, signal, error or escalation that is not "
        "defined. Check its event settings in the modeler.",
        element,
    )


def _timer_without_time(ctx: ValidationContext, problem: _ParserError, match: re.Match):
    # Same finding as the XML check (so the two collapse into one).
    definitions = bpmn_xpath(problem.element, ".//bpmn:timerEventDefinition") if problem.element is not None else []
    if definitions:
        return timer_without_time(definitions[0])
    return f"{problem.where()} has a timer without a time set.", problem.element


def _dmn_output(ctx: ValidationContext, problem: _ParserError, match: re.Match):
    return (
        f"The output {match.group(1)!r} of {problem.where()} in the decision table is not a "
        "valid Python expression. Fix it in the decision table editor (texts need quotes).",
        problem.element,
    )


def _internal_error(ctx: ValidationContext, problem: _ParserError, match: re.Match):
    name, detail = match.group(1), match.group(2)
    if name == "RecursionError":
        return (
            f"{problem.where()} is part of a chain of elements too long for the engine. "
            "Move part of the procedure into a call activity or subprocess.",
            problem.element,
        )
    return (
        f"{problem.where()} could not be read by the engine ({name}: {shorten(detail)}). "
        "Check this element's settings in the modeler (a missing name, id or type?).",
        problem.element,
    )


# (pattern on SpiffWorkflow's message, function returning (message, element to report on))
_TRANSLATIONS = [
    (re.compile(r"There is no support implemented for this task type"), _unsupported),
    (re.compile(r"Multiple outgoing flows are not supported"), _implicit_split),
    (re.compile(r"perhaps a form has the same ID\? \((.*)\)"), _missing_target),
    (re.compile(r"A Service Task must have an operator"), _no_operator),
    (re.compile(r"Non-default exclusive outgoing sequence flow without condition"), _flow_without_condition),
    (re.compile(r"No start event found"), _no_start_event),
    (re.compile(r'No DMN Diagram available with id "([^"]*)"'), _missing_decision),
    (re.compile(r'No "calledElement" attribute'), _no_called_element),
    (re.compile(r"Duplicate process ID: (.*)"), _duplicate_process),
    (re.compile(r"Data Store with name (.*) has no implementation"), _data_store),
    (re.compile(r"Unsupported Catch Event"), _catch_event_without_type),
    (re.compile(r"Unknown Time Specification"), _timer_without_time),
    (re.compile(r"Malformed Output Expression '(.*)'\. ", re.DOTALL), _dmn_output),
    (re.compile(r"raise_validation_exception\(\) got an unexpected keyword"), _undefined_reference),
    (re.compile(r"^(\w+(?:Error|Exception))\((.*)\)$", re.DOTALL), _internal_error),
]


# Valid BPMN the engine does not run: the upload is kept as a draft.
_DRAFT_REASONS = (_unsupported, _implicit_split, _data_store)
