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

from sqlalchemy import or_
from sqlalchemy import select as columns
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core import audit
from core.clock import utcnow
from core.db import Database
from core.errors import Conflict, NotFound
from core.events import emit
from enterprises import service as enterprises
from intake import directory, names, products, reader, store
from intake.clean import Rejected
from intake.distribution import announce_linked
from intake.events import AcceptedRecord, IntakeRecordsAccepted
from intake.mapping import Mapping, get
from intake.matching import Candidate, EnterpriseIndex, Known, Match
from intake.models import (
    ConflictStatus,
    DeliveryStatus,
    IntakeConflict,
    IntakeDelivery,
    IntakeOldRegNo,
    IntakeRecord,
    IntakeSource,
    RecordStatus,
)

CHUNK = 1000
LIVE = (RecordStatus.active, RecordStatus.review)
# What the comparison reads of a fact's stored records: the live ones, and the versions their sources have
# since corrected (a re-send of one of those is stale: a duplicate, never a new correction).
COMPARED = (*LIVE, RecordStatus.superseded)
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


# The digest's JSON, as `json.dumps(fields, sort_keys=True, ensure_ascii=False)` writes it (stored digests
# must stay comparable), with one encoder instead of one made per call.
_DIGEST_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False)


def _digest(fields: dict[str, str]) -> str:
    return hashlib.sha256(_DIGEST_JSON.encode(fields).encode()).hexdigest()


def _index(session: Session, m: Mapping, rows: list[Row]) -> EnterpriseIndex:
    """The enterprises this chunk may name: by its USCCs and its old registration numbers, and for a row
    with neither, those the directory finds by its name (`intake.directory`)."""
    usccs = {r.fields.get(m.uscc_field, "") for r in rows} - {""}
    olds = {r.fields.get(m.old_reg_field, "").upper() for r in rows} | {u.upper() for u in usccs}
    olds.discard("")
    known: dict[int, Known] = {}
    for uscc, (eid, name) in enterprises.keys_by_uscc(session, usccs).items():
        known[eid] = Known(eid, uscc, name or "")
    links = list(session.exec(select(IntakeOldRegNo).where(col(IntakeOldRegNo.old_reg_no).in_(olds))))
    by_id: dict[int, list[str]] = {}
    for link in links:
        by_id.setdefault(link.enterprise_id, []).append(link.old_reg_no)
    for eid, p in enterprises.public_profiles(session, by_id).items():
        k = known.get(eid)
        known[eid] = Known(eid, p.get("uscc"), p.get("name_zh") or "", old_reg_nos=tuple(by_id[eid]))
        if k is not None:
            known[eid] = Known(eid, k.uscc, k.name, old_reg_nos=tuple(by_id[eid]))
    only_named = [
        f.get(m.name_field, "")
        for f in (r.fields for r in rows)
        if not f.get(m.uscc_field) and not (m.old_reg_field and f.get(m.old_reg_field))
    ]
    for near in directory.near(session, only_named):
        known.setdefault(near.enterprise_id, near)
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
    lot_line_id: int | None = None  # the declared lot it names (intake.products), once associated
    values: tuple | None = None  # a new record's columns after its id (store.RECORD_COLUMNS)


_FACT_COLUMNS = (
    col(IntakeRecord.id),
    col(IntakeRecord.fact_key),
    col(IntakeRecord.source_id),
    col(IntakeRecord.content_sha256),
    col(IntakeRecord.fields),
    col(IntakeRecord.status),
    col(IntakeRecord.enterprise_id),
)


def _stored(session: Session, keys: Iterable[str]) -> dict[str, list[Fact]]:
    out: dict[str, list[Fact]] = {}
    stmt = columns(*_FACT_COLUMNS).where(
        col(IntakeRecord.fact_key).in_(set(keys)), col(IntakeRecord.status).in_(COMPARED)
    )
    for rid, key, source_id, sha, fields, status, eid in session.execute(stmt.order_by(col(IntakeRecord.id))):
        out.setdefault(key, []).append(Fact(rid, source_id, sha, fields, status, enterprise_id=eid))
    return out


def _when(value: str) -> datetime:
    return datetime.combine(date.fromisoformat(value), time(0), UTC)


