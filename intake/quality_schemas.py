"""The quality of a source's data as the API answers it: counts and their rates, per delivery, per month
and in all, with the records delivered late."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from intake.quality import Figures


class FiguresOut(BaseModel):
    rows: int = Field(description="Rows read")
    rejected: int = Field(description="Rows that failed cleaning")
    incomplete: int = Field(description="Rows rejected because a required field was empty")
    records: int = Field(description="Rows kept as records (accepted or to review)")
    slots: int = Field(description="Records times the fields their delivery mapped")
    filled: int = Field(description="Of those, the fields filled")
    in_conflict: int = Field(description="Records another source contradicts")
    due: int = Field(description="Records with a deadline (double publicity)")
    late: int = Field(description="Of those, delivered after the deadline")
    complete: float | None = Field(description="Share of rows with every required field")
    filled_rate: float | None = Field(description="Share of mapped fields filled")
    on_time: float | None = Field(description="Share of records with a deadline delivered on time")
    rejected_rate: float | None
    conflict_rate: float | None

    @classmethod
    def of(cls, f: Figures) -> FiguresOut:
        r = f.rates()
        return cls(
            **{k: getattr(f, k) for k in Figures.__dataclass_fields__},
            complete=r["complete"],
            filled_rate=r["filled"],
            on_time=r["on_time"],
            rejected_rate=r["rejected"],
            conflict_rate=r["conflict"],
        )


class DeliveryQuality(BaseModel):
    delivery_id: int
    kind: str
    received_at: datetime
    month: str = Field(description="YYYY-MM, China time")
    on_time_from: date | None = Field(description="Decisions before this day were late when it arrived")
    figures: FiguresOut


class LateRecord(BaseModel):
    record_id: int
    delivery_id: int
    row_no: int
    name: str
    decided_on: str


class QualityOut(BaseModel):
    source_id: int
    source_code: str
    due_workdays: int
    total: FiguresOut
    months: dict[str, FiguresOut]
    deliveries: list[DeliveryQuality]
    late: list[LateRecord] = Field(description="The first records delivered late")

    @classmethod
    def of(cls, report: dict[str, Any]) -> QualityOut:
        src = report["source"]
        return cls(
            source_id=src.id,
            source_code=src.code,
            due_workdays=report["due_workdays"],
            total=FiguresOut.of(report["total"]),
            months={m: FiguresOut.of(f) for m, f in report["months"].items()},
            deliveries=[
                DeliveryQuality(
                    delivery_id=line.delivery_id,
                    kind=line.kind,
                    received_at=line.received_at,
                    month=line.month,
                    on_time_from=line.cutoff,
                    figures=FiguresOut.of(line.figures),
                )
                for line in report["lines"]
            ],
            late=[
                LateRecord(
                    record_id=r.id,
                    delivery_id=r.delivery_id,
                    row_no=r.row_no,
                    name=r.name,
                    decided_on=r.fields.get("decided_on", ""),
                )
                for r in report["late"]
            ],
        )
