"""The events credit emits: records, grades, repair applications and supervision draws."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.events import EventPayload, contract
from credit.models import ApplicationStatus, RecordStatus, Severity
from credit.sharing_models import ShareScope
from credit.tipoff_models import TipoffCategory, TipoffStatus


@contract("credit.record_changed")
class CreditRecordChanged(EventPayload):
    id: int
    enterprise_id: int
    kind: str
    severity: Severity
    occurred_at: datetime
    title_zh: str
    title_en: str
    evidence_ref: str = ""
    source_type: str
    status: RecordStatus
    publish_until: datetime
    ended_at: datetime | None = None
    version: int


@contract("credit.grade_changed")
class GradeChanged(EventPayload):
    enterprise_id: int
    grade: str
    previous_grade: str | None = None
    score: float
    computed_at: datetime
    methodology_version: str
    reasons: list[dict[str, Any]]
    capped_by: int | None = None  # the record that capped the grade


@contract("credit.repair_applied")
class RepairApplied(EventPayload):
    id: int
    record_id: int
    enterprise_id: int
    evidence: str
    evidence_ref: str = ""
    status: ApplicationStatus
    submitted_by: str
    submitted_at: datetime
    decide_by: datetime
    decided_by: str = ""
    decided_at: datetime | None = None
    decision_reason: str = ""


@contract("supervision.drawn")
class SupervisionDrawn(EventPayload):
    id: int
    seed: str
    input_hash: str
    result_hash: str
    selected: int


@contract("credit.sharing_authorised", "credit.sharing_revoked")
class SharingChanged(EventPayload):
    """A merchant authorised an institution to read its credit report, or revoked it (授权即达)."""

    authorisation_id: int
    enterprise_id: int
    institution_id: int
    scope: ShareScope
    starts_at: datetime
    ends_at: datetime
    revoked_at: datetime | None = None


@contract("credit.tipoff_changed")
class TipoffChanged(EventPayload):
    """A report from the public (社会监督) was received or decided; its reporter is not named here."""

    tipoff_id: int
    enterprise_id: int
    category: TipoffCategory
    status: TipoffStatus
