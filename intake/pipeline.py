"""A delivery's rows through the steps, a chunk per transaction: clean (reject with the reason), compare
(duplicates, corrections, conflicts between sources), associate (the enterprise index), synchronise (an
event per record that the methodology counts). A chunk and the delivery's progress commit together, so a
process killed in the middle leaves whole chunks only, and the next run resumes after the last one."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import insert, update
from sqlalchemy import select as columns
from sqlmodel import Session, col, select

from core import audit
from core.clock import utcnow
from core.db import Database, table_of
from core.errors import Conflict, NotFound
from core.events import emit
from enterprises import service as enterprises
from intake import products, reader
from intake.clean import Rejected
from intake.distribution import announce_linked
from intake.events import AcceptedRecord, IntakeRecordsAccepted
from intake.mapping import Mapping, get
from intake.matching import Candidate, EnterpriseIndex, Known, Match
from intake.models import (
    DeliveryStatus,
    IntakeConflict,
    IntakeDelivery,
    IntakeOldRegNo,
    IntakeRecord,
    IntakeRejected,
    IntakeSource,
    RecordStatus,
)

CHUNK = 1000
LIVE = (RecordStatus.active, RecordStatus.review)
Progress = Callable[[IntakeDelivery], None]


@dataclass(frozen=True)
class Row:
    no: int
    raw: dict[str, Any]
    fields: dict[str, str]


def _jsonable(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        str(k): v if v is None or isinstance(v, str | int | float) else str(v)
        for k, v in raw.items()
        if k != ""
    }


def _digest(fields: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _index(session: Session, m: Mapping, rows: list[Row]) -> EnterpriseIndex:
    """The enterprises this chunk may name: by its USCCs and its old registration numbers."""
    usccs = {r.fields.get(m.uscc_field, "") for r in rows} - {""}
    olds = {r.fields.get(m.old_reg_field, "").upper() for r in rows} | {u.upper() for u in usccs}
    olds.discard("")
    known: dict[int, Known] = {}
    for uscc, p in enterprises.profiles_by_uscc(session, usccs).items():
        known[p["id"]] = Known(p["id"], uscc, p.get("name_zh") or "")
    links = list(session.exec(select(IntakeOldRegNo).where(col(IntakeOldRegNo.old_reg_no).in_(olds))))
    by_id: dict[int, list[str]] = {}
    for link in links:
        by_id.setdefault(link.enterprise_id, []).append(link.old_reg_no)
    for eid, p in enterprises.public_profiles(session, by_id).items():
        k = known.get(eid)
        known[eid] = Known(eid, p.get("uscc"), p.get("name_zh") or "", old_reg_nos=tuple(by_id[eid]))
        if k is not None:
            known[eid] = Known(eid, k.uscc, k.name, old_reg_nos=tuple(by_id[eid]))
    return EnterpriseIndex(known.values())


@dataclass
class Fact:
    """A record as the comparison needs it: stored (read in) or new (its row's values to insert)."""

    id: int | None
    source_id: int
    content_sha256: str
    fields: dict[str, str]
    status: str
    row_no: int = 0
    enterprise_id: int | None = None
    supersedes_id: int | None = None
    values: dict[str, Any] | None = None


_FACT_COLUMNS = (
    col(IntakeRecord.id),
    col(IntakeRecord.fact_key),
    col(IntakeRecord.source_id),
    col(IntakeRecord.content_sha256),
    col(IntakeRecord.fields),
    col(IntakeRecord.status),
)


def _stored(session: Session, keys: Iterable[str]) -> dict[str, list[Fact]]:
    out: dict[str, list[Fact]] = {}
    stmt = columns(*_FACT_COLUMNS).where(
        col(IntakeRecord.fact_key).in_(set(keys)), col(IntakeRecord.status).in_(LIVE)
    )
    for rid, key, source_id, sha, fields, status in session.execute(stmt.order_by(col(IntakeRecord.id))):
        out.setdefault(key, []).append(Fact(rid, source_id, sha, fields, status))
    return out


def _when(value: str) -> datetime:
    return datetime.combine(date.fromisoformat(value), time(0), UTC)


def _credit_check(m: Mapping, fields: dict[str, str]) -> None:
    """A record the methodology counts needs its date, and not one in the future."""
    for rule in m.credit:
        if rule.applies(fields):
            value = fields.get(rule.occurred_at, "")
            if not value:
                raise Rejected(rule.occurred_at, "required for a credit record and empty")
            if date.fromisoformat(value) > utcnow().date():
                raise Rejected(rule.occurred_at, f"{value} is in the future")


def _clean(session: Session, d: IntakeDelivery, m: Mapping, start: int, raws: list[dict]) -> list[Row]:
    rows: list[Row] = []
    rejected: list[dict[str, Any]] = []
    for no, raw in enumerate(raws, start + 1):
        try:
            fields = m.clean(raw, d.columns)
            _credit_check(m, fields)
        except Rejected as r:
            rejected.append(
                {
                    "delivery_id": d.id,
                    "row_no": no,
                    "field": r.field[:60],
                    "reason": r.reason[:500],
                    "raw": _jsonable(raw),
                }
            )
            continue
        rows.append(Row(no, raw, fields))
    if rejected:  # one statement for the chunk's rejections
        session.execute(insert(table_of(IntakeRejected)), rejected)
        d.rejected += len(rejected)
    return rows


def _conflicts(session: Session, m: Mapping, key: str, rec: Fact, others: list[Fact]) -> int:
    n = 0
    for other in others:
        for f in m.compare:
            mine, theirs = rec.fields.get(f, ""), other.fields.get(f, "")
            if mine and theirs and mine != theirs:
                session.add(
                    IntakeConflict(
                        fact_key=key,
                        field=f,
                        record_id=rec.id,  # type: ignore[arg-type]
                        other_id=other.id,  # type: ignore[arg-type]
                        value=mine[:500],
                        other_value=theirs[:500],
                        created_at=utcnow(),
                    )
                )
                n += 1
    return n


def synchronise(rec: IntakeRecord | Fact, m: Mapping) -> list[AcceptedRecord]:
    """What the methodology counts in the record: one entry for each credit rule it meets."""
    if rec.enterprise_id is None or rec.status != RecordStatus.active or rec.id is None:
        return []
    out: list[AcceptedRecord] = []
    for rule in m.credit:
        if rule.applies(rec.fields):
            title_zh, title_en = rule.titles(rec.fields)
            out.append(
                AcceptedRecord(
                    record_id=rec.id,
                    row_no=rec.row_no,
                    enterprise_id=rec.enterprise_id,
                    credit_kind=rule.kind,
                    severity=rule.severity,
                    occurred_at=_when(rec.fields[rule.occurred_at]),
                    title_zh=title_zh,
                    title_en=title_en,
                    supersedes_id=rec.supersedes_id,
                )
            )
    return out


def announce(
    session: Session, src: IntakeSource, delivery_id: int, kind: str, items: list[AcceptedRecord]
) -> None:
    """One event for a chunk's counted records: credit turns each into a credit record."""
    if items:
        payload = IntakeRecordsAccepted(
            source_code=src.code,
            source_name_zh=src.name_zh,
            delivery_id=delivery_id,
            kind=kind,
            records=items,
        )
        emit(
            session, "intake.records_accepted", "intake_delivery", delivery_id, payload, f"intake:{src.code}"
        )


def _fact(
    d: IntakeDelivery, m: Mapping, row: Row, key: str, digest: str, match: Match, now: datetime
) -> Fact:
    status = RecordStatus.review if match.doubtful or match.enterprise_id is None else RecordStatus.active
    values = {
        "delivery_id": d.id,
        "source_id": d.source_id,
        "row_no": row.no,
        "kind": m.kind,
        "fact_key": key,
        "content_sha256": digest,
        "uscc": row.fields.get(m.uscc_field) or None,
        "name": row.fields.get(m.name_field, "")[:200],
        "fields": row.fields,
        "raw": _jsonable(row.raw),
        "enterprise_id": match.enterprise_id,
        "match_method": match.method,
        "match_score": match.score,
        "match_reasons": list(match.reasons),
        "status": status.value,
        "created_at": now,
    }
    return Fact(
        None, d.source_id, digest, row.fields, status.value, row.no, match.enterprise_id, values=values
    )


@dataclass
class _New:
    key: str
    rec: Fact
    replaces: list[Fact]  # this source's earlier versions of the fact: superseded
    others: list[Fact]  # other sources' records of the fact: compared


def _decide(
    d: IntakeDelivery, m: Mapping, rows: list[Row], index: EnterpriseIndex, stored: dict
) -> list[_New]:
    """Per clean row: a duplicate (counted, not kept), or a new record with what it replaces and faces."""
    new: list[_New] = []
    now = utcnow()
    for row in rows:
        key, digest = m.fact_key(row.fields)[:200], _digest(row.fields)
        same = stored.setdefault(key, [])
        mine = [r for r in same if r.source_id == d.source_id]
        if any(r.content_sha256 == digest for r in mine):
            d.duplicates += 1
            continue
        f = row.fields
        candidate = Candidate(
            f.get(m.uscc_field) or None, f.get(m.name_field, ""), None, f.get(m.old_reg_field) or None
        )
        rec = _fact(d, m, row, key, digest, index.match(candidate), now)
        for old in mine:
            same.remove(old)
        new.append(_New(key, rec, mine, [r for r in same if r.source_id != d.source_id]))
        same.append(rec)
        if rec.status == RecordStatus.review:
            d.review += 1
        else:
            d.accepted += 1
    return new


def _supersede(session: Session, rec: Fact, replaces: list[Fact]) -> None:
    """A correction from the same source supersedes what it said before (kept, never deleted)."""
    rec.supersedes_id = replaces[-1].id
    session.execute(
        update(IntakeRecord).where(col(IntakeRecord.id) == rec.id).values(supersedes_id=rec.supersedes_id)
    )
    for old in replaces:
        old.status = RecordStatus.superseded
        stmt = update(IntakeRecord).where(col(IntakeRecord.id) == old.id)
        session.execute(stmt.values(status=RecordStatus.superseded.value, superseded_by_id=rec.id))


def _take(session: Session, d: IntakeDelivery, m: Mapping, src: IntakeSource, rows: list[Row]) -> None:
    """Compare, associate, store (one INSERT a chunk) and synchronise the chunk's clean rows."""
    index = _index(session, m, rows)
    stored = _stored(session, (m.fact_key(r.fields)[:200] for r in rows))
    new = _decide(d, m, rows, index, stored)
    if not new:
        return
    if m.gtin_field:  # the products and lots the records name, before they are stored
        products.fill(session, m, [n.rec.values or {} for n in new])
    # One multi-row INSERT; the ids come back by row number (asking for them in order would make
    # SQLAlchemy insert one row at a time on SQLite).
    table = table_of(IntakeRecord)  # Core, not the ORM's bulk insert (which splices rows one by one)
    stmt = insert(table).returning(table.c.id, table.c.row_no)
    by_row = {n.rec.row_no: n for n in new}
    for rid, row_no in session.execute(stmt, [n.rec.values or {} for n in new]):
        by_row[row_no].rec.id = rid
    items: list[AcceptedRecord] = []
    for n in new:
        if n.replaces:
            _supersede(session, n.rec, n.replaces)
        d.conflicts += _conflicts(session, m, n.key, n.rec, n.others)
        # Another source's record of the same fact made its credit record already: this one corroborates.
        if not any(r.status == RecordStatus.active for r in n.others):
            items += synchronise(n.rec, m)
    announce(session, src, d.id, m.kind, items)  # type: ignore[arg-type]
    linked = [(n.rec.id, n.rec.enterprise_id) for n in new if n.rec.status == RecordStatus.active]
    announce_linked(session, d.id, m.kind, linked)  # type: ignore[arg-type]


def _chunk(session: Session, delivery_id: int, start: int, raws: list[dict]) -> IntakeDelivery:
    d = session.exec(select(IntakeDelivery).where(IntakeDelivery.id == delivery_id).with_for_update()).one()
    if d.rows_done != start:
        raise Conflict(f"delivery {delivery_id} is being imported by another process (at row {d.rows_done})")
    m, src = get(d.kind), session.get(IntakeSource, d.source_id)
    assert src is not None
    rows = _clean(session, d, m, start, raws)
    _take(session, d, m, src, rows)
    d.rows_done = start + len(raws)
    session.add(d)
    return d


def process(db: Database, delivery_id: int, *, chunk: int = CHUNK, progress: Progress | None = None) -> None:
    """Import the delivery's rows after the last whole chunk; mark it done at the end."""
    with db.read_session() as s:
        d = s.get(IntakeDelivery, delivery_id)
        if d is None:
            raise NotFound(f"no delivery {delivery_id}")
        if d.status == DeliveryStatus.done:
            return
        path, fmt, encoding, done = Path(d.stored_path), d.format, d.encoding, d.rows_done
    it = reader.rows(path, fmt, encoding)
    next(it, None)  # the header
    for _ in islice(it, done):  # rows a killed run imported already
        pass
    while raws := list(islice(it, chunk)):
        with db.transaction() as s:
            d = _chunk(s, delivery_id, done, raws)
            done = d.rows_done
        if progress is not None:
            progress(d)
    with db.transaction() as s:
        d = s.exec(select(IntakeDelivery).where(IntakeDelivery.id == delivery_id).with_for_update()).one()
        if d.status != DeliveryStatus.done:
            d.status, d.finished_at = DeliveryStatus.done, utcnow()
            session_audit(s, d)
            s.add(d)


def session_audit(s: Session, d: IntakeDelivery) -> None:
    counts = {
        k: getattr(d, k) for k in ("rows_done", "accepted", "rejected", "duplicates", "review", "conflicts")
    }
    audit.record(s, d.created_by, "intake.delivery_done", "intake_delivery", d.id, counts)
