"""The platform's enterprises by name, for rows that name an enterprise by its name alone (issue 24, step
4: associate by name and address when the USCC is missing).

A chunk's index (`intake.pipeline._index`) holds the enterprises its rows name by USCC or old number; a
row with neither had no candidate there unless another row of the chunk brought its enterprise in. Every
enterprise's name is kept under its name key and core (`intake.names`) in `intake_name_key`, with the
enterprise's version it was made from: at each delivery run's start, `sync` makes the keys of the
enterprises added or changed since (all of them once, then a few), in one read of (id, version) pairs.
A name-only row's key and core find its candidates (`near`), which join the chunk's index with their USCC
and address; the matcher decides among them with its usual rules (an address that agrees or differs, a
margin, the review queue for a doubtful match).

Memory stays flat (nothing is held but the chunk's candidates). Not found here: a name only similar to an
enterprise's (a typo), whose key and core both differ; such a row waits for review or names no one. An
enterprise renamed while a delivery imports is found under its new name from the next run."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_
from sqlalchemy import select as columns
from sqlmodel import Session, col

from enterprises import service as enterprises
from intake import names, store
from intake.matching import Known
from intake.models import IntakeNameKey

COLUMNS = ("enterprise_id", "name_key", "core", "version")
BATCH = 2000


def _keys(name: str) -> tuple[str, str]:
    key = names.name_key(name)
    return key[:200], names.core_of_key(key)[:200]


def sync(session: Session) -> int:
    """Make the name keys of the enterprises added or changed since the last run; how many."""
    have = {
        i: v
        for i, v in session.execute(columns(col(IntakeNameKey.enterprise_id), col(IntakeNameKey.version)))
    }
    changed = [i for i, v in enterprises.versions(session).items() if have.get(i) != v]
    for start in range(0, len(changed), BATCH):
        part = changed[start : start + BATCH]
        stale = [(i,) for i in part if i in have]
        store.update_many(session, "DELETE FROM intake_name_key WHERE enterprise_id = ?", stale)
        rows = [(i, *_keys(n or ""), v) for i, _, n, _, v in enterprises.names_of(session, part)]
        store.insert_many(session, "intake_name_key", COLUMNS, rows)
    return len(changed)


def near(session: Session, written: Iterable[str]) -> list[Known]:
    """The enterprises whose name has the key or the core of one of the names `written`, with their USCC
    and address (for the chunk's index)."""
    keys = {_keys(n) for n in written if n}
    if not keys:
        return []
    by_key, by_core = {k for k, _ in keys}, {c for _, c in keys if c}
    stmt = columns(col(IntakeNameKey.enterprise_id)).where(
        or_(col(IntakeNameKey.name_key).in_(by_key), col(IntakeNameKey.core).in_(by_core))
    )
    ids = [i for (i,) in session.execute(stmt)]
    return [Known(i, u, n or "", a or None) for i, u, n, a, _ in enterprises.names_of(session, ids)]
