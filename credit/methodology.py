"""The credit methodology: weights, decay half-lives, publication windows, grade bands and inspection
rates, read from a versioned TOML file and refused, with every reason, when it does not add up."""

from __future__ import annotations

import dataclasses
import functools
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from credit import trust_rules

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
    list_rates: dict[str, float] = dataclasses.field(default_factory=dict)  # a list's own rate (black: 1.0)
    trust: trust_rules.TrustRules = trust_rules.TrustRules()  # pledges, tolerance, measures, coaching

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
            "list_inspection_rates": self.list_rates,
            "repair_decision_working_days": self.repair_decision_working_days,
            **self.trust.public(),
            "formula": (
                "score = Σ over dimensions of clamp(start + Σ sign × points[severity] × "
                "0.5^(age_days / half_life_days), 0, max), counting records whose window is open and "
                "that are neither repaired nor withdrawn; the grade is the band of the score, capped by "
                "any counting record whose kind caps the grade"
            ),
        }


# -- the file ----------------------------------------------------------------------------------------
# A Pydantic model of methodology.toml: each value is checked where it stands, and a problem names its
# key (`severities.general.half_life_days must be a positive number of days`). What depends on several
# values (maxima adding up to the total, grade bands, rates by grade) is checked once the values are.


def _rule(ok: Callable[[Any], bool], message: str) -> BeforeValidator:
    def check(value: Any) -> Any:
        if not ok(value):
            raise ValueError(message)
        return value

    return BeforeValidator(check)


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _whole(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


PositiveWhole = Annotated[int, _rule(lambda v: _whole(v) and v > 0, "must be a positive whole number")]
PositiveDays = Annotated[float, _rule(lambda v: _number(v) and v > 0, "must be a positive number of days")]
Days = Annotated[float, _rule(lambda v: _number(v) and v >= 0, "must be a non-negative number of days")]
PositivePoints = Annotated[float, _rule(lambda v: _number(v) and v > 0, "must be a positive number")]
Share = Annotated[float, _rule(lambda v: _number(v) and 0 <= v <= 1, "must be a share between 0 and 1")]
# Defaults are checked too: a missing value is refused with its rule, not as merely missing.
REQUIRED: Any = Field(default=None, validate_default=True)


class _Table(BaseModel):
    model_config = ConfigDict(frozen=True)


class _Severities(_Table):
    """Exactly the three severities: another key is a typo, not a fourth severity."""

    model_config = ConfigDict(extra="forbid")


class DimensionFile(_Table):
    name_zh: str | None = None
    name_en: str | None = None
    max: PositiveWhole = REQUIRED
    start: Annotated[int, _rule(_whole, "must be a whole number")] = REQUIRED


class SeverityFile(_Table):
    half_life_days: PositiveDays = REQUIRED
    window_days: PositiveDays = REQUIRED
    repair_after_days: Days = REQUIRED


class SeveritiesFile(_Severities):
    minor: SeverityFile
    general: SeverityFile
    serious: SeverityFile


class PointsFile(_Severities):
    minor: PositivePoints = REQUIRED
    general: PositivePoints = REQUIRED
    serious: PositivePoints = REQUIRED


class KindFile(_Table):
    name_zh: str | None = None
    name_en: str | None = None
    dimension: Any = None  # checked against the dimensions
    sign: Annotated[int, _rule(lambda v: v in (-1, 1), "must be -1 or 1")] = REQUIRED
    points: PointsFile = Field(default_factory=dict, validate_default=True)
    caps_grade: str | None = None


class GradeFile(_Table):
    min: Annotated[float, _rule(_number, "must be a number")] = REQUIRED
    name_zh: str | None = None
    name_en: str | None = None


class SupervisionFile(_Table):
    rates: dict[str, Share] = {}
    lists: dict[Literal["red", "black"], Share] = {}


class RepairFile(_Table):
    decision_working_days: PositiveWhole = REQUIRED


class MethodologyFile(_Table):
    version: Annotated[str, _rule(lambda v: isinstance(v, str) and bool(v), "is missing")] = REQUIRED
    total: Annotated[
        int, _rule(lambda v: _whole(v) and v > 0, "must be a positive whole number of points")
    ] = REQUIRED
    dimensions: dict[str, DimensionFile] = {}
    severities: SeveritiesFile = Field(default_factory=dict, validate_default=True)
    grades: dict[str, GradeFile] = {}
    kinds: dict[str, KindFile] = {}
    supervision: SupervisionFile = SupervisionFile()
    repair: RepairFile = Field(default_factory=dict, validate_default=True)
    pledges: trust_rules.PledgesFile = trust_rules.PledgesFile()
    tolerance: trust_rules.ToleranceFile = trust_rules.ToleranceFile()
    departments: dict[str, trust_rules.DepartmentFile] = {}
    measures: dict[str, trust_rules.MeasureFile] = {}
    coaching: trust_rules.CoachingFile = trust_rules.CoachingFile()
    tipoffs: trust_rules.TipoffsFile = trust_rules.TipoffsFile()


def _problem(error: Any) -> str:
    """A validation error as a problem that names its key."""
    where = ".".join(str(part) for part in error["loc"])
    kind = error["type"]
    if kind == "missing":
        return f"{where} is missing"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"{where} is not a table"
    if kind == "extra_forbidden" and error["loc"][0] in ("severities", "kinds"):
        return f"{where} is not a severity ({', '.join(SEVERITIES)})"
    if kind == "extra_forbidden":
        return f"{where} is not a known key"
    if kind == "value_error":
        return f"{where} {error['ctx']['error']}"
    return f"{where}: {error['msg']}"


def _cross_checks(f: MethodologyFile) -> list[str]:
    """What depends on several values: every reason, not just the first."""
    problems: list[str] = []
    for code, d in f.dimensions.items():
        if not 0 <= d.start <= d.max:
            problems.append(f"dimensions.{code}.start must lie between 0 and its max {d.max}")
    maxima = sum(d.max for d in f.dimensions.values())
    if not f.dimensions:
        problems.append("no dimensions")
    elif maxima != f.total:
        problems.append(f"the dimensions' maxima add up to {maxima}, not to total {f.total}")
    grades = sorted(f.grades.items(), key=lambda cg: -cg[1].min)
    for code, g in grades:
        if not 0 <= g.min <= f.total:
            problems.append(f"grades.{code}.min must lie between 0 and total {f.total}")
    if not grades:
        problems.append("no grades")
    else:
        if grades[-1][1].min != 0:
            problems.append(f"the lowest grade {grades[-1][0]} must start at 0, not {grades[-1][1].min:g}")
        if len({g.min for _, g in grades}) != len(grades):
            problems.append("two grades start at the same score")
    for code, k in f.kinds.items():
        if k.dimension not in f.dimensions:
            problems.append(f"kinds.{code}.dimension {k.dimension!r} is not a dimension")
        if k.caps_grade is not None and k.caps_grade not in f.grades:
            problems.append(f"kinds.{code}.caps_grade {k.caps_grade!r} is not a grade")
    if not f.kinds:
        problems.append("no kinds of record")
    rates = f.supervision.rates
    problems += [f"supervision.rates.{c} must be a share between 0 and 1" for c in f.grades if c not in rates]
    problems += [f"supervision.rates.{c} is not a grade" for c in rates if c not in f.grades]
    ordered = [rates[c] for c, _ in grades if c in rates]
    if len(ordered) == len(grades) and ordered != sorted(ordered):
        problems.append("inspection rates must not fall as the grade worsens")
    black, worst = f.supervision.lists.get("black"), rates.get(grades[-1][0]) if grades else None
    if black is not None and worst is not None and black < worst:
        problems.append(f"supervision.lists.black must not be below the worst grade's rate {worst:g}")
    return problems


def _name(name: str | None, code: str) -> str:
    return code if name is None else name


def parse(data: dict[str, Any], source: str = "<data>") -> Methodology:
    """The methodology in `data` (a parsed TOML file), or MethodologyError with every reason."""
    try:
        f = MethodologyFile.model_validate(data)
    except ValidationError as e:
        raise MethodologyError(source, [_problem(error) for error in e.errors()]) from None
    problems = _cross_checks(f) + trust_rules.problems(f)
    if problems:
        raise MethodologyError(source, problems)
    grades = sorted(
        (Grade(code, g.min, _name(g.name_zh, code), _name(g.name_en, code)) for code, g in f.grades.items()),
        key=lambda g: -g.min,
    )
    return Methodology(
        version=f.version,
        total=f.total,
        dimensions={
            code: Dimension(code, _name(d.name_zh, code), _name(d.name_en, code), d.max, d.start)
            for code, d in f.dimensions.items()
        },
        severities={
            code: Severity(
                code,
                timedelta(days=s.half_life_days),
                timedelta(days=s.window_days),
                timedelta(days=s.repair_after_days),
            )
            for code, s in ((c, getattr(f.severities, c)) for c in SEVERITIES)
        },
        kinds={
            code: Kind(
                code,
                _name(k.name_zh, code),
                _name(k.name_en, code),
                k.dimension,
                k.sign,
                {s: float(getattr(k.points, s)) for s in SEVERITIES},
                k.caps_grade,
            )
            for code, k in f.kinds.items()
        },
        grades=tuple(grades),
        inspection_rates={g.code: float(f.supervision.rates[g.code]) for g in grades},
        list_rates={k: float(v) for k, v in f.supervision.lists.items()},
        repair_decision_working_days=f.repair.decision_working_days,
        source=source,
        trust=trust_rules.build(f),
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
