"""The console's forms that settle intake's review queue and conflicts (/console/intake): the same
service and checks as the API; a refused decision answers the page's problem naming the field."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api.pages import web
from api.pages.complaint_desk import validated
from core.identifiers import MAX_ID
from core.security import Principal
from intake import settle
from intake.settle import ConflictDecision, ReviewDecision

router = APIRouter(include_in_schema=False, route_class=web.PageRoute)
Console = Annotated[Principal, Depends(web.console_user)]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != "csrftoken" and v.strip()}


async def _settle(
    request: Request, operation: Any, item_id: int, model: type[BaseModel], me: Principal
) -> None:  # noqa: ANN401
    """A decision posted by the form, through the API's schema and the same service call as the API."""
    data = validated(model, await _form(request))

    def run() -> None:
        with request.app.state.db.transaction() as s:
            operation(s, item_id, data, me)

    await run_in_threadpool(run)


@router.post("/console/intake/records/{record_id}/settlement")
async def settle_record(request: Request, record_id: Id, me: Console) -> Response:
    await _settle(request, settle.settle_record, record_id, ReviewDecision, me)
    return RedirectResponse(f"/console/intake?settled=record-{record_id}", status_code=303)


@router.post("/console/intake/conflicts/{conflict_id}/settlement")
async def settle_conflict(request: Request, conflict_id: Id, me: Console) -> Response:
    await _settle(request, settle.settle_conflict, conflict_id, ConflictDecision, me)
    return RedirectResponse(f"/console/intake?settled=conflict-{conflict_id}", status_code=303)
