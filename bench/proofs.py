"""Proof sizes and verification time for one case among many: the day's Merkle tree (RFC 6962)
over synthetic chain heads, the inclusion proof of one case, its bytes as exported, and the
offline verifier's time to check it.

    .venv/bin/python -m bench.proofs [--cases 1000000] [--baseline 1000] [--repeat 200]

The heads are synthetic (random case ids and event hashes): the tree, the proof and the check
are the real code of ``verifier/`` that the office and the bureau run. Both sizes are measured
in the same run; ``bytes_ratio`` and ``verify_ratio`` compare the big tree with the baseline
(logarithmic growth: log2(1,000,000) / log2(1,000) = 2). The last line printed is one JSON
object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from verifier import merkle
from verifier.statements import b64, head_leaf, unb64


def synthetic_heads(count: int) -> list[tuple[str, int, str]]:
    heads = [(os.urandom(16).hex(), 1 + index % 40, os.urandom(32).hex()) for index in range(count)]
    return sorted(heads)


def measure(count: int, repeat: int) -> dict:
    heads = synthetic_heads(count)
    started = time.perf_counter()
    tree = merkle.MerkleTree.of_leaves([head_leaf(*head) for head in heads])
    root = tree.root()
    build_s = time.perf_counter() - started
    index = count // 3
    path = tree.inclusion_proof(index)
    proof = {
        "head": {"case_id": heads[index][0], "seq": heads[index][1], "hash": heads[index][2]},
        "leaf_index": index,
        "path": [b64(node) for node in path],
    }
    proof_bytes = len(json.dumps(proof, separators=(",", ":")).encode("utf-8"))
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        leaf = merkle.leaf_hash(head_leaf(*heads[index]))
        nodes = [unb64(node) for node in proof["path"]]
        ok = merkle.verify_inclusion(index, count, leaf, nodes, root)
        times.append(time.perf_counter() - started)
        assert ok
    return {
        "cases": count,
        "path_nodes": len(path),
        "proof_bytes": proof_bytes,
        "build_s": round(build_s, 3),
        "verify_us": round(statistics.median(times) * 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--baseline", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    small = measure(args.baseline, args.repeat)
    big = measure(args.cases, args.repeat)
    for row in (small, big):
        print(
            f"{row['cases']:>9} cases: tree built in {row['build_s']} s, proof {row['path_nodes']} nodes = "
            f"{row['proof_bytes']} bytes, verified in {row['verify_us']} µs (median of {args.repeat})"
        )
    print(
        json.dumps(
            {
                "benchmark": "proofs",
                "cases": big["cases"],
                "proof_bytes": big["proof_bytes"],
                "path_nodes": big["path_nodes"],
                "verify_us": big["verify_us"],
                "build_s": big["build_s"],
                "baseline_cases": small["cases"],
                "baseline_proof_bytes": small["proof_bytes"],
                "bytes_ratio": round(big["proof_bytes"] / small["proof_bytes"], 2),
                "verify_ratio": round(big["verify_us"] / small["verify_us"], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
