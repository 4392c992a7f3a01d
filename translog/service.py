"""The log on a session: append a leaf (with the nodes it completes), read tiles, entry bundles and
proofs, and sign checkpoints.

Appends serialise: on PostgreSQL on a transaction-scoped advisory lock, on SQLite on the write lock that
every write transaction takes at BEGIN (core.db). So leaf numbers have no gaps and every node is written
once, by the append that completes it. Nothing here updates or deletes a leaf or a node."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import rfc8785
from sqlalchemy import func, insert, text
from sqlmodel import Session, col, select

from core.clock import as_utc, utcnow
from core.db import Database, table_of
from core.errors import Invalid, NotFound
from translog import merkle, tiles
from translog.models import TlogCheckpoint, TlogCosignature, TlogLeaf, TlogNode
from translog.note import Checkpoint, Signer, sign

# pg_advisory_xact_lock's key for appends: any constant no other part of the platform uses.
_APPEND_LOCK = 0x7C0_7106


def canonical(value: Any) -> bytes:
    """RFC 8785 bytes of a JSON value (keys sorted by UTF-16 code units, ECMAScript numbers)."""
    return rfc8785.dumps(value)


def leaf_bytes(kind: str, subject: str, version: int, at: datetime, record: Mapping[str, Any]) -> bytes:
    return canonical(
        {
            "kind": kind,
            "subject": subject,
            "version": version,
            "at": as_utc(at).isoformat(),
            "record": dict(record),
        }
    )


def reader(session: Session) -> merkle.NodeReader:
    """The stored nodes, read in one statement per call (plain SQL: an append reads a few nodes, and the
    ORM's statement building would cost more than the read)."""

    def read(nodes: Sequence[merkle.Node]) -> dict[merkle.Node, bytes]:
        if not nodes:
            return {}
        where = " OR ".join(f"(level = :l{k} AND idx = :i{k})" for k in range(len(nodes)))
        params: dict[str, int] = {}
        for k, (level, idx) in enumerate(nodes):
            params[f"l{k}"], params[f"i{k}"] = level, idx
        rows = session.connection().execute(
            text("SELECT level, idx, hash FROM tlog_node WHERE " + where),  # noqa: S608 - joins only parameter names
            params,
        )
        return {(lv, i): bytes(h) for lv, i, h in rows}

    return read


def size(session: Session) -> int:
    top = session.connection().execute(text("SELECT max(idx) FROM tlog_leaf")).scalar()
    return 0 if top is None else int(top) + 1


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _APPEND_LOCK})


def append(
    session: Session,
    kind: str,
    subject: str,
    record: Mapping[str, Any],
    *,
    at: datetime,
    version: int | None = None,
    event_id: int | None = None,
) -> int:
    """Append one leaf in the caller's transaction; its index. `version` defaults to the subject's next."""
    _lock(session)
    idx = size(session)
    if version is None:
        last = (
            session.connection()
            .execute(text("SELECT max(version) FROM tlog_leaf WHERE subject = :s"), {"s": subject})
            .scalar()
        )
        version = 1 if last is None else int(last) + 1
    return append_data(
        session, leaf_bytes(kind, subject, version, at, record), kind, subject, version, at, event_id, idx
    )


def append_data(
    session: Session,
    data: bytes,
    kind: str,
    subject: str,
    version: int,
    at: datetime,
    event_id: int | None = None,
    idx: int | None = None,
) -> int:
    """Append a leaf's bytes as they are (`append` makes them canonical first)."""
    if idx is None:
        _lock(session)
        idx = size(session)
    if len(data) > tiles.MAX_ENTRY:
        raise ValueError(f"a leaf of {len(data)} bytes does not fit an entry bundle")
    lh = merkle.leaf_hash(data)
    conn = session.connection()
    conn.execute(
        insert(table_of(TlogLeaf)),
        {
            "idx": idx,
            "kind": kind,
            "subject": subject,
            "version": version,
            "data": data,
            "leaf_hash": lh,
            "event_id": event_id,
            "source_at": at,
            "appended_at": utcnow(),
        },
    )
    nodes = merkle.new_nodes(idx, lh, reader(session))
    conn.execute(insert(table_of(TlogNode)), [{"level": lv, "idx": i, "hash": h} for lv, i, h in nodes])
    return idx


def tile(session: Session, t: tiles.Tile) -> bytes | None:
    """A tile's bytes, or an entry bundle's, or None while the tree lacks any of its nodes."""
    lo = t.index * tiles.WIDTH
    hi = lo + t.width
    if t.level is None:
        rows = session.exec(
            select(TlogLeaf.data)
            .where(col(TlogLeaf.idx) >= lo, col(TlogLeaf.idx) < hi)
            .order_by(col(TlogLeaf.idx))
        ).all()
        return tiles.bundle(bytes(r) for r in rows) if len(rows) == t.width else None
    level = t.level * tiles.HEIGHT
    hashes = session.exec(
        select(TlogNode.hash)
        .where(TlogNode.level == level, col(TlogNode.idx) >= lo, col(TlogNode.idx) < hi)
        .order_by(col(TlogNode.idx))
    ).all()
    return b"".join(bytes(h) for h in hashes) if len(hashes) == t.width else None


def latest_checkpoint(session: Session) -> TlogCheckpoint | None:
    return session.exec(select(TlogCheckpoint).order_by(col(TlogCheckpoint.size).desc()).limit(1)).first()


