"""What the platform publishes now for a subject of the log, in its leaf's terms, and whether it still
matches the subject's latest leaf: a disclosure record's document at its version, an enterprise's current
grade, a code batch's Merkle root over its serials as stored now. A row edited in the database behind
the platform's back (no event, so no new leaf) shows here as a subject whose published record differs
from its leaf: `crosstrust log monitor` reads it from outside (GET /api/v1/tlog/current/{subject}),
`crosstrust audit verify` from inside.

Only what the leaves commit to is compared: a grade leaf is written when the grade changes, so its
score, which moves without a new leaf, is not compared; a disclosure record newer than its latest leaf
is on its way (the outbox lags by seconds), not changed."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from core.errors import Invalid, NotFound
from core.identifiers import MAX_ID
from translog import merkle, service

CHECKED_KINDS = ("disclosure.record", "credit.grade", "code.batch")


def current(session: Session, subject: str) -> dict[str, Any]:
    """The subject as published now: {"subject", "version"?, "record"} (only the parts leaves hold)."""
    kind, _, ident = subject.partition(":")
    if not ident.isdigit() or len(ident) > 18:
        raise Invalid.field("subject", "a subject is disclosure:<id>, grade:<id> or code-batch:<id>")
    n = int(ident)
    if not 1 <= n <= MAX_ID:
        raise NotFound(f"no {subject}")
    if kind == "disclosure":
        from disclosure import service as disclosure

        row = disclosure.get(session, n)
        if row is None or row.visibility != "public":
            raise NotFound(f"no public disclosure record {n}")
        return {"subject": subject, "version": row.version, "record": disclosure.document(row)}
    if kind == "grade":
        grade = (
            session.connection()
            .execute(text("SELECT grade FROM credit_standing WHERE enterprise_id = :e"), {"e": n})
            .scalar()
        )
        if grade is None:
            raise NotFound(f"no grade for enterprise {n}")
        return {"subject": subject, "record": {"grade": grade}}
    if kind == "code-batch":
        from traceability import batches as trace

        serials = trace.serials_of_batch(session, n)
        if not serials:
            raise NotFound(f"no code batch {n}")
        tree = merkle.MemoryTree(merkle.leaf_hash(s.encode()) for s in serials)
        return {"subject": subject, "record": {"serials_root": service.b64(tree.root())}}
    raise Invalid.field("subject", "a subject is disclosure:<id>, grade:<id> or code-batch:<id>")


def differs(index: int, leaf: dict[str, Any], now: dict[str, Any]) -> str | None:
    """What changed without a new leaf, named; None when the published record matches leaf `index`."""
    subject, record = leaf["subject"], leaf["record"]
    if "version" in now:
        if now["version"] > leaf["version"]:
            return None  # a newer version, its leaf on its way
        if now["version"] < leaf["version"]:
            return f"{subject}: published at version {now['version']}, the log's leaf {index} is version {leaf['version']}"
        if service.canonical(now["record"]) != service.canonical(record):
            return (
                f"{subject} version {leaf['version']}: the published record's canonical bytes differ from "
                f"leaf {index}, and no new leaf was appended (changed behind the log's back)"
            )
        return None
    changed = [k for k, v in now["record"].items() if record.get(k) != v]
    if changed:
        return (
            f"{subject}: its published {', '.join(changed)} differs from leaf {index}, and no new leaf was "
            "appended (changed behind the log's back)"
        )
    return None


def latest_leaves(session: Session) -> dict[str, tuple[int, dict[str, Any]]]:
    """Each checked subject's latest leaf, parsed, with its index."""
    rows = session.connection().execute(
        text(
            "SELECT l.idx, l.data FROM tlog_leaf l JOIN (SELECT subject, max(idx) AS top FROM tlog_leaf "
            "WHERE kind IN ('disclosure.record', 'credit.grade', 'code.batch') GROUP BY subject) m "
            "ON l.idx = m.top"
        )
    )
    return {(leaf := json.loads(bytes(d)))["subject"]: (int(i), leaf) for i, d in rows}


def stale(session: Session) -> list[str]:
    """Every subject whose published record no longer matches its latest leaf, named."""
    found = []
    for subject, (index, leaf) in sorted(latest_leaves(session).items()):
        try:
            now = current(session, subject)
        except NotFound:
            continue  # withdrawn or expired: a change the platform makes with events of its own

        problem = differs(index, leaf, now)
        if problem:
            found.append(problem)
    return found
