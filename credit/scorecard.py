"""The scorecard: a pure function from credit records to a score, a grade and its explanation.

One code path serves a single enterprise (after an event) and the nightly run over all of them; it takes
plain tuples so that the nightly run can feed it straight from a cursor.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from credit.methodology import Methodology

DAY = 86_400.0

# Statuses whose records count (an objection under review still counts until it is decided).
COUNTING = frozenset({"active", "under_review"})


@dataclass(frozen=True, slots=True)
class Entry:
    """What the scorecard needs of a credit record."""

    id: int
    kind: str
    severity: str
    occurred_at: float  # POSIX seconds
    status: str = "active"


@dataclass
class Reason:
    kind: str
    name_zh: str
    name_en: str
    records: int
    points: float

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "records": self.records,
            "points": round(self.points, 1),
        }


@dataclass
class Scorecard:
    score: float
    grade: str
    methodology_version: str
    dimensions: dict[str, float]
    reasons: list[Reason]  # the top four, largest effect first
    contributions: dict[int, float] = field(default_factory=dict)  # record id -> points now
    capped_by: int | None = None  # the record that capped the grade

    def explanation(self) -> dict:
        return {
            "score": self.score,
            "grade": self.grade,
            "methodology_version": self.methodology_version,
            "dimensions": {k: round(v, 1) for k, v in self.dimensions.items()},
            "reasons": [r.as_dict() for r in self.reasons],
            "capped_by": self.capped_by,
        }


class Weights:
    """Per (kind, severity): dimension, signed points, half-life and window in seconds, cap."""

    def __init__(self, m: Methodology) -> None:
        self.m = m
        self.table: dict[tuple[str, str], tuple[str, float, float, float, str | None]] = {}
        for kind in m.kinds.values():
            for sev_code, sev in m.severities.items():
                self.table[(kind.code, sev_code)] = (
                    kind.dimension,
                    kind.sign * kind.points[sev_code],
                    sev.half_life.total_seconds(),
                    sev.window.total_seconds(),
                    kind.caps_grade,
                )

    def contribution(self, kind: str, severity: str, occurred_at: float, now: float) -> float:
        return _decayed(self.table[(kind, severity)], now - occurred_at)


def _decayed(weight: tuple[str, float, float, float, str | None], age: float) -> float:
    """Signed points of one record `age` seconds old: full at first, halving every half-life, none once
    its window has ended (and none before it happened)."""
    _, points, half_life, window, _ = weight
    if age < 0 or age >= window:
        return 0.0
    return points * math.exp2(-age / half_life)


def score(
    m: Methodology, entries: Iterable[Entry], now: datetime, weights: Weights | None = None
) -> Scorecard:
    w = weights or Weights(m)
    t = now.timestamp()
    per_dim: dict[str, list[float]] = {d: [] for d in m.dimensions}
    per_kind: dict[str, list[float]] = {}
    contributions: dict[int, float] = {}
    cap: str | None = None
    capped_by: int | None = None
    for e in entries:
        if e.status not in COUNTING:
            contributions[e.id] = 0.0
            continue
        weight = w.table.get((e.kind, e.severity))
        if weight is None:  # a kind the methodology in force no longer weighs counts nothing
            contributions[e.id] = 0.0
            continue
        dim, _, _, _, caps = weight
        c = _decayed(weight, t - e.occurred_at)
        contributions[e.id] = c
        if c == 0.0:
            continue
        per_dim[dim].append(c)
        per_kind.setdefault(e.kind, []).append(c)
        if caps is not None and (cap is None or m.worse(caps, cap) == caps):
            cap, capped_by = caps, e.id
    dimensions = {
        code: min(max(d.start + math.fsum(per_dim[code]), 0.0), float(d.max))
        for code, d in m.dimensions.items()
    }
    total = round(math.fsum(dimensions.values()), 1)
    grade = m.grade_for(total).code
    if cap is not None:
        grade = m.worse(grade, cap)
    else:
        capped_by = None
    reasons = sorted(
        (
            Reason(k, m.kinds[k].name_zh, m.kinds[k].name_en, len(cs), math.fsum(cs))
            for k, cs in per_kind.items()
        ),
        key=lambda r: (-abs(r.points), r.kind),
    )[:4]
    return Scorecard(total, grade, m.version, dimensions, reasons, contributions, capped_by)
