"""The feed of suspicious scans for regulators: scans the resolver judged suspicious, newest first, each
with its evidence read back from what the platform keeps.

A scan record keeps its verdict, not the reasons (the hot path writes as little as it can), so the
reasons are judged again here from the record, the scan before it and the code's row, with the same
policy and the same thresholds as `verdict.judge`. The code's scan count (its summary) survives the
pruning of old records (`retention`), and the records newer than a scan are never pruned before it,
so "the n-th scan of this code" is exact. Nothing of the consumer is shown beyond what is kept: a
recognised city and a time; not the coordinates (rounded, but a regulator needs only the distance)
and not the device hash (only how many devices).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import literal_column
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from core.clock import as_utc
from traceability import epcis
from traceability.models import Declaration, DeclarationLine, Product, ScanRecord, ScanSummary, TraceCode
from traceability.places import haversine_km, recognised_city
from traceability.verdict import ScanPolicy

FEED_MAX = 200  # a page of the feed at most


def _evidence(code: str, zh: str, en: str, **figures: Any) -> dict[str, Any]:
    return {"code": code, "zh": zh, "en": en, **figures}


def _judged(
    session: Session, r: ScanRecord, code: TraceCode, scans: int, policy: ScanPolicy
) -> tuple[int, list[dict]]:
    """The scan's place in the code's `scans` (its summary's count), and the reasons it was suspicious."""
    later = session.exec(
        select(func.count()).where(ScanRecord.code_id == r.code_id, col(ScanRecord.id) > r.id)
    ).one()
    nth = max(scans - later, 1)
    found: list[dict[str, Any]] = []
    if nth > policy.max_scans:
        found.append(
            _evidence(
                "over_scanned",
                f"该码第 {nth} 次被扫描，超过正常次数 {policy.max_scans}",
                f"The code's scan number {nth}, more than the expected {policy.max_scans}",
                count=nth,
                limit=policy.max_scans,
            )
        )
    before = session.exec(
        select(ScanRecord)
        .where(ScanRecord.code_id == r.code_id, col(ScanRecord.id) < r.id)
        .order_by(col(ScanRecord.id).desc())
        .limit(1)
    ).first()
    if before is not None and None not in (before.lat, before.lon, r.lat, r.lon):
        km = haversine_km((before.lat, before.lon), (r.lat, r.lon))  # type: ignore[arg-type]  # none is None (checked above)
        hours = max((as_utc(r.scanned_at) - as_utc(before.scanned_at)).total_seconds() / 3600, 1 / 3600)
        if km > 50 and km / hours > policy.max_speed_kmh:
            minutes = hours * 60
            ago_zh = f"{minutes:.0f} 分钟前" if minutes >= 1 else "不到 1 分钟前"
            ago_en = f"only {minutes:.0f} minutes earlier" if minutes >= 1 else "less than a minute earlier"
            found.append(
                _evidence(
                    "impossible_travel",
                    f"上一次扫描在 {km:.0f} 公里外、{ago_zh}",
                    f"The scan before was {km:.0f} km away, {ago_en}",
                    km=round(km),
                    minutes=round(hours * 60),
                    from_place=recognised_city(before.place),
                    from_at=as_utc(before.scanned_at),
                )
            )
    if code.last_biz_step in epcis.ENDED:
        found.append(
            _evidence(
                "decommissioned",
                "该码已注销（商品已销毁或使用）",
                "The code was decommissioned (item destroyed or used)",
            )
        )
    if code.sold_at is not None and as_utc(r.scanned_at) >= as_utc(code.sold_at):
        devices = session.exec(
            select(func.count(func.distinct(ScanRecord.client_hash))).where(
                ScanRecord.code_id == r.code_id,
                ScanRecord.scanned_at >= code.sold_at,
                col(ScanRecord.id) <= r.id,
            )
        ).one()
        if devices > policy.max_clients_after_sale:
            found.append(
                _evidence(
                    "after_sale",
                    f"售出后已被 {devices} 个不同设备扫描",
                    f"Scanned from {devices} different devices since it was sold",
                    devices=devices,
                )
            )
    if not found:
        found.append(
            _evidence(
                "not_kept",
                "判定可疑的依据已不在保存的扫描记录中",
                "What made it suspicious is no longer in the kept scan records",
            )
        )
    return nth, found


def suspicious_scans(
    session: Session, policy: ScanPolicy, *, limit: int = 50, before_id: int | None = None
) -> tuple[list[dict[str, Any]], int | None]:
    """Suspicious scans newest first, `limit` of them from before the scan `before_id`, and the id to
    page on from (None: no more)."""
    limit = max(1, min(limit, FEED_MAX))
    stmt = (
        # Six columns: SQLAlchemy's select (SQLModel's is typed for at most four).
        sa_select(
            ScanRecord,
            TraceCode,
            ScanSummary,
            col(Product.name_zh),
            col(Product.name_en),
            col(Declaration.enterprise_id),
        )
        .join(TraceCode, col(TraceCode.id) == ScanRecord.code_id)
        .outerjoin(ScanSummary, col(ScanSummary.code_id) == TraceCode.id)
        .join(DeclarationLine, col(DeclarationLine.id) == TraceCode.line_id)
        .join(Declaration, col(Declaration.id) == DeclarationLine.declaration_id)
        .join(Product, col(Product.id) == DeclarationLine.product_id)
        # A literal, not a bound value: PostgreSQL uses the partial index only for a condition it can
        # match when planning (a generic plan of a prepared statement cannot).
        .where(col(ScanRecord.verdict) == literal_column("'suspicious'"))
        .order_by(col(ScanRecord.id).desc())
        .limit(limit + 1)
    )
    if before_id is not None:
        stmt = stmt.where(col(ScanRecord.id) < before_id)
    rows = list(session.execute(stmt))
    more = len(rows) > limit
    feed = []
    for r, code, summary, name_zh, name_en, enterprise_id in rows[:limit]:
        # A scan's record and its code's summary are written in one transaction: a recorded scan's code
        # has one; without it (never, unless written by hand) the code counts as never scanned.
        scans, first_at, first_place = (
            (summary.scan_count, summary.first_scan_at, summary.first_scan_place)
            if summary
            else (0, None, "")
        )
        nth, evidence = _judged(session, r, code, scans, policy)
        first_at = as_utc(first_at) if first_at else None
        feed.append(
            {
                "id": r.id,
                "scanned_at": as_utc(r.scanned_at),
                "place": recognised_city(r.place),
                "gtin": r.gtin,
                "lot": r.lot,
                "serial": r.serial,
                "product_name_zh": name_zh,
                "product_name_en": name_en,
                "enterprise_id": enterprise_id,
                "nth_scan": nth,
                "scans_now": scans,
                "first_scan_at": first_at,
                "first_scan_place": recognised_city(first_place),
                "code_status": code.status,
                "evidence": evidence,
            }
        )
    return feed, (feed[-1]["id"] if more and feed else None)
