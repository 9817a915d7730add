"""``python -m verifier``: check exported proofs offline. Exit 0 valid, 1 not valid, 2 unusable input.

    python -m verifier case   case-proof.json   --keys public-keys.json [--witnessed roots-2026-03.json ...] [--tsa-cert tsa.pem]
    python -m verifier office office-export.json --keys public-keys.json [--witnessed ...] [--tsa-cert tsa.pem]
    python -m verifier roots  roots-2026-03.json ... --keys public-keys.json [--tsa-cert tsa.pem]

``--keys`` is the office's public keys document as the bureau received it (the annual report,
or ``GET /api/audit/keys`` saved at the time); ``--witnessed`` are the monthly files of signed
roots the bureau keeps. The answer is printed as JSON (``--text`` for sentences).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from verifier.check import Trust, check_case, check_office, check_witnessed


def _load(path: str) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m verifier", description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=("case", "office", "roots"))
    parser.add_argument("files", nargs="+", help="the exported file (for roots: the monthly files)")
    parser.add_argument("--keys", required=True, help="the office's public keys (onestop-public-keys/1)")
    parser.add_argument("--witnessed", nargs="*", default=[], help="the bureau's monthly roots files")
    parser.add_argument("--tsa-cert", help="PEM certificate(s) of the timestamp authority to trust")
    parser.add_argument("--text", action="store_true", help="sentences instead of JSON")
    return parser.parse_args(argv)


def run(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    try:
        tsa_pem = Path(args.tsa_cert).read_bytes() if args.tsa_cert else None
        documents = [_load(path) for path in args.files]
        trust = Trust.build(_load(args.keys), [_load(path) for path in args.witnessed], tsa_pem)
        if args.what == "roots":
            report = check_witnessed(documents, trust)
        elif len(documents) != 1:
            raise ValueError(f"give one {args.what} file")
        else:
            report = (check_case if args.what == "case" else check_office)(documents[0], trust)
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"cannot check: {error!r}", file=sys.stderr)
        return 2
    if args.text:
        print(f"{report.subject}: {'VALID' if report.ok else 'NOT VALID'}")
        for problem in report.problems:
            print(f"  broken: {problem['message']}")
        for note in report.notes:
            print(f"  note: {note}")
        print("  checked: " + ", ".join(f"{count} {name}" for name, count in report.checked.items()))
    else:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(run())
