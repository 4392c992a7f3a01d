"""The events intake emits: an accepted record that the methodology turns into a credit record."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from core.events import EventPayload, contract


@contract("intake.record_accepted")
class IntakeRecordAccepted(EventPayload):
    record_id: int
    source_code: str
    source_name_zh: str
    delivery_id: int
    row_no: int
    kind: str  # the mapping's kind (court_dishonest, penalty …)
    enterprise_id: int
    credit_kind: str  # the methodology's kind of record
    severity: Literal["minor", "general", "serious"]  # credit's severities, which intake may not import
    occurred_at: datetime
    title_zh: str
    title_en: str = ""
    supersedes_id: int | None = None
