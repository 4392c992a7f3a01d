"""What the early warning (credit.warning) reads of traceability, each a grouped query: consumers' scans of
each enterprise's products by verdict and place, the suspicious scans with the scan of the same code before
each (a few in a thousand), product names, the GTINs of declarations and how many each enterprise filed."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import Subquery, func
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from traceability.models import Declaration, DeclarationLine, Product, ScanRecord


def _owned(enterprise_ids: list[int] | None) -> Subquery:
    q = select(Product.enterprise_id, Product.gtin)
    if enterprise_ids is not None:
        q = q.where(col(Product.enterprise_id).in_(enterprise_ids))
    return q.subquery("owned")


def verdict_counts(
    session: Session, verdict: str, start: datetime, now: datetime, enterprise_ids: list[int] | None
) -> Counter[tuple[int, str, str]]:
    """Scans with this verdict between start and now, per (enterprise owning the GTIN, GTIN, place as
    stored)."""
    owned = _owned(enterprise_ids)
    q = (
        select(owned.c.enterprise_id, ScanRecord.gtin, ScanRecord.place, func.count())
        .join(owned, owned.c.gtin == ScanRecord.gtin)
        .where(
            col(ScanRecord.verdict) == verdict,
            col(ScanRecord.scanned_at) >= start,
            col(ScanRecord.scanned_at) <= now,
        )
        .group_by(owned.c.enterprise_id, col(ScanRecord.gtin), col(ScanRecord.place))
    )
    return Counter({(e, g, p): n for e, g, p, n in session.exec(q)})


def suspicious_with_before(
    session: Session, start: datetime, now: datetime, enterprise_ids: list[int] | None
) -> list[Any]:
    """Suspicious scans between start and now that have coordinates, each with the coordinates and time
    of the scan of the same code before it: (enterprise, gtin, place, lat, lon, at, lat0, lon0, at0)."""
    owned, prev, q2 = _owned(enterprise_ids), aliased(ScanRecord), aliased(ScanRecord)
    before = (
        select(func.max(q2.id))
        .where(q2.code_id == ScanRecord.code_id, col(q2.id) < ScanRecord.id)
        .scalar_subquery()
    )
    q = (
        # Nine columns: SQLAlchemy's select (SQLModel's is typed for at most four).
        sa_select(owned.c.enterprise_id, col(ScanRecord.gtin), col(ScanRecord.place), col(ScanRecord.lat))
        .add_columns(
            col(ScanRecord.lon),
            col(ScanRecord.scanned_at),
            col(prev.lat),
            col(prev.lon),
            col(prev.scanned_at),
        )
        .join(owned, owned.c.gtin == ScanRecord.gtin)
        .join(prev, col(prev.id) == before)
        .where(
            col(ScanRecord.verdict) == "suspicious",
            col(ScanRecord.scanned_at) >= start,
            col(ScanRecord.scanned_at) <= now,
            col(ScanRecord.lat).is_not(None),
            col(prev.lat).is_not(None),
        )
    )
    return list(session.execute(q))


def product_names(session: Session, pairs: set[tuple[int, str]]) -> dict[tuple[int, str], tuple[str, str]]:
    """(name_zh, name_en) of each (enterprise, GTIN)."""
    if not pairs:
        return {}
    rows = session.exec(
        select(Product.enterprise_id, Product.gtin, Product.name_zh, Product.name_en).where(
            col(Product.enterprise_id).in_({e for e, _ in pairs}),
            col(Product.gtin).in_({g for _, g in pairs}),
        )
    )
    return {(e, g): (zh, en) for e, g, zh, en in rows if (e, g) in pairs}


def declaration_gtins(session: Session, declaration_ids: list[int]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    if declaration_ids:
        q = select(DeclarationLine.declaration_id, DeclarationLine.gtin).where(
            col(DeclarationLine.declaration_id).in_(declaration_ids)
        )
        for did, gtin in session.exec(q):
            out.setdefault(did, set()).add(gtin)
    return out


def declared_since(
    session: Session, enterprise_ids: list[int], start: datetime, now: datetime
) -> dict[int, int]:
    """How many declarations each enterprise filed between start and now (those with none are absent)."""
    if not enterprise_ids:
        return {}
    q = (
        select(Declaration.enterprise_id, func.count())
        .where(
            col(Declaration.enterprise_id).in_(enterprise_ids),
            col(Declaration.created_at) >= start,
            col(Declaration.created_at) <= now,
        )
        .group_by(col(Declaration.enterprise_id))
    )
    return dict(session.exec(q).all())
