"""The methodology's rules for pledges (信用承诺制), tolerance (容错纠错), joint measures (守信激励和失信
惩戒 跨部门联动) and repair with coaching (诊断-辅导-修复-提升): the TOML sections' Pydantic models, what
they must agree with elsewhere in the file, and the rules as the services read them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Whole = Annotated[int, Field(ge=1, le=3650, strict=True)]
SEVERITIES = ("minor", "general", "serious")
# Who applies a measure: CrossTrust itself (the draw's rates, the pledges, the insurers' grade
# multipliers), or the department named, to which a signed notice is sent.
APPLIED_BY = ("inspection_rates", "pledges", "insurance_premiums", "notice")


class _Table(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProcedureFile(_Table):
    name_zh: str = Field(min_length=1, max_length=120)
    name_en: str = Field(min_length=1, max_length=160)
    department: str
    replaces_zh: str = Field(min_length=1, max_length=300)
    replaces_en: str = Field(min_length=1, max_length=300)


class BarDaysFile(_Table):
    minor: Whole
    general: Whole
    serious: Whole


class PledgesFile(_Table):
    broken_kind: str = "pledge_broken"
    max_days: Whole = 365
    bar_days: BarDaysFile = BarDaysFile(minor=90, general=180, serious=365)
    procedures: dict[str, ProcedureFile] = {}


class ToleranceRuleFile(_Table):
    name_zh: str = Field(min_length=1, max_length=120)
    name_en: str = Field(min_length=1, max_length=160)
    kind: str
    severities: list[Literal["minor", "general", "serious"]] = Field(min_length=1)
    correct_within_days: Whole


class ToleranceFile(_Table):
    lookback_days: Whole = 365  # "first": no earlier record of the kind within this many days
    requires_pledge: bool = True
    rules: dict[str, ToleranceRuleFile] = {}


class TipoffsFile(_Table):
    """Social supervision's limits on abuse: a reporter's reports a day (more: 429), and how long the same
    report (merchant, category and words) is refused while an earlier one stands (409)."""

    max_per_day: Whole = 5
    repeat_days: Whole = 90


class DepartmentFile(_Table):
    name_zh: str = Field(min_length=1, max_length=80)
    name_en: str = Field(min_length=1, max_length=120)


class MeasureFile(_Table):
    name_zh: str = Field(min_length=1, max_length=120)
    name_en: str = Field(min_length=1, max_length=200)
    legal_basis: str = Field(min_length=1, max_length=300)
    department: str
    applies_to: list[str] = Field(min_length=1)  # "red", "black" or grade codes
    applied_by: Literal["inspection_rates", "pledges", "insurance_premiums", "notice"]


class FixFile(_Table):
    zh: str = Field(min_length=1, max_length=300)
    en: str = Field(min_length=1, max_length=400)


class CoachingFile(_Table):
    task_max_days: Whole = 90
    fixes: dict[str, FixFile] = {}


def problems(f: Any) -> list[str]:
    """What the sections must agree with elsewhere in the file (kinds, grades, departments)."""
    out: list[str] = []
    p: PledgesFile = f.pledges
    departments = set(f.departments)
    if p.procedures and p.broken_kind not in f.kinds:
        out.append(f"pledges.broken_kind {p.broken_kind!r} is not a kind")
    for code, proc in p.procedures.items():
        if proc.department not in departments:
            out.append(f"pledges.procedures.{code}.department {proc.department!r} is not a department")
    for code, rule in f.tolerance.rules.items():
        kind = f.kinds.get(rule.kind)
        if kind is None:
            out.append(f"tolerance.rules.{code}.kind {rule.kind!r} is not a kind")
        elif kind.sign > 0 or kind.caps_grade is not None:
            out.append(f"tolerance.rules.{code}.kind {rule.kind!r} must lower the score and cap no grade")
        if "serious" in rule.severities:
            out.append(f"tolerance.rules.{code}.severities: a serious breach is never tolerated")
    lists = {"red", "black", *f.grades}
    for code, measure in f.measures.items():
        if measure.department not in departments:
            out.append(f"measures.{code}.department {measure.department!r} is not a department")
        out += [
            f"measures.{code}.applies_to {a!r} is not red, black or a grade"
            for a in measure.applies_to
            if a not in lists
        ]
        own = measure.department == "crosstrust"
        if own == (measure.applied_by == "notice"):
            out.append(
                f"measures.{code}.applied_by: CrossTrust's own measures are applied here, "
                "another department's are sent as notices"
            )
    if f.measures and "crosstrust" not in departments:
        out.append("departments.crosstrust is missing")
    out += [f"coaching.fixes.{k} is not a kind" for k in f.coaching.fixes if k not in f.kinds]
    return out


@dataclass(frozen=True)
class Procedure:
    code: str
    name_zh: str
    name_en: str
    department: str
    replaces_zh: str
    replaces_en: str


@dataclass(frozen=True)
class ToleranceRule:
    code: str
    name_zh: str
    name_en: str
    kind: str
    severities: tuple[str, ...]
    correct_within_days: int


@dataclass(frozen=True)
class Measure:
    code: str
    name_zh: str
    name_en: str
    legal_basis: str
    department: str
    applies_to: tuple[str, ...]
    applied_by: str

    @property
    def own(self) -> bool:
        return self.applied_by != "notice"


@dataclass(frozen=True)
class TrustRules:
    broken_kind: str = "pledge_broken"
    pledge_max_days: int = 365
    bar_days: dict[str, int] = field(default_factory=lambda: {"minor": 90, "general": 180, "serious": 365})
    procedures: dict[str, Procedure] = field(default_factory=dict)
    lookback_days: int = 365
    requires_pledge: bool = True
    tolerance: dict[str, ToleranceRule] = field(default_factory=dict)
    departments: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (zh, en)
    measures: dict[str, Measure] = field(default_factory=dict)
    task_max_days: int = 90
    fixes: dict[str, tuple[str, str]] = field(default_factory=dict)
    tipoffs_per_day: int = 5
    tipoff_repeat_days: int = 90

    def tolerance_rule(self, kind: str, severity: str) -> ToleranceRule | None:
        return next((r for r in self.tolerance.values() if r.kind == kind and severity in r.severities), None)

    def measures_for(self, grade: str | None, list_: str | None) -> list[Measure]:
        """The measures that apply to an enterprise of this grade on this list (red, black or none)."""
        return [
            m for m in self.measures.values() if grade in m.applies_to or (list_ and list_ in m.applies_to)
        ]

    def public(self) -> dict[str, Any]:
        return {
            "pledges": {
                "broken_kind": self.broken_kind,
                "max_days": self.pledge_max_days,
                "bar_days": self.bar_days,
                "procedures": [p.__dict__ for p in self.procedures.values()],
            },
            "tolerance": {
                "lookback_days": self.lookback_days,
                "requires_pledge": self.requires_pledge,
                "rules": [r.__dict__ for r in self.tolerance.values()],
            },
            "departments": {c: {"name_zh": zh, "name_en": en} for c, (zh, en) in self.departments.items()},
            "measures": [m.__dict__ for m in self.measures.values()],
            "coaching": {
                "task_max_days": self.task_max_days,
                "fixes": {k: {"zh": zh, "en": en} for k, (zh, en) in self.fixes.items()},
            },
            "tipoffs": {"max_per_day": self.tipoffs_per_day, "repeat_days": self.tipoff_repeat_days},
        }


def build(f: Any) -> TrustRules:
    p: PledgesFile = f.pledges
    t: ToleranceFile = f.tolerance
    return TrustRules(
        broken_kind=p.broken_kind,
        pledge_max_days=p.max_days,
        bar_days={s: getattr(p.bar_days, s) for s in SEVERITIES},
        procedures={c: Procedure(c, **v.model_dump()) for c, v in p.procedures.items()},
        lookback_days=t.lookback_days,
        requires_pledge=t.requires_pledge,
        tolerance={
            c: ToleranceRule(c, r.name_zh, r.name_en, r.kind, tuple(r.severities), r.correct_within_days)
            for c, r in t.rules.items()
        },
        departments={c: (d.name_zh, d.name_en) for c, d in f.departments.items()},
        measures={
            c: Measure(
                c, m.name_zh, m.name_en, m.legal_basis, m.department, tuple(m.applies_to), m.applied_by
            )
            for c, m in f.measures.items()
        },
        task_max_days=f.coaching.task_max_days,
        fixes={k: (v.zh, v.en) for k, v in f.coaching.fixes.items()},
        tipoffs_per_day=f.tipoffs.max_per_day,
        tipoff_repeat_days=f.tipoffs.repeat_days,
    )
