"""What goes in and out of the complaints API. Every number, date and string is bounded, so the
OpenAPI document says what is accepted."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from complaints.models import Category, CloseOutcome, MerchantOutcome, Status, Wanted
from core.identifiers import MAX_ID

NARRATIVE_MAX = 2000
AMOUNT_MAX = 100_000_000_00  # 100 million yuan in fen: beyond any consumer complaint

# CFPB-style public responses a merchant may choose from (企业公开回应).
PUBLIC_RESPONSES = {
    "resolved_with_consumer": ("已与消费者协商解决", "Resolved with the consumer"),
    "acted_in_good_faith": ("企业已依法依规处理", "Company believes it acted appropriately"),
    "facts_disputed": ("企业对事实有异议", "Company disputes the facts"),
    "isolated_error": ("个别失误，已整改", "Isolated error, corrected"),
    "will_improve": ("将改进相关服务", "Company will improve its service"),
    "no_public_response": ("不作公开回应", "Company chooses not to respond publicly"),
}
PublicResponse = Literal[
    "resolved_with_consumer",
    "acted_in_good_faith",
    "facts_disputed",
    "isolated_error",
    "will_improve",
    "no_public_response",
]
# Why a merchant rejects a complaint (a code, so figures can be counted).
RejectionReason = Literal[
    "not_our_product", "outside_warranty", "misuse", "no_evidence", "duplicate", "already_resolved", "other"
]


class IntakeIn(BaseModel):
    """A complaint from the scan page (with the trace code) or a partner platform (with an order number
    and the merchant's USCC). Evidence files come as multipart parts named `evidence`."""

    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(
        default=None, max_length=300, description="The scanned Digital Link URI or its path (/01/…/21/…)"
    )
    order_no: str | None = Field(default=None, min_length=4, max_length=64, pattern=r"^[A-Za-z0-9\-_]+$")
    merchant_uscc: str | None = Field(default=None, min_length=18, max_length=18)
    category: Category
    narrative: str = Field(min_length=10, max_length=NARRATIVE_MAX)
    wanted: Wanted
    amount_asked_minor: int | None = Field(default=None, ge=0, le=AMOUNT_MAX)
    currency: str = Field(default="CNY", min_length=3, max_length=3)
    contact: str = Field(min_length=5, max_length=254, description="Mobile number or e-mail address")
    consent_publish: bool = False
    region: str | None = Field(
        default=None, pattern=r"^\d{6}$", description="Division code of the agency to handle it"
    )

    @model_validator(mode="after")
    def _one_way_in(self) -> IntakeIn:
        if not self.code and not (self.order_no and self.merchant_uscc):
            raise ValueError("give the trace code, or an order number with the merchant's USCC")
        return self


class IntakeOut(BaseModel):
    ticket_no: str
    tracking_token: str = Field(description="Shown once: it opens this case and nothing else")
    status: Status
    due_at: datetime | None
    joined_existing: bool = Field(description="True when this was a repeat joined to an earlier case")


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: MerchantOutcome
    amount_minor: int | None = Field(default=None, ge=1, le=AMOUNT_MAX, description="For compensation")
    rejection_reason: RejectionReason | None = None
    public_response: PublicResponse = "no_public_response"
    text: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _fits_outcome(self) -> AnswerIn:
        if self.outcome == MerchantOutcome.compensation and self.amount_minor is None:
            raise ValueError("amount_minor: a compensation needs an amount in minor units")
        if self.outcome == MerchantOutcome.rejection and self.rejection_reason is None:
            raise ValueError("rejection_reason: a rejection needs a reason code")
        return self


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=2000)


class DisputeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=2, max_length=2000)


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: int = Field(ge=1, le=5)


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    consent: bool


class MediationIn(BaseModel):
    """The regulator's finding at the end of mediation."""

    model_config = ConfigDict(extra="forbid")

    defect_confirmed: bool
    note: str = Field(default="", max_length=2000)
    severity: Literal["minor", "general", "serious"] = "general"


class InfoRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=2, max_length=2000)


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_minor: int = Field(ge=1, le=AMOUNT_MAX)
    reference: str = Field(min_length=1, max_length=200)


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_region: str = Field(pattern=r"^\d{6}$", description="Division code of the receiving agency")
    reason: str = Field(min_length=2, max_length=500)


class ReceivedTransferIn(IntakeIn):
    """A case another region's agency sends here (双向移送, the receiving side): the consumer's
    complaint as that agency took it, with its own reference. `region` is the agency here that takes
    it (default: the bonded zone's)."""

    from_region: str = Field(pattern=r"^\d{6}$", description="Division code of the sending agency")
    source_ref: str = Field(
        min_length=4,
        max_length=64,
        pattern=r"^[A-Za-z0-9\-_/]+$",
        description="The sending agency's case number",
    )
    reason: str = Field(min_length=2, max_length=500, description="Why it was sent here")


class EscalateIn(BaseModel):
    """The regulator takes a case into mediation itself (主动调解), before or after the answer."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=2, max_length=2000)


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: CloseOutcome
    note: str = Field(default="", max_length=2000)


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Printable ASCII only: an IRI must come percent-encoded (and a host as punycode), as HTTP sends it.
    url: str = Field(min_length=10, max_length=500, pattern=r"^https?://[\x21-\x7e]+$")


class WebhookOut(BaseModel):
    url: str
    secret: str | None = Field(default=None, description="whsec_…: shown when set, keep it to verify")


class QueueQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    overdue: bool | None = None
    enterprise_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    category: Category | None = None
    region: str | None = Field(default=None, pattern=r"^\d{6}$")
    due_within_days: int | None = Field(
        default=None, ge=0, le=60, description="Only cases whose running deadline falls within this many days"
    )
    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=1_000_000)


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    author: str
    kind: str
    text: str
    at: datetime


class CaseOut(BaseModel):
    """A case as a merchant or regulator sees it: the contact only masked."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    ticket_no: str
    status: str
    category: str
    narrative: str
    wanted: str
    amount_asked_minor: int | None
    currency: str
    channel: str
    enterprise_id: int
    serial: str | None
    gtin: str
    lot: str
    product_name_zh: str
    declaration_no: str
    order_no: str
    code_genuine: bool
    contact_masked: str
    consent_publish: bool
    region: str
    received_at: datetime
    due_at: datetime | None
    merchant_due_at: datetime | None
    answered_at: datetime | None
    merchant_outcome: str
    merchant_amount_minor: int | None
    rejection_reason: str
    public_response: str
    merchant_text: str
    escalated_at: datetime | None
    escalation_reason: str
    defect_confirmed: bool | None
    compensation_floor_minor: int | None
    compensation_paid_minor: int | None
    closed_at: datetime | None
    outcome: str
    rating: int | None
    repeats: int
    published_at: datetime | None
    evidence: int = 0
    messages: list[MessageOut] = []


class TrackOut(BaseModel):
    """What the tracking token opens: this case's progress, the merchant's answer and the trail."""

    ticket_no: str
    status: str
    category: str
    product_name_zh: str
    received_at: datetime
    due_at: datetime | None
    merchant_outcome: str
    merchant_amount_minor: int | None
    public_response: str
    merchant_text: str
    outcome: str
    rating: int | None
    consent_publish: bool
    contact_masked: str
    messages: list[MessageOut]


class IntakeForm(IntakeIn):
    """The multipart form of the intake: the same fields; the `evidence` file parts travel beside them."""

    model_config = ConfigDict(extra="ignore")
