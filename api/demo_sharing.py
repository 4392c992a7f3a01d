"""The demo's authorised sharing (授权即达, the 信易贷 model): the first merchant authorises the demo bank
to read its credit report for a credit loan, so the bank's key finds a report to read at once
(/bank/credit, GET /api/v1/credit/shared/{merchant_id})."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from core.clock import utcnow
from core.db import id_of
from core.security import Principal, Role
from core.workdays import CHINA_TZ
from credit import sharing
from credit.sharing_models import ShareScope
from enterprises.models import Enterprise

LOAN_DAYS = 180


def seed_sharing(session: Session, merchant: Enterprise, bank: Enterprise) -> None:
    by = Principal(key_id=None, role=Role.merchant, enterprise_id=id_of(merchant), prefix="demo")
    ends_on = utcnow().astimezone(CHINA_TZ).date() + timedelta(days=LOAN_DAYS)
    data = sharing.AuthorisationCreate(
        institution_id=id_of(bank),
        scope=ShareScope.report,
        ends_on=ends_on,
        purpose="信用贷款 · a credit loan",
    )
    sharing.authorise(session, id_of(merchant), data, by)
