"""Merkle tree hashing, proofs and their verification as RFC 6962 section 2.1 and RFC 9162 section 2.1
define them (the tree of Certificate Transparency, of Go's checksum database and of C2SP tlog-tiles).

No database here: the hashes of complete subtrees come from a `NodeReader`, which for the log reads its
stored nodes (translog.service) and for a code batch an in-memory tree (`MemoryTree`). Proofs are first
planned as the subtrees they need (`inclusion_plan`, `consistency_plan`), so a caller can read every node
in one query, then hashed (`range_hash`).

A node is (level, index): the hash of leaves [index * 2**level, (index + 1) * 2**level)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence

HASH_SIZE = 32
Node = tuple[int, int]
NodeReader = Callable[[Sequence[Node]], Mapping[Node, bytes]]


class ProofError(ValueError):
    """A proof that cannot be made (sizes out of range) or that does not verify."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def range_nodes(lo: int, hi: int) -> list[Node]:
    """The complete subtrees whose leaves are [lo, hi), left to right, as RFC 6962's recursion splits
    that range (lo is a multiple of the power of two at or above hi - lo, as every range it makes is)."""
    nodes: list[Node] = []
    while lo < hi:
        n = hi - lo
        size = n if n & (n - 1) == 0 else _split(n)
        level = size.bit_length() - 1
        nodes.append((level, lo >> level))
        lo += size
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """MTH of a range from its complete subtrees' hashes, left to right: H(c1, H(c2, ... cn))."""
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def inclusion_plan(index: int, size: int) -> list[tuple[int, int]]:
    """The ranges whose hashes make the inclusion proof of leaf `index` in a tree of `size` leaves
    (RFC 6962 2.1.1 PATH), in the proof's order: the sibling nearest the leaf first."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo = lo + k
    ranges.reverse()
    return ranges


def consistency_plan(old: int, new: int) -> list[tuple[int, int]]:
    """The ranges whose hashes make the consistency proof from the tree of `old` leaves to that of
    `new` (RFC 6962 2.1.2 PROOF(m, D[n])), in the proof's order."""
    if not 0 < old <= new:
        raise ProofError(f"no consistency proof from a tree of {old} to one of {new}")
    ranges: list[tuple[int, int]] = []
    lo, hi, m, whole = 0, new, old, True
    while True:
        if m == hi - lo:
            if not whole:
                ranges.append((lo, hi))
            break
        k = _split(hi - lo)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            m -= k
            lo = lo + k
            whole = False
    ranges.reverse()
    return ranges


def hashes_of(ranges: Iterable[tuple[int, int]], read: NodeReader) -> list[bytes]:
    """The hashes of ranges, reading every complete subtree they need at once."""
    ranges = list(ranges)
    parts = [range_nodes(lo, hi) for lo, hi in ranges]
    wanted = sorted({n for p in parts for n in p})
    found = read(wanted) if wanted else {}
    missing = [n for n in wanted if n not in found]
    if missing:
        raise ProofError(f"the tree has no node {missing[0]}")
    return [fold([found[n] for n in p]) for p in parts]


def root(size: int, read: NodeReader) -> bytes:
    return EMPTY_ROOT if size == 0 else hashes_of([(0, size)], read)[0]


def prove_inclusion(index: int, size: int, read: NodeReader) -> list[bytes]:
    return hashes_of(inclusion_plan(index, size), read)


def prove_consistency(old: int, new: int, read: NodeReader) -> list[bytes]:
    return hashes_of(consistency_plan(old, new), read)


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root_hash: bytes) -> bool:
    """RFC 9162 2.1.3.2: does `proof` put the leaf hash `leaf` at `index` of the tree `root_hash`?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0 or len(p) != HASH_SIZE:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root_hash


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 2.1.4.2: does `proof` show the tree of `old` leaves is a prefix of that of `new`?"""
    if old < 1 or old > new:
        return False
    if old == new:
        return not proof and old_root == new_root
    if not proof or any(len(p) != HASH_SIZE for p in proof):
        return False
    path = list(proof)
    if old & (old - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


def new_nodes(index: int, leaf: bytes, read: NodeReader) -> list[tuple[int, int, bytes]]:
    """The nodes that appending leaf hash `leaf` at `index` completes: the leaf, then each parent whose
    right child it completes (as Go's tlog.StoredHashes), reading the left siblings from `read`."""
    lefts: list[Node] = []
    j, level = index, 0
    while j & 1:
        lefts.append((level, j - 1))
        j >>= 1
        level += 1
    found = read(lefts) if lefts else {}
    out = [(0, index, leaf)]
    h = leaf
    for lv, left in lefts:
        h = node_hash(found[(lv, left)], h)
        out.append((lv + 1, left >> 1, h))
    return out


class MemoryTree:
    """A whole tree in memory (a code batch's serials; tests): every complete subtree's hash by level."""

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [list(leaves)]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            self.levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append(self, leaf: bytes) -> None:
        for level, _i, h in new_nodes(self.size, leaf, self.read):
            if level == len(self.levels):
                self.levels.append([])
            self.levels[level].append(h)

    def read(self, nodes: Sequence[Node]) -> dict[Node, bytes]:
        return {
            (lv, i): self.levels[lv][i]
            for lv, i in nodes
            if lv < len(self.levels) and i < len(self.levels[lv])
        }

    def root(self, size: int | None = None) -> bytes:
        return root(self.size if size is None else size, self.read)
