"""Authorised sharing (授权即达, the 信易贷 model): a merchant authorises a bank or insurer on the platform to
read its credit report for a period; the institution reads a report signed with the platform's published
key (the audit ledger's checkpoint key, /api/v1/public/audit/checkpoints); the merchant sees and revokes
its authorisations, and every read is a row in its audit view and an entry in the audit ledger.

The rule is one check, `live_authorisation`: without a live authorisation for the pair, the read is
refused (403), and a revocation takes effect at the next read, as nothing is cached."""

from __future__ import annotations

import base64
import hashlib
from datetime import date, datetime, time, timedelta
from typing import Any

import rfc8785
from pydantic import BaseModel, Field, field_validator
from pydantic_core import to_jsonable_python
from sqlmodel import Session, col, select

from core import audit
from core.clock import as_utc, utcnow
from core.db import id_of
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.events import emit
from core.identifiers import MAX_ID
from core.security import Principal
from core.workdays import CHINA_TZ
from credit import service
from credit.events import SharingChanged
from credit.sharing_models import CreditAuthorisation, CreditShareRead, ShareScope, ShareStatus
from enterprises import service as enterprises

MAX_SHARE_DAYS = 366  # an authorisation lasts at most a year; the merchant renews it
INSTITUTION_KINDS = frozenset({"insurer", "bank"})  # whose keys (Role.insurer, Role.bank) read a report
SIGNATURE_FORMAT = "Ed25519 over the RFC 8785 (JCS) bytes of `document`"


class AuthorisationCreate(BaseModel):
    institution_id: int = Field(ge=1, le=MAX_ID, description="The bank's or insurer's enterprise id")
    scope: ShareScope = ShareScope.report
    ends_on: date = Field(
        description=f"The last day (China time) it may read; at most {MAX_SHARE_DAYS} days on"
    )
    purpose: str = Field(default="", max_length=200, description="What it is for, e.g. a credit loan")

    @field_validator("ends_on")
    @classmethod
    def _within_a_year(cls, value: date) -> date:
        today = utcnow().astimezone(CHINA_TZ).date()
        if value < today:
            raise ValueError("must be today or later")
        if value > today + timedelta(days=MAX_SHARE_DAYS):
            raise ValueError(f"must be at most {MAX_SHARE_DAYS} days from today")
        return value


class AuthorisationOut(BaseModel):
    id: int
    enterprise_id: int
    institution_id: int
    institution_name_zh: str
    institution_name_en: str
    scope: ShareScope
    purpose: str
    starts_at: datetime
    ends_at: datetime
    revoked_at: datetime | None
    status: ShareStatus
    reads: int


class ShareReadOut(BaseModel):
    id: int
    authorisation_id: int
    institution_id: int
    institution_name_zh: str
    institution_name_en: str
    read_at: datetime
    digest: str
    audit_seq: int


def status_of(a: CreditAuthorisation, now: datetime | None = None) -> ShareStatus:
    if a.revoked_at is not None:
        return ShareStatus.revoked
    now = now or utcnow()
    if not (as_utc(a.starts_at) <= now < as_utc(a.ends_at)):
        return ShareStatus.expired
    return ShareStatus.live


def _payload(a: CreditAuthorisation) -> SharingChanged:
    return SharingChanged(
        authorisation_id=id_of(a),
        enterprise_id=a.enterprise_id,
        institution_id=a.institution_id,
        scope=ShareScope(a.scope),
        starts_at=as_utc(a.starts_at),
        ends_at=as_utc(a.ends_at),
        revoked_at=as_utc(a.revoked_at) if a.revoked_at else None,
    )


