"""The receipt a case records (workflows/receipt.py): the catalogue's standard time, the engine's due date."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from engine import ManualClock, execution_context
from workflows.catalogue import HouseholdCatalogue
from workflows.receipt import receipt_functions

procedure_receipt = receipt_functions(HouseholdCatalogue())["procedure_receipt"]


def test_the_receipt_carries_the_catalogue_standard_time_and_the_local_time_of_receipt():
    with execution_context(ManualClock(datetime(2026, 3, 2, 1, 30, tzinfo=timezone.utc))):
        receipt = procedure_receipt("move_in_registration", "115-000007", "online", "2026-03-03T17:00:00+08:00")
        counter = procedure_receipt("move_in_registration", "115-000008", "counter", "2026-03-02T10:10:00+08:00")
    assert receipt == {
        "case_number": "115-000007",
        "procedure": "move_in_registration",
        "procedure_name": "遷入登記 Move-in registration",
        "channel": "online",
        "received_at": "2026-03-02T09:30:00+08:00",
        "standard_time": {"amount": 1, "unit": "working_days"},  # online: the next working day
        "due_at": "2026-03-03T17:00:00+08:00",
        "access_code": "on the printed receipt only",
    }
    assert counter["standard_time"] == {"amount": 40, "unit": "minutes"}  # at the counter: the same visit


def test_an_unknown_procedure_has_no_receipt():
    with pytest.raises(ValueError, match="no procedure 'passport'"):
        procedure_receipt("passport", "115-000008", "counter", None)
