"""Tests for engine.sandbox: BPMN scripts and expressions run by real SpiffWorkflow workflows."""

from __future__ import annotations

import datetime
import sys
import threading
import time

import pytest
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine import ScriptFunctions
from engine.workflow import SandboxedEnvironment, SandboxedScriptEngine, ScriptTimeout, check_script_syntax
from engine.workflow.sandbox.guards import thread_cpu_seconds

# ---------------------------------------------------------------------------------------------
# Small BPMN builders
# ---------------------------------------------------------------------------------------------

_HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    ' xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"'
    ' id="defs" targetNamespace="http://onestop.test/bpmn">\n'
)


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _linear_process(*elements: str) -> bytes:
    """start -> elements[0] -> elements[1] -> ... -> end. Each element's id is its first id attr."""
    ids = ["start"] + [el.split('id="', 1)[1].split('"', 1)[0] for el in elements] + ["end"]
    flows = "\n".join(
        f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>' for i, (a, b) in enumerate(zip(ids, ids[1:]))
    )
    body = "\n".join(elements)
    return (
        f'{_HEADER}<bpmn:process id="proc" isExecutable="true">\n'
        f'<bpmn:startEvent id="start"/>\n{body}\n<bpmn:endEvent id="end"/>\n{flows}\n'
        "</bpmn:process>\n</bpmn:definitions>\n"
    ).encode()


def _script_task(script: str, task_id: str = "compute", name: str = "Compute") -> str:
    return (
        f'<bpmn:scriptTask id="{task_id}" name="{name}" scriptFormat="python">'
        f"<bpmn:script>{_xml_escape(script)}</bpmn:script></bpmn:scriptTask>"
    )


def _service_task(
    operator: str,
    params: dict[str, str],
    result_variable: str = "result",
    task_id: str = "lookup",
    name: str = "Look up person",
) -> str:
    parameters = "".join(
        f'<spiffworkflow:parameter id="{pid}" type="str" value="{_xml_escape(expr)}"/>' for pid, expr in params.items()
    )
    return (
        f'<bpmn:serviceTask id="{task_id}" name="{name}"><bpmn:extensionElements>'
        f'<spiffworkflow:serviceTaskOperator id="{operator}" resultVariable="{result_variable}">'
        f"<spiffworkflow:parameters>{parameters}</spiffworkflow:parameters>"
        "</spiffworkflow:serviceTaskOperator></bpmn:extensionElements></bpmn:serviceTask>"
    )


def _gateway_process(condition_big: str) -> bytes:
    """start -> exclusive gateway 'route' -> 'big' (condition) or 'small' (default) -> end."""
    return (
        f'{_HEADER}<bpmn:process id="proc" isExecutable="true">\n'
        '<bpmn:startEvent id="start"/>\n'
        '<bpmn:exclusiveGateway id="route" name="Route by amount" default="to_small"/>\n'
        + _script_task("path = 'big'", "big", "Big")
        + "\n"
        + _script_task("path = 'small'", "small", "Small")
        + "\n"
        '<bpmn:endEvent id="end"/>\n'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="route"/>\n'
        '<bpmn:sequenceFlow id="to_big" sourceRef="route" targetRef="big">'
        f"<bpmn:conditionExpression>{_xml_escape(condition_big)}</bpmn:conditionExpression>"
        "</bpmn:sequenceFlow>\n"
        '<bpmn:sequenceFlow id="to_small" sourceRef="route" targetRef="small"/>\n'
        '<bpmn:sequenceFlow id="f3" sourceRef="big" targetRef="end"/>\n'
        '<bpmn:sequenceFlow id="f4" sourceRef="small" targetRef="end"/>\n'
        "</bpmn:process>\n</bpmn:definitions>\n"
    ).encode()


def _workflow(xml: bytes, engine: SandboxedScriptEngine, data: dict | None = None) -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(xml)
    workflow = BpmnWorkflow(parser.get_spec("proc"), script_engine=engine)
    workflow.task_tree.data.update(data or {})
    return workflow


def _run_script(
    script: str,
    data: dict | None = None,
    engine: SandboxedScriptEngine | None = None,
) -> BpmnWorkflow:
    workflow = _workflow(_linear_process(_script_task(script)), engine or SandboxedScriptEngine(), data)
    workflow.do_engine_steps()
    return workflow


