"""Helpers of the agency tests: faults and counters of the simulator, over its admin endpoints."""

from __future__ import annotations

import pytest
import requests

HOUSEHOLD = "household_registration"


class SimulatorControl:
    def __init__(self, server) -> None:
        self.server = server
        self.url = server.url

    def fault(self, agency: str = HOUSEHOLD, **fault) -> None:
        answer = requests.put(f"{self.url}/_admin/faults/{agency}", json=fault, timeout=5)
        assert answer.status_code == 200, answer.text

    def clear(self) -> None:
        requests.delete(f"{self.url}/_admin/faults", timeout=5).raise_for_status()

    def stats(self, agency: str = HOUSEHOLD) -> dict:
        return requests.get(f"{self.url}/_admin/stats", timeout=5).json()["agencies"][agency]

    def queries(self) -> list[dict]:
        return requests.get(f"{self.url}/_admin/stats", timeout=5).json()["queries"]


@pytest.fixture
def agencies(simulator) -> SimulatorControl:
    return SimulatorControl(simulator)
