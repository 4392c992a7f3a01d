"""Social supervision on the pages (社会共治): the public form to report a merchant (/tipoffs/new), the
reporter's page to follow its reports by its token (/tipoffs/follow, the token sent in a form, never in a
URL), and the regulator's queue with its verification (/console/tipoffs). All call credit.tipoffs, the
rule the API uses."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from api.deps import Id, public_rate_limit
from api.pages import agency_view, glossary, web
from core.errors import FieldError, Invalid
from core.security import Principal
from credit import tipoffs
from credit.tipoff_models import TipoffCategory, TipoffStatus

router = APIRouter(include_in_schema=False, route_class=web.PageRoute)
Console = Annotated[Principal, Depends(web.console_user)]


def _invalid(exc: ValidationError) -> Invalid:
    errors = [
        FieldError(
            ".".join(str(p) for p in e["loc"]) or "form", glossary.reason(e["msg"], e["type"], e.get("ctx"))
        )
        for e in exc.errors()
    ]
    return Invalid("; ".join(f"{e.field}: {e.reason}" for e in errors), errors=errors)


def _render(request: Request, name: str, context: dict) -> Response:
    response = web.render(request, name, {"categories": list(TipoffCategory), **context})
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.get("/tipoffs/new")
def new(request: Request, uscc: str = "") -> Response:
    return _render(request, "tipoff_new.html", {"uscc": uscc[:18], "sent": None})


@router.post("/tipoffs/new", dependencies=[Depends(public_rate_limit)])
def submit(
    request: Request,
    uscc: Annotated[str, Form(max_length=18)] = "",
    category: Annotated[str, Form(max_length=32)] = "",
    narrative: Annotated[str, Form(max_length=2000)] = "",
    evidence_url: Annotated[str, Form(max_length=300)] = "",
    consent: Annotated[str, Form(max_length=3)] = "",
    reporter_token: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    try:
        data = tipoffs.TipoffCreate.model_validate(
            {
                "uscc": uscc.strip().upper(),
                "category": category,
                "narrative": narrative.strip(),
                "evidence_url": evidence_url,
                "consent": consent == "yes",
                "reporter_token": reporter_token.strip(),
            }
        )
    except ValidationError as exc:
        raise _invalid(exc) from None
    with request.app.state.db.transaction() as s:
        sent = tipoffs.submit(s, data)
    # The token is shown on this answer only (not stored in clear, not put in a URL).
    return _render(request, "tipoff_new.html", {"uscc": "", "sent": sent})


@router.get("/tipoffs/follow")
def follow_form(request: Request) -> Response:
    return _render(request, "tipoff_follow.html", {"followed": None})


@router.post("/tipoffs/follow", dependencies=[Depends(public_rate_limit)])
def follow(request: Request, reporter_token: Annotated[str, Form(max_length=64)] = "") -> Response:
    with request.app.state.db.read_session() as s:
        followed = tipoffs.follow(s, reporter_token.strip())
    return _render(request, "tipoff_follow.html", {"followed": followed})


@router.get("/console/tipoffs")
def queue(request: Request, me: Console) -> Response:
    with request.app.state.db.read_session() as s:
        waiting = tipoffs.queue(s, TipoffStatus.received)
        decided = [t for t in tipoffs.queue(s, None, limit=500) if t.status != TipoffStatus.received][-50:]
        theirs = agency_view.foreign(s, me, {t.enterprise_id for t in waiting})
    return _render(
        request, "console_tipoffs.html", {"waiting": waiting, "decided": decided[::-1], "theirs": theirs}
    )


@router.post("/console/tipoffs/{tipoff_id}/decision")
def decide(
    request: Request,
    tipoff_id: Id,
    me: Console,
    effective: Annotated[str, Form(max_length=3)] = "",
    severity: Annotated[str, Form(max_length=10)] = "general",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        data = tipoffs.TipoffDecision.model_validate(
            {"effective": effective == "yes", "severity": severity, "reason": reason.strip()}
        )
    except ValidationError as exc:
        raise _invalid(exc) from None
    with request.app.state.db.transaction() as s:
        tipoffs.decide(s, tipoff_id, data, me)
    return RedirectResponse(f"/console/tipoffs?done={tipoff_id}", status_code=303)