def _task(workflow: BpmnWorkflow, bpmn_id: str):
    return next(
        t for t in workflow.get_tasks(state=TaskState.ANY_MASK) if getattr(t.task_spec, "bpmn_id", None) == bpmn_id
    )


def _functions() -> ScriptFunctions:
    functions = ScriptFunctions()
    functions.register("today", lambda: datetime.date(2024, 1, 31))
    functions.register("days", lambda n: datetime.timedelta(days=n))
    functions.register("double", lambda n: n * 2)
    return functions


# ---------------------------------------------------------------------------------------------
# Ordinary scripts work
# ---------------------------------------------------------------------------------------------


def test_normal_script_computes_values_into_task_data():
    script = """
count += 1
totals['fees'] += 50
a, b = 1, 2
(c, (d, e)) = (3, (4, 5))
squares = {str(n): n * n for n in members}
adults = [m for m in people if m['age'] >= 18]
greeting = f"Hello {name.title()}, you have {len(adults)} adult(s)"
words = ", ".join(sorted(w.strip().upper() for w in "b , a".split(",")))
total = 0
for key, value in squares.items():
    total += value
first, *rest = members
print("debug output is collected, not stored")
try:
    ratio = 1 / 0
except ZeroDivisionError:
    ratio = None
"""
    data = {
        "count": 1,
        "totals": {"fees": 10},
        "members": [1, 2, 3],
        "name": "mei",
        "people": [{"age": 30}, {"age": 5}],
    }
    workflow = _run_script(script, data)

    assert workflow.is_completed()
    result = _task(workflow, "compute").data
    assert result["count"] == 2
    assert result["totals"] == {"fees": 60}
    assert (result["a"], result["b"], result["c"], result["d"], result["e"]) == (1, 2, 3, 4, 5)
    assert result["squares"] == {"1": 1, "2": 4, "3": 9}
    assert result["adults"] == [{"age": 30}]
    assert result["greeting"] == "Hello Mei, you have 1 adult(s)"
    assert result["words"] == "A, B"
    assert result["total"] == 14
    assert result["first"] == 1 and result["rest"] == [2, 3]
    assert result["ratio"] is None


def test_only_json_like_values_stay_in_task_data():
    # Builtins, guards, registered functions and functions defined by the script are all removed.
    script = "def helper(x):\n    return x + 1\nvalue = helper(double(2))\nlabel = 'ok'"
    workflow = _run_script(script, {"n": 1}, SandboxedScriptEngine(_functions()))
    data = _task(workflow, "compute").data
    assert data == {"n": 1, "value": 5, "label": "ok"}


def test_registered_function_is_callable_and_datetimes_can_be_computed_with():
    script = """
due = (today() + days(14)).isoformat()
weekday = today().weekday()
gap = (today() + days(3) - today()).days
"""
    workflow = _run_script(script, engine=SandboxedScriptEngine(_functions()))
    data = _task(workflow, "compute").data
    assert data["due"] == "2024-02-14"
    assert data["weekday"] == 2
    assert data["gap"] == 3


def test_a_datetime_left_in_task_data_is_refused_with_a_hint():
    with pytest.raises(WorkflowTaskException) as info:
        _run_script("due = today() + days(1)", engine=SandboxedScriptEngine(_functions()))
    message = str(info.value)
    assert "task 'compute' (Compute)" in message
    assert "'due' holds a date" in message and "isoformat" in message


def test_unregistered_function_fails_naming_the_task():
    workflow = _workflow(_linear_process(_script_task("sent = send_email('x')")), SandboxedScriptEngine(_functions()))
    with pytest.raises(WorkflowTaskException) as info:
        workflow.do_engine_steps()
    message = str(info.value)
    assert "Script in task 'compute' (Compute) failed on line 1" in message
    assert "name 'send_email' is not defined" in message
    assert info.value.task.task_spec.bpmn_id == "compute"
    assert info.value.line_number == 1
    assert _task(workflow, "compute").state == TaskState.ERROR


def test_task_data_may_not_hide_a_registered_function():
    with pytest.raises(WorkflowTaskException) as info:
        _run_script("x = double(1)", {"double": 3}, SandboxedScriptEngine(_functions()))
    assert "overwrites a predefined function" in str(info.value)


