"""The operator's check of the stored log (`crosstrust log check`): every leaf's bytes against its stored
hash, every stored node against the hash of its children recomputed from the leaves, and every signed
checkpoint's root against the tree recomputed at its size. A row edited behind the platform's back is
named by its table and number. (The outside view of the same, by URL and key, is `log verify`.)"""

from __future__ import annotations

from sqlalchemy import text

from core.db import Database
from translog import merkle
from translog.note import Checkpoint, NoteError


def _stored(db: Database, lo: int, hi: int, levels: int) -> dict[merkle.Node, bytes]:
    """The stored nodes completed by leaves [lo, hi): at each level, those whose last leaf is in it."""
    out: dict[merkle.Node, bytes] = {}
    with db.read_session() as s:
        conn = s.connection()
        for level in range(levels + 1):
            first, last = lo >> level, hi >> level
            rows = conn.execute(
                text("SELECT idx, hash FROM tlog_node WHERE level = :l AND idx >= :a AND idx < :b"),
                {"l": level, "a": first, "b": last + 1},
            )
            out.update({(level, int(i)): bytes(h) for i, h in rows})
    return out


def check(db: Database, chunk: int = 10_000) -> list[str]:
    """What differs, named; empty when the stored log is whole."""
    problems: list[str] = []
    with db.read_session() as s:
        conn = s.connection()
        size = (conn.execute(text("SELECT max(idx) FROM tlog_leaf")).scalar() or -1) + 1
        checkpoints = {
            int(n): (bytes(r), note)
            for n, r, note in conn.execute(text("SELECT size, root_hash, note FROM tlog_checkpoint"))
        }
    levels = max(size, 1).bit_length()
    frontier: list[tuple[int, bytes]] = []  # complete subtrees not yet paired: (level, hash), left to right
    done = 0
    for lo in range(0, size, chunk):
        hi = min(size, lo + chunk)
        with db.read_session() as s:
            leaves = list(
                s.connection().execute(
                    text(
                        "SELECT idx, data, leaf_hash FROM tlog_leaf WHERE idx >= :a AND idx < :b ORDER BY idx"
                    ),
                    {"a": lo, "b": hi},
                )
            )
        stored = _stored(db, lo, hi, levels)
        for idx, data, stored_hash in leaves:
            if idx != done:
                problems.append(f"tlog_leaf {done}: missing (the next row is {idx})")
                return problems
            h = merkle.leaf_hash(bytes(data))
            if h != bytes(stored_hash):
                problems.append(f"tlog_leaf {idx}: its bytes do not hash to its stored leaf_hash")
            frontier.append((0, h))
            i = idx
            while True:
                level, top = frontier[-1]
                if stored.get((level, i)) != top:
                    problems.append(
                        f"tlog_node {level}/{i}: differs from the tree recomputed from the leaves"
                    )
                if len(frontier) < 2 or frontier[-2][0] != level:
                    break
                frontier.pop()
                _, left = frontier.pop()
                frontier.append((level + 1, merkle.node_hash(left, top)))
                i >>= 1
            done += 1
            if done in checkpoints:
                problems += _checkpoint(done, frontier, *checkpoints[done])
    if 0 in checkpoints:
        problems += _checkpoint(0, [], *checkpoints[0])
    return problems


def _checkpoint(size: int, frontier: list[tuple[int, bytes]], root: bytes, note: str) -> list[str]:
    computed = merkle.fold([h for _, h in frontier]) if frontier else merkle.EMPTY_ROOT
    found = []
    if root != computed:
        found.append(f"tlog_checkpoint {size}: its root is not the tree's")
    try:
        signed = Checkpoint.parse(note[: note.rfind("\n\n") + 1])
    except NoteError:
        return [*found, f"tlog_checkpoint {size}: its note is not a checkpoint"]
    if (signed.size, signed.root) != (size, computed):
        found.append(f"tlog_checkpoint {size}: its signed note names another tree")
    return found
