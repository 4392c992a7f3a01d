"""Credit records read: the methodology in force, a record as the public sees it, an enterprise's
records (credit/service.py is the domain's public surface)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from core.clock import as_utc, utcnow
from core.errors import NotFound
from credit import methodology as methodology_
from credit.methodology import Methodology
from credit.models import CreditRecord
from credit.scorecard import COUNTING


def current_methodology() -> Methodology:
    return methodology_.current()


SEVERITY_ZH = {"minor": "轻微", "general": "一般", "serious": "严重"}
SEVERITY_EN = {"minor": "minor", "general": "general", "serious": "serious"}


STATUS_ZH = {
    "active": "有效",
    "under_review": "异议审核中",
    "repaired": "已信用修复",
    "withdrawn": "已撤销",
    "tolerated": "容错整改中",
}
STATUS_EN = {
    "active": "in force",
    "under_review": "under review on an objection",
    "repaired": "credit repaired",
    "withdrawn": "withdrawn",
    "tolerated": "being corrected under the tolerance rule",
}


def kind_names(kind: str) -> tuple[str, str]:
    k = current_methodology().kinds.get(kind)
    return (k.name_zh, k.name_en) if k else (kind, kind)


def record_public(r: CreditRecord) -> dict[str, Any]:
    return {
        "id": r.id,
        "enterprise_id": r.enterprise_id,
        "kind": r.kind,
        "severity": r.severity,
        "occurred_at": as_utc(r.occurred_at).isoformat(),
        "title_zh": r.title_zh,
        "title_en": r.title_en,
        "evidence_ref": r.evidence_ref,
        "source_type": r.source_type,
        "status": r.status,
        "publish_until": as_utc(r.publish_until).isoformat(),
        "ended_at": as_utc(r.ended_at).isoformat() if r.ended_at else None,
        "version": r.version,
    }


def record_snapshot(session: Session, record_id: int) -> dict[str, Any]:
    """A record as other domains may read it (public fields)."""
    return record_public(get_record(session, record_id))


def get_record(session: Session, record_id: int, enterprise_id: int | None = None) -> CreditRecord:
    r = session.get(CreditRecord, record_id)
    if r is None or (enterprise_id is not None and r.enterprise_id != enterprise_id):
        raise NotFound(
            f"no credit record {record_id}" + (f" of enterprise {enterprise_id}" if enterprise_id else "")
        )
    return r


def records_of(session: Session, enterprise_id: int, *, public_only: bool = False) -> list[CreditRecord]:
    """An enterprise's records, newest first; the public sees those whose publication window is open."""
    stmt = (
        select(CreditRecord)
        .where(CreditRecord.enterprise_id == enterprise_id)
        .order_by(col(CreditRecord.occurred_at).desc(), col(CreditRecord.id).desc())
    )
    if public_only:
        stmt = stmt.where(col(CreditRecord.status).in_(COUNTING), CreditRecord.publish_until > utcnow())
    return list(session.exec(stmt))