# ---------------------------------------------------------------------------------------------
# Expressions: gateway conditions and timers go through the sandbox too
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount, expected", [(500, "big"), (20, "small")])
def test_gateway_condition_is_evaluated_in_the_sandbox(amount, expected):
    # Whitespace around the condition (as XML formatting leaves it) is tolerated.
    workflow = _workflow(
        _gateway_process("\n   amount > double(50)\n  "), SandboxedScriptEngine(_functions()), {"amount": amount}
    )
    workflow.do_engine_steps()
    assert workflow.is_completed()
    assert workflow.data["path"] == expected


def test_refused_gateway_condition_names_the_gateway_and_the_expression():
    workflow = _workflow(_gateway_process("amount.__class__ is int"), SandboxedScriptEngine(), {"amount": 5})
    with pytest.raises(WorkflowTaskException) as info:
        workflow.do_engine_steps()
    message = str(info.value)
    assert "Expression 'amount.__class__ is int' in task 'route' (Route by amount) is not allowed" in message
    assert '"__class__" is an invalid attribute name' in message


def test_timer_expression_is_evaluated_in_the_sandbox():
    timer = (
        '<bpmn:intermediateCatchEvent id="wait" name="Wait"><bpmn:timerEventDefinition>'
        '<bpmn:timeDuration>f"PT{seconds}S"</bpmn:timeDuration>'
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    )
    workflow = _workflow(_linear_process(timer), SandboxedScriptEngine(), {"seconds": 0})
    workflow.do_engine_steps()
    time.sleep(0.01)  # the timer fires when its due time is strictly in the past
    workflow.refresh_timers()
    workflow.do_engine_steps()
    assert workflow.is_completed()


# ---------------------------------------------------------------------------------------------
# Refusals
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "script, reason",
    [
        ("import os", "import statements are not allowed"),
        ("from os import path", "import statements are not allowed"),
        ("text = open('/etc/passwd').read()", "'open' is not available in scripts"),
        ("os = __import__('os')", '"__import__" is an invalid variable name'),
        ("classes = ().__class__.__base__.__subclasses__()", '"__class__" is an invalid attribute name'),
        ("x = 1\nc = getattr(x, '__class__')", "line 2: access to attribute '__class__' is not allowed"),
        ("c = getattr(1, '__cl' + 'ass__')", "access to attribute '__class__' is not allowed"),
        ("x = eval('1 + 1')", "Eval calls are not allowed"),
        ("exec('x = 1')", "Exec calls are not allowed"),
        ("code = compile('1', 'f', 'eval')", "'compile' is not available in scripts"),
        ("t = type(1)", "'type' is not available in scripts"),
        ("class Evil:\n    pass", "class definitions are not allowed"),
        ("s = '{0.__class__}'.format(1)", "str.format() is not allowed"),
        ("g = (n for n in [1])\nf = g.gi_frame", '"gi_frame" is a restricted name'),
        ("n = sum(range(10 ** 12))", "range() in scripts is limited"),
    ],
)
def test_dangerous_constructs_are_refused_naming_the_task(script, reason):
    workflow = _workflow(_linear_process(_script_task(script)), SandboxedScriptEngine(), {"keep": 1})
    with pytest.raises(WorkflowTaskException) as info:
        workflow.do_engine_steps()
    message = str(info.value)
    assert message.startswith("Script in task 'compute' (Compute) is not allowed: ")
    assert reason in message
    assert _task(workflow, "compute").state == TaskState.ERROR


def test_a_script_raising_base_exception_still_fails_only_its_task():
    # BaseException is not a builtin in scripts, but ValueError.mro() reaches it; it must not
    # escape past the engine's error handling and stop a worker.
    with pytest.raises(WorkflowTaskException) as info:
        _run_script("raise ValueError.mro()[-2]('boom')")
    assert "Script in task 'compute' (Compute) failed on line 1: BaseException: boom" in str(info.value)


def test_compile_time_refusal_reports_every_offending_line():
    with pytest.raises(WorkflowTaskException) as info:
        _run_script("x = 1\nimport os\ny = x.__dict__")
    message = str(info.value)
    assert "line 2: import statements are not allowed" in message
    assert 'line 3: "__dict__" is an invalid attribute name' in message
    assert info.value.line_number == 2


def test_syntax_error_is_reported_with_its_line():
    with pytest.raises(WorkflowTaskException) as info:
        _run_script("x = 1\ny = (2 +")
    assert "Script in task 'compute' (Compute) has a syntax error: line 2:" in str(info.value)
    assert info.value.line_number == 2


