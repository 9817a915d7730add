"""The case events: their type names, as stored in ``case_events.type``, and the pending event
a command decides to record.

The names are stored data: replay, verification and every exported history read them, so a
name never changes once cases carry it (``case_migrated`` stays the name of a case moved to
another version of its procedure).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Causes that change the workflow. The other events (claims, case_completed...) only change
# projections and are skipped by replay's workflow step.
CASE_STARTED = "case_started"
TASK_COMPLETED = "task_completed"
MESSAGE_DELIVERED = "message_delivered"
TIMERS_FIRED = "timers_fired"
CASE_CANCELLED = "case_cancelled"
# An agency's answer (or failure) for a waiting service task. As the cause of a command (the
# worker's) it completes the task or throws its BPMN error; as an effect of another command it
# is the answer a synchronous operator gave, which replay hands back instead of calling it.
SERVICE_RESULT_RECORDED = "service_result_recorded"
# The SLA clock (Administrative Procedure Act §51): paused while the case waits for the
# applicant's documents, resumed when they arrive, and due dates moved by calendar changes.
# These change the workflow (its SLA timers and the ``sla_due_at`` it reads), so replay
# applies them like the others, from the due date recorded in the event.
SLA_PAUSED = "sla_paused"
SLA_RESUMED = "sla_resumed"
DUE_DATE_CHANGED = "due_date_changed"
# The diagram granted the case more standard time (an element marked slaExtension finished).
SLA_EXTENDED = "sla_extended"
# The case took a path of its diagram with a standard of its own (an element marked slaStandard
# finished, e.g. a move-in that needs a residence check): the due date is computed anew.
SLA_STANDARD_CHANGED = "sla_standard_changed"
# The case reached an element marked serviceDelivered: the service is done and the SLA clock
# stops for good (the rating and follow-ups after it do not count). It suspends the SLA timers
# still waiting, so replay applies it like the clock events above.
SERVICE_DELIVERED = "service_delivered"
# The case moved to another version of its procedure (engine.cases.moving): replay loads the
# state on the version it was on, moves it, and goes on with the new version's specs.
CASE_MIGRATED = "case_migrated"

# A supervisor changed variables of a case held by an incident, with a reason, before retrying
# it (engine.cases.incidents): set in the data of the case's open steps, as replay does again.
VARIABLES_CHANGED = "variables_changed"

# Incidents (engine.storage.incidents): the case's automatic work failed and is held, and later
# the incident was resolved (retried, or the case closed). They leave the workflow as it was.
INCIDENT_RAISED = "incident_raised"
INCIDENT_RESOLVED = "incident_resolved"

# Effects that change only projections.
TASK_CLAIMED = "task_claimed"
TASK_UNCLAIMED = "task_unclaimed"
CASE_COMPLETED = "case_completed"
CASE_OVERDUE = "case_overdue"
RATING_RECORDED = "rating_recorded"
# A file attached to the case: its id, kind, name, sniffed type, size and SHA-256. An effect of
# the command that brought it (a start, a delivered supplement) or the cause of its own.
DOCUMENT_ATTACHED = "document_attached"
# The responsible officer (承辦人) was set: the clerk who received the case, or a supervisor's
# choice since ({"officer", "previous_officer", "reason"}).
OFFICER_ASSIGNED = "officer_assigned"
# The case went to another office (跨區通辦): {"from_office", "to_office", "reason",
# "previous_officer"}. Changes no workflow; the receiving office stays on the case.
CASE_TRANSFERRED = "case_transferred"
# A task was given to a named colleague of its lane ({"task_id", "assignee", "previous_assignee"}).
TASK_ASSIGNED = "task_assigned"
# A clerk's note on the case ({"text"}).
NOTE_ADDED = "note_added"
# The closed case's personal values were removed (engine.audit.anonymisation): which payload
# keys of how many events. After it, the case is proven by its chain, no longer by replay.
CASE_ANONYMISED = "case_anonymised"

# The BPMN message a rating is delivered as, to cases whose diagram waits for one.
RATING_MESSAGE = "rating_received"
# The one-time notice (一次告知) as diagrams follow it: the case lists what is still missing in
# its data under MISSING_DOCUMENTS and waits for the message DOCUMENTS_MESSAGE, whose payload
# {"documents": [...], "channel", "note"} names the documents that came (RecordSupplement).
DOCUMENTS_MESSAGE = "documents_supplied"
MISSING_DOCUMENTS = "missing_documents"


@dataclass
class PendingEvent:
    """An event a command decided to record; written when the command commits its state."""

    type: str
    actor: str | None
    payload: dict[str, Any] = field(default_factory=dict)
    element_id: str | None = None
