"""The review's figures on a real database: the month's indicators against the office's targets
(red, amber, green) with the change from the month before, targets set by the office, the annual
review as JSON, CSV and a PDF that draws Chinese, and the satisfaction survey of a case."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from workflows.annual_report import annual_pdf, cjk_font
from workflows.review import annual_review, monthly_review, set_target, status, targets

from ..engine.helpers import RECEIVE, complete, start
from .test_reports import office_month, rate, transcript_case  # noqa: F401 (fixtures)

MARCH = date(2026, 3, 1)


def indicator(review: dict, key: str) -> dict:
    return next(row for row in review["indicators"] if row["indicator"] == key)


def test_the_months_indicators_with_targets_and_status(office_month):
    review = monthly_review(office_month, MARCH)
    sla = indicator(review, "sla_compliance")
    # Transcripts: 1 late of 3 served; complaints: 1 late of 2 answered.
    assert (sla["value"], sla["target"], sla["status"]) == (0.6, 0.95, "red")
    assert indicator(review, "sla_compliance_online")["value"] == 1.0
    assert indicator(review, "breaches")["value"] == 2
    breach_notices = indicator(review, "breach_notices")
    assert breach_notices["value"] is None  # no breached applicant left a way to be told
    satisfaction = indicator(review, "satisfaction")
    assert satisfaction["value"] == round(1 / 3, 4) and satisfaction["status"] == "red"  # 5, 1, 2
    follow_ups = indicator(review, "follow_ups_closed")
    assert follow_ups["value"] == 1.0 and follow_ups["status"] == "green"  # both low ratings followed up
    assert indicator(review, "complaints_on_time")["value"] == 0.5
    assert review["figures"]["complaints_by_category"][0]["received"] == 3
    # February had nothing: no change to show.
    assert sla["previous"] is None and sla["change"] is None


def test_the_office_sets_its_targets_and_the_colours_follow(office_month):
    set_target(office_month, "sla_compliance", 0.7, 0.15, actor="director")
    review = monthly_review(office_month, MARCH)
    sla = indicator(review, "sla_compliance")
    assert (sla["target"], sla["amber"], sla["status"], sla["set_by"]) == (0.7, 0.15, "amber", "director")
    assert targets(office_month)["sla_compliance"]["target"] == 0.7
    with pytest.raises(Exception, match="from 0 to 1"):
        set_target(office_month, "sla_compliance", 95, 5, actor="director")
    with pytest.raises(Exception, match="no indicator"):
        set_target(office_month, "happiness", 1, 0, actor="director")


def test_status_reads_the_direction_of_the_indicator():
    lower = {"target": 10, "amber": 5, "higher_is_better": False}
    assert [status(v, lower) for v in (8, 10, 14, 16, None)] == ["green", "green", "amber", "red", None]
    higher = {"target": 0.9, "amber": 0.05, "higher_is_better": True}
    assert [status(v, higher) for v in (0.95, 0.87, 0.8)] == ["green", "amber", "red"]


def test_the_annual_review_with_its_improvements_as_json_csv_and_pdf(call, office_month, clock, tmp_path):
    from tests.designer.test_case_moves_commands import _new_version_of

    _new_version_of(office_month, "household_transcript")  # an improvement deployed in March
    served = start(office_month)
    complete(office_month, served.case_id, "receive_application", RECEIVE)
    complete(office_month, served.case_id, "issue_transcript", {"fee_paid": 15})
    review = annual_review(office_month, 2026)
    assert [month["month"] for month in review["months"]] == ["2026-01", "2026-02", "2026-03"]
    # January and February, before the office's first case, are not measured: no "0 breaches,
    # target met" for a month without a case.
    assert [month["values"]["breaches"] for month in review["months"]] == [None, None, 2]
    assert [month["values"]["papers_saved"] for month in review["months"]][:2] == [None, None]
    breaches = indicator(review, "breaches")
    assert (breaches["months_met"], breaches["months_measured"]) == (0, 1)
    [improvement] = review["improvements"]
    assert (improvement["procedure"], improvement["version"]) == ("household_transcript", 2)
    assert improvement["before"]["cases"] == 3 and improvement["after"]["cases"] == 1
    assert improvement["after"]["compliance"] == 1.0
    measured = improvement["measured"]  # two periods of the same length around the deploy
    assert set(measured) == {"days", "before", "after", "changes"} and measured["after"]["cases"] <= 1
    answer = call("GET", "/api/reports/annual", user="auditor", query={"year": 2026, "format": "csv"})
    assert answer.status == 200 and answer.content_type == "text/csv"
    rows = list(csv.reader(io.StringIO(answer.body.decode())))
    assert rows[0][:3] == ["section", "indicator", "name_zh"]
    assert rows[1][:3] == ["month", "sla_compliance", "案件如期完成率"] and rows[1][4] == "2026-01"
    [improvement_row] = [row for row in rows if row[:3] == ["improvement", "household_transcript", "2"]]
    header = next(row for row in rows if row[:2] == ["improvement", "procedure"])
    assert header[-7:] == [
        "measured_days",
        "measured_cases_before",
        "measured_compliance_before",
        "measured_late_before",
        "measured_cases_after",
        "measured_compliance_after",
        "measured_late_after",
    ] and len(improvement_row) == len(header)
    [year_breaches] = [row for row in rows if row[:2] == ["year", "breaches"]]
    assert year_breaches[5:] == ["2", "0", "5", "amber", "0", "1"]  # value, target, amber, status, months met, measured
    assert [row[5] for row in rows if row[:2] == ["month", "breaches"]] == ["", "", "2"]
    pdf = call("GET", "/api/reports/annual", user="supervisor", query={"year": 2026, "format": "pdf"})
    assert pdf.status == 200 and pdf.content_type == "application/pdf" and pdf.body.startswith(b"%PDF")
    assert call("GET", "/api/reports/annual", user="clerk", query={"format": "pdf"}).status == 403
    assert call("GET", "/api/reports/annual", user="auditor", query={"year": 1999}).status == 422


def test_the_pdf_embeds_a_font_that_draws_chinese(office_month):
    path, face = cjk_font()
    assert path.endswith((".ttc", ".otf", ".ttf")) and face >= 0
    body = annual_pdf(annual_review(office_month, 2026))
    assert b"/FontFile2" in body or b"/FontFile3" in body  # the font is embedded, not referenced
    assert b"NotoSansCJK" in body or b"Noto" in body


def test_the_review_and_targets_over_http(call, office_month):
    review = call("GET", "/api/reports/review", user="supervisor", query={"month": "2026-03"})
    assert review.status == 200 and indicator(review.json, "sla_compliance")["status"] == "red"
    assert call("GET", "/api/reports/review", user="supervisor", query={"month": "2026-13"}).status == 422
    assert call("GET", "/api/reports/review", user="clerk").status == 403
    put = call("PUT", "/api/reports/targets/waiting_minutes", user="supervisor", json={"target": 8, "amber": 4})
    assert put.status == 200 and put.json["target"] == 8 and put.json["set_by"] == "supervisor"
    assert (
        call("PUT", "/api/reports/targets/waiting_minutes", user="auditor", json={"target": 8, "amber": 4}).status
        == 403
    )
    bad = call("PUT", "/api/reports/targets/waiting_minutes", user="supervisor", json={"target": 8, "amber": -1})
    assert bad.status == 422
    listed = call("GET", "/api/reports/targets", user="auditor")
    assert {row["indicator"]: row["target"] for row in listed.json}["waiting_minutes"] == 8


def test_the_survey_of_a_counter_case_and_its_trend(call, engine, transcript, clock):
    case = start(engine)
    path = f"/api/public/cases/{case.number}/survey"
    questions = call("GET", path, query={"code": case.access_code})
    assert questions.status == 200 and questions.json["survey"] == "counter"
    keys = [q["key"] for q in questions.json["questions"]]
    early = call("POST", path, json={"code": case.access_code, "answers": {keys[0]: 5}})
    assert early.status == 409  # not served yet
    complete(engine, case.case_id, "receive_application", RECEIVE)
    complete(engine, case.case_id, "issue_transcript", {"fee_paid": 15})
    answered = call("POST", path, json={"code": case.access_code, "answers": {keys[0]: 5, keys[1]: 3}})
    assert answered.status == 201 and answered.json["answered"] == {keys[0]: 5, keys[1]: 3}
    assert call("POST", path, json={"code": case.access_code, "answers": {keys[0]: 4}}).status == 409
    assert call("POST", path, json={"code": case.access_code, "answers": {"online_ease": 4}}).status == 422
    assert call("POST", path, json={"code": case.access_code, "answers": {keys[2]: 9}}).status == 422
    assert call("POST", path, json={"code": "WRONG", "answers": {keys[2]: 4}}).status == 404
    trend = call("GET", "/api/reports/surveys", user="supervisor", query={"from": "2026-03-01", "to": "2026-03-31"})
    rows = {row["question"]: row for row in trend.json["rows"]}
    assert rows[keys[0]]["satisfied_share"] == 1.0 and rows[keys[1]]["mean"] == 3.0
    assert rows[keys[0]]["month"] == "2026-03"