# ---------------------------------------------------------------------------------------------
# Time limit
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "script",
    [
        "while True: pass",  # one jump onto itself: CPython 3.11 emits no trace event for it
        "n = 0\nwhile True:\n    n += 1",
        "def spin():\n    while 1:\n        pass\nspin()",
        "rows = [i * j for i in range(10 ** 6) for j in range(10 ** 6)]",
        # Catching the timeout must not help the script escape.
        "while True:\n    try:\n        while True:\n            pass\n    except:\n        pass",
        "while True:\n    try:\n        pass\n    finally:\n        continue",
    ],
)
def test_runaway_script_is_stopped_after_the_timeout(script):
    workflow = _workflow(_linear_process(_script_task(script)), SandboxedScriptEngine(timeout_seconds=0.2))
    cpu_before = thread_cpu_seconds()
    with pytest.raises(WorkflowTaskException) as info:
        workflow.do_engine_steps()
    # Stopped by its time limit (the test would not end otherwise), never before the script had
    # used the limit's CPU time (the limit counts this thread's CPU, not the clock on the wall).
    assert thread_cpu_seconds() - cpu_before >= 0.2
    assert "Script in task 'compute' (Compute) ran longer than 0.2 s and was stopped" in str(info.value)
    assert isinstance(info.value.__cause__, ScriptTimeout)


def test_runaway_condition_is_stopped_after_the_timeout():
    condition = "len([i for i in range(10 ** 6) for j in range(10 ** 6)]) > 0"
    workflow = _workflow(_gateway_process(condition), SandboxedScriptEngine(timeout_seconds=0.2))
    with pytest.raises(WorkflowTaskException) as info:  # (the test would not end otherwise)
        workflow.do_engine_steps()
    assert "in task 'route' (Route by amount) ran longer than 0.2 s and was stopped" in str(info.value)


def test_runaway_script_is_stopped_in_a_worker_thread():
    outcome: dict = {}

    def worker() -> None:
        try:
            _run_script("while True: pass", engine=SandboxedScriptEngine(timeout_seconds=0.2))
        except WorkflowTaskException as err:
            outcome["message"] = str(err)

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    thread.join(timeout=60)  # a guard against a test that never ends, not a speed goal
    assert not thread.is_alive(), "the script was not stopped"
    assert "ran longer than 0.2 s and was stopped" in outcome["message"]


def test_time_off_the_cpu_does_not_count_against_the_limit():
    # On a busy machine a script's thread waits for a core (or the GIL) without running; that
    # time is not the script's. A host function that keeps the thread off the CPU for longer than
    # the limit stands in for it: the lines after it still run.
    functions = ScriptFunctions()
    functions.register("off_the_cpu", lambda: threading.Event().wait(0.5) or "back")
    workflow = _run_script(
        "state = off_the_cpu()\ndone = state + ' and done'",
        engine=SandboxedScriptEngine(functions, timeout_seconds=0.2),
    )
    assert workflow.is_completed()
    assert workflow.data["done"] == "back and done"


def test_previous_trace_function_is_restored():
    # Coverage tools and debuggers install a trace function; the sandbox must hand it back.
    calls = []

    def sentinel(frame, event, arg):
        calls.append(event)
        return None

    previous = sys.gettrace()
    sys.settrace(sentinel)
    try:
        environment = SandboxedEnvironment()
        environment.execute("x = 1", {})
        assert sys.gettrace() is sentinel
        with pytest.raises(ScriptTimeout):
            SandboxedEnvironment(timeout_seconds=0.05).execute("while True: pass", {})
        assert sys.gettrace() is sentinel
    finally:
        sys.settrace(previous)


def test_scripts_are_compiled_once_per_source_text():
    from engine.workflow.sandbox import compiler

    environment = SandboxedEnvironment(timeout_seconds=1.0)
    script = "total = sum(values)\nlabel = f'{total} items'"
    environment.execute(script, {"values": [1]})  # compiles and caches
    misses = compiler.compile_script.cache_info().misses
    for values in ([1, 2], [3], []):
        context = {"values": values}
        environment.execute(script, context)
        assert context["label"] == f"{sum(values)} items"
    assert compiler.compile_script.cache_info().misses == misses


