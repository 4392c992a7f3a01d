"""What the early warning (credit.warning) reads of insurance: merchants whose bound policy's cover ended
(expired or cancelled) in a period and that have no policy in force now, in one grouped query."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from core.clock import as_utc
from insurance.models import InsurancePolicy, PolicyStatus


def uncovered_since(
    session: Session, start: datetime, now: datetime, enterprise_ids: list[int] | None = None
) -> dict[int, tuple[int, datetime]]:
    """{enterprise: (policies whose cover ended between start and now, the last end)} for merchants with
    none in force now."""
    other = aliased(InsurancePolicy)
    in_force = exists().where(
        col(other.enterprise_id) == col(InsurancePolicy.enterprise_id),
        col(other.status).in_([PolicyStatus.active, PolicyStatus.expired]),
        col(other.bound_at).is_not(None),
        col(other.starts_at) <= now,
        col(other.ends_at) > now,
    )
    ended = col(InsurancePolicy.ended_at)
    q = (
        select(InsurancePolicy.enterprise_id, func.count(), func.max(ended))
        .where(
            col(InsurancePolicy.bound_at).is_not(None),
            col(InsurancePolicy.status).in_([PolicyStatus.cancelled, PolicyStatus.expired]),
            ended >= start,
            ended <= now,
            ~in_force,
        )
        .group_by(col(InsurancePolicy.enterprise_id))
    )
    if enterprise_ids is not None:
        q = q.where(col(InsurancePolicy.enterprise_id).in_(enterprise_ids))
    return {e: (n, as_utc(at)) for e, n, at in session.execute(q)}
