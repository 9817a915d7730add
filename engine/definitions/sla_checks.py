"""Stage 4 of validation, the SLA marks: where a procedure with a standard time delivers its
service (``serviceDelivered``), and which standard a path switches to (``slaStandard``).

A procedure the catalogue gives a standard time is judged on it, so its diagram must say where
the service is delivered: without that point the SLA clock would run on through the rating and
the follow-ups after the service, and count an on-time service as late.
"""

from __future__ import annotations

from engine.definitions.context import ValidationContext
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
        value = properties.get(SERVICE_DELIVERED_PROPERTY)
        if value is not None and value != "true":
            ctx.report.add(
                "service-point-invalid",
                element_id=task_spec.bpmn_id,
                file=file,
                property=SERVICE_DELIVERED_PROPERTY,
                value=shorten(value),
            )
        marked = marked or value == "true"
        variant = properties.get(SLA_STANDARD_PROPERTY)
        if variant is not None and main_process_id is not None and variant not in variants:
            ctx.report.add(
                "sla-standard-unknown",
                element_id=task_spec.bpmn_id,
                file=file,
                standard=shorten(variant),
                property=SLA_STANDARD_PROPERTY,
                procedure=main_process_id,
                known=", ".join(sorted(variants)) or "-",
            )
    if marked or not main_process_id or ctx.catalogue is None:
        return
    if ctx.catalogue.standard_time(main_process_id) is not None:
        ctx.report.add(
            "service-point-missing",
            element_id=main_process_id,
            file=ctx.report.file_of(main_process_id),
            property=SERVICE_DELIVERED_PROPERTY,
        )
