"""Who owns an identifier, and so who may record events about it.

An item code belongs to the enterprise that issued it, a lot (GTIN + lot) to the enterprise that first
declared it, a GTIN to the enterprise it is registered to (`GtinOwner`: the first to register it as a
product, or whom a regulator assigned it to). An identifier the platform does not issue (an SSCC on a
pallet, a URN) belongs to the enterprise that first recorded an event about it. Regulators and admins
may record events about anything; a merchant about what it owns, and about what an owner authorised
it for (`GtinGrant`, per GTIN, revocable, audited).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core import agencies, audit
from core.clock import utcnow
from core.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from core.security import ENTERPRISE_BOUND, Principal, Role
from enterprises import service as enterprises
from traceability.codes import DigitalLink
from traceability.models import (
    CodeBatch,
    Declaration,
    DeclarationLine,
    EpcisEvent,
    EpcisEventEpc,
    GtinGrant,
    GtinOwner,
    TraceCode,
)

_CHUNK = 500  # identifiers per IN (...): well under SQLite's and PostgreSQL's parameter limits
MAX_REPORTED = 20  # offending identifiers listed in one refusal


def _chunks(values: Iterable, size: int = _CHUNK) -> Iterable[list]:
    items = list(values)
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --- GTINs -----------------------------------------------------------------------------------------


def gtin_owner(session: Session, gtin: str) -> GtinOwner | None:
    return session.get(GtinOwner, gtin)


def claim_gtin(session: Session, gtin: str, enterprise_id: int, by: Principal) -> GtinOwner:
    """Register a GTIN to an enterprise as it registers a product; a GTIN of another is a 409."""
    owner = session.get(GtinOwner, gtin)
    if owner is None:
        owner = GtinOwner(gtin=gtin, enterprise_id=enterprise_id, assigned_at=utcnow(), assigned_by=by.actor)
        try:
            # Added inside the savepoint: added before it, the row would be flushed when the savepoint
            # begins, outside it, and a lost race would abort the whole transaction.
            with session.begin_nested():
                session.add(owner)
                session.flush()
        except IntegrityError:  # a concurrent registration of the same GTIN won the race
            owner = session.get(GtinOwner, gtin)
            if owner is None:  # pragma: no cover - the winner's row is committed by now
                raise
        else:
            audit.record(session, by.actor, "gtin.claimed", "gtin", gtin, _owner_state(owner))
    if owner.enterprise_id != enterprise_id:
        raise Conflict(
            f"GTIN {gtin} is registered to another enterprise; only a regulator can assign it to another"
            " (PUT /api/v1/gtins/{gtin}/owner)",
            field="gtin",
        )
    return owner


def _owner_state(owner: GtinOwner) -> dict:
    return owner.model_dump(mode="json")


def assign_gtin(session: Session, gtin: str, enterprise_id: int, reason: str, by: Principal) -> GtinOwner:
    """A regulator assigns or transfers a GTIN. Codes and lots already issued stay their issuer's."""
    profile = enterprises.public_profile(session, enterprise_id)
    if profile is None:
        raise Invalid.field("enterprise_id", f"no enterprise with id {enterprise_id}")
    if profile["kind"] != "merchant":
        raise Invalid.field(
            "enterprise_id", f"enterprise {enterprise_id} is a {profile['kind']}, not a merchant"
        )
    owner = session.get(GtinOwner, gtin, with_for_update=True)
    previous = owner.enterprise_id if owner else None
    # A regulator assigns to, and takes from, only the merchants of its own agency's region.
    for party in {enterprise_id} if previous is None else {enterprise_id, previous}:
        agencies.ensure_acts_for_enterprise(session, by, party, f"GTIN {gtin} of enterprise {party}")
    if owner is None:
        owner = GtinOwner(gtin=gtin, enterprise_id=enterprise_id, assigned_at=utcnow(), assigned_by=by.actor)
    elif previous == enterprise_id:
        return owner
    owner.enterprise_id, owner.assigned_at, owner.assigned_by = enterprise_id, utcnow(), by.actor
    session.add(owner)
    session.flush()
    audit.record(
        session,
        by.actor,
        "gtin.assigned",
        "gtin",
        gtin,
        {**_owner_state(owner), "previous_enterprise_id": previous, "reason": reason},
    )
    return owner


