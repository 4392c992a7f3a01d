"""Early warning of an enterprise's risk (企业风险预警): an explainable scorecard over the credit records
the other domains' events already write (complaints upheld, paid claims, failed inspections, recalls,
penalties and court records entered by hand, verified public reports). The signals, their thresholds and
points sit in credit/methodology.toml under [warning]; every level comes with the signals that fired and
the counts behind them. Computed on read from one grouped query, for one enterprise or all of them."""

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
from credit.methodology import DEFAULT_FILE, FILE_ENV
from credit.models import CreditRecord, RecordStatus
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


@dataclass
class Assessment:
    enterprise_id: int
    points: int = 0
    level: Level = "calm"
    reasons: list[Reason] = field(default_factory=list)


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
        a.reasons.append(Reason(code, s.name_zh, s.name_en, s.points, now_n, before))
    a.reasons.sort(key=lambda x: -x.points)
    a.level = "high" if a.points >= r.high else "elevated" if a.points >= r.elevated else "calm"
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


def assess_all(
    session: Session, now: datetime | None = None, enterprise_ids: list[int] | None = None
) -> list[Assessment]:
    """Every enterprise with any record in the windows, highest risk first (the others are calm)."""
    now = now or utcnow()
    r = rules()
    found = [assess_counts(eid, rc, bc, r) for eid, (rc, bc) in counts(session, now, enterprise_ids).items()]
    return sorted(found, key=lambda a: (-a.points, a.enterprise_id))


def assess(session: Session, enterprise_id: int, now: datetime | None = None) -> Assessment:
    found = assess_all(session, now, [enterprise_id])
    return found[0] if found else Assessment(enterprise_id)


def feed(session: Session, minimum: Level = "elevated", limit: int = 500) -> list[dict]:
    """The regulators' feed: enterprises at `minimum` or above, with their names and reasons."""
    order = {"calm": 0, "elevated": 1, "high": 2}
    rows = [a for a in assess_all(session) if order[a.level] >= order[minimum]][:limit]
    names = enterprises.public_profiles(session, {a.enterprise_id for a in rows})
    r = rules()
    return [
        {
            "enterprise_id": a.enterprise_id,
            "uscc": names.get(a.enterprise_id, {}).get("uscc", ""),
            "name_zh": names.get(a.enterprise_id, {}).get("name_zh", ""),
            "points": a.points,
            "level": a.level,
            "window_days": r.window_days,
            "reasons": [vars(x) for x in a.reasons],
        }
        for a in rows
    ]
