"""Scripts cannot exhaust the machine: one long C-level operation is refused before it runs,
constant ones at deploy; a loop without a wait state stops at the step limit; a script that
makes CPython drop the time limit's tracer is stopped all the same; and the memory cap turns
the allocations no guard foresaw into a failure of the script, not of the process."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from engine import DefinitionInvalid, ProcedureFailed
from engine import commands as cmd
from engine.workflow import SandboxedEnvironment
from engine.workflow.sandbox import ScriptNotAllowed, ScriptTimeout
from engine.workflow.sandbox.errors import ScriptTooLarge
from tests.conftest import ROOT

from . import hostile

DATA = {"n": 3 * 10**6, "big": 10**9}


@pytest.mark.parametrize(
    "script",
    [
        "x = 10 ** n",
        "x = pow(10, n)",
        "x = 'x' * big",
        "x = [0] * big",
        "x = 1 << big",
        "x = b'x' * big",
        "x = 'x'.ljust(big)",
        "x = str.center('x', big)",
        "x = f'{1:>{big}}'",
        "fmt = '%0' + str(big) + 'd'\nx = fmt % 1",
        "x = ('a' * 1000).replace('', 'b' * 1000)",
        "x = ('b' * 1000).join(['a'] * 2000)",
        "rows = [[0] * 1000 for i in range(2000)]\nx = sum(rows, [])",
        "s = 'ab'\nfor i in range(40):\n    s += s",
        "s = [1]\nfor i in range(40):\n    s *= 2",
        "row = [0] * 999999\nx = [row] * 999999",  # one row named a million times: 10**12 values to sort or store
        "row = [0] * 1000\nx = ([row] * 1000) * 1000",
    ],
)
def test_a_huge_c_level_operation_is_refused_before_it_runs(script):
    with pytest.raises(ScriptTooLarge):
        SandboxedEnvironment(timeout_seconds=30).execute(script, dict(DATA))


@pytest.mark.parametrize(
    "script",
    [
        "row = [0] * 999999\nx = []\nfor i in range(3):\n    x.append(row)",  # 3 million values to store
        "x = []\ny = x\nfor i in range(200):\n    y.append([])\n    y = y[0]",  # 200 levels deep
        "x = []\nx.append(x)",  # a list that holds itself
    ],
)
def test_task_data_too_large_or_too_deep_to_store_is_refused_after_the_script(script):
    with pytest.raises(ScriptTooLarge):
        SandboxedEnvironment(timeout_seconds=30).execute(script, dict(DATA))


def test_a_huge_range_is_refused():
    with pytest.raises(ScriptNotAllowed):
        SandboxedEnvironment().execute("x = list(range(big))", dict(DATA))


def test_honest_arithmetic_and_text_still_work():
    data = {"fee": 15, "copies": 3, "name": "王小明"}
    SandboxedEnvironment().execute(
        "total = fee * copies + 2 ** 10 - (7 << 2)\nline = f'{name:>6}|{total:05d}|' + '-' * 10\n"
        "share = '%.2f' % (total / 4)\nrows = [[0] * 3] * 2\nall_rows = sum(rows, [])",
        data,
    )
    assert data["total"] == 45 + 1024 - 28 and data["line"] == "   王小明|01041|----------"
    assert data["share"] == "260.25" and data["all_rows"] == [0] * 6


@pytest.mark.parametrize(
    "escape",
    [
        # A RecursionError raised inside the tracer makes CPython drop it; the loops check the time
        # themselves and put it back.
        "def f():\n    f()\ntry:\n    f()\nexcept:\n    pass\nfor i in range(10**6):\n    for j in range(10**6):\n        pass",
        "def f():\n    f()\ntry:\n    f()\nexcept:\n    pass\ndef g(n):\n    return n and g(n - 1) + g(n - 1)\ng(200)",
        "def f():\n    f()\ntry:\n    f()\nexcept:\n    pass\nrows = [i for i in range(10**6) for j in range(10**6)]",
    ],
)
def test_a_script_that_drops_the_tracer_is_stopped_all_the_same(escape):
    with pytest.raises(ScriptTimeout):
        SandboxedEnvironment(timeout_seconds=0.5).execute(escape, {})


@pytest.mark.parametrize("place", hostile.PLACES)
@pytest.mark.parametrize(
    "expression, refusal",
    [
        ("__import__('os').getcwd()", "__import__ starts with an underscore"),
        ("10 ** (3 * 10**6) > 0", "the power would be a number of about 9,000,000 bits"),
        ("len('x' * 10**9) > 0", "repeating a sequence would hold 1,000,000,000 items"),
        ("(1 << 10**9) > 0", "the shifted number would be a number of about 1,000,000,001 bits"),
    ],
)
def test_deploy_refuses_what_it_can_see_in_a_script_condition_timer_or_dmn(
    engine, monkeypatch, place, expression, refusal
):
    monkeypatch.setitem(hostile.PROBES, "static", ("x = " + expression, expression))
    _key, files = hostile.procedure("static", place)
    with pytest.raises(DefinitionInvalid) as refused:
        engine.handle(cmd.DeployDefinition(files, actor="designer"))
    [finding] = refused.value.details["findings"]
    assert refusal in finding["message"]
    where = {"script": "hostile", "condition": "f_yes", "timer": "hostile_definition", "dmn": "in_expr"}
    assert finding["element_id"] == where[place]


def test_the_step_limit_is_a_setting(engine, clock, deploy, start_case):
    """A loop of 40 steps (20 rounds of script and gateway) passes the default limit and is
    stopped by a limit of 30."""
    loop = hostile.PROBES["loop_without_wait"]
    key, files = hostile.procedure("loop_without_wait", "script", wait=None)
    counted = {name: content.replace(b"count &gt; -1", b"count &lt; 20") for name, content in files.items()}
    deploy(counted)
    assert [t.element_id for t in start_case(key).open_tasks] == ["after"]
    engine.step_limit = 30
    with pytest.raises(ProcedureFailed) as stopped:
        start_case(key)
    assert stopped.value.details["reason"] == "step_limit" and "30 automatic steps" in stopped.value.message
    assert loop  # the probe's own loop never ends: tests/security/test_scripts_hostile.py


def test_the_memory_cap_turns_an_unforeseen_allocation_into_the_scripts_failure():
    """In a process capped like a server worker (bootstrap.cap_memory), a script that builds
    gigabytes a step at a time fails with MemoryError; the process goes on."""
    program = textwrap.dedent(
        """
        import bootstrap
        from config import Settings
        from engine.workflow import SandboxedEnvironment

        size_kb = int(next(l for l in open("/proc/self/status") if l.startswith("VmSize")).split()[1])
        bootstrap.cap_memory(Settings(memory_limit_mb=size_kb // 1024 + 300))
        try:
            SandboxedEnvironment(timeout_seconds=60).execute(
                "rows = [list(range(10 ** 6)) for i in range(1000)]", {}
            )
            print("no limit")
        except MemoryError:
            print("MemoryError")
        print("alive", len(list(range(1000))))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.split() == ["MemoryError", "alive", "1000"], done.stderr[-2000:]
