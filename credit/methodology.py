"""The credit methodology: weights, decay half-lives, publication windows, grade bands and inspection
rates, read from a versioned TOML file and refused, with every reason, when it does not add up."""

from __future__ import annotations

import functools
import os
import tomllib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

DEFAULT_FILE = Path(__file__).with_name("methodology.toml")
FILE_ENV = "CROSSTRUST_CREDIT_METHODOLOGY"
SEVERITIES = ("minor", "general", "serious")


class MethodologyError(ValueError):
    """The file does not add up; `problems` lists every reason."""

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(f"credit methodology {source} refused: " + "; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Dimension:
    code: str
    name_zh: str
    name_en: str
    max: int
    start: int


@dataclass(frozen=True)
class Severity:
    code: str
    half_life: timedelta
    window: timedelta
    repair_after: timedelta


@dataclass(frozen=True)
class Kind:
    code: str
    name_zh: str
    name_en: str
    dimension: str
    sign: int
    points: dict[str, float]
    caps_grade: str | None = None


@dataclass(frozen=True)
class Grade:
    code: str
    min: float
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Methodology:
    version: str
    total: int
    dimensions: dict[str, Dimension]
    severities: dict[str, Severity]
    kinds: dict[str, Kind]
    grades: tuple[Grade, ...]  # best first
    inspection_rates: dict[str, float]
    repair_decision_working_days: int
    source: str = ""

    def grade_for(self, score: float) -> Grade:
        for grade in self.grades:
            if score >= grade.min:
                return grade
        return self.grades[-1]

    def grade(self, code: str) -> Grade:
        return next(g for g in self.grades if g.code == code)

    def worse(self, a: str, b: str) -> str:
        order = [g.code for g in self.grades]
        return a if order.index(a) >= order.index(b) else b

    def public(self) -> dict[str, Any]:
        """The methodology as published: anyone can recompute a score from it."""
        return {
            "version": self.version,
            "total": self.total,
            "dimensions": [d.__dict__ for d in self.dimensions.values()],
            "severities": [
                {
                    "code": s.code,
                    "half_life_days": s.half_life.days,
                    "window_days": s.window.days,
                    "repair_after_days": s.repair_after.days,
                }
                for s in self.severities.values()
            ],
            "kinds": [k.__dict__ for k in self.kinds.values()],
            "grades": [g.__dict__ for g in self.grades],
            "inspection_rates": self.inspection_rates,
            "repair_decision_working_days": self.repair_decision_working_days,
            "formula": (
                "score = Σ over dimensions of clamp(start + Σ sign × points[severity] × "
                "0.5^(age_days / half_life_days), 0, max), counting records whose window is open and "
                "that are neither repaired nor withdrawn; the grade is the band of the score, capped by "
                "any counting record whose kind caps the grade"
            ),
        }


def _days(value: Any, where: str, problems: list[str], allow_zero: bool = False) -> timedelta:
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or value < 0
        or (value == 0 and not allow_zero)
    ):
        problems.append(f"{where} must be a {'non-negative' if allow_zero else 'positive'} number of days")
        return timedelta(days=1)
    return timedelta(days=value)


