"""SpiffWorkflow's parser exceptions, translated into findings a process designer can act on.

The parser's messages are written for developers, and some are misleading ("perhaps a form has
the same ID?" for a flow whose target is missing, a TypeError for an undefined reference) or carry
Python object representations (``<Element {...}sourceRef at 0x...>``): each known message has a
handler that names the element and says how to fix it, in ``_TRANSLATIONS``. An unknown message
becomes a finding in our own words that names the element; the parser's text goes to the server
log, never to the designer. Part of deploy-time validation (``engine.definitions.validation``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from engine.definitions.checks import call_activity_problem, decision_of, missing_decision
from engine.definitions.context import ValidationContext
from engine.definitions.kinds import file_text, words
from engine.definitions.timer_checks import timer_subject
from engine.definitions.xml import bpmn_xpath, describe, local_name, shorten

log = logging.getLogger("onestop.definitions")

# A translation: (kind, the element the finding is about, the kind's values)
Translation = tuple[str, etree._Element | None, dict]


@dataclass
class _ParserError:
    """What we know about one exception from SpiffWorkflow's parser."""

    file: str | None
    element: etree._Element | None  # the element the parser complained about, if known

    def where(self):
        return describe(self.element) if self.element is not None else file_text(self.file)


def report_parser_error(ctx: ValidationContext, error: Exception, file: str | None) -> None:
    """Add a finding for an exception raised by SpiffWorkflow's parser."""
    kind, element, values = "process-unloadable", None, {}
    if isinstance(error, ValidationException):
        file = error.file_name or file
        raw = str(error.args[0]) if error.args else ""
        problem = _ParserError(file, ctx.report.element(file, error.id or None))
        for pattern, explain in _TRANSLATIONS:
            match = pattern.search(raw)
            if match:
                kind, element, values = explain(ctx, problem, match)
                break
        else:
            element = problem.element
            values = {"where": problem.where()}
            log.warning("unrecognised parser message in %s: %s", file, shorten(raw))
    else:
        values = {"where": file_text(file)}
        log.warning("the parser failed on %s: %s: %s", file, type(error).__name__, shorten(error))
    ctx.report.add(kind, at=element, file=file, **values)


def _unsupported(ctx: ValidationContext, problem: _ParserError, match: re.Match) -> Translation:
    tag = local_name(problem.element.tag) if problem.element is not None else ""
    return (
        ("complex-gateway" if tag == "complexGateway" else "element-unsupported"),
        problem.element,
        {"element": problem.where()},
    )


def _implicit_split(ctx: ValidationContext, problem: _ParserError, match: re.Match) -> Translation:
    # The model view inserts the gateway before the parser sees a split; this is a shape it missed.
    flows = _outgoing_flows(ctx, problem)
    return "implicit-split-conditional", problem.element, {"count": len(flows) or 2, "flows": ", ".join(flows)}


def _outgoing_flows(ctx: ValidationContext, problem: _ParserError) -> list[str]:
    if problem.element is None or problem.file not in ctx.bpmn:
        return []
    source = problem.element.get("id")
    return [
        flow.get("id")
        for flow in bpmn_xpath(ctx.bpmn[problem.file], ".//bpmn:sequenceFlow")
        if flow.get("sourceRef") == source
    ]


def _missing_target(ctx: ValidationContext, problem: _ParserError, match: re.Match) -> Translation:
    # SpiffWorkflow says "perhaps a form has the same ID?"; the flow's target does not exist.
    target = match.group(1)
    source = problem.element.get("id") if problem.element is not None else None
    root = ctx.bpmn.get(problem.file)
    for flow in bpmn_xpath(root, ".//bpmn:sequenceFlow") if root is not None else []:
        if flow.get("sourceRef") == source and flow.get("targetRef") == target:
            return "flow-end-unknown", flow, {"flow": flow.get("id"), "role": words("role-target"), "ref": target}
    return "flow-end-unknown", problem.element, {"flow": "?", "role": words("role-target"), "ref": shorten(target)}


def _no_operator(ctx: ValidationContext, problem: _ParserError, match: re.Match) -> Translation:
    return "service-without-operator", problem.element, {"element": problem.where(), "operators": ctx.operator_list()}


def _flow_without_condition(ctx: ValidationContext, problem: _ParserError, match: re.Match) -> Translation:
    flow = problem.element
    gateway = ctx.report.element(problem.file, flow.get("sourceRef")) if flow is not None else None
    origin = describe(gateway) if gateway is not None else words("a-gateway")
    return "flow-without-condition", flow, {"flow": problem.where(), "origin": origin}