def authorise(
    session: Session, enterprise_id: int, data: AuthorisationCreate, by: Principal
) -> CreditAuthorisation:
    """The merchant's authorisation, from now to the end of `ends_on` in China time."""
    merchant = enterprises.get(session, enterprise_id)
    if merchant.kind != "merchant":
        raise Invalid.field("enterprise_id", "only a merchant's credit report is shared")
    try:
        institution = enterprises.get(session, data.institution_id)
    except NotFound:
        raise NotFound(f"no enterprise with id {data.institution_id}", field="institution_id") from None
    if institution.kind not in INSTITUTION_KINDS:
        raise Invalid.field("institution_id", "must be a bank or an insurer on the platform")
    if institution.status != "active":
        raise Invalid.field("institution_id", f"the institution is {institution.status}")
    now = utcnow()
    for a in _of_pair(session, enterprise_id, data.institution_id):
        if status_of(a, now) == ShareStatus.live:
            raise Conflict(
                f"authorisation {a.id} for this institution is live until {as_utc(a.ends_at).isoformat()};"
                " revoke it first",
                field="institution_id",
            )
    end = datetime.combine(data.ends_on + timedelta(days=1), time(0), tzinfo=CHINA_TZ)
    a = CreditAuthorisation(
        enterprise_id=enterprise_id,
        institution_id=data.institution_id,
        scope=data.scope,
        purpose=data.purpose.strip(),
        starts_at=now,
        ends_at=end,
        created_at=now,
        created_by=by.actor,
    )
    session.add(a)
    session.flush()
    payload = _payload(a)
    audit.record(
        session,
        by.actor,
        "credit.sharing_authorised",
        "credit_authorisation",
        a.id,
        payload.model_dump(mode="json"),
    )
    emit(session, "credit.sharing_authorised", "credit_authorisation", a.id, payload, by.actor)
    return a


def revoke(session: Session, enterprise_id: int, authorisation_id: int, by: Principal) -> CreditAuthorisation:
    a = session.get(CreditAuthorisation, authorisation_id)
    if a is None or a.enterprise_id != enterprise_id:  # another merchant's: as if it did not exist
        raise NotFound(f"no authorisation {authorisation_id} of this enterprise", field="authorisation_id")
    if a.revoked_at is not None:
        raise Conflict(f"authorisation {authorisation_id} is already revoked", field="authorisation_id")
    a.revoked_at, a.revoked_by = utcnow(), by.actor
    session.add(a)
    session.flush()
    payload = _payload(a)
    audit.record(
        session,
        by.actor,
        "credit.sharing_revoked",
        "credit_authorisation",
        a.id,
        payload.model_dump(mode="json"),
    )
    emit(session, "credit.sharing_revoked", "credit_authorisation", a.id, payload, by.actor)
    return a


def _of_pair(session: Session, enterprise_id: int, institution_id: int) -> list[CreditAuthorisation]:
    return list(
        session.exec(
            select(CreditAuthorisation).where(
                CreditAuthorisation.enterprise_id == enterprise_id,
                CreditAuthorisation.institution_id == institution_id,
            )
        )
    )


def live_authorisation(session: Session, enterprise_id: int, institution_id: int) -> CreditAuthorisation:
    """The one rule of a read: a live authorisation of this merchant for this institution, else 403."""
    now = utcnow()
    live = [
        a for a in _of_pair(session, enterprise_id, institution_id) if status_of(a, now) == ShareStatus.live
    ]
    if not live:
        raise Forbidden(
            f"enterprise {enterprise_id} has not authorised your institution to read its credit report,"
            " or the authorisation was revoked or has ended",
            field="merchant_id",
        )
    return max(live, key=lambda a: id_of(a))


def _names(session: Session, ids: set[int]) -> dict[int, dict]:
    return enterprises.public_profiles(session, ids)


