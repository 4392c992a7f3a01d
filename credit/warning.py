"""Early warning of an enterprise's risk (企业风险预警): an explainable scorecard over the credit records
the other domains' events already write (complaints upheld, paid claims, failed inspections, recalls,
penalties and court records entered by hand, verified public reports), over clusters of consumers' scans
of one product in one region (counterfeit, impossible travel) and over quality insurance that ended while
the merchant still sells (credit.warning_signals). The signals, their thresholds and points sit in
credit/methodology.toml under [warning]; every level comes with the signals that fired, the counts behind
them and a sentence in Chinese and English. A product (GTIN) has its own level from its scan clusters, so
a warning can name the product. Computed on read from grouped queries, for one enterprise or all."""

from __future__ import annotations

import functools
import os
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import case, func
from sqlmodel import Session, col, select

from core.clock import utcnow
from credit import warning_signals as ws
from credit.methodology import DEFAULT_FILE, FILE_ENV
from credit.models import CreditRecord, RecordStatus
from credit.warning_words import cluster_text, counts_text, lapse_text
from enterprises import service as enterprises

__all__ = ["DEFAULT_FILE", "FILE_ENV", "Assessment", "assess", "assess_all", "feed", "rules"]
Level = Literal["calm", "elevated", "high"]


class SignalRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name_zh: str
    name_en: str
    kinds: tuple[str, ...] = Field(min_length=1)
    mode: Literal["rise", "count"]
    min_count: int = Field(ge=1, le=1000)
    ratio: float = Field(default=1.0, ge=1.0, le=100.0)
    points: int = Field(ge=1, le=1000)


class WarningRules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    window_days: int = Field(ge=1, le=366)
    baseline_days: int = Field(ge=1, le=3660)
    elevated: int = Field(ge=1)
    high: int = Field(ge=1)
    signals: dict[str, SignalRule]
    scan_signals: dict[str, ws.ScanSignalRule] = {}
    insurance_lapsed: ws.InsuranceRule | None = None
    # The draw: the least inspection rate of a declaration whose enterprise or product is at this level.
    draw: dict[Literal["elevated", "high"], float] = {}


@functools.cache
def _rules_at(path: str) -> WarningRules:
    with open(path, "rb") as f:
        return WarningRules.model_validate(tomllib.load(f)["warning"])


def rules() -> WarningRules:
    """The [warning] table of the methodology in force (the same file the scorecard reads)."""
    return _rules_at(os.environ.get(FILE_ENV) or str(DEFAULT_FILE))


@dataclass
class Reason:
    signal: str
    name_zh: str
    name_en: str
    points: int
    recent: int
    baseline: int
    text_zh: str = ""
    text_en: str = ""
    # A scan cluster's products and regions: {gtin, product_zh, product_en, place, count}.
    where: list[dict] = field(default_factory=list)


@dataclass
class ProductWarning:
    """One product's own level, from the scan clusters of its GTIN."""

    gtin: str
    name_zh: str
    name_en: str
    points: int = 0
    level: Level = "calm"
    reasons: list[Reason] = field(default_factory=list)


@dataclass
class Assessment:
    enterprise_id: int
    points: int = 0
    level: Level = "calm"
    reasons: list[Reason] = field(default_factory=list)
    products: list[ProductWarning] = field(default_factory=list)


def level_of(points: int, r: WarningRules) -> Level:
    return "high" if points >= r.high else "elevated" if points >= r.elevated else "calm"


def assess_counts(
    enterprise_id: int, recent: Counter[str], baseline: Counter[str], r: WarningRules
) -> Assessment:
    """The scorecard itself, without the database: which signals fire on these counts, and the level."""
    a = Assessment(enterprise_id)
    scale = r.window_days / r.baseline_days
    for code, s in r.signals.items():
        now_n = sum(recent[k] for k in s.kinds)
        before = sum(baseline[k] for k in s.kinds)
        if now_n < s.min_count:
            continue
        if s.mode == "rise" and now_n < s.ratio * before * scale:
            continue
        a.points += s.points
        zh, en = counts_text(now_n, before, r.window_days, r.baseline_days)
        a.reasons.append(Reason(code, s.name_zh, s.name_en, s.points, now_n, before, zh, en))
    a.reasons.sort(key=lambda x: -x.points)
    a.level = level_of(a.points, r)
    return a


def counts(
    session: Session, now: datetime, enterprise_ids: list[int] | None = None
) -> dict[int, tuple[Counter[str], Counter[str]]]:
    """(recent, baseline) counts of each enterprise's records by kind, in one grouped query."""
    r = rules()
    kinds = sorted({k for s in r.signals.values() for k in s.kinds})
    start_recent = now - timedelta(days=r.window_days)
    start = start_recent - timedelta(days=r.baseline_days)
    recent = case((col(CreditRecord.occurred_at) >= start_recent, 1), else_=0)
    q = (
        select(CreditRecord.enterprise_id, CreditRecord.kind, recent, func.count())
        .where(
            col(CreditRecord.kind).in_(kinds),
            CreditRecord.occurred_at >= start,
            CreditRecord.occurred_at <= now,
            CreditRecord.status != RecordStatus.withdrawn,
        )
        .group_by(col(CreditRecord.enterprise_id), col(CreditRecord.kind), recent)
    )
    if enterprise_ids is not None:
        q = q.where(col(CreditRecord.enterprise_id).in_(enterprise_ids))
    out: dict[int, tuple[Counter[str], Counter[str]]] = {}
    for eid, kind, is_recent, n in session.exec(q):
        pair = out.setdefault(eid, (Counter(), Counter()))
        pair[0 if is_recent else 1][kind] += n
    return out


