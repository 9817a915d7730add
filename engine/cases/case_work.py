"""What clerks and supervisors do to a case beside completing its tasks: the responsible officer
(承辦人) and who works a task, notes, the supplement after a one-time notice, withdrawal and
cancellation, and the drafts of task forms.

The officer, assignments and notes change no workflow: they are events of the case (chained like
the rest, skipped by replay's workflow step) and columns of its row. A supplement is a message
delivered to the workflow, checked first against what the case says is missing.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import partial

from sqlalchemy import Connection

from engine import commands as cmd
from engine.access import GROUP_ROLES, CaseAccess
from engine.cases.changes import CaseChanges
from engine.cases.inputs import check_limits
from engine.errors import Conflict, InvalidInput, NotAllowed, NotFound
from engine.events import (
    CASE_CANCELLED,
    DOCUMENTS_MESSAGE,
    MESSAGE_DELIVERED,
    MISSING_DOCUMENTS,
    NOTE_ADDED,
    OFFICER_ASSIGNED,
    TASK_ASSIGNED,
    PendingEvent,
)
from engine.results import CaseChanged
from engine.storage import staff, store
from engine.storage.store import CaseRecord, TaskRecord
from engine.workflow import runtime

MAX_NOTE_LENGTH = 2000
MAX_REASON_LENGTH = 2000
MAX_DRAFT_BYTES = 64 * 1024
MAX_DOCUMENTS = 50


def _text(value: str | None, field: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"The {field} must not be empty", errors=[{"field": field, "message": "must not be empty"}])
    if len(text) > limit:
        raise InvalidInput(
            f"The {field} is too long", errors=[{"field": field, "message": f"at most {limit} characters"}]
        )
    return text


class CaseWorkCommands(CaseChanges):
    # ------------------------------------------------------------------ the responsible officer
    def officer_taken(self, case: CaseRecord, actor: str | None, conn: Connection) -> list[PendingEvent]:
        """The clerk who first works a case without an officer becomes its officer: [the event]."""
        if case.officer is not None or not actor:
            return []
        if not self._works_cases(staff.worker(conn, actor)):
            return []  # the scheduler, a worker, an applicant online: nobody's case yet
        case.officer = actor
        return [PendingEvent(OFFICER_ASSIGNED, actor, {"officer": actor, "previous_officer": None, "reason": None})]

    def assign_officer(self, command: cmd.AssignOfficer) -> CaseChanged:
        reason = _text(command.reason, "reason", MAX_REASON_LENGTH)
        with self._transaction() as conn:
            store.ensure_reachable(conn, command.case_id, command.access)
            case = self._load_running_case(conn, command.case_id)
            self._ensure_worker(conn, command.officer, "officer")
            if case.officer == command.officer:
                raise Conflict(f"{command.officer} is already the officer of case {case.number}", case_id=case.id)
            event = PendingEvent(
                OFFICER_ASSIGNED,
                command.actor,
                {"officer": command.officer, "previous_officer": case.officer, "reason": reason},
            )
            case.officer = command.officer
            return self._record_only(conn, case, [event])

    def _ensure_worker(self, conn: Connection, username: str, field: str, lane: str | None = None) -> None:
        worker = staff.worker(conn, username)
        if not self._works_cases(worker):
            raise InvalidInput(
                f"{username!r} is no active clerk or supervisor",
                errors=[{"field": field, "message": "must be an active clerk or supervisor"}],
            )
        if lane is not None and lane not in worker.groups:
            raise InvalidInput(
                f"{username!r} does not work lane {lane!r}",
                errors=[{"field": field, "message": f"must be a colleague of lane {lane}"}],
            )

    @staticmethod
    def _works_cases(worker: staff.Worker | None) -> bool:
        """An active clerk or supervisor (who may be responsible for a case or work its tasks)."""
        return worker is not None and worker.active and bool(worker.roles & GROUP_ROLES)

    def _record_only(self, conn: Connection, case: CaseRecord, events: list[PendingEvent]) -> CaseChanged:
        """Record events that change no workflow (the case row's version still guards races)."""
        read_version = case.version
        cached = self.workflows.take(case.id, self._cache_key(case))
        now = case.updated_at = self._clock.now()
        rows = self._chain(case, events, now)
        store.save_case(conn, case, read_version)
        store.append_events(conn, rows)
        if cached is not None:  # the workflow did not change: keep it under the new version
            self._transaction.after_commit(conn, partial(self.workflows.put, case.id, self._cache_key(case), cached))
        return CaseChanged(case.id, case.status, case.last_event_seq)

    # ------------------------------------------------------------------ who works a task
    def assign_task(self, command: cmd.AssignTask) -> CaseChanged:
        with self._transaction() as conn:
            task, case = self._open_task(conn, command.task_id, command.lanes, command.actor, command.offices)
            self._ensure_running(case)
            if task.status == "claimed" and task.assignee != command.actor and not command.force:
                raise Conflict(f"Task is claimed by {task.assignee}", task_id=task.id, assignee=task.assignee)
            self._ensure_worker(conn, command.assignee, "assignee", lane=task.lane)
            if task.status == "claimed" and task.assignee == command.assignee:
                raise Conflict(f"Task is already with {command.assignee}", task_id=task.id)
            previous = task.assignee
            task.status, task.assignee = "claimed", command.assignee
            event = PendingEvent(
                TASK_ASSIGNED,
                command.actor,
                {"task_id": task.id, "assignee": command.assignee, "previous_assignee": previous},
                element_id=task.element_id,
            )
            changed = self._record_only(conn, case, [event, *self.officer_taken(case, command.assignee, conn)])
            store.assign_task(conn, task.id, task.status, task.assignee)
            return changed

    @staticmethod
    def _open_task(
        conn: Connection,
        task_id: str,
        lanes: frozenset[str] | None,
        actor: str | None = None,
        offices: frozenset[str] | None = None,
    ) -> tuple[TaskRecord, CaseRecord]:
        """The open task and its case (locked), if the actor works the task's lane at its office
        (lanes are resolved per office). A task whose case the actor does not reach at all, or of
        an office they do not work for, is answered as one that does not exist."""
        task, case = store.load_task_and_case(conn, task_id)
        if offices is not None and task.office not in offices:
            raise NotFound(f"Task {task_id} does not exist", task_id=task_id)
        if lanes is not None and task.lane not in lanes:
            try:
                store.ensure_reachable(conn, case.id, CaseAccess(actor, lanes, offices=offices))
            except NotFound:
                raise NotFound(f"Task {task_id} does not exist", task_id=task_id) from None
            raise NotAllowed(
                f"Task {task_id} belongs to lane {task.lane!r}, which is not one of your groups",
                task_id=task_id,
                lane=task.lane,
            )
        if task.status not in store.OPEN_TASK_STATUSES:
            raise Conflict(f"Task {task_id} is already {task.status}", task_id=task_id, status=task.status)
        return task, case

    def save_task_draft(self, command: cmd.SaveTaskDraft) -> datetime:
        """Returns when the draft was saved."""
        data = command.data
        if not isinstance(data, dict):
            raise InvalidInput(
                "The draft must be an object", errors=[{"field": "data", "message": "must be an object"}]
            )
        check_limits(data, "data", self._data_limits)  # the limits of the data it will complete with
        if len(json.dumps(data, ensure_ascii=False).encode()) > MAX_DRAFT_BYTES:
            raise InvalidInput(
                "The draft is too large", errors=[{"field": "data", "message": f"at most {MAX_DRAFT_BYTES} bytes"}]
            )
        with self._transaction() as conn:
            task, _case = self._open_task(conn, command.task_id, command.lanes, command.actor, command.offices)
            if task.status != "claimed" or task.assignee != command.actor:
                raise Conflict(
                    "Claim the task before saving a draft of its form", task_id=task.id, assignee=task.assignee
                )
            now = self._clock.now()
            staff.save_task_draft(conn, task.id, command.actor, data, now)
            return now

    # ------------------------------------------------------------------ notes
    def add_note(self, command: cmd.AddNote) -> CaseChanged:
        text = _text(command.text, "text", MAX_NOTE_LENGTH)
        with self._transaction() as conn:
            store.ensure_reachable(conn, command.case_id, command.access)
            case = store.load_case(conn, command.case_id)
            return self._record_only(conn, case, [PendingEvent(NOTE_ADDED, command.actor, {"text": text})])

    # ------------------------------------------------------------------ supplement, withdrawal, cancellation
    def record_supplement(self, command: cmd.RecordSupplement) -> CaseChanged:
        documents = self._document_codes(command.documents)
        payload = {"documents": documents, "channel": command.channel}
        if command.note and command.note.strip():
            payload["note"] = _text(command.note, "note", MAX_NOTE_LENGTH)
        event = PendingEvent(MESSAGE_DELIVERED, command.actor, {"name": DOCUMENTS_MESSAGE, "payload": payload})

        def check(workflow) -> list[PendingEvent]:
            waiting = [task for task, name in runtime.waiting_for_messages(workflow) if name == DOCUMENTS_MESSAGE]
            if not waiting:
                raise Conflict("The case is not waiting for documents", message_name=DOCUMENTS_MESSAGE)
            missing = waiting[0].data.get(MISSING_DOCUMENTS)
            unexpected = [name for name in documents if isinstance(missing, list) and name not in missing]
            if unexpected:
                raise InvalidInput(
                    f"Not among the missing documents: {', '.join(unexpected)}",
                    errors=[{"field": "documents", "message": f"not missing: {', '.join(unexpected)}"}],
                    missing=missing,
                )
            return []

        def attempt() -> CaseChanged:
            with self._transaction(write_late=True) as conn:
                store.ensure_reachable(conn, command.case_id, command.access)
                case = self._load_running_case(conn, command.case_id)
                definition = self._deployments.get(conn, case.definition_id)
                return self._change_case(conn, case, definition, event, inspect=check)

        return self._transaction.retry_stale_reads(attempt)

    @staticmethod
    def _document_codes(documents) -> list[str]:
        if isinstance(documents, str) or not all(isinstance(name, str) and name.strip() for name in documents or ()):
            raise InvalidInput(
                "Name each document that came", errors=[{"field": "documents", "message": "must be document codes"}]
            )
        unique = list(dict.fromkeys(name.strip() for name in documents))
        if not unique or len(unique) > MAX_DOCUMENTS:
            raise InvalidInput(
                "Name the documents that came",
                errors=[{"field": "documents", "message": f"from 1 to {MAX_DOCUMENTS} documents"}],
            )
        return unique

    def cancel_case(self, command: cmd.CancelCase) -> CaseChanged:
        """Cancel by the office, or withdraw at the applicant's request; with the reason."""
        reason = _text(command.reason, "reason", MAX_REASON_LENGTH)
        payload = {"reason": reason, **({"withdrawn": True} if command.withdrawn else {})}
        event = PendingEvent(CASE_CANCELLED, command.actor, payload)
        return self._simple_case_change(command.case_id, event, command.access)

    def _simple_case_change(self, case_id: str, event: PendingEvent, access: CaseAccess | None = None) -> CaseChanged:
        def attempt() -> CaseChanged:
            with self._transaction(write_late=True) as conn:
                store.ensure_reachable(conn, case_id, access)
                case = self._load_running_case(conn, case_id)
                definition = self._deployments.get(conn, case.definition_id)
                return self._change_case(conn, case, definition, event)

        return self._transaction.retry_stale_reads(attempt)
