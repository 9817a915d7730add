"""The checks of the offline verifier, on exported files only (see docs/integrity.md).

- ``check_case``: one case's exported history with its inclusion proofs (``onestop-case-proof/1``).
- ``check_office``: the office's whole export for the annual review (``onestop-office-export/1``):
  every day's heads, every case's history.
- ``check_witnessed``: the bureau's monthly files of signed roots (``onestop-witnessed-roots/1``).

Each answers a ``Report``: valid or not, and where it breaks, in words. Trust comes from the
public keys and the witnessed roots the bureau holds; everything the office exports is checked
against them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo

from verifier import merkle, timestamps
from verifier.chain import canonical_json, event_hash, first_broken_link, format_time, redacted_keys
from verifier.statements import PublicKeys, day_leaf, differences, head_leaf, unb64, witnessed_by_day

CASE_FORMAT = "onestop-case-proof/1"
OFFICE_FORMAT = "onestop-office-export/1"
WITNESSED_FORMAT = "onestop-witnessed-roots/1"


@dataclass
class Report:
    subject: str
    problems: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, message: str, **where: Any) -> None:
        self.problems.append({**where, "message": message})

    def as_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "valid": self.ok,
            "checked": dict(self.checked),
            "problems": self.problems,
            "notes": self.notes,
        }


@dataclass
class Trust:
    """What the checks rely on: the published keys, the witnessed roots by day, and the
    certificates of the timestamp authorities (each optional but the keys)."""

    keys: PublicKeys
    witnessed: dict[str, dict[str, Any]] = field(default_factory=dict)
    tsa_certificates: list = field(default_factory=list)

    @classmethod
    def build(cls, keys: Mapping, witnessed_files: Iterable[Mapping] = (), tsa_pem: bytes | None = None) -> Trust:
        return cls(
            PublicKeys(keys),
            witnessed_by_day(witnessed_files),
            timestamps.load_certificates(tsa_pem) if tsa_pem else [],
        )


def _expect_format(document: Mapping, expected: str) -> None:
    if document.get("format") != expected:
        raise ValueError(f"not a {expected} file (format {document.get('format')!r})")


def check_signed_root(report: Report, signed_root: Mapping[str, Any], trust: Trust) -> None:
    """The signature under the office's key for that day, the witnessed root of the day, and
    the timestamp authority's stamp when certificates are given."""
    day = signed_root["day"]
    problem = trust.keys.problem_with(signed_root)
    if problem:
        report.problem(f"the signed root of {day}: {problem}", day=day)
    witnessed = trust.witnessed.get(day)
    if witnessed is not None:
        report.checked["witnessed roots compared"] += 1
        changed = differences(signed_root, witnessed)
        if changed:
            report.problem(
                f"the signed root of {day} differs from the witnessed one ({', '.join(changed)}): "
                "what the office shows now is not what it signed then",
                day=day,
            )
    elif trust.witnessed:
        report.notes.append(f"{day} is not in the witnessed roots given")
    if trust.tsa_certificates:
        stamped = witnessed or signed_root
        problem = timestamps.problem_with(stamped, trust.tsa_certificates)
        if problem:
            report.problem(f"the timestamp of {day}: {problem}", day=day)
        else:
            report.checked["timestamps"] += 1


# ---------------------------------------------------------------------- one case's history
def local_day(occurred_at: str, zone: ZoneInfo) -> str:
    return datetime.fromisoformat(format_time(occurred_at)).astimezone(zone).date().isoformat()


def day_heads(events: list[Mapping[str, Any]], zone: ZoneInfo) -> dict[str, Mapping[str, Any]]:
    """The last event of each office-local day: the case's head in that day's tree."""
    heads: dict[str, Mapping[str, Any]] = {}
    for event in events:
        heads[local_day(event["occurred_at"], zone)] = event
    return heads


def check_chain(report: Report, case_label: str, events: list[Mapping[str, Any]]) -> int | None:
    """The chain of one case; the position of its first broken event, if any."""
    report.checked["events"] += len(events)
    broken = first_broken_link(events)
    if broken is not None:
        position, reason = broken
        report.problem(f"case {case_label}: the chain breaks at event {position + 1}: {reason}", seq=position + 1)
        return position
    redacted = [event["seq"] for event in events if redacted_keys(event)]
    if redacted:
        report.notes.append(
            f"case {case_label}: events {', '.join(map(str, redacted))} were anonymised "
            "(values removed; their salted digests keep the chain whole)"
        )
    return None


