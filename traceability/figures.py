"""The zone's trade figures for the public portal (交易金额、申报单量实时公示): declarations and their
declared value, codes issued, scans and their verdicts, by day or month in China time. Counted by the
database when asked, so a declaration shows in them as soon as its transaction commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.clock import as_utc
from core.periods import Interval, china_period
from traceability.models import CodeBatch, Declaration, DeclarationLine, DeclarationStatus, ScanRecord


def declarations(session: Session, interval: Interval, since: datetime) -> dict[str, dict[str, Any]]:
    """period -> {"declarations": n, "value": {currency: minor units}} for declarations made since
    `since` (by when they were declared on the platform)."""
    period = china_period(session, Declaration.created_at, interval)
    out: dict[str, dict[str, Any]] = {}
    for p, n in session.exec(
        select(period, func.count()).where(Declaration.created_at >= since).group_by(period)
    ):
        out[p] = {"declarations": int(n), "value": {}}
    value = func.sum(DeclarationLine.quantity * DeclarationLine.unit_value_minor)
    for p, currency, minor in session.exec(
        select(period, DeclarationLine.currency, value)
        .join(Declaration, col(Declaration.id) == DeclarationLine.declaration_id)
        .where(Declaration.created_at >= since)
        .group_by(period, DeclarationLine.currency)
    ):
        out.setdefault(p, {"declarations": 0, "value": {}})["value"][currency] = int(minor or 0)
    return out


def codes_issued(session: Session, interval: Interval, since: datetime) -> dict[str, int]:
    """period -> trace codes issued, by when their batch was started."""
    period = china_period(session, CodeBatch.created_at, interval)
    rows = session.exec(
        select(period, func.sum(CodeBatch.issued)).where(CodeBatch.created_at >= since).group_by(period)
    )
    return {p: int(n or 0) for p, n in rows}


def scans(session: Session, interval: Interval, since: datetime) -> dict[str, dict[str, int]]:
    """period -> verdict -> scans."""
    period = china_period(session, ScanRecord.scanned_at, interval)
    out: dict[str, dict[str, int]] = {}
    for p, verdict, n in session.exec(
        select(period, ScanRecord.verdict, func.count())
        .where(ScanRecord.scanned_at >= since)
        .group_by(period, ScanRecord.verdict)
    ):
        out.setdefault(p, {})[verdict] = int(n)
    return out


def released_units(session: Session, since: datetime) -> list[tuple[int, datetime, int]]:
    """(enterprise id, when released, units) for each declaration released since `since`: what the
    share of goods insured is counted over."""
    rows = session.exec(
        select(Declaration.enterprise_id, Declaration.decided_at, func.sum(DeclarationLine.quantity))
        .join(DeclarationLine, col(DeclarationLine.declaration_id) == Declaration.id)
        .where(Declaration.status == DeclarationStatus.released, col(Declaration.decided_at) >= since)
        .group_by(col(Declaration.id), col(Declaration.enterprise_id), col(Declaration.decided_at))
    )
    return [(e, as_utc(at), int(n or 0)) for e, at, n in rows if at is not None]
