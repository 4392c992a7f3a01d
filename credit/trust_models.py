"""Tables of pledges (信用承诺), tolerances (容错纠错), joint measures' notices (联合奖惩 通知) and coaching
plans and tasks (信用修复辅导)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from core.db import UtcDateTime


class PledgeStatus(StrEnum):
    active = "active"  # 履约中 (until ends_at)
    broken = "broken"  # 违诺
    withdrawn = "withdrawn"  # 撤回


class Pledge(SQLModel, table=True):
    """A published, signed statement of obligations a merchant takes on in place of a procedure's
    documents; sealed by the platform (Ed25519 over its canonical statement)."""

    __tablename__ = "credit_pledge"

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    procedure: str = Field(max_length=40)
    obligations_zh: str = Field(max_length=2000)
    obligations_en: str = Field(default="", max_length=2000)
    statement_sha256: str = Field(max_length=64)
    seal: str = Field(max_length=100)  # base64 of the platform's Ed25519 signature of the statement
    seal_key_id: str = Field(max_length=64)
    signed_by: str = Field(max_length=120)
    signed_at: datetime = Field(sa_type=UtcDateTime)
    ends_at: datetime = Field(sa_type=UtcDateTime)
    status: str = Field(default=PledgeStatus.active, max_length=10)
    broken_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    breach_severity: str = Field(default="", max_length=10)
    breach_reason: str = Field(default="", max_length=2000)
    bars_until: datetime | None = Field(default=None, sa_type=UtcDateTime)
    record_id: int | None = Field(default=None, foreign_key="credit_record.id")
    grade_before: str = Field(default="", max_length=2)
    grade_after: str = Field(default="", max_length=2)
    decided_by: str = Field(default="", max_length=120)


class ToleranceStatus(StrEnum):
    open = "open"  # 整改期内
    submitted = "submitted"  # 已提交整改
    corrected = "corrected"  # 整改到位：不计入
    lapsed = "lapsed"  # 逾期未整改：自违法之日起计入


class Tolerance(SQLModel, table=True):
    """A first minor breach tolerated under a pledge while the merchant corrects it."""

    __tablename__ = "credit_tolerance"

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="credit_record.id", unique=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    pledge_id: int | None = Field(default=None, foreign_key="credit_pledge.id")
    rule: str = Field(max_length=60)
    status: str = Field(default=ToleranceStatus.open, max_length=10, index=True)
    opened_at: datetime = Field(sa_type=UtcDateTime)
    correct_by: datetime = Field(sa_type=UtcDateTime)
    correction: str = Field(default="", max_length=4000)
    submitted_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    decided_by: str = Field(default="", max_length=120)
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    decision_reason: str = Field(default="", max_length=2000)
    grade_counted: str = Field(default="", max_length=2)  # the grade had the record counted
    grade_tolerated: str = Field(default="", max_length=2)  # the grade with it tolerated
    score_counted: float = 0.0
    score_tolerated: float = 0.0


class MeasureNotice(SQLModel, table=True):
    """A joint measure sent to another department: signed, carried by the outbox, delivered once."""

    __tablename__ = "credit_measure_notice"

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    measure: str = Field(max_length=60)
    department: str = Field(max_length=40)
    action: str = Field(max_length=6)  # apply | lift
    list_name: str = Field(default="", max_length=6)
    grade: str = Field(max_length=2)
    reason_zh: str = Field(max_length=400)
    reason_en: str = Field(max_length=400)
    issued_at: datetime = Field(sa_type=UtcDateTime)
    body: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # what was signed
    body_sha256: str = Field(max_length=64)
    signature: str = Field(max_length=100)
    key_id: str = Field(max_length=64)
    source_key: str = Field(max_length=160, unique=True)
    delivered_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class PlanStatus(StrEnum):
    open = "open"  # 辅导中
    restored = "restored"  # 等级已恢复
    closed = "closed"


class CoachingPlan(SQLModel, table=True):
    """诊断-辅导-修复-提升: a regulator's diagnosis of a merchant in trouble and the grade it aims at."""

    __tablename__ = "credit_coaching_plan"

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    opened_by: str = Field(max_length=120)
    opened_at: datetime = Field(sa_type=UtcDateTime)
    note: str = Field(default="", max_length=2000)
    grade_at_start: str = Field(max_length=2)
    score_at_start: float
    target_grade: str = Field(max_length=2)
    diagnosis: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=PlanStatus.open, max_length=10)
    restored_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class TaskStatus(StrEnum):
    open = "open"
    reported = "reported"  # the merchant says it is done
    done = "done"  # the regulator confirmed


class CoachingTask(SQLModel, table=True):
    __tablename__ = "credit_coaching_task"

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="credit_coaching_plan.id", index=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    record_id: int | None = Field(default=None, foreign_key="credit_record.id")
    title_zh: str = Field(max_length=300)
    title_en: str = Field(default="", max_length=300)
    due_at: datetime = Field(sa_type=UtcDateTime)
    status: str = Field(default=TaskStatus.open, max_length=10)
    report: str = Field(default="", max_length=4000)
    reported_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    confirmed_by: str = Field(default="", max_length=120)
    confirmed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
