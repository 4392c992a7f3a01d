"""Social supervision (社会共治): anyone reports a merchant's conduct with evidence; a regulator verifies; an
effective report becomes a credit record of the merchant and is credited to its reporter.

A reporter is a pseudonym and the hash of a token, given once, with which they follow their reports: the
platform keeps no name and no contact, and nothing here logs more than those rows hold. Abuse is limited
three ways: a reporter sends at most `[tipoffs] max_per_day` reports a day, the same report (same merchant,
category and words, from anyone) is refused for `repeat_days` while an earlier one stands (both rules of
credit/methodology.toml), and the public rate limit applies."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from sqlmodel import Session, col, func, select

from core import agencies, audit
from core.clock import as_utc, utcnow
from core.db import id_of
from core.errors import Conflict, Invalid, NotFound, RateLimited, Unauthorized
from core.events import emit
from core.identifiers import validate_uscc
from core.security import Principal
from credit import methodology, service
from credit.events import TipoffChanged
from credit.tipoff_models import Reporter, Tipoff, TipoffCategory, TipoffStatus
from enterprises import service as enterprises

KIND = "social_report_verified"  # the methodology's kind of an effective report
CATEGORY_ZH = {
    "false_advertising": "虚假宣传",
    "unlabelled_goods": "无中文标签商品",
    "fake_verification_site": "假冒追溯查询网站",
    "counterfeit": "假冒商品",
    "other": "其他违法违规行为",
}


class TipoffCreate(BaseModel):
    uscc: str = Field(min_length=18, max_length=18, description="The merchant's unified social credit code")
    category: TipoffCategory
    narrative: str = Field(min_length=10, max_length=2000, description="What you saw, where and when")
    evidence_url: str = Field(default="", max_length=300, description="A link to the evidence (https)")
    consent: bool = Field(description="You agree that the platform keeps this report under a pseudonym")
    reporter_token: str = Field(
        default="", max_length=64, description="Your token, to report again as yourself"
    )

    @field_validator("uscc")
    @classmethod
    def _uscc(cls, value: str) -> str:
        return validate_uscc(value)

    @field_validator("evidence_url")
    @classmethod
    def _https(cls, value: str) -> str:
        value = value.strip()
        if value and not re.fullmatch(r"https://[^\s<>\"']+", value):
            raise ValueError("must be an https:// link")
        return value

    @field_validator("consent")
    @classmethod
    def _consented(cls, value: bool) -> bool:
        if not value:
            raise ValueError("a report is kept only with your consent")
        return value


class TipoffDecision(BaseModel):
    effective: bool
    severity: Literal["minor", "general", "serious"] = "general"
    reason: str = Field(min_length=2, max_length=2000)


class TipoffOut(BaseModel):
    id: int
    enterprise_id: int
    enterprise_name_zh: str
    category: TipoffCategory
    narrative: str
    evidence_url: str
    status: TipoffStatus
    created_at: datetime
    decided_at: datetime | None
    decision_reason: str
    record_id: int | None
    reporter: str  # the pseudonym, never more


class Submitted(BaseModel):
    tipoff: TipoffOut
    reporter: str
    reporter_token: str | None = Field(description="Given once, to a new reporter: keep it to follow")


class Followed(BaseModel):
    reporter: str
    effective: int
    tipoffs: list[TipoffOut]


def _hash(token: str) -> str:
    return hashlib.sha256(b"crosstrust-reporter\x00" + token.encode()).hexdigest()


def _fingerprint(enterprise_id: int, category: str, narrative: str) -> str:
    words = re.sub(r"[\W_]+", "", narrative.casefold())
    return hashlib.sha256(f"{enterprise_id}|{category}|{words}".encode()).hexdigest()


def reporter_of(session: Session, token: str) -> Reporter:
    found = (
        session.exec(select(Reporter).where(Reporter.token_hash == _hash(token))).first() if token else None
    )
    if found is None:
        raise Unauthorized("no reporter has this token", field="X-Reporter-Token")
    return found


def _new_reporter(session: Session) -> tuple[Reporter, str]:
    token = secrets.token_urlsafe(24)
    while True:
        pseudonym = f"R-{secrets.token_hex(4).upper()}"
        if session.exec(select(Reporter.id).where(Reporter.pseudonym == pseudonym)).first() is None:
            break
    r = Reporter(pseudonym=pseudonym, token_hash=_hash(token), consented_at=utcnow())
    session.add(r)
    session.flush()
    return r, token


def _limits(session: Session, reporter: Reporter | None, fingerprint: str, now: datetime) -> None:
    rules = methodology.current().trust
    if reporter is not None:
        sent = session.exec(
            select(func.count())
            .select_from(Tipoff)
            .where(Tipoff.reporter_id == reporter.id, Tipoff.created_at >= now - timedelta(days=1))
        ).one()
        if sent >= rules.tipoffs_per_day:
            raise RateLimited(
                f"at most {rules.tipoffs_per_day} reports a day; try again tomorrow", retry_after=86400
            )
    same = session.exec(
        select(Tipoff.id).where(
            Tipoff.fingerprint == fingerprint,
            Tipoff.created_at >= now - timedelta(days=rules.tipoff_repeat_days),
            Tipoff.status != TipoffStatus.not_effective,
        )
    ).first()
    if same is not None:
        raise Conflict(
            f"the same report was made already (report {same}); it is being handled", field="narrative"
        )


def submit(session: Session, data: TipoffCreate) -> Submitted:
    try:
        ent = enterprises.get_by_uscc(session, data.uscc)
    except NotFound:
        raise NotFound(f"no merchant with USCC {data.uscc}", field="uscc") from None
    if ent.kind != "merchant":
        raise Invalid.field("uscc", "reports are about merchants")
    now = utcnow()
    reporter = reporter_of(session, data.reporter_token) if data.reporter_token else None
    fingerprint = _fingerprint(id_of(ent), data.category, data.narrative)
    _limits(session, reporter, fingerprint, now)
    token = None
    if reporter is None:
        reporter, token = _new_reporter(session)
    t = Tipoff(
        enterprise_id=id_of(ent),
        reporter_id=id_of(reporter),
        category=data.category,
        narrative=data.narrative.strip(),
        evidence_url=data.evidence_url,
        fingerprint=fingerprint,
        created_at=now,
    )
    session.add(t)
    session.flush()
    _announce(session, t, f"reporter:{reporter.pseudonym}")
    return Submitted(
        tipoff=_out(t, ent.name_zh, reporter.pseudonym), reporter=reporter.pseudonym, reporter_token=token
    )


def _announce(session: Session, t: Tipoff, actor: str) -> None:
    payload = TipoffChanged(
        tipoff_id=id_of(t),
        enterprise_id=t.enterprise_id,
        category=TipoffCategory(t.category),
        status=TipoffStatus(t.status),
    )
    audit.record(
        session, actor, f"credit.tipoff_{t.status}", "credit_tipoff", t.id, payload.model_dump(mode="json")
    )
    emit(session, "credit.tipoff_changed", "credit_tipoff", t.id, payload, actor)


def _out(t: Tipoff, name_zh: str, pseudonym: str) -> TipoffOut:
    return TipoffOut(
        id=id_of(t),
        enterprise_id=t.enterprise_id,
        enterprise_name_zh=name_zh,
        category=TipoffCategory(t.category),
        narrative=t.narrative,
        evidence_url=t.evidence_url,
        status=TipoffStatus(t.status),
        created_at=as_utc(t.created_at),
        decided_at=as_utc(t.decided_at) if t.decided_at else None,
        decision_reason=t.decision_reason,
        record_id=t.record_id,
        reporter=pseudonym,
    )


def _outs(session: Session, rows: list[Tipoff]) -> list[TipoffOut]:
    names = enterprises.public_profiles(session, {t.enterprise_id for t in rows})
    ids = {t.reporter_id for t in rows}
    pseudonyms = (
        dict(session.exec(select(Reporter.id, Reporter.pseudonym).where(col(Reporter.id).in_(ids))).all())
        if ids
        else {}
    )
    return [
        _out(t, names.get(t.enterprise_id, {}).get("name_zh", ""), pseudonyms.get(t.reporter_id, ""))
        for t in rows
    ]


def follow(session: Session, token: str) -> Followed:
    r = reporter_of(session, token)
    rows = list(
        session.exec(
            select(Tipoff).where(Tipoff.reporter_id == r.id).order_by(col(Tipoff.id).desc()).limit(200)
        )
    )
    return Followed(reporter=r.pseudonym, effective=r.effective, tipoffs=_outs(session, rows))


def queue(session: Session, status: TipoffStatus | None = None, limit: int = 200) -> list[TipoffOut]:
    q = select(Tipoff).order_by(col(Tipoff.id))
    if status is not None:
        q = q.where(Tipoff.status == status)
    return _outs(session, list(session.exec(q.limit(limit))))


def get(session: Session, tipoff_id: int) -> TipoffOut:
    t = session.get(Tipoff, tipoff_id)
    if t is None:
        raise NotFound(f"no report {tipoff_id}", field="tipoff_id")
    return _outs(session, [t])[0]


def decide(session: Session, tipoff_id: int, data: TipoffDecision, by: Principal) -> TipoffOut:
    """The regulator's verification: effective, the merchant gets a record of the methodology's kind and
    the reporter one more effective report; not effective, nothing else changes."""
    t = session.get(Tipoff, tipoff_id)
    if t is None:
        raise NotFound(f"no report {tipoff_id}", field="tipoff_id")
    agencies.ensure_acts_for_enterprise(session, by, t.enterprise_id, f"report {tipoff_id}")
    if t.status != TipoffStatus.received:
        raise Conflict(f"report {tipoff_id} was decided already", field="tipoff_id")
    t.status = TipoffStatus.effective if data.effective else TipoffStatus.not_effective
    t.decided_at, t.decided_by, t.decision_reason = utcnow(), by.actor, data.reason.strip()
    if data.effective:
        record, _ = service.add_record(
            session,
            enterprise_id=t.enterprise_id,
            kind=KIND,
            severity=data.severity,
            occurred_at=as_utc(t.created_at),
            title_zh=f"社会监督举报查实：{CATEGORY_ZH[t.category]}",
            title_en=f"Public report verified: {t.category.replace('_', ' ')}",
            evidence=t.decision_reason,
            evidence_ref=f"tipoff:{t.id}",
            source_type="tipoff",
            source_key=f"tipoff:{t.id}",
            actor=by.actor,
            reason=t.decision_reason,
        )
        t.record_id = record.id
        reporter = session.get(Reporter, t.reporter_id)
        if reporter is not None:
            reporter.effective += 1
            session.add(reporter)
    session.add(t)
    session.flush()
    _announce(session, t, by.actor)
    return _outs(session, [t])[0]
