"""The console's forms that settle intake's review queue and conflicts (/console/intake): the same
service and checks as the API; a refused decision answers the page's problem naming the field."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from api.pages import web
from core.errors import Invalid
from core.identifiers import MAX_ID
from core.security import Principal
from intake import settle
from intake.settle import ConflictDecision, ReviewDecision

router = APIRouter(include_in_schema=False, route_class=web.PageRoute)
Console = Annotated[Principal, Depends(web.console_user)]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
M = TypeVar("M", bound=BaseModel)


def _validated(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        raise Invalid.field(".".join(str(p) for p in err["loc"]) or "form", err["msg"]) from None


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {k: v.strip() for k, v in form.items() if isinstance(v, str) and k != "csrftoken" and v.strip()}


@router.post("/console/intake/records/{record_id}/settlement")
async def settle_record(request: Request, record_id: Id, me: Console) -> Response:
    data = _validated(ReviewDecision, await _form(request))

    def run() -> None:
        with request.app.state.db.transaction() as s:
            settle.settle_record(s, record_id, data, me)

    await run_in_threadpool(run)
    return RedirectResponse(f"/console/intake?settled=record-{record_id}", status_code=303)


@router.post("/console/intake/conflicts/{conflict_id}/settlement")
async def settle_conflict(request: Request, conflict_id: Id, me: Console) -> Response:
    data = _validated(ConflictDecision, await _form(request))

    def run() -> None:
        with request.app.state.db.transaction() as s:
            settle.settle_conflict(s, conflict_id, data, me)

    await run_in_threadpool(run)
    return RedirectResponse(f"/console/intake?settled=conflict-{conflict_id}", status_code=303)
