"""The events of pledges, tolerances and joint measures: the contracts other domains (disclosure, the
departments' inboxes) rely on."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from core.events import EventPayload, contract
from credit.trust_models import PledgeStatus, ToleranceStatus


@contract("credit.pledge_changed")
class PledgeChanged(EventPayload):
    """A pledge made (disclosed), broken or withdrawn."""

    id: int
    enterprise_id: int
    procedure: str
    obligations_zh: str
    obligations_en: str = ""
    statement_sha256: str
    seal: str
    seal_key_id: str
    signed_at: datetime
    ends_at: datetime
    status: PledgeStatus
    broken_at: datetime | None = None
    bars_until: datetime | None = None
    record_id: int | None = None


@contract("credit.tolerance_changed")
class ToleranceChanged(EventPayload):
    id: int
    record_id: int
    enterprise_id: int
    rule: str
    status: ToleranceStatus
    correct_by: datetime
    grade_counted: str
    grade_tolerated: str


@contract("credit.measure_notice")
class MeasureNoticeSent(EventPayload):
    """A joint measure for another department, signed with the platform's Ed25519 key (the key published
    with the audit checkpoints): `signature` is over the canonical JSON of `body`."""

    notice_id: int
    department: str
    measure: str
    action: Literal["apply", "lift"]
    enterprise_id: int
    body: dict[str, str | int]
    body_sha256: str
    signature: str
    key_id: str
