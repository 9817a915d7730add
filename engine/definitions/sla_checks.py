"""Stage 4 of validation, the SLA marks: where a procedure with a standard time delivers its
service (``serviceDelivered``), and which standard a path switches to (``slaStandard``).

A procedure the catalogue gives a standard time is judged on it, so its diagram must say where
the service is delivered: without that point the SLA clock would run on through the rating and
the follow-ups after the service, and count an on-time service as late.
"""

from __future__ import annotations

from engine.definitions.context import ValidationContext
from engine.definitions.findings import ERROR
from engine.definitions.xml import shorten
from engine.workflow.runtime import SERVICE_DELIVERED_PROPERTY, SLA_STANDARD_PROPERTY, element_properties


def _visible(specs: dict):
    for spec in specs.values():
        for task_spec in spec.task_specs.values():
            if getattr(task_spec, "bpmn_id", None):
                yield spec.file, task_spec


def check_sla_marks(ctx: ValidationContext, specs: dict, main_process_id: str | None) -> None:
    marked = False
    variants = ctx.catalogue.variants(main_process_id) if ctx.catalogue and main_process_id else set()
    for file, task_spec in _visible(specs):
        properties = element_properties(task_spec)
        name = f"{task_spec.bpmn_name or task_spec.bpmn_id} ({task_spec.bpmn_id})"
        value = properties.get(SERVICE_DELIVERED_PROPERTY)
        if value is not None and value != "true":
            ctx.report.add_for_id(
                ERROR,
                f"{name} has {SERVICE_DELIVERED_PROPERTY} = '{shorten(value)}': write 'true' on the element "
                "where the service is delivered, or remove the property.",
                task_spec.bpmn_id,
                file,
            )
        marked = marked or value == "true"
        variant = properties.get(SLA_STANDARD_PROPERTY)
        if variant is not None and main_process_id is not None and variant not in variants:
            known = ", ".join(sorted(variants)) or "none"
            ctx.report.add_for_id(
                ERROR,
                f"{name} switches the case to the standard '{shorten(variant)}' ({SLA_STANDARD_PROPERTY}), "
                f"which the catalogue does not have for {main_process_id}. Its standards: {known}.",
                task_spec.bpmn_id,
                file,
            )
    if marked or not main_process_id or ctx.catalogue is None:
        return
    if ctx.catalogue.standard_time(main_process_id) is not None:
        ctx.report.add_for_id(
            ERROR,
            f"{main_process_id} has a standard processing time, so its diagram must say where the service "
            f"is delivered: add the property {SERVICE_DELIVERED_PROPERTY} = true to that element (e.g. the "
            "step that issues the document or makes the registration). The SLA clock stops there; the "
            "rating and follow-ups after it do not count.",
            main_process_id,
            ctx.report.file_of(main_process_id),
        )
        ctx.mark_last_as_draft_reason()