def _no_start_event(ctx: ValidationContext, problem: _ParserError, match: re.Match) -> Translation:
    return "no-start-event", problem.element, {"element": problem.where()}


def _missing_decision(ctx: ValidationContext, problem: _ParserError, match: re.Match) -> Translation:
    task = problem.element
    if task is None:
        return "process-unloadable", None, {"where": file_text(problem.file)}
    kind, values = missing_decision(task, decision_of(task), ctx.decisions())
    return kind, task, values


def _no_called_element(ctx: ValidationContext, problem: _ParserError, match: re.Match) -> Translation:
    kind, values = call_activity_problem(problem.element, set(), set()) or ("call-without-target", {})
    return kind, problem.element, values


def _duplicate_process(ctx: ValidationContext, problem: _ParserError, match: re.Match) -> Translation:
    return "duplicate-process", problem.element, {"id": shorten(match.group(1))}


def _catch_event_without_type(ctx: ValidationContext, problem: _ParserError, match: re.Match) -> Translation:
    return "catch-event-without-type", problem.element, {"element": problem.where()}


def _undefined_reference(ctx: ValidationContext, problem: _ParserError, match: re.Match) -> Translation:
    # SpiffWorkflow's error path for an undefined message/signal/error/escalation itself fails
    # with a TypeError; find the dangling reference ourselves.
    element = problem.element
    if element is not None:
        for node in element.iter(tag=etree.Element):
            for attribute in ("messageRef", "signalRef", "errorRef", "escalationRef"):
                ref = node.get(attribute)
                if ref and ctx.report.element(None, ref) is None:
                    what = words(f"ref-{attribute[:-3]}")
                    return "reference-undefined", element, {"element": problem.where(), "what": what, "ref": ref}
    return "reference-undefined-unknown", element, {"element": problem.where()}


def _timer_without_time(ctx: ValidationContext, problem: _ParserError, match: re.Match) -> Translation:
    # Same finding as the XML check (so the two collapse into one).
    definitions = bpmn_xpath(problem.element, ".//bpmn:timerEventDefinition") if problem.element is not None else []
    if definitions:
        subject, target = timer_subject(definitions[0])
        return "timer-without-time", target, {"timer": subject}
    return "timer-without-time", problem.element, {"timer": problem.where()}


def _dmn_output(ctx: ValidationContext, problem: _ParserError, match: re.Match) -> Translation:
    return "dmn-output-invalid", problem.element, {"element": problem.where(), "output": repr(shorten(match.group(1)))}


def _data_association(ctx: ValidationContext, problem: _ParserError, match: re.Match) -> Translation:
    # SpiffWorkflow's message quotes an lxml element's repr; name the reference instead.
    element, refs = problem.element, []
    if element is not None:
        path = "./bpmn:dataInputAssociation/bpmn:sourceRef | ./bpmn:dataOutputAssociation/bpmn:targetRef"
        refs = [(ref.text or "").strip() for ref in bpmn_xpath(element, path)]
    unresolved = [ref for ref in refs if ctx.report.element(problem.file, ref) is None] or refs or ["?"]
    return "data-association-unresolved", element, {"element": problem.where(), "ref": shorten(unresolved[0])}


def _internal_error(ctx: ValidationContext, problem: _ParserError, match: re.Match) -> Translation:
    if match.group(1) == "RecursionError":
        return "chain-too-long", problem.element, {"element": problem.where()}
    log.warning("the parser failed on %s: %s", problem.file, shorten(match.group(0)))
    if problem.element is None:
        return "process-unloadable", None, {"where": problem.where()}
    return "element-unreadable", problem.element, {"element": problem.where()}


# (pattern on SpiffWorkflow's message, function returning (kind, element, values))
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
    (re.compile(r"Unsupported Catch Event"), _catch_event_without_type),
    (re.compile(r"Unknown Time Specification"), _timer_without_time),
    (re.compile(r"Malformed Output Expression '(.*)'\. ", re.DOTALL), _dmn_output),
    (re.compile(r"raise_validation_exception\(\) got an unexpected keyword"), _undefined_reference),
    (re.compile(r"Cannot resolve data(Input|Output)Association"), _data_association),
    (re.compile(r"^(\w+(?:Error|Exception))\((.*)\)$", re.DOTALL), _internal_error),
]