def _credit_check(m: Mapping, fields: dict[str, str], today: date) -> None:
    """A record the methodology counts needs its date, and not one in the future."""
    for rule in m.credit:
        if rule.applies(fields):
            value = fields.get(rule.occurred_at, "")
            if not value:
                raise Rejected(rule.occurred_at, "required for a credit record and empty")
            if date.fromisoformat(value) > today:
                raise Rejected(rule.occurred_at, f"{value} is in the future")


@dataclass
class Counts:
    """A chunk's counts, added to the delivery once (not row by row through the ORM)."""

    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    review: int = 0
    conflicts: int = 0


def _clean(
    session: Session, d: IntakeDelivery, m: Mapping, start: int, raws: list[dict], n: Counts
) -> list[Row]:
    rows: list[Row] = []
    rejected: list[tuple] = []
    columns, today = d.columns, utcnow().date()
    for no, raw in enumerate(raws, start + 1):
        try:
            fields = m.clean(raw, columns)
            _credit_check(m, fields, today)
        except Rejected as r:
            rejected.append((d.id, no, r.field[:60], r.reason[:500], store.dumps(_jsonable(raw))))
            continue
        rows.append(Row(no, raw, fields))
    store.insert_many(session, "intake_rejected", store.REJECTED_COLUMNS, rejected)  # one statement
    n.rejected += len(rejected)
    return rows


def _same(m: Mapping, field: str, mine: str, theirs: str) -> bool:
    """Two sources say the same when their values are equal as written, or are one value spelled two ways:
    a name (the enterprise's name field, or a field of type `name`) under its key (traditional or
    simplified, full- or half-width, brackets, the company form's variants: `names.name_key`), any other
    text folded (`names.fold`). What differs beyond that is a conflict for a regulator; a spelling is not."""
    if mine == theirs:
        return True
    spec = m.fields.get(field)
    if field == m.name_field or (spec is not None and spec.type == "name"):
        return names.name_key(mine) == names.name_key(theirs)
    return names.fold(mine) == names.fold(theirs)


def _linked(rec: Fact) -> int | None:
    return rec.enterprise_id if rec.status == RecordStatus.active else None


def _conflicts(m: Mapping, key: str, rec: Fact, others: list[Fact], now: Any) -> list[tuple]:
    """The compared fields on which `rec` and each other source's record disagree. Two records linked to
    one enterprise name it as each source does (a USCC, an old number, a former or abbreviated name): their
    identifier fields are no conflict about the fact; two records linked to two enterprises, or not both
    linked, are compared on them as written."""
    out: list[tuple] = []
    for other in others:
        one = _linked(rec) is not None and _linked(rec) == _linked(other)
        out += [
            (key, f, rec.id, other.id, mine[:500], theirs[:500], ConflictStatus.open.value, now)
            for f in m.compare
            if not (one and f in m.identifiers)
            and (mine := rec.fields.get(f, ""))
            and (theirs := other.fields.get(f, ""))
            and not _same(m, f, mine, theirs)
        ]
    return out


def compare_linked(session: Session, rec: IntakeRecord) -> int:
    """A record a regulator linked from review, under its new key (`Mapping.fact_key`): compared with the
    other sources' live records of its fact as a new record is (both kept, the conflicts raised), except
    a pair and field compared already under the key as written. How many conflicts were raised."""
    assert rec.id is not None
    me = Fact(
        rec.id, rec.source_id, rec.content_sha256, rec.fields, rec.status, enterprise_id=rec.enterprise_id
    )
    stored = _stored(session, [rec.fact_key]).get(rec.fact_key, [])
    others = [f for f in stored if f.source_id != rec.source_id and f.status in LIVE and f.id != rec.id]
    if not others:
        return 0
    pairs = columns(col(IntakeConflict.record_id), col(IntakeConflict.other_id), col(IntakeConflict.field))
    pairs = pairs.where(or_(col(IntakeConflict.record_id) == rec.id, col(IntakeConflict.other_id) == rec.id))
    seen = {(a if b == rec.id else b, f) for a, b, f in session.execute(pairs)}
    raised = _conflicts(get(rec.kind), rec.fact_key, me, others, store.when(session, utcnow()))
    rows = [r for r in raised if (r[3], r[1]) not in seen]
    store.insert_many(session, "intake_conflict", store.CONFLICT_COLUMNS, rows)
    return len(rows)


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
                    lot_line_id=rec.lot_line_id,
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


