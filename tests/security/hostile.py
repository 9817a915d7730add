"""Hostile diagrams for the security suite: one procedure per (probe, place), built in memory.

Every procedure starts, waits on a one-hour timer (so the hostile step runs in the scheduler's
command, not in the request that starts the case), then reaches the hostile step, then waits at
the user task ``after`` (what a case that got through would do). The places:

- ``script``: a script task ``hostile`` runs the probe's script;
- ``condition``: the exclusive gateway ``hostile`` evaluates the probe's expression as the
  condition of its flow to ``after``;
- ``timer``: the timer event ``hostile`` evaluates the probe's expression as its duration;
- ``dmn``: the business rule task ``hostile`` evaluates a decision whose input expression is the
  probe's expression.

A probe is (script, expression). A loop without a wait state is built into the diagram where it
can be (script -> gateway -> script), and is a runaway comprehension in a timer or a DMN input.
Cases start with ``n`` (3,000,000), ``big`` (10**9) and ``applicant_id`` (a national ID) in
their data, so the expressions are computed at run time, not written as constants that the
deploy-time check would refuse.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

PLACES = ("script", "condition", "timer", "dmn")
CASE_DATA = {"n": 3_000_000, "big": 10**9, "applicant_id": "A123456789", "count": 0}
RUNAWAY = "len([i for i in range(10 ** 6) for j in range(10 ** 6)]) > 0"

# The GeneratorExit escape: a generator's GeneratorExit caught (BaseException is reachable as
# ValueError.mro()[-2]), kept, and raised again out of the script.
GENERATOR_EXIT = """caught = []
def gen():
    try:
        yield 1
    except ValueError.mro()[-2] as error:
        caught.append(error)
        raise
g = gen()
next(g)
g.close()
raise caught[0]"""

PROBES = {
    # An expression cannot catch; it throws BaseException itself into a generator.
    "generator_exit": (GENERATOR_EXIT, "(x for x in [1]).throw(ValueError.mro()[-2])"),
    "huge_power": ("x = 10 ** n", "10 ** n > 0"),
    "huge_multiplication": ("x = 'x' * big", "len('x' * big) > 0"),
    "huge_shift": ("x = 1 << big", "(1 << big) > 0"),
    "loop_without_wait": ("count = count + 1", "count > -1"),
    "deep_recursion": ("def f(n):\n    return f(n + 1)\nf(0)", "(lambda f: f(f))(lambda f: f(f))"),
}

# Not among the probes every place is tried with: this one is never stopped by the sandbox, only
# by killing its process (tests/security/test_incidents_interrupted.py).
STUCK_PROBES = {
    # One C call over a list holding one big row many times over: neither the CPU limit (checked
    # between lines) nor the memory cap (the row is shared) stops it.
    "uninterruptible": (
        "row = [0] * 100000\nrows = []\nfor i in range(100000):\n    rows.append(row)\nx = sorted(rows)",
        "False",
    ),
}

_HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"'
    ' id="defs_{key}" targetNamespace="https://onestop.example/tests">\n'
)


def _timer(element_id: str, duration_expression: str) -> str:
    return (
        f'<bpmn:intermediateCatchEvent id="{element_id}" name="Wait">'
        f'<bpmn:timerEventDefinition id="{element_id}_definition">'
        f"<bpmn:timeDuration>{escape(duration_expression)}</bpmn:timeDuration>"
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    )


def _flow(flow_id: str, source: str, target: str, condition: str | None = None) -> str:
    if condition is None:
        return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"/>'
    return (
        f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
        f"<bpmn:conditionExpression>{escape(condition)}</bpmn:conditionExpression></bpmn:sequenceFlow>"
    )


def _process(key: str, elements: list[str], flows: list[str], wait: str | None, before: str | None) -> str:
    """start -> the entry step -> ``elements`` -> after -> end. The entry step (id ``wait``) is a
    timer of ``wait``, a clerk's task ``before``, or nothing (``wait`` and ``before`` None)."""
    lane = "".join(f"<bpmn:flowNodeRef>{task}</bpmn:flowNodeRef>" for task in ("after", before and "wait") if task)
    if before:
        entry = f'<bpmn:userTask id="wait" name="{before}"/>'
    elif wait:
        entry = _timer("wait", wait)
    else:
        entry = '<bpmn:intermediateThrowEvent id="wait"/>'  # nothing to wait for
    return (
        _HEADER.format(key=key)
        + f'<bpmn:process id="{key}" name="{key}" isExecutable="true">\n'
        + f'<bpmn:laneSet id="lanes"><bpmn:lane id="lane_clerk" name="Clerk">{lane}</bpmn:lane></bpmn:laneSet>\n'
        + '<bpmn:startEvent id="start"/>\n'
        + entry
        + "\n"
        + "\n".join(elements)
        + '\n<bpmn:userTask id="after" name="After the hostile step"/>\n<bpmn:endEvent id="end"/>\n'
        + "\n".join([_flow("f_start", "start", "wait"), _flow("f_after", "after", "end"), *flows])
        + "\n</bpmn:process>\n</bpmn:definitions>\n"
    )


