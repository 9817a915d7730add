"""The checks that read the BPMN XML directly: sequence flows, call activities, business rule
tasks, unconnected elements, and the Python of conditions and other expressions."""

from __future__ import annotations

from typing import Iterable

from lxml import etree

from engine.definitions.findings import ERROR, WARNING
from engine.definitions.xml import Report, bpmn_xpath, describe, local_name, shorten


def check_sequence_flows(report: Report, file: str, root: etree._Element) -> None:
    """Every sequence flow must connect two elements of its own process."""
    for process in bpmn_xpath(root, ".//bpmn:process"):
        ids = {element.get("id") for element in process.iter(tag=etree.Element)}
        for flow in bpmn_xpath(process, ".//bpmn:sequenceFlow"):
            for attribute, role in (("sourceRef", "starts at"), ("targetRef", "points to")):
                ref = flow.get(attribute)
                if not ref:
                    report.add_for(
                        ERROR,
                        f"Sequence flow '{flow.get('id')}' has no {attribute}. "
                        "Connect both ends of the arrow in the modeler.",
                        flow,
                        file,
                    )
                elif ref not in ids:
                    report.add_for(ERROR, missing_flow_end_message(flow.get("id"), role, ref), flow, file)


def missing_flow_end_message(flow_id: str | None, role: str, ref: str) -> str:
    return (
        f"Sequence flow '{flow_id}' {role} element '{ref}' which does not exist in this "
        "process. Reconnect the arrow in the modeler or delete it."
    )


def is_draft(process: etree._Element) -> bool:
    return process.get("isExecutable", "true").lower() == "false"


def call_activity_problem(element: etree._Element, executable: set[str], drafts: set[str]) -> str | None:
    """Why a call activity cannot run (None if its target is an executable process)."""
    target = element.get("calledElement")
    if not target:
        return (
            f"{describe(element)} does not say which process it calls. Choose the called "
            "process in the modeler (calledElement)."
        )
    if target in drafts:
        return (
            f"{describe(element)} calls process '{target}', which is marked as not "
            "executable (a draft). Make that process executable."
        )
    if target not in executable:
        return (
            f"{describe(element)} calls process '{target}', which is not in the bundle. "
            f"Add the BPMN file that defines '{target}', or correct the called process id."
        )
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
    listing = f"Decisions in the bundle: {', '.join(available)}." if available else "The bundle has no DMN decision."
    if not decision:
        return (
            f"{describe(task)} does not say which decision to evaluate. Choose the DMN "
            f"decision in the modeler (spiffworkflow:calledDecisionId). {listing}"
        )
    return (
        f"{describe(task)} evaluates decision '{decision}', which is not in the bundle. "
        f"Add the .dmn file that defines it, or correct the decision id. {listing}"
    )


def check_business_rule_tasks(report: Report, documents: dict[str, etree._Element], decisions: list[str]) -> None:
    """Every business rule task must name a DMN decision of the bundle."""
    for file, root in documents.items():
        for task in bpmn_xpath(root, ".//bpmn:businessRuleTask"):
            decision = decision_of(task)
            if not decision or decision not in decisions:
                report.add_for(ERROR, missing_decision_message(task, decision, decisions), task, file)


# Tags of the BPMN elements that take part in the flow (used to spot unconnected ones).
_FLOW_NODES = {
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
        if local_name(child.tag) in _FLOW_NODES and child.get("id") not in reached:
            report.add_for(
                WARNING,
                f"{describe(child)} is not connected to the start event, so "
                "it will never run. Connect it with sequence flows or delete it.",
                child,
                file,
            )


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
                report.add_for(
                    ERROR,
                    f"The {what} of {describe(owner)} is not accepted as a "
                    f"Python expression: {problem}. Fix the expression `{shorten(text.strip())}`.",
                    owner,
                    file,
                )


def form_references(root: etree._Element) -> Iterable[tuple[str, str]]:
    """(property name, file name) of every spiffworkflow:property in the document."""
    for prop in bpmn_xpath(root, ".//spiffworkflow:property"):
        if prop.get("name") and prop.get("value"):
            yield prop.get("name"), prop.get("value")
