"""Early-warning signals read from other domains' tables, aggregated in SQL: clusters of consumers' scans
of one product (GTIN) in one region judged counterfeit or impossible travel, and quality insurance that
ended while the merchant still declares goods. The rules (windows, counts, distances) are the
methodology's [warning.scan_signals] and [warning.insurance_lapsed]; the points are added in
credit.warning. Each finding names the enterprise, and the product and region where it has them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Subquery, exists, func
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from core.clock import as_utc
from insurance.models import InsurancePolicy, PolicyStatus
from traceability.models import Declaration, Product, ScanRecord
from traceability.places import haversine_km, recognised_city


class ScanSignalRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name_zh: str
    name_en: str
    judgment: Literal["counterfeit", "impossible_travel"]
    window_days: int = Field(ge=1, le=366)
    min_count: int = Field(ge=1, le=100_000)  # scans of one product in one region
    min_km: float = Field(default=50.0, ge=0)
    max_speed_kmh: float = Field(default=1000.0, gt=0)
    points: int = Field(ge=1, le=1000)


class InsuranceRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name_zh: str
    name_en: str
    within_days: int = Field(ge=1, le=3660)
    points: int = Field(ge=1, le=1000)


@dataclass(frozen=True)
class Cluster:
    """At least `min_count` scans of one enterprise's product in one region (a recognised city, or "")."""

    signal: str
    enterprise_id: int
    gtin: str
    place: str
    count: int


@dataclass(frozen=True)
class Lapse:
    enterprise_id: int
    policies: int
    ended_at: datetime
    declarations: int


def _owned(enterprise_ids: list[int] | None) -> Subquery:
    q = select(Product.enterprise_id, Product.gtin)
    if enterprise_ids is not None:
        q = q.where(col(Product.enterprise_id).in_(enterprise_ids))
    return q.subquery("owned")


def _counterfeit(session: Session, start: datetime, now: datetime, ids: list[int] | None) -> Counter:
    owned = _owned(ids)
    q = (
        select(owned.c.enterprise_id, ScanRecord.gtin, ScanRecord.place, func.count())
        .join(owned, owned.c.gtin == ScanRecord.gtin)
        .where(
            ScanRecord.verdict == "counterfeit", ScanRecord.scanned_at >= start, ScanRecord.scanned_at <= now
        )
        .group_by(owned.c.enterprise_id, col(ScanRecord.gtin), col(ScanRecord.place))
    )
    out: Counter[tuple[int, str, str]] = Counter()
    for eid, gtin, place, n in session.exec(q):
        out[(eid, gtin, recognised_city(place))] += n
    return out


def _travel(
    session: Session, rule: ScanSignalRule, start: datetime, now: datetime, ids: list[int] | None
) -> Counter:
    """Suspicious scans (a few in a thousand) with the scan of the same code before each, judged again
    for impossible travel by the rule's distance and speed, counted per product and region."""
    owned, prev = _owned(ids), aliased(ScanRecord)
    q2 = aliased(ScanRecord)
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
    out: Counter[tuple[int, str, str]] = Counter()
    for eid, gtin, place, lat, lon, at, plat, plon, pat in session.execute(q):
        km = haversine_km((plat, plon), (lat, lon))
        hours = max((as_utc(at) - as_utc(pat)).total_seconds() / 3600, 1 / 3600)
        if km > rule.min_km and km / hours > rule.max_speed_kmh:
            out[(eid, gtin, recognised_city(place))] += 1
    return out


def clusters(
    session: Session, rules: dict[str, ScanSignalRule], now: datetime, enterprise_ids: list[int] | None = None
) -> list[Cluster]:
    """Every product-and-region cluster that reaches its rule's count, largest first."""
    found: list[Cluster] = []
    for code, rule in rules.items():
        start = now - timedelta(days=rule.window_days)
        if rule.judgment == "counterfeit":
            counted = _counterfeit(session, start, now, enterprise_ids)
        else:
            counted = _travel(session, rule, start, now, enterprise_ids)
        found += [Cluster(code, e, g, p, n) for (e, g, p), n in counted.items() if n >= rule.min_count]
    return sorted(found, key=lambda c: (-c.count, c.enterprise_id, c.gtin, c.place))


def product_names(session: Session, pairs: set[tuple[int, str]]) -> dict[tuple[int, str], tuple[str, str]]:
    """(name_zh, name_en) of each (enterprise, GTIN) named by a cluster."""
    if not pairs:
        return {}
    rows = session.exec(
        select(Product.enterprise_id, Product.gtin, Product.name_zh, Product.name_en).where(
            col(Product.enterprise_id).in_({e for e, _ in pairs}),
            col(Product.gtin).in_({g for _, g in pairs}),
        )
    )
    return {(e, g): (zh, en) for e, g, zh, en in rows if (e, g) in pairs}


def lapses(
    session: Session, rule: InsuranceRule, now: datetime, selling_days: int, enterprise_ids: list[int] | None
) -> list[Lapse]:
    """Merchants whose bound policy ended (lapsed or cancelled) within the rule's days, with none in force
    now, that declared goods within `selling_days`: one grouped query."""
    other = aliased(InsurancePolicy)
    in_force = exists().where(
        col(other.enterprise_id) == col(InsurancePolicy.enterprise_id),
        col(other.status).in_([PolicyStatus.active, PolicyStatus.expired]),
        col(other.bound_at).is_not(None),
        col(other.starts_at) <= now,
        col(other.ends_at) > now,
    )
    since = now - timedelta(days=selling_days)
    selling = exists().where(
        col(Declaration.enterprise_id) == col(InsurancePolicy.enterprise_id),
        col(Declaration.created_at) >= since,
        col(Declaration.created_at) <= now,
    )
    ended = col(InsurancePolicy.ended_at)
    q = (
        select(InsurancePolicy.enterprise_id, func.count(), func.max(ended))
        .where(
            col(InsurancePolicy.bound_at).is_not(None),
            col(InsurancePolicy.status).in_([PolicyStatus.cancelled, PolicyStatus.expired]),
            ended >= now - timedelta(days=rule.within_days),
            ended <= now,
            ~in_force,
            selling,
        )
        .group_by(col(InsurancePolicy.enterprise_id))
    )
    if enterprise_ids is not None:
        q = q.where(col(InsurancePolicy.enterprise_id).in_(enterprise_ids))
    found = {e: (n, as_utc(at)) for e, n, at in session.execute(q)}
    if not found:
        return []
    declared = dict(
        session.execute(
            select(Declaration.enterprise_id, func.count())
            .where(col(Declaration.enterprise_id).in_(found), Declaration.created_at >= since)
            .where(Declaration.created_at <= now)
            .group_by(col(Declaration.enterprise_id))
        ).all()
    )
    return [Lapse(e, n, at, declared.get(e, 0)) for e, (n, at) in sorted(found.items())]
