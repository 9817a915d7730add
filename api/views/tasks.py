"""Clerks' inbox: the tasks of their groups (BPMN lanes), sorted by due date."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import abort

from engine import NotFound
from engine import commands as cmd
from engine.storage import queries
from engine.storage import search as case_search
from workflows.notice import documents_notice

from ..auth import (
    ADMIN,
    AUDITOR,
    CASE_READERS,
    CASE_WORKERS,
    SUPERVISOR,
    case_access,
    current_principal,
    engine,
    may_work_lane,
)
from ..casework_schemas import AssignTaskSchema, DraftSavedSchema, DraftSchema
from ..privacy import masked, unmasked_read
from ..schemas import (
    CaseChangedSchema,
    CompleteTaskSchema,
    TaskDetailSchema,
    TaskListArgsSchema,
    TaskPageSchema,
    UnmaskArgsSchema,
)
from .cases import changed_dict
from .common import (
    Blueprint,
    case_summary,
    evidence_dict,
    page_after,
    page_dict,
    page_window,
    person,
    secured,
    task_dict,
    zone,
)

blp = Blueprint("tasks", __name__, url_prefix="/api/tasks", description="The inbox: claim, work and complete tasks.")


def readable_groups(principal, requested: str | None) -> list[str] | None:
    """The lanes the caller may list; None means every lane (auditors and admins read all)."""
    if principal.has_any(AUDITOR, ADMIN):
        return [requested] if requested else None
    groups = sorted(principal.groups)
    if requested:
        if requested not in principal.groups:
            abort(403, message=f"You are not in group {requested!r}")
        return [requested]
    return groups


@blp.route("")
class Inbox(MethodView):
    @secured(blp, *CASE_READERS)
    @blp.arguments(TaskListArgsSchema, location="query")
    @blp.response(200, TaskPageSchema)
    def get(self, args):
        """Open tasks of the caller's groups, soonest due first, each with its case's due date and SLA state."""
        principal = current_principal()
        limit, offset = page_window(args)
        task_filter = queries.TaskFilter(
            groups=readable_groups(principal, args.get("group")),
            offices=sorted(principal.offices) if principal.offices is not None else None,
            assignee=args.get("assignee"),
            officer=principal.username if args.get("officer") == "me" else args.get("officer"),
            procedure=args.get("procedure"),
            overdue_at=engine().clock.now() if args.get("overdue") else None,
            limit=limit,
            offset=offset,
            after=page_after(args),
        )
        with engine().read() as session:
            page = queries.list_tasks(session, task_filter)
            # The inbox shows each task against its case's deadline (tasks rarely have their own).
            people = case_search.staff(session, [row.task.assignee for row in page.rows])
        now, local = engine().clock.now(), zone()
        items = [
            {
                **task_dict(row.task, row.case_number, row.procedure, people=people),
                "case_due_at": row.case.due_at,
                "case_sla_state": queries.sla_state(row.case, now, local),
            }
            for row in page.rows
        ]
        return page_dict(page, items, args)


@blp.route("/<string:task_id>")
class TaskDetail(MethodView):
    @secured(blp, *CASE_READERS, errors=(404,))
    @blp.arguments(UnmaskArgsSchema, location="query")
    @blp.response(200, TaskDetailSchema)
    def get(self, args, task_id):
        """The task with its form schema, the case summary and the agency evidence so far; national
        ID numbers masked unless ``unmask=true`` (the form of the one who works the task)."""
        principal = current_principal()
        with engine().read() as session:
            task = queries.get_task(session, task_id)
            works_lane = may_work_lane(principal, task.lane)
            if not (works_lane or principal.has_any(AUDITOR, ADMIN, SUPERVISOR)):
                # The lane is named only to one who reaches the case; to others the task does not exist.
                try:
                    queries.get_case(session, task.case_id, case_access())
                except NotFound:
                    abort(404, message=f"Task {task_id} does not exist")
                abort(403, message=f"Task {task_id} belongs to lane {task.lane!r}, which is not one of your groups")
            # Supervisors, auditors and admins read the tasks of the cases they reach.
            case = queries.get_case(session, task.case_id, None if works_lane else case_access())
            evidence = queries.service_evidence(session, case.id)
            people = case_search.staff(session, [case.officer, task.assignee, task.draft_saved_by])
        unmasked = unmasked_read(args, case, "task")
        definition = engine().definition(case.definition_id)
        state = engine().case_state(case.id, task_id=task.id)
        # An open task's own data: inside a called subprocess it holds the subprocess's variables.
        data = state["task_data"] if state["task_data"] is not None else state["data"]
        detail = task_dict(task, case.number, case.procedure_key, people)
        detail.update(
            form_schema=definition.forms.get(task.form_key) if task.form_key else None,
            case=case_summary(case, definition.version, mask=not unmasked, people=people),
            case_data=masked(data, unmasked),
            evidence=[evidence_dict(e) for e in evidence],
            documents=documents_notice(state, data),
            draft=task.draft,
            draft_saved_at=task.draft_saved_at,
            draft_saved_by=task.draft_saved_by,
            draft_saved_by_name=(person(task.draft_saved_by, people) or {}).get("name"),
        )
        return detail


@blp.route("/<string:task_id>/claim")
class ClaimTask(MethodView):
    @secured(blp, *CASE_WORKERS, errors=(404, 409))
    @blp.response(200, CaseChangedSchema)
    def post(self, task_id):
        """Take the task, so that no one else works it at the same time."""
        principal = current_principal()
        return changed_dict(
            engine().handle(
                cmd.ClaimTask(task_id, principal.username, lanes=principal.groups, offices=principal.offices)
            )
        )


@blp.route("/<string:task_id>/unclaim")
class UnclaimTask(MethodView):
    @secured(blp, *CASE_WORKERS, errors=(404, 409))
    @blp.response(200, CaseChangedSchema)
    def post(self, task_id):
        """Give the task back to the group; a supervisor may release anyone's task."""
        principal = current_principal()
        return changed_dict(
            engine().handle(
                cmd.UnclaimTask(
                    task_id,
                    principal.username,
                    lanes=principal.groups,
                    offices=principal.offices,
                    force=principal.has_any(SUPERVISOR),
                )
            )
        )


