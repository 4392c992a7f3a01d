"""Intake's distribution (issue 24, item 5): a regulator subscribes its agency to the accepted records it
is entitled to (a callback URL, kinds, optionally regions; the signing secret shown once), lists and
revokes its agency's subscriptions, and reads each subscription's messages with their delivery state."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from api.deps import DbDep, Offset, require
from api.problems import responses
from core.identifiers import MAX_ID
from core.security import Principal, Role
from core.webhooks import Destinations
from intake import distribution
from intake.dist_models import IntakeSubscription
from intake.dist_schemas import DispatchOut, SubscriptionCreate, SubscriptionCreated, SubscriptionOut

router = APIRouter(prefix="/api/v1/intake/subscriptions", tags=["intake"])
Regulator = Annotated[Principal, Depends(require(Role.regulator))]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=distribution.MAX_DISPATCHES)]


def _out(sub: IntakeSubscription) -> SubscriptionOut:
    return SubscriptionOut.model_validate(sub, from_attributes=True)


@router.post("", status_code=201, response_model=SubscriptionCreated, responses=responses(401, 403, 422))
def create(request: Request, data: SubscriptionCreate, db: DbDep, by: Regulator) -> SubscriptionCreated:
    """Subscribe the regulator's agency; the answer carries the signing secret, this once."""
    destinations = Destinations.from_setting(request.app.state.settings.webhook_allowed_networks)
    with db.transaction() as s:
        sub, secret = distribution.subscribe(s, data, by, destinations, request.app.state.complaint_kit.box)
        return SubscriptionCreated(**_out(sub).model_dump(), secret=secret)


@router.get("", response_model=list[SubscriptionOut], responses=responses(401, 403))
def listed(db: DbDep, by: Regulator) -> list[SubscriptionOut]:
    """The subscriptions of the regulator's agency, newest first."""
    with db.read_session() as s:
        return [_out(sub) for sub in distribution.listed(s, by)]


@router.get("/{subscription_id}", response_model=SubscriptionOut, responses=responses(401, 403, 404))
def one(subscription_id: Id, db: DbDep, by: Regulator) -> SubscriptionOut:
    with db.read_session() as s:
        return _out(distribution.get(s, subscription_id, by))


@router.post(
    "/{subscription_id}/revocation", response_model=SubscriptionOut, responses=responses(401, 403, 404)
)
def revoke(subscription_id: Id, db: DbDep, by: Regulator) -> SubscriptionOut:
    """Revoke: nothing more is sent to it (revoking again answers it as it is)."""
    with db.transaction() as s:
        return _out(distribution.revoke(s, subscription_id, by))


@router.get(
    "/{subscription_id}/deliveries", response_model=list[DispatchOut], responses=responses(401, 403, 404, 422)
)
def deliveries(
    subscription_id: Id, db: DbDep, by: Regulator, limit: Limit = 100, offset: Offset = 0
) -> list[DispatchOut]:
    """The messages owed to the subscription, newest first: pending, delivered, failed (the outbox gave
    up; an admin may retry it) or skipped (revoked before it was sent)."""
    with db.read_session() as s:
        return distribution.dispatches(s, subscription_id, by, limit, offset)
