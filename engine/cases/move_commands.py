"""Moving running cases onto a newer version of their procedure (``MoveCase``,
``MoveCases``), a part of the command handlers (``CommandHandlers`` inherits it).

The case's workflow moves with SpiffWorkflow's own tools (``engine.cases.moving``); the new
state, the new version, the inbox rows and a hash-chained ``case_migrated`` event are written in
one transaction, and replay switches to the new definition at that event.
"""

from __future__ import annotations

from engine import commands as cmd
from engine.cases import moving
from engine.cases.changes import CaseChanges
from engine.clock import ManualClock, TaskIdSequence, execution_context
from engine.errors import Conflict, InvalidInput
from engine.events import CASE_MIGRATED, TASK_UNCLAIMED, PendingEvent
from engine.results import CaseChanged, MoveOutcome
from engine.storage import store
from engine.storage.store import TaskRecord
from engine.workflow import runtime, serialization
from engine.workflow.gateways import RecordedServiceGateway
from engine.workflow.service_tasks import waiting_service_tasks


class MoveCommands(CaseChanges):
    def move_case(self, command: cmd.MoveCase) -> CaseChanged:
        """Move the case onto a newer version of its procedure. Movability is checked again
        here, on the locked case: the preview a designer looked at may be stale."""
        reason = move_reason(command.reason)
        # A plain transaction, not ``_transaction``: the moved workflow is not kept in the
        # workflow cache, so the next command loads the stored state, as replay does.
        with self._db.begin() as conn:
            case = self._load_running_case(conn, command.case_id)
            source = self._deployments.get(conn, case.definition_id)
            if command.from_version is not None and command.from_version != source.version:
                raise Conflict(
                    f"Case {case.number} is on version {source.version}, not {command.from_version}",
                    case_id=case.id,
                    version=source.version,
                )
            target_row = store.definition_version(conn, case.procedure_key, command.to_version)
            moving.check_versions(
                case.procedure_key, store.definition_version(conn, case.procedure_key, source.version), target_row
            )
            target = self._deployments.get(conn, target_row.id)
            event = PendingEvent(
                CASE_MIGRATED,
                command.actor,
                {
                    "procedure": case.procedure_key,
                    "from_definition_id": source.id,
                    "from_version": source.version,
                    "to_definition_id": target.id,
                    "to_version": target.version,
                    "reason": reason,
                },
            )
            now = self._clock.now()
            task_ids = TaskIdSequence(case.id, case.task_id_counter)
            with execution_context(ManualClock(now), task_ids):
                workflow = serialization.loads(case.state, source.spec, source.subprocess_specs)
                ready_before = runtime.ready_tasks(workflow)
                waiting_before = waiting_service_tasks(workflow)
                workflow = moving.move_workflow(
                    workflow, target, self._script_engine_factory(RecordedServiceGateway([]))
                )
                passed = self._sla.breach(case, now)  # the clock ran past the due date before the move
                case.definition_id = target.id
                released = _claims_in_other_lanes(store.open_tasks(conn, case.id), runtime.ready_tasks(workflow))
                # Where the case waits may pause the SLA clock in one version and not in the
                # other: the clock follows.
                events, earlier = self._follow_sla_clock(
                    case,
                    workflow,
                    now,
                    [event, *released, *([passed] if passed is not None else [])],
                    (self._sla.pause_or_resume, self._sla.delivery),
                )
            opened, wake_at = self._persist(
                conn,
                case,
                workflow,
                task_ids,
                now,
                events,
                earlier=earlier,
                ready_before=ready_before,
                waiting_before=waiting_before,
            )
            for unclaimed in released:
                store.assign_task(conn, unclaimed.payload["task_id"], "ready", None)
            return CaseChanged(case.id, case.status, case.last_event_seq, opened, wake_at)

    def move_cases(self, command: cmd.MoveCases) -> list[MoveOutcome]:
        """Each case in its own transaction: one that cannot move (or changed meanwhile) is
        reported and the others still move."""
        reason = move_reason(command.reason)
        with self._db.begin() as conn:
            source = store.definition_version(conn, command.process_key, command.from_version)
            target = store.definition_version(conn, command.process_key, command.to_version)
            moving.check_versions(command.process_key, source, target)
            running = store.running_case_ids(conn, source.id)
        if command.case_ids is not None:
            wanted = set(command.case_ids)
            missing = sorted(wanted - set(running))
            if missing:
                raise InvalidInput(
                    f"Not running cases of version {command.from_version} of {command.process_key}: "
                    + ", ".join(missing),
                    errors=[
                        {
                            "field": "case_ids",
                            "message": f"not running on version {command.from_version}: " + ", ".join(missing),
                        }
                    ],
                )
            running = [case_id for case_id in running if case_id in wanted]
        outcomes = []
        for case_id in running:
            try:
                changed = self.move_case(
                    cmd.MoveCase(case_id, command.to_version, reason, command.actor, from_version=command.from_version)
                )
            except moving.MoveBlocked as error:
                outcomes.append(MoveOutcome(case_id, "blocked", error.message, tuple(error.details["blocked_by"])))
            except Conflict as error:
                outcomes.append(MoveOutcome(case_id, "failed", error.message))
            else:
                outcomes.append(MoveOutcome(case_id, "moved", last_event_seq=changed.last_event_seq))
        return outcomes


def _claims_in_other_lanes(open_tasks: list[TaskRecord], ready_after: list[runtime.ReadyTask]) -> list[PendingEvent]:
    """Release the claim on each task the new version puts in another lane: the clerk who
    claimed it may no longer work it, and the task must reach the new lane's inbox."""
    lanes_after = {task.id: task.lane for task in ready_after}
    return [
        PendingEvent(
            TASK_UNCLAIMED,
            "engine",
            {
                "task_id": task.id,
                "previous_assignee": task.assignee,
                "reason": f"the new version puts the task in lane {lanes_after[task.id]!r}",
            },
            element_id=task.element_id,
        )
        for task in open_tasks
        if task.status == "claimed" and task.id in lanes_after and lanes_after[task.id] != task.lane
    ]


MAX_REASON_LENGTH = 500


def move_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(
            "A reason is required to move cases to another version",
            errors=[{"field": "reason", "message": "must not be empty"}],
        )
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidInput(
            "The reason is too long", errors=[{"field": "reason", "message": f"at most {MAX_REASON_LENGTH} characters"}]
        )
    return reason
