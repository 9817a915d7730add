"""Copy the shared sub-processes (bpmn_shared/) into every procedure folder that calls them.

    .venv/bin/python scripts/sync_shared_bpmn.py          # write the copies
    .venv/bin/python scripts/sync_shared_bpmn.py --check  # exit 1 when a copy is stale

A deploy resolves a call activity only inside its own bundle (one procedure folder), so each
procedure carries a copy; bpmn_shared/ is the one source that is edited.
"""

from __future__ import annotations

import sys
from pathlib import Path

BPMN = Path(__file__).resolve().parent.parent / "bpmn"
SHARED = BPMN.parent / "bpmn_shared"
# Called process id -> the files that make it run (its BPMN, its decision table, its forms).
SHARED_PROCESSES = {
    "document_check": (
        "document_check.bpmn",
        "required_documents.dmn",
        "issue_notice.schema.json",
        "send_reminder.schema.json",
    ),
    "receipt": ("receipt.bpmn",),
    "intake": ("intake.bpmn", "review_online_application.schema.json", "schedule_home_visit.schema.json"),
    "rating": ("rating.bpmn", "follow_up_rating.schema.json"),
}


def callers(process_id: str) -> list[Path]:
    marker = f'calledElement="{process_id}"'
    return sorted(
        folder
        for folder in BPMN.iterdir()
        if folder.is_dir()
        and folder != SHARED
        and any(marker in path.read_text(encoding="utf-8") for path in folder.glob("*.bpmn"))
    )


def stale_copies() -> list[tuple[Path, Path]]:
    """(source, copy) pairs whose copy is missing or differs."""
    pairs = [
        (SHARED / name, folder / name)
        for process_id, names in SHARED_PROCESSES.items()
        for folder in callers(process_id)
        for name in names
    ]
    return [(source, copy) for source, copy in pairs if not copy.exists() or copy.read_bytes() != source.read_bytes()]


def main(argv: list[str]) -> int:
    stale = stale_copies()
    if "--check" in argv:
        for _, copy in stale:
            print(f"stale: {copy.relative_to(BPMN.parent)}")
        return 1 if stale else 0
    for source, copy in stale:
        copy.write_bytes(source.read_bytes())
        print(f"copied: {copy.relative_to(BPMN.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