def authorisations(
    session: Session, *, enterprise_id: int | None = None, institution_id: int | None = None
) -> list[AuthorisationOut]:
    """Newest first: a merchant's (enterprise_id) or those granted to an institution (institution_id)."""
    q = select(CreditAuthorisation).order_by(col(CreditAuthorisation.id).desc())
    if enterprise_id is not None:
        q = q.where(CreditAuthorisation.enterprise_id == enterprise_id)
    if institution_id is not None:
        q = q.where(CreditAuthorisation.institution_id == institution_id)
    rows = list(session.exec(q.limit(500)))
    counts: dict[int, int] = {}
    ids = [id_of(a) for a in rows]
    if ids:
        for aid in session.exec(
            select(CreditShareRead.authorisation_id).where(col(CreditShareRead.authorisation_id).in_(ids))
        ):
            counts[aid] = counts.get(aid, 0) + 1
    names = _names(session, {a.institution_id for a in rows} | {a.enterprise_id for a in rows})
    now = utcnow()
    return [
        AuthorisationOut(
            id=id_of(a),
            enterprise_id=a.enterprise_id,
            institution_id=a.institution_id,
            institution_name_zh=names.get(a.institution_id, {}).get("name_zh", ""),
            institution_name_en=names.get(a.institution_id, {}).get("name_en", ""),
            scope=ShareScope(a.scope),
            purpose=a.purpose,
            starts_at=as_utc(a.starts_at),
            ends_at=as_utc(a.ends_at),
            revoked_at=as_utc(a.revoked_at) if a.revoked_at else None,
            status=status_of(a, now),
            reads=counts.get(id_of(a), 0),
        )
        for a in rows
    ]


def reads(session: Session, enterprise_id: int, limit: int = 200) -> list[ShareReadOut]:
    """The merchant's audit view: every read of its report by an institution, newest first."""
    rows = list(
        session.exec(
            select(CreditShareRead)
            .where(CreditShareRead.enterprise_id == enterprise_id)
            .order_by(col(CreditShareRead.id).desc())
            .limit(limit)
        )
    )
    names = _names(session, {r.institution_id for r in rows})
    return [
        ShareReadOut(
            id=id_of(r),
            authorisation_id=r.authorisation_id,
            institution_id=r.institution_id,
            institution_name_zh=names.get(r.institution_id, {}).get("name_zh", ""),
            institution_name_en=names.get(r.institution_id, {}).get("name_en", ""),
            read_at=as_utc(r.read_at),
            digest=r.digest,
            audit_seq=r.audit_seq,
        )
        for r in rows
    ]


def read_report(session: Session, enterprise_id: int, by: Principal) -> dict[str, Any]:
    """The signed report for the calling institution, in the caller's transaction with its audit: the
    read exists exactly when the report was handed over."""
    if by.enterprise_id is None:
        raise Forbidden("only a bank's or insurer's key reads a shared credit report")
    a = live_authorisation(session, enterprise_id, by.enterprise_id)
    now = utcnow()
    view = service.scorecard_view(session, enterprise_id, public=a.scope == ShareScope.report)
    row = CreditShareRead(
        authorisation_id=id_of(a),
        enterprise_id=enterprise_id,
        institution_id=by.enterprise_id,
        actor=by.actor,
        read_at=now,
        digest="",
        audit_seq=0,
    )
    session.add(row)
    session.flush()
    document = {
        "report": to_jsonable_python(view),
        "issued": {
            "read_id": row.id,
            "authorisation_id": a.id,
            "scope": a.scope,
            "institution_id": by.enterprise_id,
            "issued_at": now.isoformat(),
            "authorised_until": as_utc(a.ends_at).isoformat(),
        },
    }
    body = rfc8785.dumps(document)
    row.digest = hashlib.sha256(body).hexdigest()
    entry = audit.record(
        session,
        by.actor,
        "credit.report_shared",
        "credit_authorisation",
        a.id,
        {"read_id": row.id, "digest": row.digest},
    )
    row.audit_seq = entry.seq
    session.add(row)
    keys = audit.keys(session)
    return {
        "document": document,
        "signature": {
            "algorithm": "Ed25519",
            "format": SIGNATURE_FORMAT,
            "key_id": keys.key_id,
            "public_key": base64.b64encode(keys.public_raw).decode(),
            "value": base64.b64encode(keys.signing.sign(body)).decode(),
            "sha256": row.digest,
        },
    }
