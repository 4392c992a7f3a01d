"""Other agencies' lab results on the consumer's scan (issue 24): a sampled test of a declared lot that
failed, accepted through intake and linked to that lot, is kept as the lot's fact (`LotLabFailure`), so
that a scan of any item of the lot says so in the lab's words; a report a regulator settles as not
holding is withdrawn. Traceability never reads intake's tables: intake's events carry what is shown."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from core.clock import utcnow
from core.events import Event, subscribe
from intake.events import IntakeRecordsAccepted, IntakeRecordSuperseded
from traceability import freshness
from traceability.models import LotLabFailure

FAILED_TEST = "inspection_failure"  # the methodology's kind a failed sampled test counts as


@subscribe("intake.records_accepted", "traceability.lab_failures")
def lab_failures(session: Session, event: Event[IntakeRecordsAccepted]) -> None:
    """Each failed test that names one of the lot's own declared lines, once (the event may come again)."""
    p = event.data
    failed = [r for r in p.records if r.credit_kind == FAILED_TEST and r.lot_line_id is not None]
    if not failed:
        return
    known = set(
        session.exec(
            select(LotLabFailure.intake_record_id).where(
                col(LotLabFailure.intake_record_id).in_([r.record_id for r in failed])
            )
        )
    )
    now = utcnow()
    for r in failed:
        if r.record_id in known or r.lot_line_id is None:
            continue
        session.add(
            LotLabFailure(
                line_id=r.lot_line_id,
                intake_record_id=r.record_id,
                title_zh=r.title_zh[:300],
                title_en=r.title_en[:300],
                source_name_zh=p.source_name_zh[:200],
                tested_at=r.occurred_at,
                created_at=now,
            )
        )
    session.flush()
    freshness.invalidate(session)  # the next scan of the lot reads it


@subscribe("intake.record_superseded", "traceability.lab_failure_withdrawn")
def withdrawn(session: Session, event: Event[IntakeRecordSuperseded]) -> None:
    """A regulator settled that the report does not hold: the scan stops saying it."""
    row = session.exec(
        select(LotLabFailure).where(LotLabFailure.intake_record_id == event.data.record_id)
    ).first()
    if row is not None and row.withdrawn_at is None:
        row.withdrawn_at = utcnow()
        session.add(row)
        freshness.invalidate(session)


def of_line(session: Session, line_id: int) -> list[dict[str, Any]]:
    """The lot's failed tests in force, newest first, as the scan shows them."""
    rows = session.exec(
        select(LotLabFailure)
        .where(LotLabFailure.line_id == line_id, col(LotLabFailure.withdrawn_at).is_(None))
        .order_by(col(LotLabFailure.tested_at).desc())
    )
    return [
        {
            "title_zh": r.title_zh,
            "title_en": r.title_en,
            "lab_zh": r.source_name_zh,
            "tested_at": r.tested_at.date().isoformat(),
        }
        for r in rows
    ]
