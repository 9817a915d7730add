"""The one-time notice (一次告知) as a case's data tells it, for clerks and applicants.

The shared document check (bpmn_shared/document_check.bpmn) keeps in the case data the
documents still missing (``missing_documents``, from the required-documents DMN), those
presented so far, the deadline to supply them (``supplement_deadline``), and how many notices
and supplements there were. A case that never went through a document check has none of it.
"""

from __future__ import annotations

from typing import Any

from engine import DOCUMENTS_MESSAGE, MISSING_DOCUMENTS

# The shared document check: the message it waits for, and where it keeps what is missing.
SUPPLEMENT = {"message": DOCUMENTS_MESSAGE, "missing": MISSING_DOCUMENTS, "deadline": "supplement_deadline"}


def documents_notice(state: dict[str, Any], data: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """{missing, presented, deadline, rounds, notices, awaiting} of a case's state (as
    ``CaseEngine.case_state`` describes it), or None for a case without a document check (yet).
    The data is the case's at its open step (inside the document check while it runs), or
    ``data`` (a task's own)."""
    if data is None:
        # Where it waits for the documents, else at its open step (the notice to give, say).
        waiting = (state.get("awaited_message_data") or {}).get(DOCUMENTS_MESSAGE)
        data = waiting if waiting is not None else {**state["data"], **state.get("open_data", {})}
    awaiting = DOCUMENTS_MESSAGE in state["awaited_messages"]
    if MISSING_DOCUMENTS not in data and not awaiting:
        return None
    missing = _codes(data.get(MISSING_DOCUMENTS))
    deadline = data.get(SUPPLEMENT["deadline"])
    return {
        "missing": missing,
        "presented": _codes(data.get("documents_presented")),
        # The deadline is computed afresh with each round; once nothing is missing it is moot.
        "deadline": deadline if missing and isinstance(deadline, str) else None,
        "rounds": _count(data.get("supplement_rounds")),
        "notices": _count(data.get("notices_issued")),
        "awaiting": awaiting,
    }


def supplement_status(state: dict[str, Any]) -> dict[str, Any]:
    """What an applicant may still bring or upload: the notice's missing documents and deadline
    while the case waits for them (``documents_notice`` read for the status page and uploads)."""
    notice = documents_notice(state)
    awaiting = bool(notice and notice["awaiting"])
    return {
        "awaiting_documents": awaiting,
        "missing_documents": notice["missing"] if awaiting else [],
        "supplement_deadline": notice["deadline"] if awaiting else None,
    }


def _codes(value: Any) -> list[str]:
    return [str(code) for code in value] if isinstance(value, list) else []


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
