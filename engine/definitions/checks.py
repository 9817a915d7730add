"""The checks that read the BPMN XML directly: sequence flows, call activities, business rule
tasks, unconnected elements, and the Python of conditions and other expressions."""

from __future__ import annotations

import ast
from typing import Iterable

from lxml import etree

from engine.definitions.kinds import listing, words
from engine.definitions.xml import Report, bpmn_xpath, identified_elements, local_name, shorten


def check_sequence_flows(report: Report, file: str, process: etree._Element) -> None:
    """Every sequence flow must connect two elements of its own process."""
    ids = {element.get("id") for element in identified_elements(process, diagram=False)}
    for flow in bpmn_xpath(process, ".//bpmn:sequenceFlow"):
        for attribute, role in (("sourceRef", "role-source"), ("targetRef", "role-target")):
            ref = flow.get(attribute)
            if not ref:
                report.add("flow-end-missing", at=flow, file=file, flow=flow.get("id"), attribute=attribute)
            elif ref not in ids:
                report.add("flow-end-unknown", at=flow, file=file, flow=flow.get("id"), role=words(role), ref=ref)


def is_draft(process: etree._Element) -> bool:
    return process.get("isExecutable", "true").strip().lower() == "false"


def call_activity_problem(element: etree._Element, executable: set[str], drafts: set[str]) -> tuple[str, dict] | None:
    """Why a call activity cannot run, as (kind, values); None if its target is an executable process."""
    target = element.get("calledElement")
    if not target:
        return "call-without-target", {}
    if target in drafts:
        return "call-to-draft", {"target": target}
    if target not in executable:
        return "call-to-missing", {"target": target}
    return None


def check_call_activities(
    report: Report, documents: dict[str, etree._Element], running: list[tuple[str, etree._Element]]
) -> None:
    """Every call activity of a running process must call an executable process of the bundle (any file)."""
    executable, drafts = set(), set()
    for root in documents.values():
        for process in bpmn_xpath(root, ".//bpmn:process"):
            (drafts if is_draft(process) else executable).add(process.get("id"))
    for file, root in running:
        for element in bpmn_xpath(root, ".//bpmn:callActivity"):
            problem = call_activity_problem(element, executable, drafts)
            if problem:
                report.add(problem[0], at=element, file=file, **problem[1])


def decision_of(task: etree._Element) -> str | None:
    """The DMN decision id a businessRuleTask evaluates (spiffworkflow:calledDecisionId)."""
    refs = bpmn_xpath(task, "./bpmn:extensionElements/spiffworkflow:calledDecisionId")
    return (refs[0].text or "").strip() if refs else None


def missing_decision(task: etree._Element, decision: str | None, available: list[str]) -> tuple[str, dict]:
    """(kind, values) of the finding about a business rule task whose decision is missing."""
    decisions = words("decisions-listed", decisions=listing(available)) if available else words("decisions-none")
    if not decision:
        return "decision-not-named", {"listing": decisions}
    return "decision-missing", {"decision": decision, "listing": decisions}


def check_business_rule_tasks(report: Report, running: list[tuple[str, etree._Element]], decisions: list[str]) -> None:
    """Every business rule task of a running process must name a DMN decision of the bundle."""
    for file, root in running:
        for task in bpmn_xpath(root, ".//bpmn:businessRuleTask"):
            decision = decision_of(task)
            if not decision or decision not in decisions:
                kind, values = missing_decision(task, decision, decisions)
                report.add(kind, at=task, file=file, **values)


# Tags of the BPMN elements that take part in the flow (used to spot unconnected ones).
FLOW_NODES = {
    "task",
    "userTask",
    "manualTask",
    "scriptTask",
    "serviceTask",
    "businessRuleTask",
    "sendTask",
    "receiveTask",
    "callActivity",
    "subProcess",
    "transaction",
    "adHocSubProcess",
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "exclusiveGateway",
    "inclusiveGateway",
    "parallelGateway",
    "eventBasedGateway",
    "complexGateway",
}


def check_unconnected(report: Report, file: str | None, container: etree._Element, reached: set) -> None:
    """Warn about flow elements of a process (or subProcess) that the parser never reached."""
    for child in container:
        if local_name(child.tag) in FLOW_NODES and child.get("id") not in reached:
            report.add("unconnected", at=child, file=file)


# Expressions evaluated by the engine, outside scripts: (XPath, what it is called)
_EXPRESSIONS = [
    (".//bpmn:sequenceFlow/bpmn:conditionExpression", "what-condition"),
    (".//bpmn:conditionalEventDefinition/bpmn:condition", "what-condition"),
    (".//bpmn:standardLoopCharacteristics/bpmn:loopCondition", "what-loop-condition"),
    (".//bpmn:multiInstanceLoopCharacteristics/bpmn:loopCardinality", "what-loop-cardinality"),
    (".//bpmn:multiInstanceLoopCharacteristics/bpmn:completionCondition", "what-completion-condition"),
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
                report.add(
                    "expression-invalid",
                    at=owner,
                    file=file,
                    what=words(what),
                    problem=problem,
                    code=shorten(text.strip()),
                )


# What the DMN engine evaluates: input expressions and output entries as Python expressions;
# input entries either alone (``"birth"``, ``in ["a", "b"]`` is completed by the engine) or after
# the input (``< 5``), with ``?`` standing for the input (``4 < ? < 6``).
_DMN_INPUT_EXPRESSIONS = ".//*[local-name()='inputExpression']/*[local-name()='text']"
_DMN_OUTPUT_ENTRIES = ".//*[local-name()='outputEntry']/*[local-name()='text']"
_DMN_INPUT_ENTRIES = ".//*[local-name()='inputEntry']/*[local-name()='text']"
_DMN_INPUT = "dmninputexpr"  # the name SpiffWorkflow's DMN engine gives the input


def check_dmn_expressions(report: Report, file: str, root: etree._Element) -> None:
    """Every expression of a decision table runs in the sandbox like a script's: refuse at deploy
    what the sandbox would refuse (``__import__``, a constant power too large...)."""
    for path in (_DMN_INPUT_EXPRESSIONS, _DMN_OUTPUT_ENTRIES, _DMN_INPUT_ENTRIES):
        for element in root.xpath(path):
            text = (element.text or "").strip()
            if not text or text == "-":
                continue
            expression = text.replace("?", _DMN_INPUT)
            if path == _DMN_INPUT_ENTRIES and not _parses(expression):
                expression = f"{_DMN_INPUT} {text}"  # "< 5" is compared with the input
            problem = report.check_python(expression, "eval")
            if problem:
                report.add(
                    "expression-invalid",
                    at=_owner(element),
                    file=file,
                    what=words("what-dmn-expression"),
                    problem=problem,
                    code=shorten(text),
                )


def _parses(expression: str) -> bool:
    try:
        ast.parse(expression, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def form_references(root: etree._Element) -> Iterable[tuple[str, str]]:
    """(property name, file name) of every spiffworkflow:property in the document."""
    for prop in bpmn_xpath(root, ".//spiffworkflow:property"):
        if prop.get("name") and prop.get("value"):
            yield prop.get("name"), prop.get("value")
