"""Distribution on the console (/console/intake/subscriptions): the regulator's agency's subscriptions to
intake's records, each with its latest messages and their delivery state; a form to subscribe (the
signing secret is shown on the answer, this once) and one to revoke. The same service and checks as the
API (intake.distribution); a refused form answers the page's problem naming the field."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.pages import web
from api.pages.complaint_desk import validated
from core.agencies import AGENCY_NAMES
from core.identifiers import MAX_ID
from core.security import Principal, Role
from core.webhooks import Destinations
from intake import distribution
from intake.dist_schemas import SubscriptionCreate
from intake.mapping import mappings

router = APIRouter(include_in_schema=False, route_class=web.PageRoute)
Console = Annotated[Principal, Depends(web.console_user)]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
SHOWN = 20  # a subscription's latest messages on the page


def _page(request: Request, me: Principal, created: tuple[Any, str] | None = None) -> Response:
    subs, sent = [], {}
    if me.role == Role.regulator:
        with request.app.state.db.read_session() as s:
            subs = distribution.listed(s, me)
            sent = {
                sub.id: distribution.dispatches(s, sub.id, me, SHOWN) for sub in subs if sub.id is not None
            }
    ctx = {
        "subs": subs,
        "sent": sent,
        "created": created,
        "kinds": sorted(mappings()),
        "regions": sorted(AGENCY_NAMES),
        "may_subscribe": me.role == Role.regulator,
    }
    return web.render(request, "console_intake_subscriptions.html", ctx)


@router.get("/console/intake/subscriptions")
def overview(request: Request, me: Console) -> Response:
    return _page(request, me)


@router.post("/console/intake/subscriptions")
async def subscribe(request: Request, me: Console) -> Response:
    form = await request.form()
    raw = {
        "name": str(form.get("name", "")).strip(),
        "url": str(form.get("url", "")).strip(),
        "kinds": [str(v) for v in form.getlist("kinds")],
        "regions": [str(v) for v in form.getlist("regions")],
        "since": str(form.get("since", "")).strip() or None,
    }
    data = validated(SubscriptionCreate, raw)
    destinations = Destinations.from_setting(request.app.state.settings.webhook_allowed_networks)

    def run() -> tuple[Any, str]:
        with request.app.state.db.transaction() as s:
            sub, secret = distribution.subscribe(
                s, data, me, destinations, request.app.state.complaint_kit.box
            )
            return sub.id, secret

    created = await run_in_threadpool(run)
    return _page(request, me, created)


@router.post("/console/intake/subscriptions/{subscription_id}/revocation")
async def revoke(request: Request, subscription_id: Id, me: Console) -> Response:
    def run() -> None:
        with request.app.state.db.transaction() as s:
            distribution.revoke(s, subscription_id, me)

    await run_in_threadpool(run)
    return RedirectResponse(f"/console/intake/subscriptions?revoked={subscription_id}", status_code=303)
