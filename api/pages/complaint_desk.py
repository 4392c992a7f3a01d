"""The regulator's complaint desk (/console/complaints): the queue with its filters, the case page (the
consumer's scrubbed words, the evidence as the platform stored it, the merchant's answer, the trail, the
deadlines, what publication will show) and every action as a form: escalation into mediation, a question
to the consumer, the mediation finding, the advance compensation paid (先行赔付), closing, transfers to and
from other agencies. Each form calls the complaints service, as the API's routes do."""

# ruff: noqa: RUF001 - full-width punctuation is Chinese text

from __future__ import annotations

from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from api.deps import Id, public_rate_limit
from api.pages import web
from core.db import id_of
from core.errors import FieldError, Invalid
from core.security import Principal

router = APIRouter(include_in_schema=False, route_class=web.PageRoute)
Staff = Annotated[Principal, Depends(web.console_user)]
M = TypeVar("M", bound=BaseModel)

QUEUE_PAGE = 200
DUE_SOON_DAYS = 3  # "due soon": the running deadline falls within three calendar days
DEADLINES = {
    "overdue": "已超期 Overdue",
    "due_soon": f"{DUE_SOON_DAYS} 天内到期 Due within {DUE_SOON_DAYS} days",
}


def _kit(request: Request) -> Any:  # noqa: ANN401 - complaints.service.Kit
    return request.app.state.complaint_kit


