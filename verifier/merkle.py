"""Merkle hash trees as RFC 6962 §2.1 defines them (Certificate Transparency; RFC 9162 §2.1).

- The hash of a leaf is ``SHA-256(0x00 || leaf)``, of an inner node ``SHA-256(0x01 || left || right)``;
  the empty tree's hash is ``SHA-256()``. The prefixes keep a leaf from passing for a node.
- A tree of n > 1 leaves splits at k, the largest power of two smaller than n: MTH(D[n]) =
  node(MTH(D[0:k]), MTH(D[k:n])).
- An inclusion proof (audit path, §2.1.1) lists the sibling hashes from the leaf up; a
  consistency proof (§2.1.2) shows that a tree of m leaves is a prefix of a tree of n leaves.

Generation follows the RFC's recursive definitions over the stored levels of the tree;
verification is the iterative algorithm of RFC 9162 §2.1.3.2 and §2.1.4.2, which needs only the
proof, the sizes and the roots.
"""

from __future__ import annotations

import hashlib
from typing import Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two smaller than ``size`` (size > 1)."""
    return 1 << ((size - 1).bit_length() - 1)


class MerkleTree:
    """A tree over leaf hashes, with every level kept so that roots of subtrees and proofs cost
    O(log n) hashes each. Level 0 holds the leaf hashes; each higher level pairs the one below
    from the left (a lone last node has no pair: the RFC's split leaves it for a higher level)."""

    def __init__(self, leaf_hashes: Sequence[bytes]):
        self.levels: list[list[bytes]] = [list(leaf_hashes)]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            self.levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])

    @classmethod
    def of_leaves(cls, leaves: Sequence[bytes]) -> MerkleTree:
        return cls([leaf_hash(leaf) for leaf in leaves])

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first ``size`` leaves (all of them by default)."""
        return self._subtree(0, self.size if size is None else size)

    def _subtree(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for a range the RFC's recursion reaches."""
        width = end - start
        if width == 0:
            return EMPTY_ROOT
        level = width.bit_length() - 1
        if width == 1 << level and start % width == 0:  # a complete subtree: stored
            return self.levels[level][start >> level]
        k = _split(width)
        return node_hash(self._subtree(start, start + k), self._subtree(start + k, end))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(m, D[n]) of RFC 6962 §2.1.1: the audit path of leaf ``index``."""
        size = self.size if size is None else size
        if not 0 <= index < size <= self.size:
            raise ValueError(f"no leaf {index} in a tree of {size}")
        return self._path(index, 0, size)

    def _path(self, index: int, start: int, end: int) -> list[bytes]:
        if end - start == 1:
            return []
        k = _split(end - start)
        if index < k:
            return self._path(index, start, start + k) + [self._subtree(start + k, end)]
        return self._path(index - k, start + k, end) + [self._subtree(start, start + k)]

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """PROOF(m, D[n]) of RFC 6962 §2.1.2: the tree of ``old_size`` leaves is a prefix of this one."""
        new_size = self.size if new_size is None else new_size
        if not 0 <= old_size <= new_size <= self.size:
            raise ValueError(f"no consistency proof from {old_size} to {new_size} leaves")
        if old_size in (0, new_size):
            return []
        return self._subproof(old_size, 0, new_size, True)

    def _subproof(self, m: int, start: int, end: int, complete: bool) -> list[bytes]:
        if m == end - start:
            return [] if complete else [self._subtree(start, end)]
        k = _split(end - start)
        if m <= k:
            return self._subproof(m, start, start + k, complete) + [self._subtree(start + k, end)]
        return self._subproof(m - k, start + k, end, False) + [self._subtree(start, start + k)]


# ---------------------------------------------------------------------- verification (RFC 9162)
def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes | None:
    """The root that ``proof`` leads to from leaf hash ``leaf`` at ``index`` in a tree of ``size``;
    None when the proof cannot belong to such a tree (wrong length, index out of range)."""
    if not 0 <= index < size or any(len(item) != HASH_SIZE for item in proof):
        return None
    fn, sn, result = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    return result if sn == 0 else None


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    return len(leaf) == HASH_SIZE and root_from_inclusion_proof(index, size, leaf, proof) == root


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """True if the tree of ``old_size`` leaves with ``old_root`` is a prefix of the one of
    ``new_size`` leaves with ``new_root``."""
    if old_size > new_size or any(len(item) != HASH_SIZE for item in proof):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is a node of the new tree
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    first = second = path[0]
    for item in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            first, second = node_hash(item, first), node_hash(item, second)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            second = node_hash(second, item)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and first == old_root and second == new_root


class CompactRange:
    """The root of a growing tree, one appended leaf at a time, keeping only the roots of its
    perfect subtrees (one per set bit of the size): MTH(D[n]) combines them from the right."""

    def __init__(self) -> None:
        self.size = 0
        self.peaks: list[bytes] = []  # roots of the perfect subtrees, largest first

    def append(self, leaf: bytes) -> None:
        self.peaks.append(leaf)
        merged = self.size
        while merged & 1:  # merge equal-sized subtrees, as a binary counter carries
            right = self.peaks.pop()
            self.peaks[-1] = node_hash(self.peaks[-1], right)
            merged >>= 1
        self.size += 1

    def root(self) -> bytes:
        if not self.peaks:
            return EMPTY_ROOT
        result = self.peaks[-1]
        for peak in reversed(self.peaks[:-1]):
            result = node_hash(peak, result)
        return result
