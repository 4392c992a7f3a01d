"""The log's part of `crosstrust audit verify`: its stored rows recomputed (translog.integrity: an
edited leaf, node or checkpoint, by table and number) and each published record, grade and code batch
against its latest leaf (translog.current: a row changed without a new leaf, by subject)."""

from __future__ import annotations

from core.db import Database
from translog import current, integrity


def findings(db: Database) -> list[str]:
    with db.read_session() as s:
        stale = current.stale(s)
    return integrity.check(db) + [f"transparency log: {p}" for p in stale]
