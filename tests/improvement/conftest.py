"""A simulated office month with one bottleneck: house number assignments (門牌編釘) whose site
survey (現場勘查) only one surveyor does, an hour a day, while two clerks do the rest."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from engine import ManualClock, files_from_folder
from engine import commands as cmd
from workflows.simulation import OfficeSimulation, SimulationSettings, StaffLine

from ..conftest import BPMN

PROCEDURE = "house_number"
BOTTLENECK = "site_survey"
SURVEYOR_LANE = "Surveyor"
MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)
STAFF = (StaffLine("Clerk", 2), StaffLine(SURVEYOR_LANE, 1, (9, 10)))
DAYS = 6  # working days simulated in a month: long enough for the 3-working-day standard to pass
CASES = 400  # applications expected in a whole month: about 19 a day


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 1, 23, 0, tzinfo=timezone.utc))  # 2 March, 07:00 in Taipei


def simulate(engine, month: date, staff=STAFF, seed: int = 5, start_day: date | None = None):
    settings = SimulationSettings(month, seed=seed, cases=CASES, working_days=DAYS, staff=staff, start_day=start_day)
    return OfficeSimulation(engine, settings).run()


@pytest.fixture
def bottleneck_month(engine):
    """March's first working days simulated on house number assignments alone."""
    engine.handle(cmd.DeployDefinition(files_from_folder(BPMN / PROCEDURE), actor="designer"))
    result = simulate(engine, MARCH)
    assert result.counts["cases_started"] > 40, result.counts
    return result
