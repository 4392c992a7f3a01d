"""What goes in and out of intake's distribution: a subscription (its secret shown once) and the messages
owed to it with their delivery status."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

Kind = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Region = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
DispatchState = Literal["pending", "delivered", "failed", "skipped"]


class SubscriptionCreate(BaseModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    kinds: list[Kind] = Field(min_length=1, max_length=20)  # the mappings' kinds (intake/mappings)
    regions: list[Region] = Field(default_factory=list, max_length=20)  # [] = every region
    # Catch-up: the active records accepted since this day (China's calendar) are sent too; none: only
    # records accepted from now on.
    since: date | None = Field(default=None, ge=date(2000, 1, 1), le=date(2099, 12, 31))


class SubscriptionOut(BaseModel):
    id: int
    agency: str
    name: str
    url: str
    kinds: list[str]
    regions: list[str]
    status: str
    created_by: str
    created_at: datetime
    revoked_by: str | None
    revoked_at: datetime | None
    since: datetime | None = None  # catching up from then (see SubscriptionCreate.since)


class SubscriptionCreated(SubscriptionOut):
    secret: str  # whsec_…, shown this once: the receiver verifies webhook-signature with it


class DispatchOut(BaseModel):
    id: int
    record_id: int
    kind: str
    message: str  # accepted | corrected | withdrawn
    webhook_id: str
    state: DispatchState  # skipped: not sent, the subscription was revoked first
    attempts: int
    last_error: str
    created_at: datetime
    delivered_at: datetime | None
