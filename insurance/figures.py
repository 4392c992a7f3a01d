"""Insurance figures for the public portal: compensation paid by day or month (China time), what a
merchant's paid claims add up to, and the periods of cover (bound policies), so that the share of goods
released under cover can be counted. Read from the policies and claims when asked."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from core.clock import as_utc
from core.periods import Interval, china_period
from insurance.models import ClaimStatus, InsuranceClaim, InsurancePolicy, PolicyStatus

# A policy bound covers its period (an expired one covered the goods released in it). A cancelled one is
# left out: when it was cancelled is not kept, so what it covered cannot be dated (the share errs low).
_BOUND = (PolicyStatus.active, PolicyStatus.suspended, PolicyStatus.expired)


def paid_claims(
    session: Session, interval: Interval, since: datetime
) -> list[tuple[int | None, str, str, int]]:
    """(complaint id or None, period, currency, minor units) of each claim paid since `since`."""
    period = china_period(session, InsuranceClaim.paid_at, interval)
    rows = session.exec(
        select(InsuranceClaim.complaint_id, period, InsuranceClaim.currency, InsuranceClaim.paid_minor).where(
            InsuranceClaim.status == ClaimStatus.paid,
            col(InsuranceClaim.paid_at).is_not(None),
            col(InsuranceClaim.paid_at) >= since,
        )
    )
    return [(c, p, cur, int(m or 0)) for c, p, cur, m in rows]


def paid_for(session: Session, enterprise_id: int) -> dict[str, Any]:
    """What claims about the merchant's goods paid: {"by_currency": {currency: minor units}, "cases":
    the complaint cases they paid for (so a payment also recorded on the case is not counted twice)}."""
    by_currency: dict[str, int] = {}
    cases: set[int] = set()
    for complaint_id, currency, minor in session.exec(
        select(InsuranceClaim.complaint_id, InsuranceClaim.currency, InsuranceClaim.paid_minor).where(
            InsuranceClaim.enterprise_id == enterprise_id, InsuranceClaim.status == ClaimStatus.paid
        )
    ):
        by_currency[currency] = by_currency.get(currency, 0) + int(minor or 0)
        if complaint_id is not None:
            cases.add(complaint_id)
    return {"by_currency": by_currency, "cases": cases}


def cover_periods(
    session: Session, enterprise_ids: Iterable[int]
) -> dict[int, list[tuple[datetime, datetime]]]:
    """enterprise id -> the (start, end) of each policy it had bound and not cancelled."""
    ids = set(enterprise_ids)
    if not ids:
        return {}
    out: dict[int, list[tuple[datetime, datetime]]] = {}
    for e, start, end in session.exec(
        select(InsurancePolicy.enterprise_id, InsurancePolicy.starts_at, InsurancePolicy.ends_at).where(
            col(InsurancePolicy.enterprise_id).in_(ids),
            col(InsurancePolicy.status).in_(_BOUND),
            col(InsurancePolicy.bound_at).is_not(None),
        )
    ):
        out.setdefault(e, []).append((as_utc(start), as_utc(end)))
    return out
