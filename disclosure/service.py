"""Disclosure records: upserted by key from domain events (never typed in twice), each change announced
as `disclosure.changed` so that the search index follows from the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from core.clock import as_utc, utcnow
from core.events import emit
from disclosure.events import DisclosureChanged
from disclosure.models import DisclosureRecord

CONTENT_FIELDS = (
    "category",
    "enterprise_id",
    "uscc",
    "enterprise_name",
    "title_zh",
    "title_en",
    "body_zh",
    "body_en",
    "fields",
    "origin_country",
    "hs_code",
    "product_category",
    "grade",
    "occurred_at",
    "source_type",
    "visibility",
    "publish_until",
)


def upsert(
    session: Session, record_key: str, values: dict[str, Any], event_id: int | None
) -> DisclosureRecord:
    """Create or update the record for `record_key`; an identical delivery changes nothing."""
    row = session.exec(select(DisclosureRecord).where(DisclosureRecord.record_key == record_key)).first()
    if row is None:
        row = DisclosureRecord(record_key=record_key, **values, source_event_id=event_id, updated_at=utcnow())
        session.add(row)
        session.flush()
        _announce(session, row)
        return row
    changed = {k: v for k, v in values.items() if k in CONTENT_FIELDS and _differs(getattr(row, k), v)}
    if not changed:
        return row
    for key, value in changed.items():
        setattr(row, key, value)
    row.version += 1
    row.source_event_id = event_id
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    _announce(session, row)
    return row


def _differs(old: Any, new: Any) -> bool:
    # Stored datetimes come back naive from SQLite: compare them as UTC.
    if isinstance(old, datetime) and isinstance(new, datetime):
        return as_utc(old) != as_utc(new)
    return old != new


def _announce(session: Session, row: DisclosureRecord) -> None:
    emit(
        session,
        "disclosure.changed",
        "disclosure_record",
        row.id,
        DisclosureChanged(id=row.id, version=row.version),
        "system",
    )


def get(session: Session, record_id: int) -> DisclosureRecord | None:
    return session.get(DisclosureRecord, record_id)


def by_keys_with_prefix(session: Session, prefix: str, enterprise_id: int) -> list[DisclosureRecord]:
    return list(
        session.exec(
            select(DisclosureRecord).where(
                DisclosureRecord.enterprise_id == enterprise_id,
                col(DisclosureRecord.record_key).startswith(prefix),
            )
        )
    )


def public_by_category(session: Session, enterprise_id: int, newest: int = 3) -> dict[str, dict[str, Any]]:
    """An enterprise's public records per category, in one query: how many, and the newest few (as the
    search index holds them, newest first). Public as the public search sees it: public, and still
    within its publication window."""
    from sqlalchemy import or_
    from sqlalchemy.orm import aliased
    from sqlmodel import func

    r = DisclosureRecord
    in_category = col(r.category)
    ranked = (
        select(
            r,
            func.row_number()
            .over(partition_by=in_category, order_by=(col(r.occurred_at).desc(), col(r.id).desc()))
            .label("place"),
            func.count().over(partition_by=in_category).label("total"),
        )
        .where(
            col(r.enterprise_id) == enterprise_id,
            col(r.visibility) == "public",
            or_(col(r.publish_until).is_(None), col(r.publish_until) > utcnow()),
        )
        .subquery()
    )
    row = aliased(DisclosureRecord, ranked)
    out: dict[str, dict[str, Any]] = {}
    for record, total in session.exec(
        select(row, ranked.c.total)
        .where(ranked.c.place <= newest)
        .order_by(ranked.c.category, ranked.c.place)
    ):
        found = out.setdefault(record.category, {"count": total, "hits": []})
        found["hits"].append(document(record))
    return out


def document(row: DisclosureRecord) -> dict[str, Any]:
    """The record as the search index holds it (no consumer personal data ever enters a record)."""
    return {
        "id": row.id,
        "version": row.version,
        "category": row.category,
        "enterprise_id": row.enterprise_id,
        "uscc": row.uscc,
        "enterprise_name": row.enterprise_name,
        "title_zh": row.title_zh,
        "title_en": row.title_en,
        "body_zh": row.body_zh,
        "body_en": row.body_en,
        "fields": row.fields,
        # The brands and makers of the goods a record is about, lifted out of `fields` so that both
        # backends index them as text: a regulator searches "Milupa" as often as a product name.
        "brands": list((row.fields or {}).get("brands") or []),
        "manufacturers": list((row.fields or {}).get("manufacturers") or []),
        "origin_country": row.origin_country,
        "hs_code": row.hs_code,
        "product_category": row.product_category,
        "grade": row.grade,
        "occurred_at": row.occurred_at.isoformat(),
        "publish_until": row.publish_until.isoformat() if row.publish_until else None,
        "visibility": row.visibility,
    }


def reindex(session_factory, backend, progress=None, chunk: int = 2000) -> int:  # noqa: ANN001
    """Rebuild the search index from the database (the source of truth); returns the records indexed.
    Elasticsearch builds a new index and swaps its alias at the end, so searches never see a gap."""
    from sqlmodel import func

    with session_factory() as s:
        total = s.exec(select(func.count()).select_from(DisclosureRecord)).one()

    def chunks():  # noqa: ANN202
        done, last = 0, 0
        while True:
            with session_factory() as s:
                rows = list(
                    s.exec(
                        select(DisclosureRecord)
                        .where(DisclosureRecord.id > last)
                        .order_by(DisclosureRecord.id)
                        .limit(chunk)
                    )
                )
            if not rows:
                return
            yield [document(r) for r in rows]
            done += len(rows)
            last = rows[-1].id
            if progress:
                progress(done, total)

    return backend.rebuild(chunks())


def check(session_factory, backend) -> dict[str, list[int]]:  # noqa: ANN001
    """Compare the database with the index: records missing from it, extra in it, or at an old version."""
    with session_factory() as s:
        expected = dict(s.exec(select(DisclosureRecord.id, DisclosureRecord.version)).all())
    actual = backend.versions()
    return {
        "missing": sorted(set(expected) - set(actual)),
        "extra": sorted(set(actual) - set(expected)),
        "stale": sorted(i for i in set(expected) & set(actual) if actual[i] != expected[i]),
    }


def set_enterprise_grade(session: Session, enterprise_id: int, grade: str | None) -> int:
    """Carry an enterprise's current credit grade on all of its records (the grade filter and the grade
    shown in results); returns how many records changed."""
    rows = session.exec(
        select(DisclosureRecord).where(
            DisclosureRecord.enterprise_id == enterprise_id,
            (col(DisclosureRecord.grade) != grade) | (col(DisclosureRecord.grade).is_(None)),
        )
    ).all()
    for row in rows:
        row.grade = grade
        row.version += 1
        row.updated_at = utcnow()
        session.add(row)
    session.flush()
    for row in rows:
        _announce(session, row)
    return len(rows)