def _fact(d: IntakeDelivery, m: Mapping, row: Row, key: str, digest: str, match: Match, now: Any) -> Fact:
    status = RecordStatus.review if match.doubtful or match.enterprise_id is None else RecordStatus.active
    values = (  # store.RECORD_COLUMNS after the id, which is given when the chunk's records are counted
        d.id,
        d.source_id,
        row.no,
        m.kind,
        key,
        digest,
        row.fields.get(m.uscc_field) or None,
        row.fields.get(m.name_field, "")[:200],
        store.dumps(row.fields),
        store.dumps(_jsonable(row.raw)),
        match.enterprise_id,
        match.method,
        match.score,
        store.dumps(list(match.reasons)),
        status.value,
        now,
    )
    return Fact(
        None, d.source_id, digest, row.fields, status.value, row.no, match.enterprise_id, values=values
    )


@dataclass
class _New:
    key: str
    rec: Fact
    replaces: list[Fact]  # this source's earlier versions of the fact: superseded
    others: list[Fact]  # other sources' records of the fact: compared


@dataclass(frozen=True)
class _Keyed:
    row: Row
    match: Match
    key: str


def _associate(m: Mapping, rows: list[Row], index: EnterpriseIndex) -> list[_Keyed]:
    """Each clean row's enterprise, then its fact's key: a fact of an enterprise is keyed by the enterprise
    it was linked to (`Mapping.fact_key`), so the comparison meets every source's record of it."""
    out: list[_Keyed] = []
    for row in rows:
        f = row.fields
        address = f.get(m.address_field) or None if m.address_field else None
        candidate = Candidate(
            f.get(m.uscc_field) or None, f.get(m.name_field, ""), address, f.get(m.old_reg_field) or None
        )
        match = index.match(candidate)
        linked = None if match.doubtful else match.enterprise_id
        out.append(_Keyed(row, match, m.fact_key(f, linked)[:200]))
    return out


def _decide(
    d: IntakeDelivery, m: Mapping, keyed: list[_Keyed], stored: dict, n: Counts, now: Any
) -> list[_New]:
    """Per clean row: a duplicate (counted, not kept; a re-send of a version its source has corrected
    since is one too: stale), or a new record with what it replaces and faces."""
    new: list[_New] = []
    source_id = d.source_id
    for k in keyed:
        row, key, digest = k.row, k.key, _digest(k.row.fields)
        same = stored.setdefault(key, [])
        mine = [r for r in same if r.source_id == source_id]
        if any(r.content_sha256 == digest for r in mine):
            n.duplicates += 1
            continue
        rec = _fact(d, m, row, key, digest, k.match, now)
        live = [r for r in mine if r.status in LIVE]
        for old in live:
            old.status = RecordStatus.superseded  # still read: a later re-send of it is stale
        others = [r for r in same if r.source_id != source_id and r.status in LIVE]
        new.append(_New(key, rec, live, others))
        same.append(rec)
        if rec.status == RecordStatus.review:
            n.review += 1
        else:
            n.accepted += 1
    return new


def _product_links(session: Session, m: Mapping, new: list[_New]) -> list[tuple]:
    """(product_id, lot_line_id, product_link) of each new record (`intake.products`)."""
    if not m.gtin_field:
        return [tuple(products.NOT_NAMED.values())] * len(new)
    named = [
        (x.rec.enterprise_id if x.rec.status == RecordStatus.active else None, x.rec.fields) for x in new
    ]
    return [(v["product_id"], v["lot_line_id"], v["product_link"]) for v in products.links(session, m, named)]


def _supersede(rec: Fact, replaces: list[Fact], links: list[tuple], olds: list[tuple]) -> None:
    """A correction from the same source supersedes what it said before (kept, never deleted)."""
    rec.supersedes_id = replaces[-1].id
    links.append((rec.supersedes_id, rec.id))
    for old in replaces:
        old.status = RecordStatus.superseded
        olds.append((RecordStatus.superseded.value, rec.id, old.id))


