"""The events quality insurance emits. Credit records a paid claim against the merchant; disclosure
publishes an active policy as a service record (and withdraws it on lapse) and a paid claim as a
complaint-category record."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from core.events import EventPayload, contract
from insurance.models import ClaimStatus, PolicyStatus

# Who asked for a claim: a complaint owed compensation (先行赔付), or the consumer directly.
ClaimSource = Literal["complaint", "consumer"]


@contract("insurance.claim_paid")
class ClaimPaid(EventPayload):
    claim_id: int
    enterprise_id: int
    amount_minor: int
    currency: str
    paid_at: datetime
    product_name_zh: str | None = None
    # Added by the insurance domain; receivers that predate them ignore them.
    serial: str | None = None
    policy_id: int | None = None
    insurer_id: int | None = None
    source: ClaimSource | None = None


@contract(
    "insurance.policy_activated",
    "insurance.policy_suspended",
    "insurance.policy_lapsed",
    "insurance.policy_cancelled",
)
class PolicyChanged(EventPayload):
    """A policy's state changed. `activated` is emitted when it is bound (cover starts on `starts_at`);
    `lapsed` when it ended without an active successor."""

    policy_id: int
    policy_no: str
    enterprise_id: int
    insurer_id: int
    status: PolicyStatus
    grade: str
    starts_at: datetime
    ends_at: datetime
    currency: str
    cover_per_unit_minor: int
    aggregate_limit_minor: int
    premium_minor: int
    product_name_zh: str
    reason: str = ""


@contract("insurance.claim_submitted", "insurance.claim_decided")
class ClaimChanged(EventPayload):
    claim_id: int
    policy_id: int
    enterprise_id: int
    insurer_id: int
    serial: str
    source: ClaimSource
    status: ClaimStatus
    reason_code: str = ""
    amount_minor: int | None = None
    currency: str = "CNY"
