"""Case state <-> JSON, with the process spec kept out of the blob.

The parsed spec of a definition version lives in the definition cache; storing it again in
every case would triple the size of each row and the time to load it. The stored JSON holds
only the task tree and workflow data; ``loads`` takes the spec from the caller.
"""

from __future__ import annotations

import json
import threading
from types import ModuleType
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnSubWorkflowConverter,
    BpmnWorkflowConverter,
    TaskConverter,
)
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import ServiceTaskConverter
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.workflow.service_tasks import OnestopServiceTask


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Converts a top-level workflow without its spec; restores it onto specs given per call."""

    def to_dict(self, workflow):
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)  # skip the spec conversion
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct):
        spec, subprocess_specs = self.registry.specs_for_restore
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _make_serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _SpeclessWorkflowConverter
    config[OnestopServiceTask] = ServiceTaskConverter  # the library's, for our subclass
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


# The library's serializer flips shared state while it works: one per thread.
_local = threading.local()


def _serializer() -> BpmnWorkflowSerializer:
    serializer = getattr(_local, "serializer", None)
    if serializer is None:
        serializer = _local.serializer = _make_serializer()
    return serializer


def registry():
    """This thread's converter registry (SpiffWorkflow's version diff compares specs with it)."""
    return _serializer().registry


def _encode_leftover(registry, lossy: list[bool]):
    """What the library's JSON encoder does for objects its registry did not convert. Sets,
    callables and modules do not come back as they were: ``lossy`` records that one was met."""

    def default(obj):
        typename = registry.typenames.get(type(obj))
        if typename is not None:
            return registry.convert_to_dict[typename](obj)
        lossy[0] = True
        if callable(obj) or isinstance(obj, ModuleType):
            return None
        if isinstance(obj, set):
            return list(obj)
        raise TypeError(f"{type(obj).__name__} is not JSON serializable")

    return default


def _clean(data: dict) -> dict:
    """The registry's ``clean``: callables and modules are left out of stored data."""
    return {key: value for key, value in data.items() if not callable(value) and not isinstance(value, ModuleType)}


class _FastConverter:
    """The dict ``serializer.to_dict`` gives for a workflow in encoder mode, built directly.

    The library's converters dispatch every task through the registry (a dict lookup, a
    ``functools.partial``, a ``dict.update`` for the typename), which costs several times the
    work itself; a case's state is written at every command and replay writes it after every
    recorded command. The result is the same dict, key for key and in the same order (the
    stored text and its hash depend on the order): tests/engine/test_serialization.py compares
    the two on every procedure. It takes only workflows made of the classes it knows and gives
    None for anything else, which then goes through the library."""

    def __init__(self, registry) -> None:
        typenames = registry.typenames
        self.task_typename = typenames.get(Task)
        self.workflow_typename = typenames.get(BpmnWorkflow)
        self.subworkflow_typename = typenames.get(BpmnSubWorkflow)
        self.known = (
            self.workflow_typename is not None
            and type(registry.convert_to_dict[self.task_typename].args[1].__self__) is TaskConverter
            and type(registry.convert_to_dict[self.workflow_typename].args[1].__self__) is _SpeclessWorkflowConverter
            and type(registry.convert_to_dict[self.subworkflow_typename].args[1].__self__) is BpmnSubWorkflowConverter
        )

    def workflow(self, workflow: BpmnWorkflow) -> tuple[dict, list] | None:
        """The dict, and the values in it that come from data (task and workflow data, internal
        data, correlations): only these can fail to come back from JSON as they were."""
        if not self.known or type(workflow) is not BpmnWorkflow:
            return None
        data_values = []
        dct = self._fields(workflow, data_values)
        if dct is None:
            return None
        subprocesses = {}
        for key, subworkflow in workflow.subprocesses.items():
            if type(subworkflow) is not BpmnSubWorkflow:
                return None
            sub = self._fields(subworkflow, data_values)
            if sub is None:
                return None
            sub["parent_task_id"] = str(subworkflow.parent_task_id)
            sub["spec"] = subworkflow.spec.name
            sub["typename"] = self.subworkflow_typename
            subprocesses[str(key)] = sub
        dct["subprocesses"] = subprocesses
        dct["bpmn_events"] = workflow.bpmn_events  # a list: the encoder converts its items
        dct["typename"] = self.workflow_typename
        return dct, data_values

    def _fields(self, workflow, data_values: list) -> dict | None:
        """WorkflowConverter.to_dict."""
        tasks = workflow.tasks
        # str(UUID) is pure Python and the ids of a task tree are written again at every command:
        # the text of each id is kept with the workflow, by its integer (hashed in C).
        names = workflow.__dict__.setdefault("_onestop_id_text", {})
        name_of = names.get
        # The dicts of settled tasks, kept with the workflow: see _settled_key.
        settled = workflow.__dict__.setdefault("_onestop_settled_tasks", {})
        task_dicts = {}
        typename = self.task_typename
        for task in tasks.values():
            if type(task) is not Task:
                return None
            parent_id = task._parent
            parent = tasks.get(parent_id) if parent_id is not None else None
            key = _settled_key(task, parent)
            if key is not None:
                kept = settled.get(task.id.int)
                if kept is not None and kept[0] == key:
                    task_dicts[kept[1]["id"]] = kept[1]
                    data_values.extend(kept[2])
                    continue
            values: list = []
            keep = values.append
            own = task.data
            if parent is None:
                data, delta = own, {}
                keep(own)
            else:
                # DeepMerge.get_updated_keys and get_deleted_keys
                inherited = parent.data
                data = {}
                delta = {
                    "updates": {k: v for k, v in own.items() if k not in inherited or v != inherited[k]},
                    "deletions": [k for k in inherited if k not in own],
                }
                keep(delta)
            internal = task.internal_data
            if internal:
                if isinstance(internal, dict):
                    internal = _clean(internal)
                keep(internal)
            data_values.extend(values)
            task_id = name_of(task.id.int) or _name(names, task.id)
            children = []
            for child in task._children:
                children.append(name_of(child.int) or _name(names, child))
            task_dict = task_dicts[task_id] = {
                "id": task_id,
                "parent": (name_of(parent_id.int) or _name(names, parent_id)) if parent is not None else None,
                "children": children,
                "last_state_change": task.last_state_change,
                "state": task._state,
                "task_spec": task.task_spec.name,
                "triggered": task.triggered,
                "internal_data": internal,
                "data": data,
                "delta": delta,
                "typename": typename,
            }
            if key is not None:
                settled[task.id.int] = (key, task_dict, values)
        last_task = workflow.last_task
        workflow_data = _clean(workflow.data)
        data_values.append(workflow_data)
        data_values.append(workflow.correlations)
        return {
            "data": workflow_data,
            "correlations": workflow.correlations,
            "last_task": _name(names, last_task.id) if last_task is not None else None,
            "success": workflow.success,
            "completed": workflow.completed,
            "tasks": task_dicts,
            "root": _name(names, workflow.task_tree.id),
        }