def check_case(bundle: Mapping[str, Any], trust: Trust) -> Report:
    _expect_format(bundle, CASE_FORMAT)
    case, events = bundle["case"], bundle["events"]
    label = case.get("number") or case["id"]
    report = Report(f"case {label}")
    zone = ZoneInfo(bundle["timezone"])
    broken_at = check_chain(report, label, events)
    heads = day_heads(events, zone)
    proven, given = set(), set()
    for proof in bundle["proofs"]:
        signed_root = proof["signed_root"]
        day = signed_root["day"]
        given.add(day)
        check_signed_root(report, signed_root, trust)
        head = heads.get(day)
        if head is None:
            report.problem(f"a proof is given for {day}, but the history has no event that day", day=day)
            continue
        if broken_at is not None and head["seq"] > broken_at:
            report.problem(f"the history as of {day} cannot be proven: the chain is broken before it", day=day)
            continue
        # The leaf comes from the history itself (its recomputed hash), never from the proof.
        leaf = merkle.leaf_hash(head_leaf(case["id"], head["seq"], event_hash(head)))
        path = [unb64(item) for item in proof["path"]]
        root = merkle.root_from_inclusion_proof(proof["leaf_index"], signed_root["cases"], leaf, path)
        if root is None or root.hex() != signed_root["root"]:
            report.problem(
                f"the history as of {day} (event {head['seq']}) is not in that day's signed tree: "
                "the case's events were changed after they were signed",
                day=day,
                seq=head["seq"],
            )
            continue
        proven.add(day)
        report.checked["days proven"] += 1
    _unproven_days(report, heads, given, proven | set(trust.witnessed))
    return report


def _unproven_days(report: Report, heads: Mapping[str, Mapping], given: set[str], known: set[str]) -> None:
    """Days the case changed without a proof: a failure up to the last signed day known (the
    day was anchored: its proof was withheld), a note after it (not signed yet)."""
    last_known = max(known) if known else None
    for day, head in sorted(heads.items()):
        if day in given:
            continue
        if last_known is not None and day <= last_known:
            report.problem(f"no valid proof for {day}, when the case changed (events up to {head['seq']})", day=day)
        else:
            report.notes.append(f"{day} (events up to {head['seq']}) is not signed yet")


# ---------------------------------------------------------------------- the whole office
def check_office(export: Mapping[str, Any], trust: Trust) -> Report:
    _expect_format(export, OFFICE_FORMAT)
    report = Report(f"office export {export.get('from')} to {export.get('until')}")
    zone = ZoneInfo(export["timezone"])
    days = sorted(export["days"], key=lambda item: item["signed_root"]["day"])
    heads_of_day = {item["signed_root"]["day"]: _check_day(report, item, trust) for item in days}
    _check_days_tree(report, [item["signed_root"] for item in days])
    for day in sorted(trust.witnessed):
        if export.get("from", day) <= day <= export.get("until", day) and day not in heads_of_day:
            report.problem(f"{day} was witnessed, but the export has no signed root for it", day=day)
    seen: set[tuple[str, str]] = set()
    for history in export["cases"]:
        case, events = history["case"], history["events"]
        label = case.get("number") or case["id"]
        check_chain(report, label, events)
        for day, head in day_heads(events, zone).items():
            if day not in heads_of_day:
                continue
            seen.add((day, case["id"]))
            listed = heads_of_day[day].get(case["id"])
            if listed != (head["seq"], event_hash(head)):
                report.problem(
                    f"case {label} changed on {day} (up to event {head['seq']}), but that day's signed tree "
                    + ("does not list it" if listed is None else f"lists event {listed[0]} with another hash"),
                    day=day,
                    case=label,
                )
    archived = {item["case_id"]: item for item in export.get("archived", [])}
    for day, listed in sorted(heads_of_day.items()):
        for case_id in sorted(set(listed) - {case for d, case in seen if d == day}):
            if case_id in archived:
                report.notes.append(
                    f"{day}: case {archived[case_id]['number']} left the database by retention "
                    f"({archived[case_id]['archive_file']}); check it with its archive"
                )
            else:
                report.problem(
                    f"case {case_id} is in the signed tree of {day}, but its history is missing from the export "
                    "(the case was deleted)",
                    day=day,
                    case=case_id,
                )
    return report


