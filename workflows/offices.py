"""Tainan's household registration offices (臺南市政府民政局: one office per district, 37 in all),
as data the bureau loads with ``onestop offices load tainan``.

Codes are TN01..TN37 in the city's district order, the city centre first; they show in case
numbers ("2026-TN05-000123"). Every office keeps the government's office hours (08:00-17:00 on
working days). Addresses, phone numbers and counters are the bureau's to enter
(``PUT /api/offices/{code}``): they are not guessed here.
"""

from __future__ import annotations

REGION = "臺南市"
DISTRICTS = (
    "中西區",
    "東區",
    "南區",
    "北區",
    "安平區",
    "安南區",
    "永康區",
    "歸仁區",
    "新化區",
    "左鎮區",
    "玉井區",
    "楠西區",
    "南化區",
    "仁德區",
    "關廟區",
    "龍崎區",
    "官田區",
    "麻豆區",
    "佳里區",
    "西港區",
    "七股區",
    "將軍區",
    "學甲區",
    "北門區",
    "新營區",
    "後壁區",
    "白河區",
    "東山區",
    "六甲區",
    "下營區",
    "柳營區",
    "鹽水區",
    "善化區",
    "大內區",
    "山上區",
    "新市區",
    "安定區",
)
WEEKDAY_HOURS = {day: ["08:00", "17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


def office_code(index: int) -> str:
    return f"TN{index + 1:02d}"


def tainan_offices(count: int | None = None) -> list[dict]:
    """The offices of Tainan's districts (the first ``count`` of them), as ``save_office`` takes them."""
    return [
        {
            "code": office_code(index),
            "name": f"{REGION}{district}戶政事務所",
            "region": REGION,
            "district": district,
            "opening_hours": WEEKDAY_HOURS,
        }
        for index, district in enumerate(DISTRICTS[:count])
    ]


def office_of_district(district: str) -> str | None:
    """The competent office of an applicant registered in ``district`` (跨區通辦), or None."""
    return office_code(DISTRICTS.index(district)) if district in DISTRICTS else None