def validated(model: type[M], raw: dict[str, Any]) -> M:
    """A form's fields through the API's own schema; a bad one is a 422 page naming it."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        errors = []
        for e in exc.errors():
            field = ".".join(str(p) for p in e["loc"]) or "form"
            # A model-level check names its field at the start of its message ("amount_minor: …").
            if not e["loc"] and ":" in e["msg"]:
                field = e["msg"].split(":", 1)[0].removeprefix("Value error, ").strip()
            errors.append(FieldError(field, e["msg"]))
        raise Invalid("; ".join(f"{e.field}: {e.reason}" for e in errors), errors=errors) from None


def _in_transaction(db: Any, operation: Any, *args: Any) -> Any:  # noqa: ANN401
    with db.transaction() as s:
        return operation(s, *args)


def _text(form: Any, name: str) -> str:  # noqa: ANN401 - a starlette FormData
    return str(form.get(name, "")).strip()


# --- the queue ------------------------------------------------------------------------------------


def _queue_query(request: Request) -> tuple[Any, dict[str, str]]:
    from complaints.schemas import QueueQuery

    qp = request.query_params
    chosen = {k: qp.get(k, "").strip() for k in ("status", "deadline", "region", "enterprise_id", "category")}
    raw: dict[str, Any] = {"limit": QUEUE_PAGE + 1}
    if qp.get("offset"):
        raw["offset"] = qp.get("offset")
    for key in ("status", "region", "enterprise_id", "category"):
        if chosen[key]:
            raw[key] = chosen[key]
    if chosen["deadline"] == "overdue":
        raw["overdue"] = True
    elif chosen["deadline"] == "due_soon":
        raw["due_within_days"] = DUE_SOON_DAYS
    elif chosen["deadline"]:
        raise Invalid.field("deadline", "one of overdue, due_soon")
    return validated(QueueQuery, raw), chosen


@router.get("/console/complaints")
def queue(request: Request, me: Staff) -> Response:
    """The queue, filtered by status, deadline, region, merchant and category; unfiltered, overdue
    cases first (the complaints domain's own mark), then the rest by their deadline."""
    from complaints import service as complaints
    from complaints.models import Category, Status
    from core.agencies import AGENCIES
    from enterprises import service as enterprises

    q, chosen = _queue_query(request)
    filtered = any(chosen.values())
    with request.app.state.db.read_session() as s:
        if filtered:
            overdue, others = [], complaints.queue(s, q)
        else:
            overdue = complaints.queue(s, q.model_copy(update={"overdue": True}))
            others = complaints.queue(s, q.model_copy(update={"overdue": False}))
        # One row past the page says whether there is a next one (overdue first, then the rest).
        more = len(overdue) > QUEUE_PAGE or len(others) > QUEUE_PAGE
        overdue, others = overdue[:QUEUE_PAGE], others[:QUEUE_PAGE]
        figures = complaints.figures(s, q.region)
        merchants = enterprises.list_enterprises(s, "merchant", limit=500)
        names = enterprises.public_profiles(s, {c.enterprise_id for c in [*overdue, *others]})
    return web.render(
        request,
        "console_complaints.html",
        {
            "overdue": overdue,
            "others": others,
            "figures": figures,
            "filtered": filtered,
            "chosen": chosen,
            "statuses": [st.value for st in Status],
            "categories": [c.value for c in Category],
            "deadlines": DEADLINES,
            "agencies": AGENCIES,
            "merchants": merchants,
            "names": names,
            "next_url": "/console/complaints?"
            + urlencode({**{k: v for k, v in chosen.items() if v}, "offset": q.offset + QUEUE_PAGE})
            if more
            else None,
            "first_url": "/console/complaints?" + urlencode({k: v for k, v in chosen.items() if v}),
            "paged": q.offset > 0,
        },
    )


# --- one case -------------------------------------------------------------------------------------


@router.get("/console/complaints/received")
def receive_form(request: Request, me: Staff) -> Response:
    """The form for a case another region's agency sends here (双向移送, the receiving side)."""
    return _receive_page(request, {}, None)


def _receive_page(
    request: Request, values: dict[str, str], received: dict | None, status: int = 200
) -> Response:
    from complaints.models import Category, Wanted
    from core.agencies import AGENCIES, DEFAULT_REGION

    return web.render(
        request,
        "console_complaint_receive.html",
        {
            "agencies": AGENCIES,
            "here": getattr(request.state.principal, "agency", None)
            or DEFAULT_REGION,  # the signed-in agency
            "categories": [c.value for c in Category],
            "wanted": [w.value for w in Wanted],
            "values": values,
            "received": received,
        },
        status,
    )


RECEIVE_FIELDS = (
    "from_region",
    "source_ref",
    "reason",
    "region",
    "code",
    "order_no",
    "merchant_uscc",
    "category",
    "narrative",
    "wanted",
    "contact",
)


@router.post("/console/complaints/received")
async def receive(request: Request, me: Staff) -> Response:
    """Take the case in through the service's `receive_transfer`; the tracking token for the sending
    agency is shown once, on the page that answers the form."""
    from complaints import service as complaints
    from complaints.schemas import ReceivedTransferIn

    form = await request.form()
    values = {k: _text(form, k) for k in RECEIVE_FIELDS}
    raw: dict[str, Any] = {k: v for k, v in values.items() if v}
    raw["consent_publish"] = _text(form, "consent_publish") == "true"
    if _text(form, "amount_asked"):
        raw["amount_asked_minor"] = web.yuan(_text(form, "amount_asked"), "amount_asked", above_zero=True)
    data = validated(ReceivedTransferIn, raw)
    kit, db = _kit(request), request.app.state.db

    def take() -> dict[str, Any]:
        with db.transaction() as s:
            c, token, joined = complaints.receive_transfer(s, kit, data, me)
            return {"id": c.id, "ticket_no": c.ticket_no, "token": token, "joined": joined}

    received = await run_in_threadpool(take)
    return _receive_page(request, {}, received, 201)


@router.get("/console/complaints/{complaint_id}")
def case(request: Request, complaint_id: Id, me: Staff) -> Response:
    return _case_page(request, complaint_id)


@router.post("/console/complaints/{complaint_id}/contact")
async def contact(request: Request, complaint_id: Id, me: Staff) -> Response:
    """The consumer's contact in clear, for mediation: a form (not a link), since every reading is
    written to the audit ledger by `reveal_contact`; shown on this answer only, never kept in a URL."""
    from complaints import service as complaints

    clear = await run_in_threadpool(
        _in_transaction, request.app.state.db, complaints.reveal_contact, _kit(request), complaint_id, me
    )
    return _case_page(request, complaint_id, contact=clear)


def _case_page(request: Request, complaint_id: int, contact: str | None = None) -> Response:
    from api.pages.agency_view import read_only
    from complaints import service as complaints
    from complaints.models import OPEN_STATUSES, CloseOutcome
    from core.agencies import AGENCIES
    from enterprises import service as enterprises
    from insurance import claims as insurance_claims

    with request.app.state.db.read_session() as s:
        c = complaints.get(s, complaint_id)
        view = {
            "c": c,
            "narrative": complaints.scrubbed_narrative(s, c),
            "evidence": complaints.evidence_of(s, id_of(c)),
            "trail": complaints.messages(s, id_of(c)),
            "transfers": complaints.transfers(s, id_of(c)),
            "preview": complaints.publication_preview(s, c),
            "merchant": enterprises.public_profile(s, c.enterprise_id),
            "claim": insurance_claims.claim_of_case(s, id_of(c), c.serial),
            "eligible": complaints.eligible_for_compensation(c),
        }
    return web.render(
        request,
        "console_complaint.html",
        {
            **view,
            "contact": contact,
            "agencies": AGENCIES,
            "is_open": c.status in OPEN_STATUSES,
            "read_only": read_only(request.state.principal, c.region),
            "close_outcomes": [o.value for o in CloseOutcome],
            "done": str(request.query_params.get("done", ""))[:20],
        },
    )


@router.get("/console/complaints/{complaint_id}/evidence/{evidence_id}")
def evidence(request: Request, complaint_id: Id, evidence_id: Id, me: Staff) -> Response:
    """An evidence file as the platform re-encoded and stored it (metadata stripped at intake); served
    to regulators only, never cached by a shared cache."""
    from complaints import service as complaints

    with request.app.state.db.read_session() as s:
        complaints.get(s, complaint_id)
        media_type, body = complaints.evidence_file(s, _kit(request), complaint_id, evidence_id)
    return Response(
        body,
        media_type=media_type,
        headers={
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f'inline; filename="evidence-{complaint_id}-{evidence_id}"',
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


ACTIONS = ("escalation", "question", "mediation", "payment", "close", "transfer")


@router.post("/console/complaints/{complaint_id}/{action}")
async def act(request: Request, complaint_id: Id, action: str, me: Staff) -> Response:
    """One action on the case, through the complaints service; a refused one (wrong state, bad field)
    is a 4xx page that names why."""
    from complaints import service as complaints
    from complaints.schemas import CloseIn, EscalateIn, InfoRequestIn, MediationIn, PaymentIn, TransferIn

    if action not in ACTIONS:
        raise Invalid.field("action", f"one of {', '.join(ACTIONS)}")
    form = await request.form()
    db, kit = request.app.state.db, _kit(request)
    if action == "escalation":
        escalation = validated(EscalateIn, {"reason": _text(form, "reason")})
        await run_in_threadpool(
            _in_transaction, db, complaints.escalate, kit, complaint_id, escalation.reason, me
        )
    elif action == "question":
        info = validated(InfoRequestIn, {"question": _text(form, "question")})
        await run_in_threadpool(
            _in_transaction, db, complaints.request_info, kit, complaint_id, info.question, me
        )
    elif action == "mediation":
        confirmed = _text(form, "defect_confirmed")
        if confirmed not in ("true", "false"):
            raise Invalid.field("defect_confirmed", "choose whether the defect is confirmed (true or false)")
        raw = {"defect_confirmed": confirmed == "true", "note": _text(form, "note")}
        if _text(form, "severity"):
            raw["severity"] = _text(form, "severity")
        mediation = validated(MediationIn, raw)
        await run_in_threadpool(_in_transaction, db, complaints.decide_mediation, complaint_id, mediation, me)
    elif action == "payment":
        raw = {
            "reference": _text(form, "reference"),
            "amount_minor": web.yuan(_text(form, "amount"), "amount", above_zero=True),
        }
        payment = validated(PaymentIn, raw)
        await run_in_threadpool(_in_transaction, db, complaints.record_payment, complaint_id, payment, me)
    elif action == "close":
        closing = validated(CloseIn, {"outcome": _text(form, "outcome"), "note": _text(form, "note")})
        await run_in_threadpool(_in_transaction, db, complaints.close, complaint_id, closing, me)
    else:
        transfer = validated(
            TransferIn, {"to_region": _text(form, "to_region"), "reason": _text(form, "reason")}
        )
        await run_in_threadpool(_in_transaction, db, complaints.transfer, complaint_id, transfer, me)
    return RedirectResponse(f"/console/complaints/{complaint_id}?done={action}", status_code=303)


# --- the supervision draw's public record (公示) ------------------------------------------------------

public_router = APIRouter(include_in_schema=False, route_class=web.PageRoute)


@public_router.get("/draws/{draw_id}", dependencies=[Depends(public_rate_limit)])
def published_draw(request: Request, draw_id: Id) -> Response:
    """A published supervision draw as a page anyone can read: exactly what the public API publishes
    (the seed, the inputs' and result's hashes, the selection), and a replay anyone can ask for."""
    from credit import supervision
    from credit.schemas import DrawOut

    with request.app.state.db.read_session() as s:
        d = supervision.get(s, draw_id)
        published = DrawOut.model_validate(supervision.view(d)).model_dump()
        replayed = supervision.replay(d) if request.query_params.get("replay") == "1" else None
    return web.render(
        request,
        "draw_public.html",
        {"d": published, "replayed": replayed, "api_url": f"/api/v1/public/credit/draws/{draw_id}"},
    )