def _check_day(report: Report, item: Mapping[str, Any], trust: Trust) -> dict[str, tuple[int, str]]:
    signed_root = item["signed_root"]
    day = signed_root["day"]
    check_signed_root(report, signed_root, trust)
    heads = [tuple(head) for head in item["heads"]]
    if [head[0] for head in heads] != sorted({head[0] for head in heads}):
        report.problem(f"the heads of {day} are not one per case in case-id order", day=day)
    tree = merkle.MerkleTree.of_leaves([head_leaf(*head) for head in heads])
    if len(heads) != signed_root["cases"] or tree.root().hex() != signed_root["root"]:
        report.problem(
            f"the heads exported for {day} do not make its signed root: cases were added, removed or changed",
            day=day,
        )
    report.checked["days"] += 1
    report.checked["heads"] += len(heads)
    return {case_id: (seq, event_hash) for case_id, seq, event_hash in heads}


def _check_days_tree(report: Report, signed_roots: list[Mapping[str, Any]]) -> None:
    """Each day's ``days_root`` covers every anchored day up to it: recomputed when the roots
    given start at the first anchored day and have no gap."""
    if not signed_roots or signed_roots[0]["days"] != 1:
        report.notes.append("the tree over days was not recomputed (the roots given do not start at the first day)")
        return
    tree = merkle.CompactRange()
    for signed_root in signed_roots:
        tree.append(merkle.leaf_hash(day_leaf(signed_root["day"], signed_root["cases"], signed_root["root"])))
        if signed_root["days"] != tree.size or signed_root["days_root"] != tree.root().hex():
            report.problem(
                f"the tree over days signed on {signed_root['day']} does not extend the days before it "
                "(an earlier day was rewritten, removed or inserted)",
                day=signed_root["day"],
            )
            return
        report.checked["days tree steps"] += 1


# ---------------------------------------------------------------------- the bureau's monthly files
def file_signing_bytes(document: Mapping[str, Any]) -> bytes:
    return canonical_json({key: value for key, value in document.items() if key != "signature"}).encode("utf-8")


def check_witnessed(files: list[Mapping[str, Any]], trust: Trust) -> Report:
    """The monthly files themselves: every root's signature (and timestamp), each file's own
    signature, the consistency proof from the month before, and the tree over days."""
    report = Report(f"{len(files)} witnessed roots file(s)")
    files = sorted(files, key=lambda document: document["month"])
    roots = []
    for document in files:
        _expect_format(document, WITNESSED_FORMAT)
        _check_file_signature(report, document, trust)
        for signed_root in document["roots"]:
            check_signed_root(report, signed_root, Trust(trust.keys, {}, trust.tsa_certificates))
            roots.append(signed_root)
        _check_file_consistency(report, document)
    _check_days_tree(report, roots)
    return report


def _check_file_signature(report: Report, document: Mapping[str, Any], trust: Trust) -> None:
    month = document["month"]
    if document.get("key_id") not in trust.keys.keys:
        report.problem(f"the file of {month} is signed with a key that is not among the published keys", month=month)
    elif trust.keys.verify(document["key_id"], document.get("signature", ""), file_signing_bytes(document)):
        report.checked["files"] += 1
    else:
        report.problem(f"the file of {month} was altered after it was signed", month=month)


def _check_file_consistency(report: Report, document: Mapping[str, Any]) -> None:
    step = document.get("consistency")
    if not step:
        return
    proof = [unb64(item) for item in step["proof"]]
    if merkle.verify_consistency(
        step["from_days"], step["to_days"], bytes.fromhex(step["from_root"]), bytes.fromhex(step["to_root"]), proof
    ):
        report.checked["consistency proofs"] += 1
    else:
        report.problem(
            f"the tree over days of {document['month']} does not extend the one of the month before",
            month=document["month"],
        )
