"""The events intake emits: the records of a chunk that the methodology counts, one event a chunk (an
event a row would cost an outbox write a row, the import's largest cost)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.events import EventPayload, contract


class AcceptedRecord(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    record_id: int
    row_no: int
    enterprise_id: int
    credit_kind: str  # the methodology's kind of record
    severity: Literal["minor", "general", "serious"]  # credit's severities, which intake may not import
    occurred_at: datetime
    title_zh: str
    title_en: str = ""
    supersedes_id: int | None = None  # the record of the same source this one corrects
    lot_line_id: int | None = None  # the declared lot it names (a lab result), when its enterprise's


@contract("intake.records_accepted")
class IntakeRecordsAccepted(EventPayload):
    source_code: str
    source_name_zh: str
    delivery_id: int
    kind: str  # the mapping's kind (court_dishonest, penalty …)
    records: list[AcceptedRecord] = Field(min_length=1)


class LinkedRecord(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    record_id: int
    enterprise_id: int


@contract("intake.records_linked")
class IntakeRecordsLinked(EventPayload):
    """Every record of a chunk that became active (linked to its enterprise), whether or not the
    methodology counts it: what subscribing agencies may receive (intake.distribution)."""

    delivery_id: int
    kind: str
    records: list[LinkedRecord] = Field(min_length=1)


@contract("intake.dispatch_due")
class IntakeDispatchDue(EventPayload):
    """A message owed to a subscription (intake_dispatch), sent by the outbox's external subscriber."""

    dispatch_id: int
    subscription_id: int
    record_id: int


@contract("intake.catch_up_due")
class IntakeCatchUpDue(EventPayload):
    """A new subscription's catch-up, a chunk at a time: the active records after `after_record_id`
    accepted since the subscription's `since` are owed to it; the handler emits the next chunk's event."""

    subscription_id: int
    after_record_id: int = Field(ge=0)


@contract("intake.record_superseded")
class IntakeRecordSuperseded(EventPayload):
    """A regulator settled a conflict between two sources: the value of `record_id` does not hold, that of
    `by_record_id` does. What the first record made (its credit records) is withdrawn; both stay."""

    record_id: int
    credit_kinds: list[str]  # the kinds of credit record its mapping's rules made of it
    by_record_id: int
    conflict_id: int
    settled_by: str
    reason: str
