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
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import ServiceTaskConverter

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


def dumps(workflow: BpmnWorkflow) -> str:
    return encode(workflow)[0]


def encode(workflow: BpmnWorkflow) -> tuple[str, bool]:
    """The library's ``serialize_json``, encoded with orjson (several times faster than json),
    and whether ``loads`` of it gives back exactly what the workflow holds."""
    serializer = _serializer()
    registry = serializer.registry
    registry._encoder_mode = True
    try:
        dct = serializer.to_dict(workflow)
        dct[serializer.VERSION_KEY] = serializer.VERSION
        lossy = [False]
        default = _encode_leftover(registry, lossy)
        try:
            text = orjson.dumps(dct, default=default, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")
        except (TypeError, orjson.JSONEncodeError):
            # orjson refuses what json accepts in task data, e.g. integers beyond 64 bits.
            return json.dumps(dct, default=default, ensure_ascii=False), False
        # Exact when reading the text back gives what was written: a tuple would come back as a
        # list, an integer key as a string, NaN as null (all compare unequal).
        return text, not lossy[0] and orjson.loads(text) == dct
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