def _decision(expression: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="defs_decision"'
        ' name="Hostile" namespace="https://onestop.example/dmn">'
        '<decision id="hostile_decision" name="Hostile decision">'
        '<decisionTable id="table" hitPolicy="UNIQUE">'
        f'<input id="in" label="In"><inputExpression id="in_expr"><text>{escape(expression)}</text>'
        "</inputExpression></input>"
        '<output id="out" label="Out" name="decided" typeRef="string"/>'
        '<rule id="rule"><inputEntry id="rule_in"><text>True</text></inputEntry>'
        '<outputEntry id="rule_out"><text>"yes"</text></outputEntry></rule>'
        "</decisionTable></decision></definitions>\n"
    )


def procedure(
    probe: str, place: str, *, wait: str | None = '"PT1H"', before: str | None = None
) -> tuple[str, dict[str, bytes]]:
    """(process key, files) of the procedure putting ``probe`` at ``place``, after a timer of
    ``wait`` (an ISO 8601 duration expression), or after a clerk's task ``before``, or right
    after the start (both None)."""
    script, expression = {**PROBES, **STUCK_PROBES}[probe]
    key = f"hostile_{probe}_{place}"
    files: dict[str, bytes] = {}
    loop = probe == "loop_without_wait"
    if place == "script" or (place == "condition" and loop):
        # script -> gateway -> script: the loop probe loops on a condition that stays true.
        condition = expression if loop else "False"
        body = script if place == "script" else "count = count + 1"
        elements = [
            f'<bpmn:scriptTask id="{"hostile" if place == "script" else "step"}" name="Hostile step">'
            f"<bpmn:script>{escape(body)}</bpmn:script></bpmn:scriptTask>",
            f'<bpmn:exclusiveGateway id="{"again" if place == "script" else "hostile"}" default="f_out"/>',
        ]
        first, gateway = ("hostile", "again") if place == "script" else ("step", "hostile")
        flows = [
            _flow("f_in", "wait", first),
            _flow("f_step", first, gateway),
            _flow("f_loop", gateway, first, condition if loop else "False"),
            _flow("f_out", gateway, "after"),
        ]
    elif place == "condition":
        elements = ['<bpmn:exclusiveGateway id="hostile" name="Hostile condition" default="f_out"/>']
        flows = [
            _flow("f_in", "wait", "hostile"),
            _flow("f_yes", "hostile", "after", expression),
            _flow("f_out", "hostile", "after"),
        ]
    elif place == "timer":
        duration = RUNAWAY if loop else expression
        elements = [_timer("hostile", f'"PT1S" if ({duration}) else "PT2S"')]
        flows = [_flow("f_in", "wait", "hostile"), _flow("f_out", "hostile", "after")]
    elif place == "dmn":
        elements = [
            '<bpmn:businessRuleTask id="hostile" name="Hostile decision"><bpmn:extensionElements>'
            "<spiffworkflow:calledDecisionId>hostile_decision</spiffworkflow:calledDecisionId>"
            "</bpmn:extensionElements></bpmn:businessRuleTask>"
        ]
        flows = [_flow("f_in", "wait", "hostile"), _flow("f_out", "hostile", "after")]
        files["hostile.dmn"] = _decision(RUNAWAY if loop else expression).encode()
    else:
        raise ValueError(place)
    files[f"{key}.bpmn"] = _process(key, elements, flows, wait, before).encode()
    return key, files


def control_procedure(*, wait: str = '"PT1H"') -> tuple[str, dict[str, bytes]]:
    """A harmless case with the same one-hour timer: the scheduler must still fire it."""
    key = "control_timer"
    return key, {f"{key}.bpmn": _process(key, [], [_flow("f_in", "wait", "after")], wait, None).encode()}