def _take(
    session: Session, d: IntakeDelivery, m: Mapping, src: IntakeSource, rows: list[Row], n: Counts
) -> None:
    """Compare, associate, store (one statement for the records, one for each kind of change) and
    synchronise the chunk's clean rows."""
    keyed = _associate(m, rows, _index(session, m, rows))
    stored = _stored(session, (k.key for k in keyed))
    now = store.when(session, utcnow())
    new = _decide(d, m, keyed, stored, n, now)
    if not new:
        return
    for rid, item in zip(store.new_ids(session, "intake_record", len(new)), new, strict=True):
        item.rec.id = rid
    named = _product_links(session, m, new)  # the products and lots the records name
    for x, link in zip(new, named, strict=True):
        x.rec.lot_line_id = link[1]
    records = [(x.rec.id, *(x.rec.values or ()), *link) for x, link in zip(new, named, strict=True)]
    store.insert_many(session, "intake_record", store.RECORD_COLUMNS, records)
    items: list[AcceptedRecord] = []
    links: list[tuple] = []
    olds: list[tuple] = []
    conflicts: list[tuple] = []
    for x in new:
        if x.replaces:
            _supersede(x.rec, x.replaces, links, olds)
        conflicts += _conflicts(m, x.key, x.rec, x.others, now)
        # Another source's record of the same fact made its credit record already: this one corroborates.
        if not any(r.status == RecordStatus.active for r in x.others):
            items += synchronise(x.rec, m)
    store.update_many(session, "UPDATE intake_record SET supersedes_id = ? WHERE id = ?", links)
    store.update_many(session, "UPDATE intake_record SET status = ?, superseded_by_id = ? WHERE id = ?", olds)
    store.insert_many(session, "intake_conflict", store.CONFLICT_COLUMNS, conflicts)
    n.conflicts += len(conflicts)
    announce(session, src, d.id, m.kind, items)  # type: ignore[arg-type]
    linked = [(x.rec.id, x.rec.enterprise_id) for x in new if x.rec.status == RecordStatus.active]
    announce_linked(session, d.id, m.kind, linked)  # type: ignore[arg-type]


def _chunk(session: Session, delivery_id: int, start: int, raws: list[dict]) -> IntakeDelivery:
    d = session.exec(select(IntakeDelivery).where(IntakeDelivery.id == delivery_id).with_for_update()).one()
    if d.rows_done != start:
        raise Conflict(f"delivery {delivery_id} is being imported by another process (at row {d.rows_done})")
    m, src = get(d.kind), session.get(IntakeSource, d.source_id)
    assert src is not None
    n = Counts()
    with session.no_autoflush:
        rows = _clean(session, d, m, start, raws, n)
        _take(session, d, m, src, rows, n)
    d.rows_done = start + len(raws)
    d.accepted += n.accepted
    d.rejected += n.rejected
    d.duplicates += n.duplicates
    d.review += n.review
    d.conflicts += n.conflicts
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
    _sync_names(db)
    it = reader.rows(path, fmt, encoding)
    next(it, None)  # the header
    for _ in islice(it, done):  # rows a killed run imported already
        pass
    while raws := list(islice(it, chunk)):
        with db.transaction() as s:
            d = _chunk(s, delivery_id, done, raws)
            d.heartbeat_at = utcnow()  # alive: the resume sweep leaves it alone
            done = d.rows_done
        if progress is not None:
            progress(d)
    with db.transaction() as s:
        d = s.exec(select(IntakeDelivery).where(IntakeDelivery.id == delivery_id).with_for_update()).one()
        if d.status != DeliveryStatus.done:
            d.status, d.finished_at = DeliveryStatus.done, utcnow()
            session_audit(s, d)
            s.add(d)


def _sync_names(db: Database) -> None:
    """The enterprises' name keys in step before the rows are matched (`intake.directory.sync`); another
    process syncing at the same moment did the same work, and its keys stand."""
    try:
        with db.transaction() as s:
            directory.sync(s)
    except IntegrityError:
        pass


def session_audit(s: Session, d: IntakeDelivery) -> None:
    counts = {
        k: getattr(d, k) for k in ("rows_done", "accepted", "rejected", "duplicates", "review", "conflicts")
    }
    audit.record(s, d.created_by, "intake.delivery_done", "intake_delivery", d.id, counts)
