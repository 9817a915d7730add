"""A simulated office month (issue #6): applicants, clerks, agencies and the clock, driven
through the engine's commands, ending with the management report. See docs/simulation.md."""

from .city import CitySimulation, city_report, comparison_table
from .driver import OfficeSimulation, SimulationResult, SimulationSettings, StaffLine, parse_staff
from .report import as_csv, as_table, as_tables, management_report, month_bounds

__all__ = [
    "CitySimulation",
    "city_report",
    "comparison_table",
    "OfficeSimulation",
    "SimulationResult",
    "SimulationSettings",
    "StaffLine",
    "as_csv",
    "as_table",
    "as_tables",
    "management_report",
    "month_bounds",
    "parse_staff",
]
