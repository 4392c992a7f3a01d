"""Complaints (投诉): public intake and the tracking token's case, the merchant's cases, answers and
webhook, and the regulator's queue, figures, export, mediation, transfers and sweep. Thin: parse,
authorise, call one service function, shape the answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Header, Path, Query, Request, UploadFile
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.deps import DbDep, ScopedEnterprise, public_rate_limit, require
from api.problems import media, responses
from complaints import service, webhooks
from complaints.schemas import (
    AnswerIn,
    CaseOut,
    CloseIn,
    ConsentIn,
    DisputeIn,
    EscalateIn,
    InfoRequestIn,
    IntakeForm,
    IntakeIn,
    IntakeOut,
    MediationIn,
    PaymentIn,
    QueueQuery,
    RatingIn,
    ReceivedTransferIn,
    ReplyIn,
    TrackOut,
    TransferIn,
    WebhookIn,
    WebhookOut,
)
from core.identifiers import MAX_ID
from core.security import Principal, Role

router = APIRouter(tags=["complaints"])
public = APIRouter(
    prefix="/api/v1/public/complaints", tags=["public"], dependencies=[Depends(public_rate_limit)]
)
Regulator = Annotated[Principal, Depends(require(Role.admin, Role.regulator))]
Merchant = Annotated[Principal, Depends(require(Role.admin, Role.merchant))]
Token = Annotated[
    str,
    Header(alias="X-Tracking-Token", min_length=20, max_length=64, description="The case's tracking token"),
]
CaseId = Annotated[int, Path(ge=1, le=MAX_ID)]
SCOPED = "/api/v1/enterprises/{enterprise_id}"


def _kit(request: Request) -> service.Kit:
    return request.app.state.complaint_kit


KitDep = Annotated[service.Kit, Depends(_kit)]


async def _read(files: list[UploadFile], limit: int) -> list[bytes]:
    # Read one byte past the limit, so an oversized file is refused without reading all of it.
    return [await f.read(limit + 1) for f in files]


def _intake(db, kit: service.Kit, data: IntakeIn, raw: list[bytes]) -> IntakeOut:  # noqa: ANN001
    prepared = kit.prepare_evidence(raw)
    # Files first, then the case; a case that fails to save takes its new files with it.
    with kit.store.staged(prepared), db.transaction() as s:
        c, token, joined = service.intake(s, kit, data, prepared)
        return IntakeOut(
            ticket_no=c.ticket_no,
            tracking_token=token,
            status=c.status,
            due_at=c.due_at,
            joined_existing=joined,
        )


@public.post(
    "",
    status_code=201,
    response_model=IntakeOut,
    # 503: too many images being checked at once (complaints.evidence.DecodeBudget)
    responses=responses(503),
    summary="File a complaint from a scan or with an order number; evidence files as multipart parts",
)
async def file_complaint(
    data: Annotated[IntakeForm, Form()],
    db: DbDep,
    kit: KitDep,
    evidence_files: Annotated[
        list[UploadFile], File(alias="evidence", description="JPEG, PNG, WebP or PDF")
    ] = [],  # noqa: B006 - FastAPI copies defaults
) -> IntakeOut:
    raw = await _read(evidence_files, kit.max_bytes)
    # Re-encoding images and the database work block: off the event loop.
    return await run_in_threadpool(_intake, db, kit, data, raw)


@public.post(
    "/json", status_code=201, response_model=IntakeOut, summary="File a complaint as JSON (partner platforms)"
)
def file_complaint_json(data: IntakeIn, db: DbDep, kit: KitDep) -> IntakeOut:
    return _intake(db, kit, data, [])


def _track(s, c) -> TrackOut:  # noqa: ANN001
    return TrackOut.model_validate(
        {**service.case_view(s, c), "messages": service.messages(s, c.id)}, from_attributes=True
    )


@public.get(
    "/track", response_model=TrackOut, responses=responses(404), summary="The case this tracking token opens"
)
def track(token: Token, db: DbDep) -> TrackOut:
    with db.read_session() as s:
        return _track(s, service.by_token(s, token))


@public.post("/track/reply", response_model=TrackOut, summary="Reply (restarts a paused clock)")
def reply(token: Token, data: ReplyIn, db: DbDep, kit: KitDep) -> TrackOut:
    with db.transaction() as s:
        return _track(s, service.reply(s, kit, token, data.text))


@public.post("/track/accept", response_model=TrackOut, summary="Accept the merchant's answer (closes)")
def accept(token: Token, db: DbDep) -> TrackOut:
    with db.transaction() as s:
        return _track(s, service.accept(s, token))


@public.post("/track/dispute", response_model=TrackOut, summary="Dispute the answer: regulator mediation")
def dispute(token: Token, data: DisputeIn, db: DbDep, kit: KitDep) -> TrackOut:
    with db.transaction() as s:
        return _track(s, service.dispute(s, kit, token, data.reason))


@public.post("/track/rating", response_model=TrackOut, summary="Rate the outcome, 1 to 5")
def rate(token: Token, data: RatingIn, db: DbDep) -> TrackOut:
    with db.transaction() as s:
        return _track(s, service.rate(s, token, data.rating))


@public.post("/track/consent", response_model=TrackOut, summary="Give or withdraw consent to publish")
def consent(token: Token, data: ConsentIn, db: DbDep, kit: KitDep) -> TrackOut:
    with db.transaction() as s:
        return _track(s, service.set_consent(s, kit, token, data.consent))


@public.post("/track/reopen", response_model=TrackOut, summary="Reopen a closed case within the window")
def reopen(token: Token, data: DisputeIn, db: DbDep, kit: KitDep) -> TrackOut:
    with db.transaction() as s:
        return _track(s, service.reopen(s, kit, token, data.reason))


# --- merchants ------------------------------------------------------------------------------------


def _case(s, c) -> CaseOut:  # noqa: ANN001
    return CaseOut.model_validate(service.case_view(s, c), from_attributes=True)


@router.get(f"{SCOPED}/complaints", response_model=list[CaseOut], summary="The enterprise's complaints")
def merchant_cases(
    enterprise_id: ScopedEnterprise,
    db: DbDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[CaseOut]:
    with db.read_session() as s:
        return [_case(s, c) for c in service.list_for_merchant(s, enterprise_id, limit, offset)]


@router.get(f"{SCOPED}/complaints/{{complaint_id}}", response_model=CaseOut, summary="One of its complaints")
def merchant_case(enterprise_id: ScopedEnterprise, complaint_id: CaseId, db: DbDep, by: Merchant) -> CaseOut:
    with db.read_session() as s:
        return _case(s, service.get_of(s, enterprise_id, complaint_id))


@router.post(
    f"{SCOPED}/complaints/{{complaint_id}}/answer",
    response_model=CaseOut,
    summary="Answer with a standard outcome (refund, replacement, compensation, explanation, rejection)",
)
def answer(
    enterprise_id: ScopedEnterprise,
    complaint_id: CaseId,
    data: AnswerIn,
    db: DbDep,
    kit: KitDep,
    by: Merchant,
) -> CaseOut:
    with db.transaction() as s:
        return _case(s, service.answer(s, kit, enterprise_id, complaint_id, data, by))


@router.put(
    f"{SCOPED}/complaint-webhook",
    response_model=WebhookOut,
    summary="Set the webhook URL; a fresh signing secret (whsec_…) is returned once",
)
def set_webhook(
    enterprise_id: ScopedEnterprise, data: WebhookIn, db: DbDep, kit: KitDep, by: Merchant
) -> WebhookOut:
    with db.transaction() as s:
        return WebhookOut(url=data.url, secret=service.set_webhook(s, kit, enterprise_id, data.url, by))


@router.post(f"{SCOPED}/complaint-webhook/test", summary="Send a signed test delivery now")
def test_webhook(enterprise_id: ScopedEnterprise, db: DbDep, kit: KitDep, by: Merchant) -> dict[str, Any]:
    with db.read_session() as s:
        return webhooks.send_test(s, kit, enterprise_id)


# --- regulators -----------------------------------------------------------------------------------


@router.get("/api/v1/complaints", response_model=list[CaseOut], summary="The queue, with filters")
def regulator_queue(q: Annotated[QueueQuery, Query()], db: DbDep, by: Regulator) -> list[CaseOut]:
    with db.read_session() as s:
        return [_case(s, c) for c in service.queue(s, q)]


@router.get("/api/v1/complaints/figures", summary="Open, overdue, on-time rate, median working days")
def regulator_figures(
    db: DbDep, by: Regulator, region: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None
) -> dict[str, Any]:
    with db.read_session() as s:
        return service.figures(s, region)


@router.get(
    "/api/v1/complaints/export.csv",
    summary="The queue as CSV (no contacts)",
    response_class=StreamingResponse,
    responses=media(200, "The queue as CSV", "text/csv"),
)
def regulator_export(q: Annotated[QueueQuery, Query()], db: DbDep, by: Regulator) -> StreamingResponse:
    def rows():  # noqa: ANN202
        with db.read_session() as s:
            yield from service.export_csv(s, q)

    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="complaints.csv"'},
    )


@router.post("/api/v1/complaint-sweeps", summary="Run the deadline sweep now (it also runs on a timer)")
def run_sweep(db: DbDep, kit: KitDep, by: Regulator) -> dict[str, int]:
    return service.sweep(db, kit)


@router.get("/api/v1/complaints/{complaint_id}", response_model=CaseOut, summary="One case")
def regulator_case(complaint_id: CaseId, db: DbDep, by: Regulator) -> CaseOut:
    with db.read_session() as s:
        return _case(s, service.get(s, complaint_id))


@router.get("/api/v1/complaints/{complaint_id}/contact", summary="The consumer's contact in clear (audited)")
def regulator_contact(complaint_id: CaseId, db: DbDep, kit: KitDep, by: Regulator) -> dict[str, str]:
    with db.transaction() as s:
        return {"contact": service.reveal_contact(s, kit, complaint_id, by)}


@router.get("/api/v1/complaints/{complaint_id}/transfers", summary="The case's transfers between agencies")
def regulator_transfers(complaint_id: CaseId, db: DbDep, by: Regulator) -> list[dict[str, Any]]:
    with db.read_session() as s:
        service.get(s, complaint_id)
        return [t.model_dump() for t in service.transfers(s, complaint_id)]


@router.post(
    "/api/v1/complaints/{complaint_id}/transfer", status_code=201, summary="Transfer to another agency"
)
def regulator_transfer(complaint_id: CaseId, data: TransferIn, db: DbDep, by: Regulator) -> dict[str, Any]:
    with db.transaction() as s:
        return service.transfer(s, complaint_id, data, by).model_dump()


@router.post(
    "/api/v1/complaint-transfers",
    status_code=201,
    response_model=IntakeOut,
    summary="Receive a case another region's agency sends here",
)
def regulator_receive_transfer(data: ReceivedTransferIn, db: DbDep, kit: KitDep, by: Regulator) -> IntakeOut:
    with db.transaction() as s:
        c, token, joined = service.receive_transfer(s, kit, data, by)
        return IntakeOut(
            ticket_no=c.ticket_no,
            tracking_token=token,
            status=c.status,
            due_at=c.due_at,
            joined_existing=joined,
        )


@router.post(
    "/api/v1/complaints/{complaint_id}/request-info",
    response_model=CaseOut,
    summary="Ask the consumer (pauses the clock)",
)
def regulator_request_info(
    complaint_id: CaseId, data: InfoRequestIn, db: DbDep, kit: KitDep, by: Regulator
) -> CaseOut:
    with db.transaction() as s:
        return _case(s, service.request_info(s, kit, complaint_id, data.question, by))


@router.post(
    "/api/v1/complaints/{complaint_id}/escalation",
    response_model=CaseOut,
    summary="Take the case into regulator mediation (45 working days)",
)
def regulator_escalate(
    complaint_id: CaseId, data: EscalateIn, db: DbDep, kit: KitDep, by: Regulator
) -> CaseOut:
    with db.transaction() as s:
        return _case(s, service.escalate(s, kit, complaint_id, data.reason, by))


@router.post(
    "/api/v1/complaints/{complaint_id}/mediation",
    response_model=CaseOut,
    summary="Record the mediation finding",
)
def regulator_mediation(complaint_id: CaseId, data: MediationIn, db: DbDep, by: Regulator) -> CaseOut:
    with db.transaction() as s:
        return _case(s, service.decide_mediation(s, complaint_id, data, by))


@router.post(
    "/api/v1/complaints/{complaint_id}/payment",
    response_model=CaseOut,
    summary="Record advance compensation paid",
)
def regulator_payment(complaint_id: CaseId, data: PaymentIn, db: DbDep, by: Regulator) -> CaseOut:
    with db.transaction() as s:
        return _case(s, service.record_payment(s, complaint_id, data, by))


@router.post("/api/v1/complaints/{complaint_id}/close", response_model=CaseOut, summary="Close the case")
def regulator_close(complaint_id: CaseId, data: CloseIn, db: DbDep, by: Regulator) -> CaseOut:
    with db.transaction() as s:
        return _case(s, service.close(s, complaint_id, data, by))
