"""The GS1 Digital Link resolver: a code's URI answers with the scan page, JSON, or an RFC 9264 linkset."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from api import scan_signed
from api.deps import public_rate_limit, take_public_token
from api.pages.routes import templates
from api.problems import media, responses
from api.resolver_links import (
    GS1,
    LINK_TYPE_NOTES,
    LINK_TYPES,
    LINKSET_CONTEXT,
    VIEWS,
    BadDigitalLink,
    NoLink,
    anchor_of,
    link_header,
    link_of,
    link_type_of,
    linkset,
    passed_on,
    targets,
    with_query,
)
from api.scan_fast import (
    client_of,
    json_answer,
    mark,
)
from api.scan_pages import (
    code_error,
    code_help,
    is_browser,
    page_answer,
    typed_path,
    typed_serial,
    whole_code,
)
from core.errors import Invalid
from traceability import answer_keys
from traceability.codes import (
    CodeError,
    DigitalLink,
    ais_of_query,
    normalise_gtin,
    parse_link,
)

router = APIRouter(tags=["resolver"])


def _wants(request: Request) -> str:
    link_type = request.query_params.get("linkType", "")
    if link_type in ("linkset", "all"):
        return "linkset"
    if link_type:
        return "linktype"
    accept = request.headers.get("accept", "")
    if "application/linkset+json" in accept:
        return "linkset"
    if answer_keys.MEDIA_TYPE in accept:
        return "jose"  # the scan's signed answer (api.scan_signed)
    if "application/json" in accept and "text/html" not in accept:
        return "json"
    return "html"


async def scan_endpoint(request: Request) -> Response:
    """The hot path, served by `ScanFastPath` ahead of the API's routing. On SQLite the lookups take microseconds and run on
    the event loop; on PostgreSQL they go to the thread pool so a slow query never stalls others."""
    await public_rate_limit(request)
    if request.app.state.db.is_sqlite:
        return _resolve(request)
    return await run_in_threadpool(_resolve, request)


_RESOLVE_DOC: dict[str, Any] = dict(
    summary="Resolve a GS1 Digital Link (a redirect to the link asked for, the linkset, or the scan as JSON)",
    responses={
        **media(
            200,
            "The scan as JSON (Accept: application/json), the linkset (linkType=linkset, or Accept: "
            "application/linkset+json), or the scan signed (Accept: application/jose: a JWS, ES256, "
            "checked against /.well-known/crosstrust/jwks.json)",
            "application/json",
            "application/linkset+json",
            "application/jose",
        ),
        307: {"description": "The default link (the scan page) or the link type asked for"},
        303: {"description": "For a browser: the page of a serial typed from its short code (1ABC-DEFG-…)"},
        **responses(404, 429),
        # A code that cannot be read: the problem document, or for a browser (Accept: text/html) a page
        # in the consumer's language saying what is wrong and how to type the code from its label.
        400: {
            "description": "Not a valid GS1 Digital Link",
            "content": {
                "application/problem+json": responses(400)[400]["content"]["application/problem+json"],
                "text/html": {"schema": {}},
            },
        },
    },
)


@router.head("/01/{rest:path}", operation_id="resolve_head", **_RESOLVE_DOC)
@router.get("/01/{rest:path}", **_RESOLVE_DOC)
async def resolve(rest: str, request: Request) -> Response:
    """Documents the resolver in the OpenAPI; requests are served by `scan_endpoint`."""
    return await scan_endpoint(request)


_PAGE_DOC: dict[str, Any] = dict(
    summary="The scan page of a code (the default link), or one of its views as JSON",
    responses={
        **media(
            200, "The scan page (HTML), the scan as JSON, or one view's JSON", "text/html", "application/json"
        ),
        **responses(400, 422, 429),
    },
)


@router.head("/scan/01/{rest:path}", operation_id="scan_page_head", **_PAGE_DOC)
@router.get("/scan/01/{rest:path}", **_PAGE_DOC)
async def scan_page(rest: str, request: Request, view: str | None = None) -> Response:
    await public_rate_limit(request)
    if view is not None and view not in VIEWS:
        raise Invalid.field("view", f"one of {', '.join(VIEWS)}")
    link = None
    if view is None and is_browser(request):
        # Parsed here once, so that a code a person cannot have meant gets the help page; the page
        # is built from this parse rather than a second one.
        try:
            link = link_of(request)
        except BadDigitalLink:
            return code_help(request, code_error(request))
    if request.app.state.db.is_sqlite:
        return page_answer(request, view, link=link)
    return await run_in_threadpool(page_answer, request, view, link=link)


def _resolve(request: Request) -> Response:
    """A resolver path: the linkset, or a 307 to the link asked for (the default: the scan page), or the
    scan as JSON for the apps that ask for it. A GTIN this platform does not know is 404."""
    state = request.app.state
    base = state.settings.resolver_base_url
    wants = _wants(request)
    if wants == "html" and is_browser(request):
        if (path := typed_path(request.scope["path"])) is not None:
            # A serial typed from the short code: the page of the code it reads as, not a counterfeit.
            query = request.url.query
            return RedirectResponse(path + (f"?{query}" if query else ""), status_code=303)
        try:
            link = link_of(request)
        except BadDigitalLink:
            return code_help(request, code_error(request))
    else:
        link = link_of(request)
    same_as = request.scope.get("crosstrust.same_as")
    anchor = anchor_of(link, base)
    headers = {"Link": link_header(anchor, same_as), "Vary": "Accept, Accept-Language"}
    product = _product(state, link)
    if wants == "linkset":
        if product is None:
            raise NoLink(f"this resolver has no links for GTIN {link.gtin}")
        headers["Link"] = link_header(anchor, same_as, base.rstrip("/") + LINKSET_CONTEXT)
        response: Response = JSONResponse(
            linkset(link, base, product), media_type="application/linkset+json", headers=headers
        )
        mark(response, "linkset")
        return response
    if wants == "linktype":
        link_type = link_type_of(request.query_params["linkType"])
        where = targets(link, base)
        if link_type not in where:
            raise NoLink(
                f"no link of type {request.query_params['linkType']} here; this resolver has "
                + ", ".join("gs1:" + t for t in (*LINK_TYPES, "defaultLink")),
                field="linkType",
            )
        if product is None:
            raise NoLink(f"this resolver has no links for GTIN {link.gtin}")
        return _redirect(where[link_type], request, headers)
    if wants == "jose":
        body, _, verdict, status = json_answer(state, link, client_of(request), same_as)
        signed = scan_signed.with_digsig(link, ais_of_query(request.url.query))
        response = scan_signed.response(state.answer_signing, signed, base, body, status, headers)
        mark(response, verdict)
        return response
    if wants == "json":
        # Reached only when the fast path is not in front (it answers plain JSON scans itself):
        # the same answer, from the same function.
        body, raw_headers, verdict, status = json_answer(state, link, client_of(request), same_as)
        response = Response(body, status_code=status)
        response.raw_headers = raw_headers
        mark(response, verdict)
        return response
    if product is None:
        # Not ours: no link to redirect to. The consumer still sees the page that says so (404).
        return page_answer(request, None, link=link, status=404, headers=headers)
    return _redirect(targets(link, base)["defaultLink"], request, headers)


def _product(state, link: DigitalLink) -> dict | None:  # noqa: ANN001
    """The product a link names, from the scan's caches as `Resolver.resolve` reads them (the lot's facts
    first), so that a forged code on a known lot still costs no database read."""
    cache = state.resolver.cache
    facts = cache.lot(state.db, link.gtin, link.lot) if link.lot else None
    return facts.product if facts is not None else cache.product(state.db, link.gtin)


def _redirect(target: str, request: Request, headers: dict[str, str]) -> Response:
    location = with_query(target, passed_on(request.scope.get("query_string", b"")))
    response = Response(status_code=307, headers={**headers, "Location": location})
    mark(response, "redirect")
    return response


@router.get("/code", include_in_schema=False, response_class=HTMLResponse)
def typed_code(
    request: Request, gtin: str = "", lot: str = "", serial: str = "", expiry: str = "", code: str = ""
) -> Response:
    """The help page's form: a code typed from its label, sent to its scan page (303) or back to the
    help page saying what is still wrong. `code` is a whole code as read by the portal's camera or
    pasted (a Digital Link URI or its path, or the label's "(01)…(21)…" line); opened with nothing at
    all, the page is the form to type a code into (200), not an error."""
    take_public_token(request)
    if code.strip():
        return whole_code(request, code.strip()[:400])
    if not (gtin.strip() or lot.strip() or serial.strip() or expiry.strip()):
        return templates.TemplateResponse(request, "code_entry.html", {"lang": "zh-CN"})
    parts = {"gtin": gtin[:40], "lot": lot[:40], "serial": serial[:40], "expiry": expiry[:12]}
    if request.query_params.get("edit"):
        # Back from a typed code that failed its check: the form filled in, to correct and send again.
        return code_help(request, CodeError("typed", "check what you typed"), parts, status=200)
    digits = re.sub(r"\s", "", gtin)
    expiry = re.sub(r"\s", "", expiry)
    try:
        link = DigitalLink(normalise_gtin(digits), lot.strip() or None, typed_serial(serial.strip()) or None)
        link = parse_link(link.path(), [("17", expiry)] if expiry else [])
        if not link.serial:
            raise CodeError("serial", "the serial (21) is needed to check one item")
    except CodeError as exc:
        return code_help(request, exc, parts)
    query = {"17": expiry} if expiry else {}
    query["typed"] = "1"  # typed by hand: a failed check then says "check what you typed", not "not ours"
    if request.query_params.get("lang") in ("zh", "en"):
        query["lang"] = request.query_params["lang"]
    return RedirectResponse(link.path() + (f"?{urlencode(query)}" if query else ""), status_code=303)


@router.get(
    LINKSET_CONTEXT, summary="The JSON-LD context of the resolver's linksets", include_in_schema=False
)
def linkset_context() -> JSONResponse:
    # RFC 9264's linkset read as JSON-LD: the anchor is the subject, each link relation a GS1 link type
    # (already a full IRI), each target an IRI with its title, media type and languages.
    return JSONResponse(
        {
            "@context": {
                "@version": 1.1,
                "gs1": GS1,
                "dcterms": "http://purl.org/dc/terms/",
                "linkset": "@graph",
                "anchor": "@id",
                "itemDescription": "dcterms:description",
                "href": "@id",
                "title": "dcterms:title",
                "type": "dcterms:format",
                "hreflang": {"@id": "dcterms:language", "@container": "@set"},
                "@vocab": GS1,
            }
        },
        media_type="application/ld+json",
        headers={"Access-Control-Allow-Origin": "*"},
    )


@router.head("/.well-known/gs1resolver", operation_id="well_known_head", summary="Describe this GS1 resolver")
@router.get("/.well-known/gs1resolver", summary="Describe this GS1 resolver")
def well_known(request: Request) -> dict[str, Any]:
    base = request.app.state.settings.resolver_base_url.rstrip("/")
    return {
        "name": "CrossTrust 跨境商品溯源解析器",
        "resolverRoot": base,
        "supportedPrimaryKeys": ["01"],
        "supportedLinkType": [
            {"namespace": GS1, "prefix": "gs1:", "profile": GS1 + t}
            | ({"description": LINK_TYPE_NOTES[t]} if t in LINK_TYPE_NOTES else {})
            for t in LINK_TYPES
        ],
        "linkTypeDefaultCanBeLinkset": True,
        "validatingResolver": True,
        "supportedContextValuesEnumerated": [],
        "contact": {"fn": "CrossTrust", "url": base + "/"},
    }
