"""The events quality insurance emits. Credit records a paid claim against the merchant."""

from __future__ import annotations

from datetime import datetime

from core.events import EventPayload, contract


@contract("insurance.claim_paid")
class ClaimPaid(EventPayload):
    claim_id: int
    enterprise_id: int
    amount_minor: int
    currency: str
    paid_at: datetime
    product_name_zh: str | None = None