# --- grants ----------------------------------------------------------------------------------------


def _has_identifiers(session: Session, enterprise_id: int, gtin: str) -> bool:
    """The enterprise owns the GTIN, or declared lots of it (which stay its own after a transfer)."""
    owner = session.get(GtinOwner, gtin)
    if owner is not None and owner.enterprise_id == enterprise_id:
        return True
    return (
        session.exec(
            select(DeclarationLine.id)
            .join(Declaration, col(Declaration.id) == DeclarationLine.declaration_id)
            .where(DeclarationLine.gtin == gtin, Declaration.enterprise_id == enterprise_id)
            .limit(1)
        ).first()
        is not None
    )


def grant(
    session: Session, owner_id: int, gtin: str, grantee_id: int, by: Principal
) -> tuple[GtinGrant, bool]:
    """Authorise `grantee_id` to record events about the owner's items of `gtin`; (grant, created)."""
    if not _has_identifiers(session, owner_id, gtin):
        raise Forbidden(f"GTIN {gtin} is not registered to your enterprise", field="gtin")
    if grantee_id == owner_id:
        raise Invalid.field("grantee_enterprise_id", "an enterprise needs no grant for its own GTIN")
    profile = enterprises.public_profile(session, grantee_id)
    if profile is None:
        raise Invalid.field("grantee_enterprise_id", f"no enterprise with id {grantee_id}")
    if profile["kind"] != "merchant":
        raise Invalid.field(
            "grantee_enterprise_id",
            f"enterprise {grantee_id} is a {profile['kind']}; only merchants record events",
        )
    existing = session.exec(
        select(GtinGrant).where(
            GtinGrant.gtin == gtin,
            GtinGrant.owner_enterprise_id == owner_id,
            GtinGrant.grantee_enterprise_id == grantee_id,
            col(GtinGrant.revoked_at).is_(None),
        )
    ).first()
    if existing is not None:
        return existing, False
    row = GtinGrant(
        gtin=gtin,
        owner_enterprise_id=owner_id,
        grantee_enterprise_id=grantee_id,
        granted_at=utcnow(),
        granted_by=by.actor,
    )
    session.add(row)
    session.flush()
    audit.record(session, by.actor, "gtin.granted", "gtin_grant", row.id, row.model_dump(mode="json"))
    return row, True


def revoke_grant(session: Session, owner_id: int, grant_id: int, by: Principal) -> GtinGrant:
    row = session.get(GtinGrant, grant_id)
    if row is None or row.owner_enterprise_id != owner_id:
        raise NotFound(f"enterprise {owner_id} has given no grant {grant_id}")
    if row.revoked_at is None:
        row.revoked_at, row.revoked_by = utcnow(), by.actor
        session.add(row)
        session.flush()
        audit.record(
            session, by.actor, "gtin.grant_revoked", "gtin_grant", row.id, row.model_dump(mode="json")
        )
    return row


def grants_of(session: Session, enterprise_id: int) -> list[GtinGrant]:
    """Grants the enterprise gave and received, newest first."""
    return list(
        session.exec(
            select(GtinGrant)
            .where(
                (GtinGrant.owner_enterprise_id == enterprise_id)
                | (GtinGrant.grantee_enterprise_id == enterprise_id)
            )
            .order_by(col(GtinGrant.id).desc())
        )
    )


# --- lots ------------------------------------------------------------------------------------------


