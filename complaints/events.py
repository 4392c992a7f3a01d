"""The events the complaint handler emits. Credit turns closed and overdue cases into records."""

from __future__ import annotations

from datetime import datetime

from core.events import EventPayload, contract


@contract("complaint.closed")
class ComplaintClosed(EventPayload):
    """A case closed. `outcome` "upheld" means the consumer was right (a credit record follows)."""

    complaint_id: int
    enterprise_id: int
    outcome: str
    severity: str | None = None
    closed_at: datetime
    summary: str = ""


@contract("complaint.overdue")
class ComplaintOverdue(EventPayload):
    """A deadline passed at a stage (the merchant's answer, mediation) without the step it waited for."""

    complaint_id: int
    enterprise_id: int
    stage: str = "merchant"
    due_at: datetime


@contract("complaint.compensation_due")
class ComplaintCompensationDue(EventPayload):
    """先行赔付: quality or counterfeit, a genuine code, and a defect accepted or confirmed. The insurer's
    side pays from a policy; until then a regulator can record a payment by hand."""

    complaint_id: int
    enterprise_id: int
    serial: str
    code_uri: str
    amount_asked_minor: int | None = None
    currency: str = "CNY"
    statutory_floor_minor: int | None = None
    law: str = ""
    reason: str