# SpiffWorkflow no longer changes a completed or cancelled task below a completed or cancelled
# parent: its data, its delta against its parent's data and its internal data stay as they were
# when it settled (a reset or a retry changes its state first, and with it the key). The engine
# itself does change such data (a new due date, a supervisor's variables, set where the next
# steps inherit them) and says so with settled_data_changed. The dict of a settled task would be
# written again at every command of its case; kept, a long case's state costs what its new
# tasks cost.
_SETTLED = TaskState.COMPLETED | TaskState.CANCELLED


def _settled_key(task: Task, parent: Task | None) -> tuple | None:
    """What a settled task's dict depends on and could still change, or None (not settled)."""
    if parent is None or not (task._state & _SETTLED and parent._state & _SETTLED):
        return None
    return (task._state, task.last_state_change, task.triggered, task.task_spec, tuple(task._children))


def settled_data_changed(task: Task) -> None:
    """To be called by whoever changes the data of a settled task (the engine does, to set a new
    due date or a variable where the next steps inherit it): its dict and its children's (their
    deltas are against its data) are built again."""
    settled = task.workflow.__dict__.get("_onestop_settled_tasks")
    if settled:
        for task_id in (task.id, *task._children):
            settled.pop(task_id.int, None)


def _name(names: dict, task_id) -> str:
    text = names.get(task_id.int)
    if text is None:
        text = names[task_id.int] = str(task_id)
    return text


def _fast_converter() -> _FastConverter:
    converter = getattr(_local, "fast", None)
    if converter is None:
        converter = _local.fast = _FastConverter(_serializer().registry)
    return converter


def dumps(workflow: BpmnWorkflow) -> str:
    return encode(workflow)[0]


def encode(workflow: BpmnWorkflow) -> tuple[str, bool]:
    """The library's ``serialize_json``, encoded with orjson (several times faster than json),
    and whether ``loads`` of it gives back exactly what the workflow holds."""
    serializer = _serializer()
    registry = serializer.registry
    registry._encoder_mode = True
    try:
        fast = _fast_converter().workflow(workflow)
        dct, data_values = fast if fast is not None else (serializer.to_dict(workflow), None)
        dct[serializer.VERSION_KEY] = serializer.VERSION
        lossy = [False]
        default = _encode_leftover(registry, lossy)
        try:
            text = orjson.dumps(dct, default=default).decode("utf-8")
        except (TypeError, orjson.JSONEncodeError):
            # A key that is not a string (it comes back as one: never exact), or what orjson
            # refuses and json accepts in task data, e.g. integers beyond 64 bits. (Keys that are
            # not strings cost orjson more, even in dicts without any: hence the second try.)
            try:
                text = orjson.dumps(dct, default=default, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")
            except (TypeError, orjson.JSONEncodeError):
                return json.dumps(dct, default=default, ensure_ascii=False), False
            return text, False
        if lossy[0]:
            return text, False
        # Exact when reading the text back gives what was written: a tuple would come back as a
        # list, an integer key as a string, NaN as null (all compare unequal). Everything else in
        # the dict the fast converter built is strings, numbers and lists of them: only its data
        # values need the check. Pending BPMN events come back as dicts, never as events.
        if data_values is None:
            return text, orjson.loads(text) == dct
        if workflow.bpmn_events:
            return text, False
        try:
            again = orjson.loads(orjson.dumps(data_values, option=orjson.OPT_NON_STR_KEYS))
        except (TypeError, orjson.JSONEncodeError):  # a value only the registry converts
            return text, False
        return text, again == data_values
    finally:
        registry._encoder_mode = False


def loads(state: str, spec, subprocess_specs: dict) -> BpmnWorkflow:
    serializer = _serializer()
    serializer.registry.specs_for_restore = (spec, subprocess_specs)
    try:
        dct = orjson.loads(state)
        serializer.migrate(dct)
        return serializer.from_dict(dct)
    finally:
        serializer.registry.specs_for_restore = None