def lot_owners(session: Session, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """The enterprise that first declared each (GTIN, lot) that was declared at all."""
    wanted = set(pairs)
    owners: dict[tuple[str, str], int] = {}
    for chunk in _chunks(sorted(wanted)):
        rows = session.exec(
            select(DeclarationLine.gtin, DeclarationLine.lot, Declaration.enterprise_id)
            .join(Declaration, col(Declaration.id) == DeclarationLine.declaration_id)
            .where(
                col(DeclarationLine.gtin).in_({g for g, _ in chunk}),
                col(DeclarationLine.lot).in_({lot for _, lot in chunk}),
            )
            .order_by(col(DeclarationLine.id))
        )
        for gtin, lot, enterprise_id in rows:
            if (gtin, lot) in wanted:
                owners.setdefault((gtin, lot), enterprise_id)
    return owners


# --- who may record an event about what ------------------------------------------------------------


@dataclass(frozen=True)
class Named:
    """An identifier a request names, and where: `path` is its JSON path in the request body."""

    path: str
    uri: str
    link: DigitalLink | None


def owners_of(session: Session, named: Sequence[Named]) -> dict[str, int | None]:
    """Each identifier's owner (None: nobody owns it yet), resolved with a few batched reads."""
    links = [n.link for n in named if n.link is not None]
    serial_owner: dict[str, int] = {}
    for chunk in _chunks({link.serial for link in links if link.serial}):
        rows = session.exec(
            select(TraceCode.serial, CodeBatch.enterprise_id)
            .join(CodeBatch, col(CodeBatch.id) == TraceCode.batch_id)
            .where(col(TraceCode.serial).in_(chunk))
        )
        serial_owner.update(dict(rows.all()))
    lot_owner = lot_owners(session, {(link.gtin, link.lot) for link in links if link.lot})
    gtin_owner_of: dict[str, int] = {}
    for chunk in _chunks({link.gtin for link in links}):
        rows = session.exec(
            select(GtinOwner.gtin, GtinOwner.enterprise_id).where(col(GtinOwner.gtin).in_(chunk))
        )
        gtin_owner_of.update(dict(rows.all()))
    first_recorder: dict[str, int | None] = {}
    for chunk in _chunks({n.uri for n in named if n.link is None}):
        recorded = session.exec(
            select(EpcisEventEpc.epc, col(EpcisEvent.enterprise_id))
            .join(EpcisEvent, col(EpcisEvent.id) == EpcisEventEpc.event_id)
            .where(col(EpcisEventEpc.epc).in_(chunk), col(EpcisEvent.enterprise_id).is_not(None))
            .order_by(col(EpcisEvent.id))
        )
        for epc, enterprise_id in recorded:
            first_recorder.setdefault(epc, enterprise_id)
    owners: dict[str, int | None] = {}
    for n in named:
        link = n.link
        if link is None:
            owners[n.uri] = first_recorder.get(n.uri)
        elif link.serial and link.serial in serial_owner:
            owners[n.uri] = serial_owner[link.serial]
        elif link.lot and (link.gtin, link.lot) in lot_owner:
            owners[n.uri] = lot_owner[(link.gtin, link.lot)]
        else:
            owners[n.uri] = gtin_owner_of.get(link.gtin)
    return owners


def _granted(session: Session, grantee_id: int, gtins: set[str]) -> set[tuple[str, int]]:
    """(GTIN, owner) pairs for which the grantee holds a grant that is not revoked."""
    found: set[tuple[str, int]] = set()
    for chunk in _chunks(gtins):
        rows = session.exec(
            select(GtinGrant.gtin, GtinGrant.owner_enterprise_id).where(
                GtinGrant.grantee_enterprise_id == grantee_id,
                col(GtinGrant.revoked_at).is_(None),
                col(GtinGrant.gtin).in_(chunk),
            )
        )
        found.update(rows)
    return found


def _refusal(errors: list[FieldError]) -> str:
    """The refusal's detail: the first offending JSON path and why, and how many more."""
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{first.field}: {first.reason}{more}; nothing in this request was recorded"


def _ensure_in_agency(session: Session, named: Sequence[Named], by: Principal) -> None:
    """A regulator records about goods of its own agency's enterprises, and about goods no one owns yet
    (its own inspections of unregistered goods); another agency's merchants' goods are read-only to it."""
    owners = owners_of(session, named)
    regions = agencies.agencies_of_enterprises(session, {o for o in owners.values() if o is not None})
    mine = by.agency or agencies.DEFAULT_REGION
    foreign = [
        (n, regions[o]) for n in named if (o := owners[n.uri]) is not None and regions.get(o, mine) != mine
    ]
    errors = [
        FieldError(
            n.path,
            f"{n.uri} belongs to an enterprise of {agencies.describe(region)}; your key acts for "
            f"{agencies.describe(mine)}: another agency's goods are read-only for you",
        )
        for n, region in foreign
    ]
    if foreign:
        raise Forbidden(
            _refusal(errors), errors=errors[:MAX_REPORTED], case_agency=foreign[0][1], your_agency=mine
        )


def ensure_may_record(
    session: Session, named: Sequence[Named], declarations: Sequence[tuple[str, str]], by: Principal
) -> None:
    """Refuse, naming every offending JSON path, an event that names what the caller may not record.

    `declarations` are (path, customs declaration number) pairs from business transactions: an event
    may cite only a declaration of the caller's, or of an owner that authorised it."""
    if by.role == Role.regulator:
        _ensure_in_agency(session, named, by)
        return
    if by.role not in ENTERPRISE_BOUND:
        return  # admins record about anything (insurers are refused before this)
    me = by.enterprise_id
    assert me is not None
    owners = owners_of(session, named)
    needs_grant = {
        (n.link.gtin, owner)
        for n in named
        if n.link is not None and (owner := owners[n.uri]) is not None and owner != me
    }
    granted = _granted(session, me, {gtin for gtin, _ in needs_grant}) if needs_grant else set()
    errors: list[FieldError] = []
    for n in named:
        owner = owners[n.uri]
        if n.link is None:
            if owner is not None and owner != me:
                errors.append(FieldError(n.path, f"{n.uri} was first recorded by another enterprise"))
        elif owner is None:
            errors.append(
                FieldError(
                    n.path, f"GTIN {n.link.gtin} is not registered to any enterprise; register it first"
                )
            )
        elif owner != me and (n.link.gtin, owner) not in granted:
            what = "item" if n.link.serial else ("lot" if n.link.lot else "GTIN")
            errors.append(
                FieldError(
                    n.path,
                    f"the {what} {n.uri} belongs to another enterprise, which has not authorised yours",
                )
            )
    if declarations:
        numbers = {no for _, no in declarations}
        decls: dict[str, tuple[int, int]] = {}
        for chunk in _chunks(numbers):
            rows = session.exec(
                select(Declaration.declaration_no, Declaration.id, Declaration.enterprise_id).where(
                    col(Declaration.declaration_no).in_(chunk)
                )
            )
            decls.update({no: (did, eid) for no, did, eid in rows if did is not None})
        foreign = {did: eid for did, eid in decls.values() if eid != me}
        cited_ok: set[int] = set()
        if foreign:
            # A partner may cite the declaration of an owner that authorised it for a GTIN on it.
            line_gtins = session.exec(
                select(DeclarationLine.declaration_id, DeclarationLine.gtin).where(
                    col(DeclarationLine.declaration_id).in_(foreign)
                )
            ).all()
            mine = _granted(session, me, {g for _, g in line_gtins})
            cited_ok = {did for did, g in line_gtins if (g, foreign[did]) in mine}
        for path, no in declarations:
            did, eid = decls.get(no, (None, None))
            if did is None or (eid != me and did not in cited_ok):
                errors.append(FieldError(path, f"customs declaration {no} is not one of your enterprise's"))
    if errors:
        raise Forbidden(_refusal(errors), errors=errors[:MAX_REPORTED])
