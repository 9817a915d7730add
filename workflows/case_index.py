"""Who a household-registration case's applicant is, for the clerks' search.

The counter may record the applicant when the case starts; the reception form of every
procedure names them again (``applicant_name``, ``national_id``, ``applicant_phone``), and a
clerk's correction there is the newer word. Mobile numbers are found whether typed as
0912345678, 0912-345-678 or +886 912 345 678.
"""

from __future__ import annotations

from typing import Any

from engine import ApplicantKeys, CaseIndex

TAIWAN_PREFIX = "886"


class HouseholdCaseIndex(CaseIndex):
    def applicant_keys(self, applicant: dict[str, Any] | None, data: dict[str, Any]) -> ApplicantKeys:
        applicant = applicant or {}
        return self.keys(
            data.get("applicant_name") or applicant.get("name"),
            data.get("national_id") or applicant.get("national_id"),
            data.get("applicant_phone") or applicant.get("phone"),
        )

    def phone_digits(self, phone: Any) -> str | None:
        digits = super().phone_digits(phone)
        if digits and digits.startswith(TAIWAN_PREFIX) and len(digits) > 9:
            digits = "0" + digits[len(TAIWAN_PREFIX) :]
        return digits
