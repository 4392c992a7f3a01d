"""EPCIS 2.0 REST binding: capture (a capture job to poll), single-event capture, queries with the
SimpleEventQuery parameters, and the top-level resources (events, eventTypes, epcs, bizSteps,
bizLocations, readPoints, dispositions). Pages are linked with `Link: <...>; rel="next"`, as the
binding says, with GS1-Next-Page-Token-Expires (when that page's token stops working); query errors
are 400, as it says too.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, Header, Path, Request
from fastapi.responses import JSONResponse, Response

from api.deps import DbDep, require
from api.problems import media, responses
from core.security import Principal, Role
from core.webhooks import Destinations
from traceability import epcis, epcis_queries

router = APIRouter(prefix="/api/v1/epcis", tags=["epcis"])
Capturer = Annotated[Principal, Depends(require(Role.admin, Role.regulator, Role.merchant))]
LD_JSON = "application/ld+json"
# What every answer says it speaks (the binding's GS1-EPCIS-Version and GS1-CBV-Version headers).
VERSIONS = {"GS1-EPCIS-Version": "2.0.0", "GS1-CBV-Version": "2.0.0"}
PAGE_HEADERS = {
    "Link": {
        "description": 'The next page: <URL with nextPageToken>; rel="next"',
        "schema": {"type": "string"},
    },
    "GS1-Next-Page-Token-Expires": {
        "description": "When that nextPageToken stops working (RFC 3339, UTC)",
        "schema": {"type": "string", "format": "date-time"},
    },
}


def paged(description: str, media_type: str = "application/json") -> dict[int | str, dict[str, Any]]:
    """A paged answer, its Link and GS1-Next-Page-Token-Expires headers documented."""
    answer = media(200, description, media_type)
    answer[200]["headers"] = PAGE_HEADERS
    return answer


QUERY_DOC = {**paged("An EPCISQueryDocument (next page in the Link header)", LD_JSON), **responses(400)}
ITEM_LIST = {**paged("The values present in the events you may see"), **responses(400)}


def _json(
    body: Any, *, status: int = 200, media_type: str = "application/json", **headers: str
) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={**VERSIONS, **headers}, media_type=media_type)


def _page(request: Request, body: Any, token: str | None, media_type: str = LD_JSON) -> JSONResponse:
    headers = {}
    if token:
        headers["Link"] = f'<{request.url.include_query_params(nextPageToken=token)}>; rel="next"'
        # When the token stops working (RFC 3339, as the binding's example writes it).
        expires = epcis.token_expires(request.app.state.page_signer, token)
        headers["GS1-Next-Page-Token-Expires"] = expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    return JSONResponse(body, headers={**VERSIONS, **headers}, media_type=media_type)


def _events_page(request: Request, db: DbDep, by: Principal, fixed: dict[str, str] | None = None) -> Response:
    with db.read_session() as s:
        rows, token = epcis.query(s, dict(request.query_params), by, request.app.state.page_signer, fixed)
        body = epcis.document(rows)
    return _page(request, body, token)


@router.get(
    "",
    summary="The top-level resources of this EPCIS repository",
    response_class=Response,
    responses=media(200, "Names of the top-level resources", "application/json"),
)
def top_level(by: Capturer) -> Response:
    return _json(
        [
            "events",
            "eventTypes",
            "epcs",
            "bizSteps",
            "bizLocations",
            "readPoints",
            "dispositions",
            "capture",
            "queries",
        ]
    )


@router.post(
    "/capture",
    status_code=202,
    summary="Capture an EPCISDocument (or one event): answers a capture job to poll",
    response_class=Response,
    responses={
        **media(
            202,
            "The capture job (Location names it); its errors name each refused event's JSON path",
            "application/json",
        ),
        **responses(400, 413),
    },
)
def capture(
    request: Request,
    db: DbDep,
    by: Capturer,
    body: Annotated[Any, Body()],
    error_behaviour: Annotated[
        str | None,
        Header(
            alias="GS1-Capture-Error-Behaviour",
            max_length=10,
            description="rollback (default): nothing is kept if any event fails; proceed: the others are",
        ),
    ] = None,
) -> Response:
    with db.transaction() as s:
        job = epcis.capture(s, body, by, error_behaviour or "rollback")
        view = epcis.job_view(job)
    where = request.url_for("capture_job", capture_id=job.capture_id).path
    return _json(view, status=202, Location=where, **{"GS1-Capture-Error-Behaviour": job.error_behaviour})


@router.get(
    "/capture",
    summary="Your capture jobs, newest first",
    response_class=Response,
    responses={
        **paged("Capture jobs (next page in the Link header)"),
        **responses(400),
    },
)
def capture_jobs(request: Request, db: DbDep, by: Capturer) -> Response:
    with db.read_session() as s:
        rows, token = epcis.jobs(s, dict(request.query_params), by, request.app.state.page_signer)
        body = [epcis.job_view(j) for j in rows]
    return _page(request, body, token, "application/json")


@router.get("/capture/{capture_id}", summary="A capture job: running, success and its errors")
def capture_job(db: DbDep, by: Capturer, capture_id: Annotated[str, Path(max_length=40)]) -> dict:
    with db.read_session() as s:
        return epcis.job_view(epcis.get_job(s, capture_id, by))


@router.get(
    "/events",
    summary="Query events (eventType, EQ_bizStep, MATCH_anyEPC, GE_eventTime, …, perPage, nextPageToken)",
    response_class=Response,
    responses=QUERY_DOC,
)
def events(request: Request, db: DbDep, by: Capturer) -> Response:
    return _events_page(request, db, by)


@router.post(
    "/events",
    status_code=201,
    summary="Capture one event at once (201 and its Location; 200 and the stored event's Location when it"
    " is already there, under whatever eventID it was sent; or the reason it was refused)",
    response_class=Response,
    responses={
        **media(201, "The event as captured", LD_JSON),
        **media(200, "A duplicate: the event already stored, with the eventID it is stored under", LD_JSON),
        **responses(400, 409),
    },
)
def capture_event(db: DbDep, by: Capturer, body: Annotated[Any, Body()]) -> Response:
    with db.transaction() as s:
        row, new = epcis.capture_one(s, body, by)
        event, event_id = epcis.as_sent(row), row.event_id or row.event_hash
    where = f"{router.prefix}/events/{quote(event_id, safe='')}"
    return _json(event, status=201 if new else 200, media_type=LD_JSON, Location=where)


@router.get(
    "/events/{event_id:path}",
    summary="One event by its eventID, with the error declarations that repeat it",
    response_class=Response,
    responses=media(200, "An EPCISQueryDocument", LD_JSON),
)
def event(db: DbDep, by: Capturer, event_id: Annotated[str, Path(max_length=500)]) -> Response:
    with db.read_session() as s:
        body = epcis.document(epcis.by_event_id(s, event_id, by))
    return _json(body, media_type=LD_JSON)


# --- named queries and their subscriptions ---------------------------------------------------------

QueryName = Annotated[str, Path(min_length=1, max_length=200, description="The query's name")]
SubscriptionID = Annotated[str, Path(min_length=1, max_length=40)]
NAMED_QUERY = media(201, "The named query (Location names it)", "application/json")


@router.post(
    "/queries",
    status_code=201,
    summary="Create a named query: a name and the parameters /events takes",
    response_class=Response,
    responses={**NAMED_QUERY, **responses(400, 409)},
)
def create_query(request: Request, db: DbDep, by: Capturer, body: Annotated[Any, Body()]) -> Response:
    with db.transaction() as s:
        row = epcis_queries.create(s, body, by)
        view = epcis_queries.view(row)
    where = request.url_for("named_query", query_name=row.name).path
    return _json(view, status=201, Location=where)


@router.get(
    "/queries",
    summary="Your named queries (next page in the Link header)",
    response_class=Response,
    responses={**paged("Named queries"), **responses(400)},
)
def named_queries(request: Request, db: DbDep, by: Capturer) -> Response:
    with db.read_session() as s:
        rows, token = epcis_queries.listing(s, dict(request.query_params), by, request.app.state.page_signer)
        body = [epcis_queries.view(q) for q in rows]
    return _page(request, body, token, "application/json")


@router.get(
    "/queries/{query_name}",
    summary="A named query: its name and parameters",
    response_class=Response,
    responses={**media(200, "The named query", "application/json"), **responses(404)},
)
def named_query(db: DbDep, by: Capturer, query_name: QueryName) -> Response:
    with db.read_session() as s:
        return _json(epcis_queries.view(epcis_queries.get(s, query_name, by)))


@router.delete(
    "/queries/{query_name}",
    status_code=204,
    summary="Delete a named query and its subscriptions",
    response_class=Response,
    responses=responses(404),
)
def delete_query(db: DbDep, by: Capturer, query_name: QueryName) -> Response:
    with db.transaction() as s:
        epcis_queries.remove(s, query_name, by)
    return Response(status_code=204, headers=VERSIONS)


@router.get(
    "/queries/{query_name}/events",
    summary="The named query's events, as /events would answer its parameters (perPage, nextPageToken)",
    response_class=Response,
    responses={**QUERY_DOC, **responses(404)},
)
def named_query_events(request: Request, db: DbDep, by: Capturer, query_name: QueryName) -> Response:
    with db.read_session() as s:
        q, rows, token = epcis_queries.run(
            s, query_name, dict(request.query_params), by, request.app.state.page_signer
        )
        body = epcis_queries.document(q, rows)
    return _page(request, body, token)


@router.post(
    "/queries/{query_name}/subscriptions",
    status_code=201,
    summary="Subscribe a webhook (dest, signatureToken or secret, stream: true, reportIfEmpty) to the query's new events",
    response_class=Response,
    responses={
        **media(
            201,
            "The subscription (Location names it; neither secret nor signatureToken is repeated)",
            "application/json",
        ),
        **responses(400, 404, 501),
    },
)
def subscribe(
    request: Request, db: DbDep, by: Capturer, query_name: QueryName, body: Annotated[Any, Body()]
) -> Response:
    settings = request.app.state.settings
    destinations = Destinations.from_setting(settings.webhook_allowed_networks)
    with db.transaction() as s:
        sub, q = epcis_queries.subscribe(
            s, query_name, body, by, destinations, request.app.state.complaint_kit.box
        )
        view = epcis_queries.subscription_view(sub, q)
    where = request.url_for("query_subscription", query_name=q.name, subscription_id=sub.subscription_id).path
    return _json(view, status=201, Location=where)


@router.get(
    "/queries/{query_name}/subscriptions",
    summary="The query's subscriptions (next page in the Link header)",
    response_class=Response,
    responses={**paged("Subscriptions"), **responses(400, 404)},
)
def query_subscriptions(request: Request, db: DbDep, by: Capturer, query_name: QueryName) -> Response:
    with db.read_session() as s:
        q, rows, token = epcis_queries.subscriptions(
            s, query_name, dict(request.query_params), by, request.app.state.page_signer
        )
        body = [epcis_queries.subscription_view(r, q) for r in rows]
    return _page(request, body, token, "application/json")


@router.get(
    "/queries/{query_name}/subscriptions/{subscription_id}",
    summary="One subscription",
    response_class=Response,
    responses={**media(200, "The subscription", "application/json"), **responses(404)},
)
def query_subscription(
    db: DbDep, by: Capturer, query_name: QueryName, subscription_id: SubscriptionID
) -> Response:
    with db.read_session() as s:
        sub, q = epcis_queries.subscription(s, query_name, subscription_id, by)
        return _json(epcis_queries.subscription_view(sub, q))


@router.delete(
    "/queries/{query_name}/subscriptions/{subscription_id}",
    status_code=204,
    summary="Unsubscribe",
    response_class=Response,
    responses=responses(404),
)
def unsubscribe(db: DbDep, by: Capturer, query_name: QueryName, subscription_id: SubscriptionID) -> Response:
    with db.transaction() as s:
        epcis_queries.unsubscribe(s, query_name, subscription_id, by)
    return Response(status_code=204, headers=VERSIONS)


# --- the top-level resources: /{resource}, /{resource}/{value}, /{resource}/{value}/events ----------

FILTER = {
    "eventTypes": "eventType",
    "epcs": "MATCH_anyEPC",
    "bizSteps": "EQ_bizStep",
    "bizLocations": "EQ_bizLocation",
    "readPoints": "EQ_readPoint",
    "dispositions": "EQ_disposition",
}
SINGULAR = {
    "eventTypes": "an event type",
    "epcs": "an EPC (URN or Digital Link, URL-encoded)",
    "bizSteps": "a business step",
    "bizLocations": "a business location",
    "readPoints": "a read point",
    "dispositions": "a disposition",
}


Value = Annotated[str, Path(min_length=1, max_length=1000, description="The value, URL-encoded")]


def _add_resource(resource: str, param: str) -> None:
    def listing(request: Request, db: DbDep, by: Capturer) -> Response:
        with db.read_session() as s:
            values, token = epcis.resource_values(
                s, resource, dict(request.query_params), by, request.app.state.page_signer
            )
        return _page(request, epcis.resource_list(resource, values), token, "application/json")

    def value_events(request: Request, db: DbDep, by: Capturer, value: Value) -> Response:
        return _events_page(request, db, by, {param: value})

    def sub_resources(by: Capturer, value: Value) -> Response:
        return _json(["events"])

    router.add_api_route(
        f"/{resource}",
        listing,
        methods=["GET"],
        summary=f"Every {SINGULAR[resource].split(' ', 1)[1]} in the events you may see",
        response_class=Response,
        responses=ITEM_LIST,
        name=f"epcis_{resource}",
    )
    router.add_api_route(
        f"/{resource}/{{value:path}}/events",
        value_events,
        methods=["GET"],
        summary=f"Events of {SINGULAR[resource]}",
        response_class=Response,
        responses=QUERY_DOC,
        name=f"epcis_{resource}_events",
    )
    router.add_api_route(
        f"/{resource}/{{value:path}}",
        sub_resources,
        methods=["GET"],
        summary=f"The sub-resources of {SINGULAR[resource]} (events)",
        response_class=Response,
        responses=media(200, "The sub-resources", "application/json"),
        name=f"epcis_{resource}_value",
    )


for _resource, _param in FILTER.items():
    _add_resource(_resource, _param)
