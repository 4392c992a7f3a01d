"""Data from other agencies on the console (/console/intake): the sources, their deliveries with their
progress, the records waiting for a match, the conflicts between sources; a delivery's rejected rows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from api.pages import web
from core.identifiers import MAX_ID
from core.security import Principal
from enterprises import service as enterprises
from intake import service as intake
from intake import settle

router = APIRouter(include_in_schema=False, route_class=web.PageRoute)
Console = Annotated[Principal, Depends(web.console_user)]


@router.get("/console/intake")
def overview(request: Request, _: Console) -> Response:
    with request.app.state.db.read_session() as s:
        sources, review = intake.listed(s), intake.review_queue(s)
        ctx = {
            "sources": sources,
            "names": {src.id: src.name_zh for src in sources},
            "deliveries": intake.deliveries(s),
            "review": review,
            "proposed": enterprises.public_profiles(s, {r.enterprise_id for r in review if r.enterprise_id}),
            "conflicts": intake.conflicts(s),
            "settled": settle.settlements(s),
        }
    return web.render(request, "console_intake.html", ctx)


@router.get("/console/intake/deliveries/{delivery_id}")
def delivery(request: Request, _: Console, delivery_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> Response:
    with request.app.state.db.read_session() as s:
        d = intake.get_delivery(s, delivery_id)
        rows = intake.rejected(s, delivery_id, 500)
    return web.render(request, "console_intake_delivery.html", {"d": d, "rows": rows})