@blp.route("/<string:task_id>/complete")
class CompleteTask(MethodView):
    @secured(blp, *CASE_WORKERS, errors=(400, 404, 409))
    @blp.arguments(CompleteTaskSchema)
    @blp.response(200, CaseChangedSchema)
    def post(self, body, task_id):
        """Complete the task with its form data (checked against the task's JSON Schema)."""
        principal = current_principal()
        return changed_dict(
            engine().handle(
                cmd.CompleteTask(
                    task_id, principal.username, body["data"], lanes=principal.groups, offices=principal.offices
                )
            )
        )


@blp.route("/<string:task_id>/assign")
class AssignTask(MethodView):
    @secured(blp, *CASE_WORKERS, errors=(400, 404, 409))
    @blp.arguments(AssignTaskSchema)
    @blp.response(200, CaseChangedSchema)
    def post(self, body, task_id):
        """Give the task to a named colleague of its lane: the clerk who holds it (or a free task
        of one's lane) delegates it; a supervisor may reassign anyone's."""
        principal = current_principal()
        return changed_dict(
            engine().handle(
                cmd.AssignTask(
                    task_id,
                    body["assignee"],
                    principal.username,
                    lanes=principal.groups,
                    offices=principal.offices,
                    force=principal.has_any(SUPERVISOR),
                )
            )
        )


@blp.route("/<string:task_id>/draft")
class TaskDraft(MethodView):
    @secured(blp, *CASE_WORKERS, errors=(400, 404, 409))
    @blp.arguments(DraftSchema)
    @blp.response(200, DraftSavedSchema)
    def put(self, body, task_id):
        """Keep what has been typed into the task's form so far (the task must be claimed by the
        caller); it comes back with the task until the task is completed."""
        principal = current_principal()
        saved_at = engine().handle(
            cmd.SaveTaskDraft(
                task_id, principal.username, body["data"], lanes=principal.groups, offices=principal.offices
            )
        )
        return {"task_id": task_id, "saved_at": saved_at}
