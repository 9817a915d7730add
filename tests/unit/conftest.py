"""The engine's unit tier: engines built with the tiny library pack, never the household one."""

from __future__ import annotations

import pytest

from engine import CaseEngine, files_from_folder
from engine import commands as cmd

from .library_pack import BPMN, MemberRegistry, registries


@pytest.fixture
def registry() -> MemberRegistry:
    return MemberRegistry()


@pytest.fixture
def library(database_url, clock, registry):
    case_engine = CaseEngine(database_url, clock=clock, **registries(registry))
    case_engine.handle(cmd.DeployDefinition(files_from_folder(BPMN), actor="designer"))
    yield case_engine
    case_engine.dispose()
