"""Running SpiffWorkflow: what the engine does to a workflow (``runtime``), its serialized state
(``serialization``), service tasks and their gateways, and the sandbox scripts run in."""

from engine.workflow import runtime, serialization
from engine.workflow.describe import describe_state
from engine.workflow.sandbox import SandboxedEnvironment, SandboxedScriptEngine, ScriptTimeout, check_script_syntax

__all__ = [
    "SandboxedEnvironment",
    "SandboxedScriptEngine",
    "ScriptTimeout",
    "check_script_syntax",
    "describe_state",
    "runtime",
    "serialization",
]
