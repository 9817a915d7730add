"""The annual review report (年度查核) for the city's Civil Affairs Bureau, as PDF and CSV: the
year's indicators per month against the office's targets, the targets met, and the improvements
made (diagram versions deployed and the figures of their cases against the version before).

The PDF is made with fpdf2 (pure Python, maintained, embeds a subset of a TrueType/OpenType font,
so Chinese renders on any reader) and the Noto Sans CJK TC face of Debian's fonts-noto-cjk, the
package scripts/chromium.sh installs; ``ONESTOP_CJK_FONT`` names another font file.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from engine import EngineError
from engine.audit import reports

from .calendar import OFFICE_ZONE
from .review import INDICATORS

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
)
TRADITIONAL_FACE = "TC"
STATUS_LABELS = {"green": "達成 met", "amber": "接近 near", "red": "未達 missed", None: "—"}
STATUS_COLOURS = {"green": (210, 240, 215), "amber": (255, 236, 200), "red": (250, 215, 215), None: (255, 255, 255)}


class FontMissing(EngineError):
    """No font that can draw Chinese is installed."""


def format_value(value, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "share":
        return f"{value * 100:.1f}%"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# ---------------------------------------------------------------------- CSV
def annual_csv(review: dict) -> str:
    """One row per indicator and month, then the year, then one row per improvement."""
    buffer = io.StringIO()
    writer = reports.spreadsheet_writer(buffer)  # names and keys come from designers: no formula runs
    writer.writerow(
        [
            "section",
            "indicator",
            "name_zh",
            "name_en",
            "month",
            "value",
            "target",
            "amber",
            "status",
            "months_met",
            "months_measured",
        ]
    )
    goals = {row["indicator"]: row for row in review["indicators"]}
    from .review import status

    for indicator in INDICATORS:
        goal = goals[indicator.key]
        for month in review["months"]:
            value = month["values"].get(indicator.key)
            writer.writerow(
                [
                    "month",
                    indicator.key,
                    indicator.name_zh,
                    indicator.name_en,
                    month["month"],
                    _plain(value),
                    _plain(goal["target"]),
                    _plain(goal["amber"]),
                    status(value, goal) or "",
                    "",
                    "",
                ]
            )
    for row in review["indicators"]:
        writer.writerow(
            [
                "year",
                row["indicator"],
                row["name_zh"],
                row["name_en"],
                str(review["year"]),
                _plain(row["year_value"]),
                _plain(row["target"]),
                _plain(row["amber"]),
                row["status"] or "",
                row["months_met"],
                row["months_measured"],
            ]
        )
    writer.writerow([])
    writer.writerow(
        [
            "improvement",
            "procedure",
            "version",
            "deployed_at",
            "cases_before",
            "compliance_before",
            "minutes_before",
            "cases_after",
            "compliance_after",
            "minutes_after",
            "measured_days",
            "measured_cases_before",
            "measured_compliance_before",
            "measured_late_before",
            "measured_cases_after",
            "measured_compliance_after",
            "measured_late_after",
        ]
    )
    for item in review["improvements"]:
        before, after = item["before"], item["after"]
        writer.writerow(
            [
                "improvement",
                item["procedure"],
                item["version"],
                item["deployed_at"].astimezone(OFFICE_ZONE).isoformat(),
                before["cases"],
                _plain(before["compliance"]),
                _plain(before["minutes_median"]),
                after["cases"],
                _plain(after["compliance"]),
                _plain(after["minutes_median"]),
                *_measured_cells(item["measured"]),
            ]
        )
    return buffer.getvalue()


def _plain(value) -> str:
    return "" if value is None else str(value)


# ---------------------------------------------------------------------- PDF
def cjk_font() -> tuple[str, int]:
    """(font file, face in the collection) of a font that draws Traditional Chinese."""
    configured = os.environ.get("ONESTOP_CJK_FONT")
    for candidate in ([configured] if configured else []) + list(FONT_CANDIDATES):
        if candidate and Path(candidate).is_file():
            return candidate, _traditional_face(candidate)
    raise FontMissing(
        "The annual report PDF needs a font that draws Chinese: install Debian's fonts-noto-cjk "
        "(scripts/chromium.sh does) or set ONESTOP_CJK_FONT to a TrueType/OpenType font file"
    )


def _traditional_face(path: str) -> int:
    if not path.lower().endswith(".ttc"):
        return 0
    from fontTools.ttLib import TTCollection

    names = [font["name"].getDebugName(1) or "" for font in TTCollection(path).fonts]
    return next((index for index, name in enumerate(names) if name.endswith(f" {TRADITIONAL_FACE}")), 0)


def annual_pdf(review: dict, office_name: str = "戶政事務所 Household Registration Office") -> bytes:
    from fpdf import FPDF

    path, face = cjk_font()
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_font("cjk", "", path, collection_font_number=face)
    pdf.set_title(f"{review['year']} 年度查核報告 Annual review")
    pdf.set_author(office_name)
    pdf.add_page()
    pdf.set_font("cjk", size=16)
    pdf.cell(
        0,
        10,
        f"{office_name}　{review['year']} 年度查核報告 Annual review {review['year']}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("cjk", size=9)
    generated = review["generated_at"].astimezone(OFFICE_ZONE).strftime("%Y-%m-%d %H:%M")
    met = sum(1 for row in review["indicators"] if row["status"] == "green")
    measured = sum(1 for row in review["indicators"] if row["status"] is not None)
    pdf.cell(
        0,
        6,
        f"產製時間 Generated {generated}（臺北時間 Taipei）　目標達成 Targets met: {met} / {measured}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    _indicator_table(pdf, review)
    pdf.ln(4)
    _improvement_table(pdf, review)
    return bytes(pdf.output())


def _indicator_table(pdf, review: dict) -> None:
    months = review["months"]
    goals = {row["indicator"]: row for row in review["indicators"]}
    # A4 landscape leaves 277 mm: the name, twelve months, the year, the target and the status.
    name_w, cell_w, year_w, target_w, status_w = 78, 12.5, 15, 15, 19
    pdf.set_font("cjk", size=6.5)
    pdf.set_fill_color(230, 234, 240)
    pdf.cell(name_w, 6, "指標 Indicator", border=1, fill=True)
    for month in months:
        pdf.cell(cell_w, 6, month["month"][5:] + "月", border=1, align="C", fill=True)
    pdf.cell(year_w, 6, "全年 Year", border=1, align="C", fill=True)
    pdf.cell(target_w, 6, "目標 Target", border=1, align="C", fill=True)
    pdf.cell(status_w, 6, "評等 Status", border=1, align="C", fill=True, new_x="LMARGIN", new_y="NEXT")
    from .review import status

    for indicator in INDICATORS:
        goal = goals[indicator.key]
        pdf.set_fill_color(255, 255, 255)
        pdf.cell(name_w, 6, _fit(pdf, f"{indicator.name_zh} {indicator.name_en}", name_w - 2), border=1)
        for month in months:
            value = month["values"].get(indicator.key)
            pdf.set_fill_color(*STATUS_COLOURS[status(value, goal)])
            pdf.cell(cell_w, 6, format_value(value, indicator.unit), border=1, align="R", fill=True)
        row = goals[indicator.key]
        pdf.set_fill_color(*STATUS_COLOURS[row["status"]])
        pdf.cell(year_w, 6, format_value(row["year_value"], indicator.unit), border=1, align="R", fill=True)
        pdf.set_fill_color(255, 255, 255)
        pdf.cell(target_w, 6, format_value(row["target"], indicator.unit), border=1, align="R")
        pdf.set_fill_color(*STATUS_COLOURS[row["status"]])
        pdf.cell(
            status_w, 6, STATUS_LABELS[row["status"]], border=1, align="C", fill=True, new_x="LMARGIN", new_y="NEXT"
        )


def _fit(pdf, text: str, width: float) -> str:
    """The text, shortened with an ellipsis until it fits the width at the current font."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def _measured_cells(measured: dict) -> list:
    """The same-length periods around the deploy: days, then cases, compliance, late before and after."""
    before, after = measured["before"], measured["after"]
    return [
        _plain(measured["days"]),
        *(
            value
            for side in (before, after)
            for value in (side["cases"], _plain(side["sla_compliance"]), side["sla_late"])
        ),
    ]


