"""Early warning on the console (/console/warnings): the enterprises at risk, highest first, each level
with the signals that raised it and the counts behind them (credit.warning, the rule the API uses)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.pages import web
from core.security import Principal
from credit import warning

router = APIRouter(include_in_schema=False, route_class=web.PageRoute)
Console = Annotated[Principal, Depends(web.console_user)]


@router.get("/console/warnings")
def feed(request: Request, _: Console) -> Response:
    with request.app.state.db.read_session() as s:
        rows = warning.feed(s, "elevated", 500)
    r = warning.rules()
    return web.render(
        request,
        "console_warnings.html",
        {"rows": rows, "rules": r, "signals": list(r.signals.values())},
    )
