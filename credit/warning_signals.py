"""Early-warning signals read from other domains' tables, aggregated in SQL: clusters of consumers' scans
of one product (GTIN) in one region judged counterfeit or impossible travel, and quality insurance that
ended while the merchant still declares goods. The rules (windows, counts, distances) are the
methodology's [warning.scan_signals] and [warning.insurance_lapsed]; the points are added in
credit.warning. Each finding names the enterprise, and the product and region where it has them. The
queries are the owning domains' (traceability.scan_signals, insurance.lapses); the rules are here."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from core.clock import as_utc
from insurance import lapses as insurance_lapses
from traceability import scan_signals as scans
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


def _by_city(counted: Counter) -> Counter[tuple[int, str, str]]:
    out: Counter[tuple[int, str, str]] = Counter()
    for (eid, gtin, place), n in counted.items():
        out[(eid, gtin, recognised_city(place))] += n
    return out


def _travel(
    session: Session, rule: ScanSignalRule, start: datetime, now: datetime, ids: list[int] | None
) -> Counter[tuple[int, str, str]]:
    """Suspicious scans judged again for impossible travel by the rule's distance and speed."""
    out: Counter[tuple[int, str, str]] = Counter()
    for eid, gtin, place, lat, lon, at, plat, plon, pat in scans.suspicious_with_before(
        session, start, now, ids
    ):
        km = haversine_km((plat, plon), (lat, lon))
        hours = max((as_utc(at) - as_utc(pat)).total_seconds() / 3600, 1 / 3600)
        if km > rule.min_km and km / hours > rule.max_speed_kmh:
            out[(eid, gtin, place)] += 1
    return out


def clusters(
    session: Session, rules: dict[str, ScanSignalRule], now: datetime, enterprise_ids: list[int] | None = None
) -> list[Cluster]:
    """Every product-and-region cluster that reaches its rule's count, largest first."""
    found: list[Cluster] = []
    for code, rule in rules.items():
        start = now - timedelta(days=rule.window_days)
        if rule.judgment == "counterfeit":
            counted = scans.verdict_counts(session, "counterfeit", start, now, enterprise_ids)
        else:
            counted = _travel(session, rule, start, now, enterprise_ids)
        by_city = _by_city(counted)
        found += [Cluster(code, e, g, p, n) for (e, g, p), n in by_city.items() if n >= rule.min_count]
    return sorted(found, key=lambda c: (-c.count, c.enterprise_id, c.gtin, c.place))


product_names = scans.product_names


def lapses(
    session: Session, rule: InsuranceRule, now: datetime, selling_days: int, enterprise_ids: list[int] | None
) -> list[Lapse]:
    """Merchants whose bound policy ended (lapsed or cancelled) within the rule's days, with none in force
    now, that declared goods within `selling_days`."""
    ended = insurance_lapses.uncovered_since(
        session, now - timedelta(days=rule.within_days), now, enterprise_ids
    )
    selling = scans.declared_since(session, sorted(ended), now - timedelta(days=selling_days), now)
    return [Lapse(e, n, at, selling[e]) for e, (n, at) in sorted(ended.items()) if selling.get(e)]