def _measured_line(measured: dict) -> str:
    before, after = measured["before"], measured["after"]
    return (
        f"部署前後各 {measured['days']:g} 日 Same-length periods around the deploy: "
        f"如期率 compliance {format_value(before['sla_compliance'], 'share')} → "
        f"{format_value(after['sla_compliance'], 'share')}, 逾時 late {before['sla_late']} → {after['sla_late']} "
        f"(案件 cases {before['cases']} → {after['cases']})"
    )


def _improvement_table(pdf, review: dict) -> None:
    pdf.set_font("cjk", size=11)
    pdf.cell(
        0, 8, "流程改善 Improvements made: diagram versions deployed and their effect", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("cjk", size=8)
    improvements = review["improvements"]
    if not improvements:
        pdf.cell(0, 6, "本年度無新版流程 No new version was deployed this year.", new_x="LMARGIN", new_y="NEXT")
        return
    headers = (
        "申辦項目 Procedure",
        "版本 Version",
        "部署 Deployed",
        "前版 如期率 / 分鐘",
        "新版 如期率 / 分鐘",
        "案件數 Cases",
    )
    widths = (70, 22, 40, 50, 50, 35)
    pdf.set_fill_color(230, 234, 240)
    for header, width in zip(headers, widths):
        pdf.cell(width, 6, header, border=1, fill=True)
    pdf.ln()
    for item in improvements:
        before, after = item["before"], item["after"]
        cells = (
            item["procedure"],
            f"v{item['version']}",
            item["deployed_at"].astimezone(OFFICE_ZONE).strftime("%Y-%m-%d"),
            f"{format_value(before['compliance'], 'share')} / {format_value(before['minutes_median'], 'minutes')}",
            f"{format_value(after['compliance'], 'share')} / {format_value(after['minutes_median'], 'minutes')}",
            f"{before['cases']} → {after['cases']}",
        )
        for cell, width in zip(cells, widths):
            pdf.cell(width, 6, cell, border=1)
        pdf.ln()
        pdf.cell(sum(widths), 6, _measured_line(item["measured"]), border=1, new_x="LMARGIN", new_y="NEXT")
