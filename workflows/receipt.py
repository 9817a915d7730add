"""The receipt (收件收據) a case records in its own data, from the shared call activity ``receipt``.

The engine numbers the case and computes its due date (``case_number`` and ``sla_due_at`` in the
case data) and the API hands the printed receipt to the applicant at the start (api/views/cases.py).
This function copies the same facts into the case, with the standard time from the same
catalogue, so a diagram, the case history and the reports can see what was promised.

The access code is not copied: it is the applicant's credential for the public status and rating
API, and case data is shown to every clerk and kept in the audit trail for good.
"""

from __future__ import annotations

from typing import Callable

from engine import ProcedureCatalogue, current_now

from .calendar import OFFICE_ZONE


def receipt_functions(catalogue: ProcedureCatalogue) -> dict[str, Callable]:
    def procedure_receipt(procedure_key, case_number, channel, due_at) -> dict:
        """The receipt of a case of ``procedure_key`` received now."""
        standard_time = catalogue.standard_time(procedure_key, channel=channel)
        if standard_time is None:
            raise ValueError(f"procedure_receipt: no procedure {procedure_key!r} in the catalogue")
        return {
            "case_number": case_number,
            "procedure": procedure_key,
            "procedure_name": f"{standard_time['name_zh']} {standard_time['name_en']}",
            "channel": channel,
            "received_at": current_now().astimezone(OFFICE_ZONE).isoformat(),
            "standard_time": {"amount": standard_time["amount"], "unit": standard_time["unit"]},
            "due_at": due_at,
            "access_code": "on the printed receipt only",
        }

    return {"procedure_receipt": procedure_receipt}