def _clustered(a: Assessment, found: list[ws.Cluster], names: dict, r: WarningRules) -> None:
    """Each scan signal adds its points once to the enterprise, naming every product and region; each
    product gets its own level from its own clusters."""
    products: dict[str, ProductWarning] = {}
    for code, rule in r.scan_signals.items():
        mine = [c for c in found if c.signal == code]
        if not mine:
            continue
        where = []
        for c in mine:
            zh, en = names.get((c.enterprise_id, c.gtin), ("", ""))
            where.append(
                {"gtin": c.gtin, "product_zh": zh, "product_en": en, "place": c.place, "count": c.count}
            )
        total = sum(c.count for c in mine)
        text = cluster_text(rule, where)
        a.points += rule.points
        a.reasons.append(Reason(code, rule.name_zh, rule.name_en, rule.points, total, 0, *text, where))
        for gtin in sorted({c.gtin for c in mine}):
            own = [w for w in where if w["gtin"] == gtin]
            p = products.setdefault(gtin, ProductWarning(gtin, own[0]["product_zh"], own[0]["product_en"]))
            p.points += rule.points
            n = sum(w["count"] for w in own)
            p.reasons.append(
                Reason(code, rule.name_zh, rule.name_en, rule.points, n, 0, *cluster_text(rule, own), own)
            )
    for p in products.values():
        p.level = level_of(p.points, r)
        p.reasons.sort(key=lambda x: -x.points)
    a.products = sorted(products.values(), key=lambda p: (-p.points, p.gtin))


def _lapsed(a: Assessment, lapse: ws.Lapse, r: WarningRules) -> None:
    rule = r.insurance_lapsed
    assert rule is not None  # a lapse is only looked for under a rule
    zh, en = lapse_text(lapse, rule, r.window_days)
    a.points += rule.points
    a.reasons.append(
        Reason("insurance_lapsed", rule.name_zh, rule.name_en, rule.points, lapse.policies, 0, zh, en)
    )


def assess_all(
    session: Session, now: datetime | None = None, enterprise_ids: list[int] | None = None
) -> list[Assessment]:
    """Every enterprise with any signal in the windows, highest risk first (the others are calm)."""
    now = now or utcnow()
    r = rules()
    by_counts = counts(session, now, enterprise_ids)
    found = ws.clusters(session, r.scan_signals, now, enterprise_ids) if r.scan_signals else []
    lapses = {
        x.enterprise_id: x
        for x in (
            ws.lapses(session, r.insurance_lapsed, now, r.window_days, enterprise_ids)
            if r.insurance_lapsed
            else []
        )
    }
    names = ws.product_names(session, {(c.enterprise_id, c.gtin) for c in found})
    by_enterprise: dict[int, list[ws.Cluster]] = {}
    for c in found:
        by_enterprise.setdefault(c.enterprise_id, []).append(c)
    out = []
    for eid in set(by_counts) | set(by_enterprise) | set(lapses):
        rc, bc = by_counts.get(eid, (Counter(), Counter()))
        a = assess_counts(eid, rc, bc, r)
        if eid in by_enterprise:
            _clustered(a, by_enterprise[eid], names, r)
        if eid in lapses:
            _lapsed(a, lapses[eid], r)
        a.reasons.sort(key=lambda x: -x.points)
        a.level = level_of(a.points, r)
        out.append(a)
    return sorted(out, key=lambda a: (-a.points, a.enterprise_id))


def assess(session: Session, enterprise_id: int, now: datetime | None = None) -> Assessment:
    found = assess_all(session, now, [enterprise_id])
    return found[0] if found else Assessment(enterprise_id)


def view(a: Assessment, window_days: int, names: dict[int, dict] | None = None) -> dict:
    """An assessment as the API and the console show it."""
    name = (names or {}).get(a.enterprise_id, {})
    return {
        "enterprise_id": a.enterprise_id,
        "uscc": name.get("uscc", ""),
        "name_zh": name.get("name_zh", ""),
        "points": a.points,
        "level": a.level,
        "window_days": window_days,
        "reasons": [vars(x) for x in a.reasons],
        "products": [{**vars(p), "reasons": [vars(x) for x in p.reasons]} for p in a.products],
    }


def feed(session: Session, minimum: Level = "elevated", limit: int = 500) -> list[dict]:
    """The regulators' feed: enterprises at `minimum` or above, with their names, reasons and products."""
    order = {"calm": 0, "elevated": 1, "high": 2}
    rows = [a for a in assess_all(session) if order[a.level] >= order[minimum]][:limit]
    names = enterprises.public_profiles(session, {a.enterprise_id for a in rows})
    r = rules()
    return [view(a, r.window_days, names) for a in rows]
