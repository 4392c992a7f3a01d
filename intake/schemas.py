"""What goes in and out of intake: sources, deliveries, their progress, rejected rows, the trail."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

MAX_BATCH = 5000  # rows in one pushed batch
Column = Annotated[str, StringConstraints(max_length=200)]
Value = Annotated[str, StringConstraints(max_length=4000)] | int | float | None
PushedRow = Annotated[dict[Column, Value], Field(max_length=100)]


class SourceCreate(BaseModel):
    code: str = Field(min_length=2, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)


class SourceOut(BaseModel):
    id: int
    code: str
    name_zh: str
    name_en: str
    created_at: datetime


class SourceCreated(SourceOut):
    key: str  # shown once


class IntakeDeliveryOut(BaseModel):
    id: int
    source_id: int
    kind: str
    mapping_version: str
    content_sha256: str
    filename: str
    format: str
    encoding: str
    size: int
    status: str
    rows_done: int
    accepted: int
    rejected: int
    duplicates: int
    review: int
    conflicts: int
    created_at: datetime
    finished_at: datetime | None = None
    repeated: bool = False  # the same content was delivered before: this is that delivery


class Batch(BaseModel):
    kind: str = Field(min_length=1, max_length=40)
    rows: list[PushedRow] = Field(min_length=1, max_length=MAX_BATCH)
    columns: dict[Column, Column] = Field(default_factory=dict, max_length=60)


class RejectedOut(BaseModel):
    row_no: int
    field: str
    reason: str
    raw: dict
