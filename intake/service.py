"""Intake's public surface: sources, deliveries, the review queue, conflicts, and the quality trail of a
record (which source said it, when, in which delivery and row, under which mapping, and what changed it)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, or_, select

from core.errors import NotFound
from intake import products
from intake.deliveries import get_delivery, out, receive, rejected, rejected_csv, store
from intake.mapping import get as mapping
from intake.models import IntakeConflict, IntakeDelivery, IntakeRecord, IntakeSource, RecordStatus
from intake.pipeline import process
from intake.settle_models import IntakeSettlement
from intake.sources import add_old_reg_no, authenticate, by_code, listed, register

__all__ = [
    "add_old_reg_no",
    "authenticate",
    "by_code",
    "conflicts",
    "deliveries",
    "out",
    "get_delivery",
    "listed",
    "process",
    "receive",
    "register",
    "rejected",
    "rejected_csv",
    "review_queue",
    "store",
    "trail",
]


def deliveries(session: Session, source_id: int | None = None, limit: int = 100) -> list[IntakeDelivery]:
    stmt = select(IntakeDelivery).order_by(col(IntakeDelivery.id).desc()).limit(limit)
    if source_id is not None:
        stmt = stmt.where(IntakeDelivery.source_id == source_id)
    return list(session.exec(stmt))


def review_queue(session: Session, limit: int = 100) -> list[IntakeRecord]:
    stmt = (
        select(IntakeRecord).where(IntakeRecord.status == RecordStatus.review).order_by(col(IntakeRecord.id))
    )
    return list(session.exec(stmt.limit(limit)))


def conflicts(session: Session, status: str = "open", limit: int = 100) -> list[IntakeConflict]:
    stmt = select(IntakeConflict).where(IntakeConflict.status == status).order_by(col(IntakeConflict.id))
    return list(session.exec(stmt.limit(limit)))


def _settled(conflicts: list[dict[str, Any]], session: Session) -> list[dict[str, Any]]:
    """Each conflict with its settlement (who, when, why, which value held), or None while open."""
    ids = [c["id"] for c in conflicts]
    stmt = select(IntakeSettlement).where(col(IntakeSettlement.conflict_id).in_(ids))
    by_conflict = {x.conflict_id: x.model_dump(mode="json") for x in session.exec(stmt)} if ids else {}
    return [c | {"settlement": by_conflict.get(c["id"])} for c in conflicts]


def trail(session: Session, record_id: int) -> dict[str, Any]:
    """Where a fact came from and what changed it since."""
    rec = session.get(IntakeRecord, record_id)
    if rec is None:
        raise NotFound(f"no intake record {record_id}")
    d = session.get(IntakeDelivery, rec.delivery_id)
    src = session.get(IntakeSource, rec.source_id)
    assert d is not None and src is not None
    m = mapping(rec.kind)
    stmt = select(IntakeConflict).where(
        or_(IntakeConflict.record_id == record_id, IntakeConflict.other_id == record_id)
    )
    return {
        "record_id": rec.id,
        "status": rec.status,
        "fields": rec.fields,
        "source": {"id": src.id, "code": src.code, "name_zh": src.name_zh, "name_en": src.name_en},
        "delivery": {
            "id": d.id,
            "filename": d.filename,
            "sha256": d.content_sha256,
            "received_at": d.created_at.isoformat(),
        },
        "row_no": rec.row_no,
        "raw": rec.raw,
        "mapping": {
            "kind": m.kind,
            "version": d.mapping_version,
            "columns": d.columns,
            "standard": m.standard,
        },
        "match": {"method": rec.match_method, "score": rec.match_score, "reasons": rec.match_reasons},
        "supersedes": rec.supersedes_id,
        "superseded_by": rec.superseded_by_id,
        "conflicts": _settled([c.model_dump(mode="json") for c in session.exec(stmt)], session),
        "names": products.named_in(session, rec, m),  # the product and lot it names
    }
