"""Registering and changing enterprises. Every write is audited and emits an event."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core import agencies, audit
from core.clock import utcnow
from core.errors import Conflict, Invalid, NotFound
from core.events import emit
from core.identifiers import validate_uscc
from core.security import Principal
from enterprises.events import EnterpriseChanged, EnterpriseRegistered
from enterprises.models import Enterprise, EnterpriseStatus
from enterprises.schemas import EnterpriseCreate, EnterpriseUpdate, StatusChange

PUBLIC_FIELDS = ("uscc", "customs_code", "name_zh", "name_en", "kind", "country", "status")


def _snapshot(e: Enterprise) -> dict:
    return e.model_dump(mode="json")


def _public(e: Enterprise) -> dict:
    return {"enterprise_id": e.id, **{f: getattr(e, f) for f in PUBLIC_FIELDS}, "version": e.version}


def register(session: Session, data: EnterpriseCreate, by: Principal) -> Enterprise:
    # A regulator registers the enterprises of its own agency's region (the USCC's division).
    agencies.ensure_acts(
        by, agencies.agency_of_uscc(data.uscc), f"an enterprise registered in {data.uscc[2:8]}"
    )
    if session.exec(select(Enterprise.id).where(Enterprise.uscc == data.uscc)).first() is not None:
        raise Conflict(f"an enterprise with USCC {data.uscc} is already registered", field="uscc")
    if (
        data.customs_code
        and session.exec(select(Enterprise.id).where(Enterprise.customs_code == data.customs_code)).first()
        is not None
    ):
        raise Conflict(
            f"customs code {data.customs_code} belongs to another enterprise", field="customs_code"
        )
    now = utcnow()
    values = data.model_dump()
    values["contact_email"] = values.get("contact_email") or ""
    ent = Enterprise(**values, created_at=now, updated_at=now)
    session.add(ent)
    try:
        session.flush()
    except IntegrityError:  # a concurrent registration of the same USCC won the race
        raise Conflict(f"an enterprise with USCC {data.uscc} is already registered", field="uscc") from None
    audit.record(session, by.actor, "enterprise.registered", "enterprise", ent.id, _snapshot(ent))
    emit(
        session, "enterprise.registered", "enterprise", ent.id, EnterpriseRegistered(**_public(ent)), by.actor
    )
    return ent


def get(session: Session, enterprise_id: int) -> Enterprise:
    ent = session.get(Enterprise, enterprise_id)
    if ent is None:
        raise NotFound(f"no enterprise with id {enterprise_id}", field="enterprise_id")
    return ent


def get_by_uscc(session: Session, uscc: str, *, field: str = "uscc") -> Enterprise:
    """The enterprise with this USCC, once the code itself is well formed (GB 32100: its length, its
    characters, its check character); a malformed one is a 422 naming `field`, the answer every front
    door gives (the API, the pages and the CLI call this, not a check of their own)."""
    try:
        number = validate_uscc(uscc)
    except ValueError as exc:
        raise Invalid.field(field, str(exc)) from None
    ent = session.exec(select(Enterprise).where(Enterprise.uscc == number)).first()
    if ent is None:
        raise NotFound(f"no enterprise with USCC {number}")
    return ent


def ids_of_kind(session: Session, kind: str) -> list[int]:
    """The ids of every enterprise of one kind (e.g. the merchants a nightly credit run scores)."""
    ids = session.exec(select(col(Enterprise.id)).where(Enterprise.kind == kind).order_by(col(Enterprise.id)))
    return [i for i in ids if i is not None]  # a primary key: never NULL


def public_profiles(session: Session, enterprise_ids: Iterable[int]) -> dict[int, dict]:
    """`public_profile` for many enterprises in one read."""
    rows = session.exec(select(Enterprise).where(col(Enterprise.id).in_(set(enterprise_ids))))
    return {e.id: {"id": e.id, **{f: getattr(e, f) for f in PUBLIC_FIELDS}} for e in rows if e.id is not None}


def profiles_by_uscc(session: Session, usccs: Iterable[str]) -> dict[str, dict]:
    """`public_profile` for many enterprises named by USCC (a published draw names importers so)."""
    wanted = {u.upper() for u in usccs}
    if not wanted:
        return {}
    rows = session.exec(select(Enterprise).where(col(Enterprise.uscc).in_(wanted)))
    return {e.uscc: {"id": e.id, **{f: getattr(e, f) for f in PUBLIC_FIELDS}} for e in rows}


def keys_by_uscc(session: Session, usccs: Iterable[str]) -> dict[str, tuple[int, str]]:
    """(id, Chinese name) of the enterprises named by USCC, three columns and no objects (intake looks
    up a whole chunk's USCCs so)."""
    wanted = {u.upper() for u in usccs}
    if not wanted:
        return {}
    stmt = select(Enterprise.uscc, Enterprise.id, Enterprise.name_zh).where(col(Enterprise.uscc).in_(wanted))
    return {u: (i, n) for u, i, n in session.exec(stmt) if u is not None and i is not None}


def versions(session: Session) -> dict[int, int]:
    """Every enterprise's version (it moves with each change): what intake's name keys are kept in step
    with (`intake.directory`), two columns and no objects."""
    stmt = select(Enterprise.id, Enterprise.version)
    return {i: v for i, v in session.exec(stmt) if i is not None}


def names_of(session: Session, enterprise_ids: Iterable[int]) -> list[tuple[int, str | None, str, str, int]]:
    """(id, USCC, Chinese name, address, version) of the enterprises named, no objects."""
    wanted = set(enterprise_ids)
    if not wanted:
        return []
    cols = (Enterprise.id, Enterprise.uscc, Enterprise.name_zh, Enterprise.address, Enterprise.version)
    stmt = sa_select(*(col(c) for c in cols)).where(col(Enterprise.id).in_(wanted))
    return [(i, u, n, a, v) for i, u, n, a, v in session.execute(stmt) if i is not None]


def names_by_uscc(session: Session, usccs: Iterable[str]) -> dict[str, str]:
    """The Chinese names of enterprises named by USCC (a search's facet labels): two columns, no rows."""
    wanted = {u.upper() for u in usccs}
    if not wanted:
        return {}
    rows = session.exec(select(Enterprise.uscc, Enterprise.name_zh).where(col(Enterprise.uscc).in_(wanted)))
    return dict(rows.all())


def list_enterprises(
    session: Session,
    kind: str | Iterable[str] | None = None,
    limit: int = 100,
    offset: int = 0,
    *,
    status: Iterable[str] | None = None,
    ids: Iterable[int] | None = None,
) -> list[Enterprise]:
    """Enterprises by id; each filter given narrows (kinds or statuses: any of them; `ids`: among
    these, e.g. the enterprises of a grade, which the credit domain knows)."""
    stmt = select(Enterprise).order_by(col(Enterprise.id)).limit(limit).offset(offset)
    kinds = [kind] if isinstance(kind, str) else list(kind or [])
    if kinds:
        stmt = stmt.where(col(Enterprise.kind).in_(kinds))
    statuses = list(status or [])
    if statuses:
        stmt = stmt.where(col(Enterprise.status).in_(statuses))
    if ids is not None:
        stmt = stmt.where(col(Enterprise.id).in_(set(ids)))
    return list(session.exec(stmt).all())


def update(session: Session, enterprise_id: int, data: EnterpriseUpdate, by: Principal) -> Enterprise:
    ent = get(session, enterprise_id)
    agencies.ensure_acts(by, agencies.agency_of_uscc(ent.uscc), f"enterprise {ent.id}")
    changes = data.model_dump(exclude_unset=True)
    if "contact_email" in changes:
        changes["contact_email"] = changes["contact_email"] or ""
    if changes.get("customs_code") and changes["customs_code"] != ent.customs_code:
        clash = session.exec(
            select(Enterprise.id).where(Enterprise.customs_code == changes["customs_code"])
        ).first()
        if clash is not None:
            raise Conflict(
                f"customs code {changes['customs_code']} belongs to another enterprise", field="customs_code"
            )
    changed = {k: v for k, v in changes.items() if getattr(ent, k) != v}
    if not changed:
        return ent
    for key, value in changed.items():
        setattr(ent, key, value)
    _touch(session, ent)
    audit.record(session, by.actor, "enterprise.changed", "enterprise", ent.id, _snapshot(ent))
    emit(
        session,
        "enterprise.changed",
        "enterprise",
        ent.id,
        EnterpriseChanged(**_public(ent), changed=sorted(changed)),
        by.actor,
    )
    return ent


def change_status(session: Session, enterprise_id: int, data: StatusChange, by: Principal) -> Enterprise:
    ent = get(session, enterprise_id)
    agencies.ensure_acts(by, agencies.agency_of_uscc(ent.uscc), f"enterprise {ent.id}")
    if ent.status == EnterpriseStatus.deregistered:
        raise Conflict("a deregistered enterprise cannot change status", field="status")
    if ent.status == data.status:
        return ent
    ent.status, ent.status_reason = data.status, data.reason
    _touch(session, ent)
    audit.record(session, by.actor, "enterprise.status_changed", "enterprise", ent.id, _snapshot(ent))
    emit(
        session,
        "enterprise.changed",
        "enterprise",
        ent.id,
        EnterpriseChanged(**_public(ent), changed=["status"], reason=data.reason),
        by.actor,
    )
    return ent


def _touch(session: Session, ent: Enterprise) -> None:
    ent.updated_at = utcnow()
    ent.version += 1
    session.add(ent)
    session.flush()


def public_profile(session: Session, enterprise_id: int) -> dict | None:
    """What other domains and pages may show about an enterprise: its public registration."""
    ent = session.get(Enterprise, enterprise_id)
    if ent is None:
        return None
    return {"id": ent.id, **{f: getattr(ent, f) for f in PUBLIC_FIELDS}}