# ---------------------------------------------------------------------------------------------
# Service tasks
# ---------------------------------------------------------------------------------------------


class _FakeGateway:
    def __init__(self, result=None, error: Exception | None = None) -> None:
        self.result = result
        self.error = error
        self.calls: list[tuple] = []

    def call(self, task, operation_name, operation_params):
        self.calls.append((task.task_spec.bpmn_id, operation_name, operation_params))
        if self.error is not None:
            raise self.error
        return self.result


def test_service_task_result_lands_in_the_result_variable():
    gateway = _FakeGateway(result={"name": "Lin", "members": [1, 2]})
    xml = _linear_process(
        _service_task("registry.lookup", {"person_id": "'A' + str(double(61))"}, result_variable="person")
    )
    workflow = _workflow(xml, SandboxedScriptEngine(_functions(), service_gateway=gateway))
    workflow.do_engine_steps()
    assert workflow.is_completed()
    assert workflow.data["person"] == {"name": "Lin", "members": [1, 2]}
    assert gateway.calls == [
        ("lookup", "registry.lookup", {"person_id": {"value": "A122", "type": "str"}}),
    ]


def test_failing_service_gives_the_real_error_not_a_name_error():
    error = ConnectionError("registry unreachable (timeout after 5 s)")
    xml = _linear_process(_service_task("registry.lookup", {"person_id": "'A1'"}))
    workflow = _workflow(xml, SandboxedScriptEngine(service_gateway=_FakeGateway(error=error)))
    with pytest.raises(WorkflowTaskException) as info:
        workflow.do_engine_steps()
    message = str(info.value)
    assert "Service task 'lookup' (Look up person) failed calling operation 'registry.lookup'" in message
    assert "ConnectionError: registry unreachable (timeout after 5 s)" in message
    assert "NameError" not in message
    assert info.value.__cause__ is error


def test_service_task_without_a_gateway_is_reported():
    xml = _linear_process(_service_task("registry.lookup", {}))
    with pytest.raises(WorkflowTaskException) as info:
        _workflow(xml, SandboxedScriptEngine()).do_engine_steps()
    assert "no service gateway is configured" in str(info.value)


def test_service_parameter_expressions_are_sandboxed():
    gateway = _FakeGateway(result=1)
    xml = _linear_process(_service_task("registry.lookup", {"p": "().__class__"}))
    with pytest.raises(WorkflowTaskException) as info:
        _workflow(xml, SandboxedScriptEngine(service_gateway=gateway)).do_engine_steps()
    assert "in task 'lookup' (Look up person) is not allowed" in str(info.value)
    assert gateway.calls == []


# ---------------------------------------------------------------------------------------------
# Deploy-time check
# ---------------------------------------------------------------------------------------------


def test_check_script_syntax_accepts_good_code():
    assert check_script_syntax("a, b = 1, 2\ntotal = a + b\nd = {k: v for k, v in [('x', 1)]}", "exec") is None
    assert check_script_syntax("amount > 100 and status == 'open'", "eval") is None
    assert check_script_syntax("\n    x = 1\n    y = x + 1\n", "exec") is None  # indented XML text


@pytest.mark.parametrize(
    "source, mode, expected",
    [
        ("x = (1 +", "exec", "Syntax error: line 1:"),
        ("x = 1\nif x\n    y = 2", "exec", "Syntax error: line 2:"),
        ("x = 1", "eval", "Syntax error: line 1:"),
        ("import os", "exec", "Not allowed: line 1: import statements are not allowed"),
        ("x = 1\ny = x.__class__", "exec", 'Not allowed: line 2: "__class__" is an invalid attribute name'),
        ("_secret = 1", "exec", 'Not allowed: line 1: "_secret" is an invalid variable name'),
        ("__import__('os')", "eval", 'Not allowed: line 1: "__import__" is an invalid variable name'),
        ("-" * 100_000 + "1", "eval", "Syntax error: the code is nested too deeply"),
        ("x" + "+x" * 50_000, "eval", "Syntax error: the code is nested too deeply"),
    ],
)
def test_check_script_syntax_reports_problems_with_line_numbers(source, mode, expected):
    message = check_script_syntax(source, mode)
    assert message is not None and message.startswith(expected), message


def test_check_script_syntax_rejects_an_unknown_mode():
    with pytest.raises(ValueError):
        check_script_syntax("x", "single")
