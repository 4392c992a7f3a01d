"""EPCIS 2.0 capture and query (REST/JSON-LD binding, SimpleEventQuery parameters)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse, Response

from api.deps import DbDep, require
from api.problems import media, responses
from core.security import Principal, Role
from traceability import epcis

router = APIRouter(prefix="/api/v1/epcis", tags=["epcis"])
Capturer = Annotated[Principal, Depends(require(Role.admin, Role.regulator, Role.merchant))]


@router.post("/capture", status_code=201, summary="Capture an EPCISDocument or a single event")
def capture(db: DbDep, by: Capturer, body: Annotated[Any, Body()]) -> dict:
    with db.transaction() as s:
        return epcis.capture(s, body, by)


@router.get(
    "/events",
    summary="Query events (eventType, EQ_bizStep, MATCH_epc, …, perPage, nextPageToken)",
    response_class=Response,
    responses={**media(200, "An EPCISQueryDocument", "application/ld+json"), **responses(422)},
)
def events(request: Request, db: DbDep, by: Capturer) -> JSONResponse:
    params = dict(request.query_params)
    with db.read_session() as s:
        found, token = epcis.query(s, params, by, request.app.state.page_signer)
    headers = {}
    if token:
        nxt = request.url.include_query_params(nextPageToken=token)
        headers["Link"] = f'<{nxt}>; rel="next"'
    body = epcis.document(found)
    if token:
        body["nextPageToken"] = token
    return JSONResponse(body, headers=headers, media_type="application/ld+json")