def sign_checkpoint(db: Database, signer: Signer, origin: str) -> TlogCheckpoint | None:
    """Sign the tree as it is now, if it grew since the last checkpoint (or none was signed yet)."""
    with db.transaction() as s:
        last = latest_checkpoint(s)
        n = size(s)
        if last is not None and last.size >= n:
            return None
        root = merkle.root(n, reader(s))
        now = utcnow()
        first_new = 0 if last is None else last.size
        oldest = s.exec(select(func.min(TlogLeaf.source_at)).where(col(TlogLeaf.idx) >= first_new)).one()
        lag = None if oldest is None else max(0.0, (now - as_utc(oldest)).total_seconds())
        cp = TlogCheckpoint(
            size=n,
            root_hash=root,
            note=sign(Checkpoint(origin, n, root).text(), signer),
            signed_at=now,
            max_lag_seconds=lag,
        )
        s.add(cp)
    return cp


# A checkpoint no witness cosigned is published once it is this old (witnesses down must not freeze the
# log; see translog.witnessing).
UNWITNESSED_AFTER = timedelta(minutes=5)


def published(session: Session) -> TlogCheckpoint:
    """The checkpoint the log serves: its latest one that a witness cosigned, or its latest if none has
    been cosigned (no witnesses) or the latest waited over UNWITNESSED_AFTER for a cosignature."""
    cp = latest_checkpoint(session)
    if cp is None:
        raise NotFound("the log has no signed checkpoint yet")
    top = session.connection().execute(text("SELECT max(size) FROM tlog_cosignature")).scalar()
    if top is None or int(top) == cp.size or utcnow() - as_utc(cp.signed_at) > UNWITNESSED_AFTER:
        return cp
    return session.get(TlogCheckpoint, int(top)) or cp


def served_note(session: Session, cp: TlogCheckpoint) -> str:
    """The checkpoint's signed note with its witnesses' cosignature lines after the log's signature."""
    lines = session.exec(
        select(TlogCosignature.line)
        .where(TlogCosignature.size == cp.size)
        .order_by(col(TlogCosignature.witness))
    ).all()
    return cp.note + "".join(lines)


def b64(h: bytes) -> str:
    return base64.b64encode(h).decode()


def inclusion(session: Session, leaf: TlogLeaf, size_: int | None = None) -> dict[str, Any]:
    """The proof that `leaf` is in the published tree (or in the tree of `size_` leaves)."""
    cp = published(session)
    n = cp.size if size_ is None else size_
    if not 1 <= n <= cp.size:
        raise Invalid.field("size", f"{n} is not a tree size from 1 to the published {cp.size}")
    if leaf.idx >= n:
        raise NotFound(f"leaf {leaf.idx} is not yet in the tree of {n} leaves (the next checkpoint has it)")
    read = reader(session)
    return {
        "leaf_index": leaf.idx,
        "tree_size": n,
        "kind": leaf.kind,
        "subject": leaf.subject,
        "version": leaf.version,
        "leaf": b64(bytes(leaf.data)),
        "leaf_hash": b64(bytes(leaf.leaf_hash)),
        "proof": [b64(h) for h in merkle.prove_inclusion(leaf.idx, n, read)],
        "root_hash": b64(merkle.root(n, read)),
        "checkpoint": served_note(session, cp),
    }


def consistency(
    session: Session, first: int, second: int | None = None, *, checkpoint: TlogCheckpoint | None = None
) -> dict[str, Any]:
    """The proof that the tree of `first` leaves is a prefix of that of `second` (at most the size of
    `checkpoint`, the published one by default)."""
    cp = checkpoint or published(session)
    second = cp.size if second is None else second
    if second > cp.size:
        raise Invalid.field("second", f"{second} is beyond the published tree of {cp.size} leaves")
    if first < 1:
        raise Invalid.field("first", "a consistency proof starts from a tree of at least 1 leaf")
    if first > second:
        raise Invalid.field("first", f"{first} is after {second}: the sizes are reversed")
    read = reader(session)
    return {
        "first": first,
        "second": second,
        "first_root": b64(merkle.root(first, read)),
        "second_root": b64(merkle.root(second, read)),
        "proof": [b64(h) for h in merkle.prove_consistency(first, second, read)],
        "checkpoint": served_note(session, cp),
    }


def leaf_at(session: Session, index: int) -> TlogLeaf:
    leaf = session.get(TlogLeaf, index)
    if leaf is None:
        raise NotFound(f"no leaf {index}")
    return leaf


def leaf_of(session: Session, subject: str, version: int | None = None) -> TlogLeaf:
    """The leaf of a subject's version, or of its latest."""
    q = select(TlogLeaf).where(TlogLeaf.subject == subject)
    q = (
        q.where(TlogLeaf.version == version)
        if version is not None
        else q.order_by(col(TlogLeaf.version).desc())
    )
    leaf = session.exec(q.limit(1)).first()
    if leaf is None:
        raise NotFound(f"no leaf for {subject}" + (f" version {version}" if version is not None else ""))
    return leaf


def code_inclusion(session: Session, serial: str) -> dict[str, Any]:
    """One trace code's proof: its place among its batch's serials (a path to the batch's
    `serials_root`), and the batch's leaf in the published tree."""
    from traceability import batches as trace

    batch_id = trace.batch_of_serial(session, serial)
    if batch_id is None:
        raise NotFound(f"no code with serial {serial}")
    leaf = leaf_of(session, f"code-batch:{batch_id}")
    serials = trace.serials_of_batch(session, batch_id)
    position = serials.index(serial)
    tree = merkle.MemoryTree(merkle.leaf_hash(s.encode()) for s in serials)
    found = inclusion(session, leaf)
    found["code"] = {
        "serial": serial,
        "index": position,
        "batch_size": len(serials),
        "serial_hash": b64(merkle.leaf_hash(serial.encode())),
        "serials_root": b64(tree.root()),
        "proof": [b64(h) for h in merkle.prove_inclusion(position, len(serials), tree.read)],
    }
    return found
