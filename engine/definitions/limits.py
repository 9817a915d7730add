"""Deploy-time checks that names fit where the engine stores them.

Element ids, task names, lanes and form keys are copied into the inbox and the event log; the
process id becomes the procedure's key; file names are kept with the version. SQLite does not
enforce column lengths but PostgreSQL does, so a name that is too long would deploy and then
fail the first command that stores it. The limits are read from the tables themselves.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from engine.definitions.kinds import words
from engine.definitions.xml import Report, shorten
from engine.storage.models import CaseEvent, Definition, DefinitionFile, Task
from engine.workflow.runtime import FORM_KEY_PROPERTY, element_properties


def _length(column) -> int:
    return column.type.length


FILE_NAME_LIMIT = _length(DefinitionFile.__table__.c.name)
PROCESS_ID_LIMIT = _length(Definition.__table__.c.process_key)
ELEMENT_ID_LIMIT = min(_length(Task.__table__.c.element_id), _length(CaseEvent.__table__.c.element_id))
TASK_NAME_LIMIT = _length(Task.__table__.c.name)
LANE_LIMIT = _length(Task.__table__.c.lane)
FORM_KEY_LIMIT = _length(Task.__table__.c.form_key)


def check_lengths(
    report: Report,
    file_names: Iterable[str],
    process_ids: Iterable[str],
    task_specs: Iterable[tuple[str | None, object]],
) -> None:
    """One ERROR finding for each name longer than the engine stores."""
    for name in file_names:
        if len(name) > FILE_NAME_LIMIT:
            report.add("file-name-too-long", file=name, name=shorten(name), length=len(name), limit=FILE_NAME_LIMIT)
    for process_id in process_ids:
        if len(process_id) > PROCESS_ID_LIMIT:
            report.add(
                "process-id-too-long",
                element_id=process_id,
                element_type="process",
                id=shorten(process_id),
                length=len(process_id),
                limit=PROCESS_ID_LIMIT,
            )
    for file, task_spec in task_specs:
        for what, value, limit in _stored_names(task_spec):
            if value is not None and len(value) > limit:
                report.add(
                    "stored-name-too-long",
                    element_id=task_spec.bpmn_id,
                    file=file,
                    what=words(what),
                    id=shorten(task_spec.bpmn_id),
                    length=len(value),
                    limit=limit,
                )


def _stored_names(task_spec) -> Iterator[tuple[str, str | None, int]]:
    properties = element_properties(task_spec)
    yield "what-id", task_spec.bpmn_id, ELEMENT_ID_LIMIT
    yield "what-name", getattr(task_spec, "bpmn_name", None), TASK_NAME_LIMIT
    yield "what-lane", getattr(task_spec, "lane", None), LANE_LIMIT
    yield "what-form", properties.get(FORM_KEY_PROPERTY), FORM_KEY_LIMIT
