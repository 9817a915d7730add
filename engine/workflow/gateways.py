"""Service gateways: how a service task reaches its operator, live or from the record.

Live, the gateway calls the registered operator and keeps what it answered so the command
records it as evidence. On replay, the gateway answers from those records and never calls out.
"""

from __future__ import annotations

from typing import Any

from engine.errors import ProcedureFailed
from engine.events import SERVICE_RESULT_RECORDED, PendingEvent
from engine.registries import ServiceOperators


def _plain_params(operation_params: dict[str, Any]) -> dict[str, Any]:
    return {name: param.get("value") for name, param in (operation_params or {}).items()}


class LiveServiceGateway:
    def __init__(self, operators: ServiceOperators, actor: str | None = "engine") -> None:
        self._operators = operators
        self._actor = actor
        self.recorded: list[PendingEvent] = []

    def call(self, task, operation_name: str, operation_params: dict[str, Any]) -> Any:
        operator = self._operators.get(operation_name)
        if operator is None:
            raise LookupError(f"service operator '{operation_name}' is not registered")
        params = _plain_params(operation_params)
        result = operator.call(params)
        self.recorded.append(
            PendingEvent(
                SERVICE_RESULT_RECORDED,
                self._actor,
                {"task_id": str(task.id), "operation": operation_name, "params": params, "result": result},
                element_id=task.task_spec.bpmn_id,
            )
        )
        return result


class RecordedServiceGateway:
    """Answers service calls from recorded results, in order, checking they match."""

    def __init__(self, recorded_payloads: list[dict[str, Any]]) -> None:
        self._pending = list(recorded_payloads)

    def call(self, task, operation_name: str, operation_params: dict[str, Any]) -> Any:
        if not self._pending:
            raise ProcedureFailed(
                f"Replay reached service task {task.task_spec.bpmn_id} but no answer was recorded for it",
                element_id=task.task_spec.bpmn_id,
            )
        recorded = self._pending.pop(0)
        if recorded["operation"] != operation_name or recorded["task_id"] != str(task.id):
            raise ProcedureFailed(
                f"Replay called {operation_name} at {task.task_spec.bpmn_id}, but the record holds "
                f"{recorded['operation']} for task {recorded['task_id']}",
                element_id=task.task_spec.bpmn_id,
            )
        return recorded["result"]