def parse(data: dict[str, Any], source: str = "<data>") -> Methodology:
    problems: list[str] = []
    version = data.get("version")
    if not isinstance(version, str) or not version:
        problems.append("version is missing")
    total = data.get("total")
    if not isinstance(total, int) or total <= 0:
        problems.append("total must be a positive whole number of points")
        total = 0

    dimensions: dict[str, Dimension] = {}
    for code, d in (data.get("dimensions") or {}).items():
        mx, start = d.get("max"), d.get("start")
        if not isinstance(mx, int) or mx <= 0:
            problems.append(f"dimensions.{code}.max must be a positive whole number")
            continue
        if not isinstance(start, int) or not 0 <= start <= mx:
            problems.append(f"dimensions.{code}.start must lie between 0 and its max {mx}")
            start = 0  # keep the dimension, so that later checks do not report it missing
        dimensions[code] = Dimension(code, d.get("name_zh", code), d.get("name_en", code), mx, start)
    if not dimensions:
        problems.append("no dimensions")
    elif total and sum(d.max for d in dimensions.values()) != total:
        problems.append(
            f"the dimensions' maxima add up to {sum(d.max for d in dimensions.values())}, not to total {total}"
        )

    severities: dict[str, Severity] = {}
    raw_sev = data.get("severities") or {}
    for code in SEVERITIES:
        s = raw_sev.get(code)
        if s is None:
            problems.append(f"severities.{code} is missing")
            continue
        severities[code] = Severity(
            code,
            _days(s.get("half_life_days"), f"severities.{code}.half_life_days", problems),
            _days(s.get("window_days"), f"severities.{code}.window_days", problems),
            _days(s.get("repair_after_days"), f"severities.{code}.repair_after_days", problems, True),
        )
    for code in raw_sev:
        if code not in SEVERITIES:
            problems.append(f"severities.{code} is not a severity (minor, general, serious)")

    grades_raw = data.get("grades") or {}
    grades = []
    for code, g in grades_raw.items():
        low = g.get("min")
        if not isinstance(low, int | float) or not 0 <= low <= (total or low):
            problems.append(f"grades.{code}.min must lie between 0 and total {total}")
            continue
        grades.append(Grade(code, float(low), g.get("name_zh", code), g.get("name_en", code)))
    grades.sort(key=lambda g: -g.min)
    if not grades:
        problems.append("no grades")
    else:
        if grades[-1].min != 0:
            problems.append(f"the lowest grade {grades[-1].code} must start at 0, not {grades[-1].min:g}")
        if len({g.min for g in grades}) != len(grades):
            problems.append("two grades start at the same score")
    grade_codes = {g.code for g in grades}

    kinds: dict[str, Kind] = {}
    for code, k in (data.get("kinds") or {}).items():
        where = f"kinds.{code}"
        if k.get("dimension") not in dimensions:
            problems.append(f"{where}.dimension {k.get('dimension')!r} is not a dimension")
        if k.get("sign") not in (-1, 1):
            problems.append(f"{where}.sign must be -1 or 1")
        points = k.get("points") or {}
        for sev in SEVERITIES:
            p = points.get(sev)
            if not isinstance(p, int | float) or isinstance(p, bool) or p <= 0:
                problems.append(f"{where}.points.{sev} must be a positive number")
        for sev in points:
            if sev not in SEVERITIES:
                problems.append(f"{where}.points.{sev} is not a severity")
        cap = k.get("caps_grade")
        if cap is not None and cap not in grade_codes:
            problems.append(f"{where}.caps_grade {cap!r} is not a grade")
        kinds[code] = Kind(
            code,
            k.get("name_zh", code),
            k.get("name_en", code),
            k.get("dimension", ""),
            k.get("sign", -1),
            {s: float(points.get(s, 0) or 0) for s in SEVERITIES},
            cap,
        )
    if not kinds:
        problems.append("no kinds of record")

    rates = (data.get("supervision") or {}).get("rates") or {}
    for code in grade_codes:
        r = rates.get(code)
        if not isinstance(r, int | float) or not 0 <= r <= 1:
            problems.append(f"supervision.rates.{code} must be a share between 0 and 1")
    for code in rates:
        if code not in grade_codes:
            problems.append(f"supervision.rates.{code} is not a grade")
    ordered = [rates.get(g.code) for g in grades]
    numbers = [r for r in ordered if isinstance(r, int | float)]
    if len(numbers) == len(ordered) and numbers != sorted(numbers):
        problems.append("inspection rates must not fall as the grade worsens")

    days = (data.get("repair") or {}).get("decision_working_days")
    if not isinstance(days, int) or days <= 0:
        problems.append("repair.decision_working_days must be a positive whole number")

    if problems:
        raise MethodologyError(source, problems)
    assert isinstance(version, str) and isinstance(days, int)  # checked above
    return Methodology(
        version=version,
        total=total,
        dimensions=dimensions,
        severities=severities,
        kinds=kinds,
        grades=tuple(grades),
        inspection_rates={code: float(rates[code]) for code in grade_codes},
        repair_decision_working_days=days,
        source=source,
    )


def load(path: Path | str) -> Methodology:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MethodologyError(str(path), ["no such file"]) from None
    except tomllib.TOMLDecodeError as e:
        raise MethodologyError(str(path), [f"not valid TOML: {e}"]) from None
    try:
        return parse(data, str(path))
    except (AttributeError, TypeError, ValueError) as e:
        if isinstance(e, MethodologyError):
            raise
        # a section that is not a table where one is expected (e.g. `dimensions = 5`)
        raise MethodologyError(str(path), [f"malformed: a section or entry is not a table ({e})"]) from None


@functools.cache
def _cached(path: str) -> Methodology:
    return load(path)


def current() -> Methodology:
    """The methodology in force: CROSSTRUST_CREDIT_METHODOLOGY, else the file shipped with the package."""
    return _cached(os.environ.get(FILE_ENV) or str(DEFAULT_FILE))


def reset() -> None:
    _cached.cache_clear()
