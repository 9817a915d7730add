"""The Merkle trees against RFC 6962's definitions and the published test vectors of Certificate
Transparency (the transparency-dev/merkle reference: leaves, roots of every size 1..8, inclusion
and consistency proofs), and proofs that any change of an input rejects."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.merkle import (
    EMPTY_ROOT,
    CompactRange,
    MerkleTree,
    leaf_hash,
    node_hash,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657")] + [
    bytes.fromhex("606162636465666768696a6b6c6d6e6f")
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf index, tree size, audit path) and (old size, new size, proof), from the reference.
INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
CONSISTENCY = [
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip
TREE = MerkleTree.of_leaves(LEAVES)


def hexes(nodes):
    return [node.hex() for node in nodes]


def test_roots_of_every_size_match_the_vectors():
    assert MerkleTree.of_leaves([]).root() == EMPTY_ROOT
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert [TREE.root(size).hex() for size in range(1, 9)] == ROOTS
    # The prefixes: a leaf is hashed with 0x00, a node with 0x01.
    assert leaf_hash(b"") == bytes.fromhex(ROOTS[0])
    assert node_hash(leaf_hash(LEAVES[0]), leaf_hash(LEAVES[1])) == bytes.fromhex(ROOTS[1])


@pytest.mark.parametrize("index, size, path", INCLUSION)
def test_inclusion_proofs_match_the_vectors(index, size, path):
    assert hexes(TREE.inclusion_proof(index, size)) == path
    nodes = [bytes.fromhex(node) for node in path]
    root, leaf = bytes.fromhex(ROOTS[size - 1]), leaf_hash(LEAVES[index])
    assert verify_inclusion(index, size, leaf, nodes, root)
    wrong = [
        (index ^ 1, size, leaf, nodes),
        (index, size * 2, leaf, nodes),
        (index, size, leaf_hash(b"another leaf"), nodes),
        (index, size, leaf, nodes + [root]),
        (index, size, leaf, [root] + nodes),
        (index, size, leaf, nodes[:-1]),
    ] + [
        (index, size, leaf, nodes[:i] + [bytes([nodes[i][0] ^ 8]) + nodes[i][1:]] + nodes[i + 1 :])
        for i in range(len(nodes))
    ]
    assert not any(verify_inclusion(*probe, root) for probe in wrong)


@pytest.mark.parametrize("old, new, proof", CONSISTENCY)
def test_consistency_proofs_match_the_vectors(old, new, proof):
    assert hexes(TREE.consistency_proof(old, new)) == proof
    nodes = [bytes.fromhex(node) for node in proof]
    old_root, new_root = bytes.fromhex(ROOTS[old - 1]), bytes.fromhex(ROOTS[new - 1])
    assert verify_consistency(old, new, old_root, new_root, nodes)
    wrong = [
        (old - 1, new, old_root, new_root, nodes),
        (old + 1, new, old_root, new_root, nodes),
        (old, new * 2, old_root, new_root, nodes),
        (old, new, new_root, old_root, nodes),
        (old, new, old_root, new_root, []),
        (old, new, old_root, new_root, nodes + [old_root]),
        (old, new, old_root, new_root, [new_root] + nodes),
        (old, new, old_root, new_root, nodes[:-1]),
    ] + [
        (old, new, old_root, new_root, nodes[:i] + [bytes([nodes[i][0] ^ 16]) + nodes[i][1:]] + nodes[i + 1 :])
        for i in range(len(nodes))
    ]
    assert not any(verify_consistency(*probe) for probe in wrong)


def test_trivial_consistency():
    root = bytes.fromhex(ROOTS[0])
    assert verify_consistency(0, 5, EMPTY_ROOT, root, [])
    assert verify_consistency(1, 1, root, root, [])
    assert not verify_consistency(1, 1, root, EMPTY_ROOT, [])
    assert not verify_consistency(2, 1, root, root, [])
    assert not verify_consistency(1, 1, root, root, [root])


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=300), st.data())
def test_any_proof_of_any_tree_verifies_and_any_changed_bit_rejects(size, data):
    tree = MerkleTree([leaf_hash(i.to_bytes(4, "big")) for i in range(size)])
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    old = data.draw(st.integers(min_value=1, max_value=size))
    path = tree.inclusion_proof(index)
    assert len(path) <= (size - 1).bit_length()  # logarithmic
    assert root_from_inclusion_proof(index, size, tree.levels[0][index], path) == tree.root()
    proof = tree.consistency_proof(old)
    assert verify_consistency(old, size, tree.root(old), tree.root(), proof)
    if path:
        flipped = data.draw(st.integers(min_value=0, max_value=len(path) - 1))
        path[flipped] = bytes([path[flipped][0] ^ 1]) + path[flipped][1:]
        assert root_from_inclusion_proof(index, size, tree.levels[0][index], path) != tree.root()
    compact = CompactRange()
    for leaf in tree.levels[0]:
        compact.append(leaf)
    assert compact.root() == tree.root()
