"""The events the complaint handler emits. Credit turns closed and overdue cases into records."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from complaints.models import Category, CloseOutcome, MerchantOutcome, Status, Wanted
from core.events import EventPayload, contract

# The stage whose deadline a warning or an overdue case is about.
Stage = Literal["merchant", "consumer", "mediation"]
# The credit methodology's severities (credit.models.Severity), which this domain may not import.
Severity = Literal["minor", "general", "serious"]


@contract("complaint.closed")
class ComplaintClosed(EventPayload):
    """A case closed. `outcome` "upheld" means the consumer was right (a credit record follows)."""

    complaint_id: int
    enterprise_id: int
    outcome: CloseOutcome
    severity: Severity | None = None
    closed_at: datetime
    summary: str = ""


@contract("complaint.overdue")
class ComplaintOverdue(EventPayload):
    """A deadline passed at a stage (the merchant's answer, mediation) without the step it waited for."""

    complaint_id: int
    enterprise_id: int
    stage: Stage = "merchant"
    due_at: datetime


@contract("complaint.received")
class ComplaintReceived(EventPayload):
    """A new case, routed to the merchant at once (先行协商). No contact: it never leaves the domain."""

    complaint_id: int
    ticket_no: str
    enterprise_id: int
    category: Category
    wanted: Wanted
    serial: str | None = None
    gtin: str = ""
    lot: str = ""
    product_name_zh: str = ""
    order_no: str = ""
    narrative: str
    region: str
    received_at: datetime
    due_at: datetime | None


@contract("complaint.answered")
class ComplaintAnswered(EventPayload):
    complaint_id: int
    enterprise_id: int
    outcome: MerchantOutcome
    amount_minor: int | None = None
    rejection_reason: str = ""
    public_response: str = ""
    on_time: bool
    answered_at: datetime


@contract("complaint.escalated")
class ComplaintEscalated(EventPayload):
    """To regulator mediation (调解) because the consumer disputed the answer or reopened the case. A
    missed answer is announced once, as complaint.overdue (stage "merchant"), which implies this."""

    complaint_id: int
    enterprise_id: int
    reason: str
    region: str
    due_at: datetime


@contract("complaint.deadline_near")
class ComplaintDeadlineNear(EventPayload):
    """A warning before a deadline (the merchant's answer, the consumer's reply, mediation)."""

    complaint_id: int
    enterprise_id: int
    stage: Stage
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


@contract("complaint.published")
class ComplaintPublished(EventPayload):
    """A consented case became public (after the merchant answered, or after 15 days)."""

    complaint_id: int
    enterprise_id: int


@contract("complaint.unpublished")
class ComplaintUnpublished(EventPayload):
    """The consumer withdrew consent: the public case ends."""

    complaint_id: int
    enterprise_id: int


@contract("complaint.transferred")
class ComplaintTransferred(EventPayload):
    complaint_id: int
    enterprise_id: int
    direction: str
    from_region: str
    to_region: str


@contract("complaint.changed")
class ComplaintChanged(EventPayload):
    """Any other step (a reply, a rating, a pause, a reopen) that changes the merchant's figures or the
    case the merchant sees."""

    complaint_id: int
    enterprise_id: int
    status: Status
    step: str
