"""Transfers between regions' agencies: a case sent out, a case received (taken in like any
complaint), and a case's transfer trail."""

from __future__ import annotations

from sqlmodel import Session, col, select

from complaints.events import ComplaintTransferred
from complaints.intake import intake
from complaints.kit import (
    Kit,
    _note,
    _require,
    _snapshot,
    _touch,
)
from complaints.models import (
    OPEN_STATUSES,
    Complaint,
    ComplaintTransfer,
)
from complaints.reading import get_to_act
from complaints.schemas import (
    ReceivedTransferIn,
    TransferIn,
)
from core import agencies, audit
from core.agencies import AGENCIES, DEFAULT_REGION
from core.clock import utcnow
from core.db import id_of
from core.errors import Conflict, Invalid
from core.events import emit
from core.security import Principal


def transfer(session: Session, complaint_id: int, data: TransferIn, by: Principal) -> ComplaintTransfer:
    c = get_to_act(session, complaint_id, by)
    if data.to_region not in AGENCIES:
        raise Invalid.field("to_region", f"no complaint agency is known for division {data.to_region}")
    if data.to_region == c.region:
        raise Invalid.field("to_region", "the case is already with that agency")
    _require(c, *OPEN_STATUSES, action="transfer")
    t = ComplaintTransfer(
        complaint_id=id_of(c),
        direction="out",
        from_region=c.region,
        to_region=data.to_region,
        reason=data.reason,
        actor=by.actor,
        at=utcnow(),
    )
    c.region = data.to_region
    _transferred(session, c, t, "complaint.transferred")
    return t


def _transferred(session: Session, c: Complaint, t: ComplaintTransfer, action: str) -> None:
    """A transfer's record, the case touched, audited and announced (either direction)."""
    session.add(t)
    _touch(session, c)
    audit.record(session, t.actor, action, "complaint", c.id, _snapshot(c))
    emit(
        session,
        "complaint.transferred",
        "complaint",
        c.id,
        ComplaintTransferred(
            complaint_id=c.id,
            enterprise_id=c.enterprise_id,
            direction=t.direction,
            from_region=t.from_region,
            to_region=t.to_region,
        ),
        t.actor,
    )


def receive_transfer(
    session: Session, kit: Kit, data: ReceivedTransferIn, by: Principal
) -> tuple[Complaint, str, bool]:
    """A case sent here by another region's agency: taken in like any complaint (its deadlines count
    from its receipt here, a repeat joins the earlier case), with the transfer in its trail. The
    tracking token goes back to the sending agency, which hands it to the consumer."""
    # A regulator receives into its own agency (naming another is acting for it); an admin names any.
    if data.region is None and by.agency is not None:
        data = data.model_copy(update={"region": by.agency})
    here = data.region or DEFAULT_REGION
    agencies.ensure_acts(by, here, "a case received for that agency")
    if data.from_region not in AGENCIES:
        raise Invalid.field("from_region", f"no complaint agency is known for division {data.from_region}")
    if data.from_region == here:
        raise Invalid.field("from_region", "a case cannot be sent to the agency that sends it")
    dup = session.exec(
        select(ComplaintTransfer.complaint_id).where(
            ComplaintTransfer.direction == "in",
            ComplaintTransfer.from_region == data.from_region,
            ComplaintTransfer.source_ref == data.source_ref,
        )
    ).first()
    if dup is not None:
        raise Conflict(
            f"the case {data.source_ref} from {data.from_region} was already received", field="source_ref"
        )
    c, token, joined = intake(session, kit, data, [], channel="transfer", actor=by.actor)
    t = ComplaintTransfer(
        complaint_id=id_of(c),
        direction="in",
        from_region=data.from_region,
        to_region=c.region,
        reason=data.reason,
        source_ref=data.source_ref,
        actor=by.actor,
        at=utcnow(),
    )
    _note(session, c, "regulator", "transfer_in", f"{AGENCIES[data.from_region]} {data.source_ref}")
    _transferred(session, c, t, "complaint.transfer_received")
    return c, token, joined


def transfers(session: Session, complaint_id: int) -> list[ComplaintTransfer]:
    return list(
        session.exec(
            select(ComplaintTransfer)
            .where(ComplaintTransfer.complaint_id == complaint_id)
            .order_by(col(ComplaintTransfer.id))
        )
    )
