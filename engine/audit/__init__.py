"""What auditors and supervisors read: the timeline of a case, replay and verification of its
history, integrity runs, signed anchors and their proofs, retention and anonymisation, process-mining exports,
reports and feedback."""

from engine.audit import anchoring, anonymisation, integrity, privacy, proofs, replay, reports, retention, signing
from engine.audit.feedback import FeedbackRules, compare_versions, element_feedback
from engine.audit.integrity import SCOPE_ALL, RunSummary, record_run
from engine.audit.mining import CaseSelection, mined_cases, to_ocel, to_xes
from engine.audit.replay import Verification
from engine.audit.reports import Period, count_cases, month_of, quantile, share, summary
from engine.audit.retention import RetentionPolicy, archive_and_purge, due_for_archive, verify_archive
from engine.audit.signing import Signer, generate_private_pem, public_keys_document
from engine.audit.timeline import data_changes, element_index, timeline_of
from engine.audit.verification import worker_count

__all__ = [
    "SCOPE_ALL",
    "CaseSelection",
    "FeedbackRules",
    "Period",
    "RetentionPolicy",
    "RunSummary",
    "Signer",
    "Verification",
    "anchoring",
    "anonymisation",
    "archive_and_purge",
    "compare_versions",
    "count_cases",
    "data_changes",
    "due_for_archive",
    "element_index",
    "element_feedback",
    "generate_private_pem",
    "integrity",
    "privacy",
    "mined_cases",
    "month_of",
    "proofs",
    "public_keys_document",
    "quantile",
    "record_run",
    "replay",
    "reports",
    "retention",
    "share",
    "signing",
    "summary",
    "timeline_of",
    "worker_count",
    "to_ocel",
    "to_xes",
    "verify_archive",
]
