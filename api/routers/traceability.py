"""Products, declarations, inspection and release, codes and their exports, revocation and recall."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request, Response
from fastapi.responses import StreamingResponse

from api import downloads
from api.deps import DbDep, Id, LineNo, Offset, ScopedEnterprise, require
from api.problems import media, responses
from core.db import id_of
from core.errors import Invalid, NotFound
from core.identifiers import MAX_ID, MAX_OFFSET
from core.security import Principal, Role
from credit import supervision
from traceability import exports, ownership, service, shipping, suspicious
from traceability.models import Declaration, DeclarationStatus
from traceability.schemas import (
    BatchOut,
    DeclarationCreate,
    DeclarationOut,
    GrantCreate,
    GrantOut,
    GtinAssign,
    GtinOwnerOut,
    InspectionIn,
    IssueCodes,
    LineOut,
    ProductCreate,
    ProductOut,
    Reason,
    ReleaseDecision,
    ShipmentCreate,
    ShipmentOut,
    ShippedLotOut,
    SupervisionMark,
)
from traceability.schemas import Gtin as GtinValue

router = APIRouter(prefix="/api/v1", tags=["traceability"])
Regulator = Annotated[Principal, Depends(require(Role.admin, Role.regulator))]
Merchant = Annotated[Principal, Depends(require(Role.admin, Role.regulator, Role.merchant))]


def _out(session, decl: Declaration, marks: dict | None = None) -> DeclarationOut:
    out = DeclarationOut.model_validate(decl)
    out.lines = [LineOut.model_validate(ln) for ln in service.lines_of(session, id_of(decl))]
    # Whether a supervision draw selected it, where regulators (and the importer) look at it.
    marks = supervision.selections(session, [decl.declaration_no]) if marks is None else marks
    mark = marks.get(decl.declaration_no)
    out.supervision = SupervisionMark.model_validate(mark) if mark else None
    return out


def _outs(session, decls: list[Declaration]) -> list[DeclarationOut]:
    marks = supervision.selections(session, [d.declaration_no for d in decls])
    return [_out(session, d, marks) for d in decls]


# --- merchant side ---------------------------------------------------------------------------------


@router.post(
    "/enterprises/{enterprise_id}/products", status_code=201, response_model=ProductOut, tags=["merchant"]
)
def create_product(
    enterprise_id: ScopedEnterprise, data: ProductCreate, db: DbDep, by: Merchant
) -> ProductOut:
    with db.transaction() as s:
        return ProductOut.model_validate(service.create_product(s, enterprise_id, data, by))


@router.get("/enterprises/{enterprise_id}/products", response_model=list[ProductOut], tags=["merchant"])
def list_products(enterprise_id: ScopedEnterprise, db: DbDep) -> list[ProductOut]:
    with db.read_session() as s:
        return [ProductOut.model_validate(p) for p in service.list_products(s, enterprise_id)]


@router.post(
    "/enterprises/{enterprise_id}/declarations",
    status_code=201,
    response_model=DeclarationOut,
    responses={
        200: {
            "model": DeclarationOut,
            "description": "A retry with the same Idempotency-Key: the declaration it made, not a new one",
            "headers": {
                "Idempotent-Replayed": {
                    "description": "true: this answer replays the first",
                    "schema": {"type": "string"},
                }
            },
        }
    },
    tags=["merchant"],
    summary="Declare a shipment into the bonded zone (retry safely with Idempotency-Key)",
)
def declare(
    enterprise_id: ScopedEnterprise,
    data: DeclarationCreate,
    db: DbDep,
    by: Merchant,
    response: Response,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> DeclarationOut:
    with db.transaction() as s:
        decl, created = service.declare(s, enterprise_id, data, by, idempotency_key)
        if not created:
            response.status_code = 200
            response.headers["Idempotent-Replayed"] = "true"
        return _out(s, decl)


@router.get(
    "/enterprises/{enterprise_id}/declarations", response_model=list[DeclarationOut], tags=["merchant"]
)
def list_declarations(
    enterprise_id: ScopedEnterprise,
    db: DbDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> list[DeclarationOut]:
    with db.read_session() as s:
        return _outs(s, service.list_declarations(s, enterprise_id, limit, offset))


@router.get(
    "/enterprises/{enterprise_id}/declarations/{declaration_id}",
    response_model=DeclarationOut,
    tags=["merchant"],
)
def get_declaration(enterprise_id: ScopedEnterprise, declaration_id: Id, db: DbDep) -> DeclarationOut:
    with db.read_session() as s:
        return _out(s, service.get_declaration(s, declaration_id, enterprise_id))


@router.post(
    "/enterprises/{enterprise_id}/declarations/{declaration_id}/lines/{line_no}/codes",
    status_code=202,
    response_model=BatchOut,
    tags=["merchant"],
    summary="Issue item codes for a released line (runs as a job; poll the batch)",
)
def issue_codes(
    enterprise_id: ScopedEnterprise,
    declaration_id: Id,
    line_no: LineNo,
    data: IssueCodes,
    request: Request,
    db: DbDep,
    by: Merchant,
    response: Response,
) -> BatchOut:
    from api.background import start_code_batch

    batch = start_code_batch(
        request.app.state, by, enterprise_id, declaration_id, line_no, data.quantity, data.signed
    )
    response.headers["Location"] = f"/api/v1/enterprises/{enterprise_id}/code-batches/{batch.id}"
    return BatchOut.model_validate(batch)


def _batch(db, enterprise_id: int, batch_id: int):
    with db.read_session() as s:
        return service.get_batch(s, batch_id, enterprise_id)


@router.get(
    "/enterprises/{enterprise_id}/code-batches/{batch_id}", response_model=BatchOut, tags=["merchant"]
)
def get_batch(enterprise_id: ScopedEnterprise, batch_id: Id, db: DbDep) -> BatchOut:
    return BatchOut.model_validate(_batch(db, enterprise_id, batch_id))


@router.get(
    "/enterprises/{enterprise_id}/code-batches/{batch_id}/codes.csv",
    tags=["merchant"],
    response_class=StreamingResponse,
    responses=media(200, "The batch's codes, one a row", "text/csv"),
)
def export_csv(
    enterprise_id: ScopedEnterprise, batch_id: Id, request: Request, db: DbDep
) -> StreamingResponse:
    _batch(db, enterprise_id, batch_id)
    return downloads.codes_csv(db, batch_id, request.app.state.settings.resolver_base_url)


# The range is checked by traceability.exports (the page's and the CLI's rule too); the bounds are shown
# here for clients, not checked twice with words of their own.
Page = Annotated[
    int,
    Query(description=exports.RANGE_OFFSET, json_schema_extra={"minimum": 0, "maximum": MAX_OFFSET}),
]
Limit = Annotated[
    int,
    Query(description=exports.RANGE_LIMIT, json_schema_extra={"minimum": 1, "maximum": exports.MAX_LABELS}),
]


@router.get(
    "/enterprises/{enterprise_id}/code-batches/{batch_id}/qr.zip",
    tags=["merchant"],
    response_class=Response,
    responses=media(200, "One QR image per code", "application/zip"),
)
def export_qr_zip(
    enterprise_id: ScopedEnterprise,
    batch_id: Id,
    request: Request,
    db: DbDep,
    offset: Page = 0,
    limit: Limit = exports.DEFAULT_LABELS,
) -> Response:
    base = request.app.state.settings.resolver_base_url
    return downloads.sheet(
        exports.sheet(db, batch_id, "qr", base, offset=offset, limit=limit, enterprise_id=enterprise_id)
    )


@router.get(
    "/enterprises/{enterprise_id}/code-batches/{batch_id}/labels.pdf",
    tags=["merchant"],
    response_class=Response,
    responses={**media(200, "A sheet of labels", "application/pdf"), **responses(503)},
)
def export_labels(
    enterprise_id: ScopedEnterprise,
    batch_id: Id,
    request: Request,
    db: DbDep,
    offset: Page = 0,
    limit: Limit = exports.DEFAULT_LABELS,
) -> Response:
    base = request.app.state.settings.resolver_base_url
    return downloads.sheet(
        exports.sheet(db, batch_id, "labels", base, offset=offset, limit=limit, enterprise_id=enterprise_id)
    )


@router.post("/enterprises/{enterprise_id}/codes/{serial}/revoke", tags=["merchant"])
def revoke_code(enterprise_id: ScopedEnterprise, serial: str, data: Reason, db: DbDep, by: Merchant) -> dict:
    with db.transaction() as s:
        code = service.revoke_code(s, serial, data.reason, by, enterprise_id)
        return {"serial": code.serial, "status": code.status, "reason": code.status_reason}


@router.post(
    "/enterprises/{enterprise_id}/declarations/{declaration_id}/lines/{line_no}/recall",
    response_model=LineOut,
    tags=["merchant"],
    summary="Recall a lot",
)
def recall_own_lot(
    enterprise_id: ScopedEnterprise,
    declaration_id: Id,
    line_no: LineNo,
    data: Reason,
    request: Request,
    db: DbDep,
    by: Merchant,
) -> LineOut:
    with db.transaction() as s:
        line = service.recall_lot(
            s,
            declaration_id,
            line_no,
            data.reason,
            by,
            request.app.state.settings.resolver_base_url,
            enterprise_id=enterprise_id,
        )
        return LineOut.model_validate(line)


# Shipping again is not an error: the answer is 200 with the events already recorded.
ALREADY_SHIPPED: dict[int | str, dict[str, Any]] = {
    200: {"model": ShipmentOut, "description": "Everything named had already been shipped: nothing recorded"}
}


def _shipment_out(shipment: shipping.Shipment, response: Response) -> ShipmentOut:
    if not shipment.recorded:
        response.status_code = 200  # everything named had already left: nothing recorded again
    return ShipmentOut(
        shipped=shipment.shipped,
        already_shipped=shipment.already_shipped,
        events=[ShippedLotOut(**e.__dict__) for e in shipment.events],
    )


@router.post(
    "/enterprises/{enterprise_id}/shipments",
    status_code=201,
    response_model=ShipmentOut,
    responses=ALREADY_SHIPPED,
    tags=["merchant"],
    summary="Ship out of the bonded warehouse (出区): a line, a lot or item codes",
    description="Records the EPCIS shipping event (bizStep shipping, disposition in_transit, at the bonded"
    " warehouse) that a scan needs to call an item genuine. Send one of: `declaration_id` or"
    " `declaration_no` with `line_no`; `gtin` with `lot`; `codes` (at most 1000). 201 when recorded;"
    " 200 when everything named had already been shipped (nothing is recorded twice).",
)
def ship(
    enterprise_id: ScopedEnterprise,
    data: ShipmentCreate,
    request: Request,
    db: DbDep,
    by: Merchant,
    response: Response,
) -> ShipmentOut:
    resolver = request.app.state.settings.resolver_base_url
    with db.transaction() as s:
        shipment = shipping.ship(s, enterprise_id, by, resolver, **data.model_dump())
        return _shipment_out(shipment, response)


@router.post(
    "/enterprises/{enterprise_id}/declarations/{declaration_id}/lines/{line_no}/shipments",
    status_code=201,
    response_model=ShipmentOut,
    responses=ALREADY_SHIPPED,
    tags=["merchant"],
    summary="Ship a whole line out of the bonded warehouse (出区); no body",
)
def ship_line(
    enterprise_id: ScopedEnterprise,
    declaration_id: Id,
    line_no: LineNo,
    request: Request,
    db: DbDep,
    by: Merchant,
    response: Response,
) -> ShipmentOut:
    with db.transaction() as s:
        shipment = shipping.ship_line(
            s, enterprise_id, declaration_id, line_no, by, request.app.state.settings.resolver_base_url
        )
        return _shipment_out(shipment, response)


@router.post(
    "/enterprises/{enterprise_id}/gtin-grants",
    status_code=201,
    response_model=GrantOut,
    responses={200: {"model": GrantOut, "description": "The grant already existed: it is answered as it is"}},
    tags=["merchant"],
    summary="Authorise another merchant to record EPCIS events about your items of a GTIN",
    description="201 when the grant is made; 200 when the same grant already exists (nothing changes).",
)
def grant_gtin(
    enterprise_id: ScopedEnterprise, data: GrantCreate, db: DbDep, by: Merchant, response: Response
) -> GrantOut:
    with db.transaction() as s:
        row, created = ownership.grant(s, enterprise_id, data.gtin, data.grantee_enterprise_id, by)
        if not created:
            response.status_code = 200
        return GrantOut.model_validate(row)


@router.get(
    "/enterprises/{enterprise_id}/gtin-grants",
    response_model=list[GrantOut],
    tags=["merchant"],
    summary="Grants the enterprise gave and received",
)
def list_grants(enterprise_id: ScopedEnterprise, db: DbDep) -> list[GrantOut]:
    with db.read_session() as s:
        return [GrantOut.model_validate(g) for g in ownership.grants_of(s, enterprise_id)]


@router.post(
    "/enterprises/{enterprise_id}/gtin-grants/{grant_id}/revoke",
    response_model=GrantOut,
    tags=["merchant"],
    summary="Revoke a grant: the partner's next capture about the GTIN is refused",
)
def revoke_grant(
    enterprise_id: ScopedEnterprise,
    grant_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    db: DbDep,
    by: Merchant,
) -> GrantOut:
    with db.transaction() as s:
        return GrantOut.model_validate(ownership.revoke_grant(s, enterprise_id, grant_id, by))


# --- regulator side --------------------------------------------------------------------------------


@router.get("/declarations", response_model=list[DeclarationOut], tags=["regulator"])
def all_declarations(
    db: DbDep,
    _: Regulator,
    status: DeclarationStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> list[DeclarationOut]:
    with db.read_session() as s:
        return _outs(s, service.list_declarations(s, None, limit, offset, status))


@router.post("/declarations/{declaration_id}/inspection", response_model=DeclarationOut, tags=["regulator"])
def inspect(
    declaration_id: Id, data: InspectionIn, request: Request, db: DbDep, by: Regulator
) -> DeclarationOut:
    with db.transaction() as s:
        decl = service.inspect(s, declaration_id, data, by, request.app.state.settings.resolver_base_url)
        return _out(s, decl)


@router.post("/declarations/{declaration_id}/release", response_model=DeclarationOut, tags=["regulator"])
def release(
    declaration_id: Id,
    request: Request,
    db: DbDep,
    by: Regulator,
    data: Annotated[ReleaseDecision | None, Body()] = None,
) -> DeclarationOut:
    # A release needs no reason, so a bare POST (no body at all) is a release too.
    reason = data.reason if data else ""
    with db.transaction() as s:
        decl = service.release(s, declaration_id, reason, by, request.app.state.settings.resolver_base_url)
        return _out(s, decl)


@router.post("/declarations/{declaration_id}/reject", response_model=DeclarationOut, tags=["regulator"])
def reject(declaration_id: Id, data: Reason, db: DbDep, by: Regulator) -> DeclarationOut:
    with db.transaction() as s:
        return _out(s, service.reject(s, declaration_id, data.reason, by))


@router.post(
    "/declarations/{declaration_id}/lines/{line_no}/recall", response_model=LineOut, tags=["regulator"]
)
def recall_lot(
    declaration_id: Id, line_no: LineNo, data: Reason, request: Request, db: DbDep, by: Regulator
) -> LineOut:
    with db.transaction() as s:
        line = service.recall_lot(
            s, declaration_id, line_no, data.reason, by, request.app.state.settings.resolver_base_url
        )
        return LineOut.model_validate(line)


@router.post("/codes/{serial}/revoke", tags=["regulator"])
def regulator_revoke(serial: str, data: Reason, db: DbDep, by: Regulator) -> dict:
    with db.transaction() as s:
        code = service.revoke_code(s, serial, data.reason, by)
        return {"serial": code.serial, "status": code.status, "reason": code.status_reason}


@router.get(
    "/scans/suspicious",
    tags=["regulator"],
    summary="Scans judged suspicious, newest first, with their evidence (over-scanned, impossible travel…)",
    responses=responses(422),
)
def suspicious_scans(
    request: Request,
    db: DbDep,
    _: Regulator,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Scans older than this scan id")] = None,
    limit: Annotated[int, Query(ge=1, le=suspicious.FEED_MAX)] = 50,
) -> dict:
    with db.read_session() as s:
        feed, next_before = suspicious.suspicious_scans(
            s, request.app.state.resolver.policy, limit=limit, before_id=before
        )
    return {"scans": feed, "next_before": next_before}


def _gtin_param(gtin: Annotated[str, Path(description="GTIN-8/12/13/14")]) -> str:
    from pydantic import TypeAdapter, ValidationError

    try:
        return TypeAdapter(GtinValue).validate_python(gtin)
    except ValidationError as exc:
        raise Invalid.field("gtin", str(exc.errors()[0]["msg"]).removeprefix("Value error, ")) from None


GtinPath = Annotated[str, Depends(_gtin_param)]


@router.get("/gtins/{gtin}/owner", response_model=GtinOwnerOut, tags=["regulator"])
def get_gtin_owner(_: Regulator, gtin: GtinPath, db: DbDep) -> GtinOwnerOut:
    with db.read_session() as s:
        owner = ownership.gtin_owner(s, gtin)
        if owner is None:
            raise NotFound(f"GTIN {gtin} is not registered to any enterprise")
        return GtinOwnerOut.model_validate(owner)


@router.put(
    "/gtins/{gtin}/owner",
    response_model=GtinOwnerOut,
    tags=["regulator"],
    summary="Assign or transfer a GTIN to a merchant (its issued codes and declared lots stay their issuer's)",
)
def assign_gtin(by: Regulator, gtin: GtinPath, data: GtinAssign, db: DbDep) -> GtinOwnerOut:
    # The key is checked before the GTIN: a caller without the role learns nothing from validation.
    with db.transaction() as s:
        return GtinOwnerOut.model_validate(
            ownership.assign_gtin(s, gtin, data.enterprise_id, data.reason, by)
        )
