"""Admin: API keys, the outbox's dead letters, the audit ledger; and "who am I" for every key."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from api.deps import DbDep, Id, PrincipalDep, require
from core import audit
from core import events as outbox
from core.errors import NotFound
from core.identifiers import RecordId
from core.schedule import Outcome
from core.security import Principal, Role, authenticate, issue_key, list_keys, revoke_key

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["admin"])
Admin = Annotated[Principal, Depends(require(Role.admin))]


class Me(BaseModel):
    role: str
    enterprise_id: int | None
    key_prefix: str
    agency: str | None = Field(
        default=None, description="A regulator's agency (division code): it acts there"
    )


@router.get("/me", response_model=Me, summary="Who the calling key belongs to")
def me(principal: PrincipalDep) -> Me:
    return Me(
        role=principal.role,
        enterprise_id=principal.enterprise_id,
        key_prefix=principal.prefix,
        agency=principal.agency,
    )


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role
    enterprise_id: RecordId | None = None
    label: str = Field(default="", max_length=200)
    agency: str | None = Field(
        default=None,
        pattern=r"^[0-9]{6}$",
        description="A regulator key's agency (GB/T 2260 division code); the bonded zone's when omitted",
    )


class KeyCreated(BaseModel):
    key: str = Field(description="Shown once; only its hash is stored")
    prefix: str
    role: str
    enterprise_id: int | None
    agency: str | None = None


class KeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    prefix: str
    role: str
    enterprise_id: int | None
    agency: str | None = None
    label: str
    created_at: datetime
    revoked_at: datetime | None


@router.post("/admin/api-keys", status_code=201, response_model=KeyCreated, summary="Create an API key")
def create_api_key(data: KeyCreate, db: DbDep, by: Admin) -> KeyCreated:
    with db.transaction() as s:
        key = issue_key(s, data.role, data.enterprise_id, data.label, by=by.actor, agency=data.agency)
        agency = authenticate(s, key).agency
    return KeyCreated(
        key=key, prefix=key.split("_")[1], role=data.role, enterprise_id=data.enterprise_id, agency=agency
    )


@router.get("/admin/api-keys", response_model=list[KeyOut], summary="List API keys (prefixes only)")
def list_api_keys(db: DbDep, _: Admin) -> list[KeyOut]:
    with db.read_session() as s:
        return [KeyOut.model_validate(k) for k in list_keys(s)]


@router.post("/admin/api-keys/{prefix}/revoke", response_model=KeyOut, summary="Revoke an API key")
def revoke_api_key(prefix: str, db: DbDep, by: Admin) -> KeyOut:
    with db.transaction() as s:
        return KeyOut.model_validate(revoke_key(s, prefix, by=by.actor))


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    event_id: int
    event_type: str = ""
    subscriber: str
    status: str
    attempts: int
    last_error: str
    next_attempt_at: datetime


@router.get("/admin/outbox/dead", response_model=list[DeliveryOut], summary="Deliveries that gave up")
def dead_letters(db: DbDep, _: Admin, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[DeliveryOut]:
    with db.read_session() as s:
        return [
            DeliveryOut.model_validate(d).model_copy(update={"event_type": t})
            for d, t in outbox.dead_deliveries(s, limit)
        ]


@router.post(
    "/admin/outbox/deliveries/{delivery_id}/retry",
    response_model=DeliveryOut,
    summary="Retry a dead delivery",
)
def retry_delivery(delivery_id: Id, db: DbDep, by: Admin) -> DeliveryOut:
    with db.transaction() as s:
        return DeliveryOut.model_validate(outbox.retry_delivery(s, delivery_id, by=by.actor))


class AuditReport(BaseModel):
    ok: bool
    findings: list[str]


@router.get("/admin/audit/verify", response_model=AuditReport, summary="Verify the audit ledger's hash chain")
def verify_audit(db: DbDep, _: Admin) -> AuditReport:
    with db.read_session() as s:
        findings = audit.verify(s)
    return AuditReport(ok=not findings, findings=[str(f) for f in findings])


class JobRunOut(BaseModel):
    job: str
    period: str
    outcome: str = Field(
        description="ran: this request ran it; done: another process (or an earlier request) already ran "
        "this period; held: another process is running it now; failed: this request ran it and it "
        "failed (the run is recorded as failed and the job runs again in its next period)"
    )
    error: str | None = Field(default=None, description="The failed run's error type")


@router.post(
    "/admin/jobs/{name}/run",
    response_model=JobRunOut,
    summary="Run a scheduled job's current period now, once across every process",
)
def run_job(
    name: Annotated[str, Path(max_length=80, pattern=r"^[a-z0-9-]+$")], request: Request, by: Admin
) -> JobRunOut:
    """The nightly recompute (or any scheduled job) for the current period, as its timer would run it:
    if another process ran or runs this period, it is not run again."""
    from core.clock import utcnow
    from core.jobs import DailyJob

    jobs = request.app.state.background.all_jobs
    job = jobs.get(name)
    if job is None:
        raise NotFound(f"no scheduled job {name!r}; there are: {', '.join(sorted(jobs))}", field="name")
    now = utcnow()
    error = None
    if isinstance(job, DailyJob):
        period, run = job.period(now), job.trigger
    else:
        from core.jobs import period_of_slot

        period, run = period_of_slot(now, job.seconds), job.run_slot
    outcome: Outcome | Literal["failed"]
    try:
        outcome = run(now)
    except Exception as exc:  # noqa: BLE001 - the job's failure is its outcome, not the request's
        # The run is recorded as failed (core.schedule) and logged with its stack here; the admin gets
        # the outcome and the error's type, never a 500 with the job's internals.
        log.exception("job %s failed when run by %s", name, by.actor)
        outcome, error = "failed", type(exc).__name__
    with request.app.state.db.transaction() as s:
        audit.record(
            s, by.actor, "job.run", "job", name, {"period": period, "outcome": outcome, "error": error}
        )
    return JobRunOut(job=name, period=period, outcome=outcome, error=error)
