"""The GS1 Digital Link resolver: a code's URI answers with the scan page, JSON, or an RFC 9264 linkset."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from api.deps import client_address, public_rate_limit
from api.metrics import Metrics
from api.pages.routes import templates
from api.pages.scan_text import TEXT
from api.problems import media, problem, responses
from api.scan_view import scan_view
from core.errors import DomainError, Invalid, RateLimited
from insurance import service as insurance
from traceability import epcis
from traceability.codes import SERIAL_LENGTH, CodeError, DigitalLink, normalise_gtin, parse_path
from traceability.places import Client

router = APIRouter(tags=["resolver"])

GS1 = "https://gs1.org/voc/"
LINK_TYPES = ("pip", "epcis", "certificationInfo", "verificationService", "recallStatus", "serviceInfo")
# What each link type answers here; gs1:serviceInfo ("service or maintenance") carries the unit's quality
# insurance (品质险): whether it is covered, by which policy, up to how much, until when, and its claim.
LINK_TYPE_NOTES = {
    "serviceInfo": "Quality insurance of this unit (品质险): cover, policy, limit per item, until when, and "
    "any approved or paid claim on it (application/json)",
}


def _link(request: Request) -> DigitalLink:
    try:
        return parse_path(request.scope["path"], request.query_params.get("17"))
    except CodeError as exc:
        raise Invalid(f"not a valid GS1 Digital Link: {exc.reason}", field=exc.field) from None


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang")
    if lang in ("zh", "en"):
        return lang
    accept = request.headers.get("accept-language", "").lower()
    first = accept.split(",")[0].strip()
    return "en" if first.startswith("en") else "zh"


def _switch_href(request: Request, lang: str) -> str:
    """The other language's link: the same query (the code's `17=` expiry, `city=`…) with `lang` swapped."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return "?" + urlencode([*kept, ("lang", "en" if lang == "zh" else "zh")])


def _browser(request: Request) -> bool:
    """A person's browser asks for HTML by name; API clients (and curl's */*) get problem documents."""
    return "text/html" in request.headers.get("accept", "")


# A serial typed by hand from the label's short code (1ABC-DEFG-…): Crockford base32 reads O as 0 and
# I, L as 1, ignores case, spaces and hyphens.
_TYPED = str.maketrans("OIL", "011")
_SERIAL_CHARS = re.compile(r"^[0-9A-HJKMNP-TV-Z]+$")


def typed_serial(serial: str) -> str:
    fixed = re.sub(r"[\s-]", "", serial).upper().translate(_TYPED)
    return fixed if len(fixed) == SERIAL_LENGTH and _SERIAL_CHARS.match(fixed) else serial


def _typed_path(path: str) -> str | None:
    """The path with its serial as typed from the short code made exact, or None if it needs nothing."""
    segments = path.split("/")
    for i in range(3, len(segments) - 1, 2):
        if segments[i] == "21":
            typed = unquote(segments[i + 1])
            fixed = typed_serial(typed)
            if fixed != typed:
                return "/".join([*segments[: i + 1], fixed, *segments[i + 2 :]])
    return None


def _typed_parts(request: Request) -> dict[str, str]:
    """What the consumer typed, read leniently from the path, to fill the form of the help page."""
    segments = [unquote(x) for x in request.scope["path"].split("/") if x]
    parts = {"gtin": "", "lot": "", "serial": "", "expiry": request.query_params.get("17", "")}
    names = {"01": "gtin", "10": "lot", "21": "serial"}
    for ai, value in zip(segments[::2], segments[1::2], strict=False):
        if ai in names:
            parts[names[ai]] = value[:40]
    parts["expiry"] = parts["expiry"][:12]
    return parts


def code_help(request: Request, error: CodeError, parts: dict[str, str] | None = None) -> Response:
    """The page for a code that cannot be read, in the consumer's language: what was wrong and how to
    type the code from the label (a form that builds the link). 422, as the problem document is."""
    lang = _lang(request)
    return templates.TemplateResponse(
        request,
        "scan_code_help.html",
        {
            "lang": lang,
            "t": TEXT[lang],
            "field": error.field,
            "reason": error.reason,
            "parts": parts if parts is not None else _typed_parts(request),
            "switch": _switch_href(request, lang),
        },
        status_code=422,
        headers={"Vary": "Accept, Accept-Language"},
    )


def _wants(request: Request) -> str:
    link_type = request.query_params.get("linkType", "")
    if link_type in ("linkset", "all"):
        return "linkset"
    if link_type:
        return "linktype"
    accept = request.headers.get("accept", "")
    if "application/linkset+json" in accept:
        return "linkset"
    if "application/json" in accept and "text/html" not in accept:
        return "json"
    return "html"


def linkset(link: DigitalLink, base: str) -> dict[str, Any]:
    anchor = link.uri(base)
    sep = "&" if "?" in anchor else "?"
    item_epc = epcis.CANONICAL + link.path()

    def entry(link_type: str, href: str, title: str, media: str) -> dict[str, Any]:
        return {"href": href, "title": title, "type": media, "hreflang": ["zh", "en"]}

    links = {
        GS1 + "pip": [
            entry("pip", f"{anchor}{sep}linkType=gs1:pip", "商品溯源信息 Product information", "text/html")
        ],
        GS1 + "verificationService": [
            entry(
                "verificationService",
                f"{anchor}{sep}linkType=gs1:verificationService",
                "正品验证 Verification",
                "application/json",
            )
        ],
        GS1 + "certificationInfo": [
            entry(
                "certificationInfo",
                f"{anchor}{sep}linkType=gs1:certificationInfo",
                "检验检疫结果 Inspection results",
                "application/json",
            )
        ],
        GS1 + "recallStatus": [
            entry(
                "recallStatus",
                f"{anchor}{sep}linkType=gs1:recallStatus",
                "召回状态 Recall status",
                "application/json",
            )
        ],
        GS1 + "serviceInfo": [
            entry(
                "serviceInfo",
                f"{anchor}{sep}linkType=gs1:serviceInfo",
                "品质保险 Quality insurance cover",
                "application/json",
            )
        ],
        GS1 + "epcis": [
            entry(
                "epcis",
                f"{base.rstrip('/')}/api/v1/epcis/events?MATCH_anyEPC={quote(item_epc, safe='')}",
                "EPCIS 事件 Supply-chain events",
                "application/ld+json",
            )
        ],
    }
    links[GS1 + "defaultLink"] = links[GS1 + "pip"]
    return {"linkset": [{"anchor": anchor, **links}]}


def _link_header(anchor: str) -> str:
    sep = "&" if "?" in anchor else "?"
    parts = [f'<{anchor}{sep}linkType=linkset>; rel="linkset"; type="application/linkset+json"']
    parts += [f'<{anchor}{sep}linkType=gs1:{t}>; rel="{GS1}{t}"' for t in ("pip", "verificationService")]
    return ", ".join(parts)


def _client(request: Request) -> Client:
    return Client.from_request(
        request.app.state.client_salt,
        client_address(request),
        request.headers.get("user-agent", ""),
        request.query_params.get("city"),
        request.query_params.get("loc"),
    )


async def scan_endpoint(request: Request) -> Response:
    """The hot path, served by `ScanFastPath` ahead of the API's routing. On SQLite the lookups take microseconds and run on
    the event loop; on PostgreSQL they go to the thread pool so a slow query never stalls others."""
    public_rate_limit(request)
    if request.app.state.db.is_sqlite:
        return _resolve(request)
    return await run_in_threadpool(_resolve, request)


@router.get(
    "/01/{rest:path}",
    summary="Resolve a GS1 Digital Link (scan page, JSON or linkset)",
    responses={
        **media(
            200,
            "The scan page (HTML), the scan as JSON, a linkset, or one link type's JSON",
            "text/html",
            "application/json",
            "application/linkset+json",
        ),
        303: {
            "description": "linkType=gs1:epcis: the item's EPCIS events; or, for a browser, the page of "
            "a serial typed from its short code (1ABC-DEFG-…)"
        },
        **responses(429),
        # A code that cannot be read: the problem document, or for a browser (Accept: text/html) a page
        # in the consumer's language saying what is wrong and how to type the code from its label.
        422: {
            "description": "Not a valid GS1 Digital Link",
            "content": {
                "application/problem+json": responses(422)[422]["content"]["application/problem+json"],
                "text/html": {"schema": {}},
            },
        },
    },
)
async def resolve(rest: str, request: Request) -> Response:
    """Documents the resolver in the OpenAPI; requests are served by `scan_endpoint`."""
    return await scan_endpoint(request)


def _resolve(request: Request) -> Response:
    state = request.app.state
    base = state.settings.resolver_base_url
    wants = _wants(request)
    if wants == "html" and _browser(request):
        if (path := _typed_path(request.scope["path"])) is not None:
            # A serial typed from the short code: the page of the code it reads as, not a counterfeit.
            query = request.url.query
            return RedirectResponse(path + (f"?{query}" if query else ""), status_code=303)
        try:
            link = parse_path(request.scope["path"], request.query_params.get("17"))
        except CodeError as exc:
            return code_help(request, exc)
    else:
        link = _link(request)
    anchor = link.uri(base)
    headers = {"Link": _link_header(anchor), "Vary": "Accept, Accept-Language"}
    if wants == "linkset":
        return JSONResponse(linkset(link, base), media_type="application/linkset+json", headers=headers)
    if wants == "linktype":
        link_type = request.query_params["linkType"].removeprefix("gs1:")
        if link_type not in LINK_TYPES:
            raise Invalid.field("linkType", f"one of linkset, {', '.join('gs1:' + t for t in LINK_TYPES)}")
        if link_type == "epcis":
            return RedirectResponse(
                linkset(link, base)["linkset"][0][GS1 + "epcis"][0]["href"], status_code=303
            )
        if link_type == "pip":
            wants = "html"
    if wants == "json":
        # Reached only when the fast path is not in front (it answers plain JSON scans itself):
        # the same answer, from the same function.
        body, raw_headers, verdict = _json_answer(state, link, _client(request))
        response = Response(body)
        response.raw_headers = raw_headers
        response.verdict = verdict
        return response
    outcome = state.resolver.resolve(link, _client(request))
    body = scan_view(outcome, state.enterprise_cards, base, state.unit_claims)
    if wants == "linktype" and link_type == "serviceInfo":
        # Not the hot path: the exact answer for this unit (category, waiting period, claim window).
        with state.db.read_session() as s:
            cover = insurance.cover_for(s, link.serial) if link.serial else None
        if cover is not None:
            cover.pop("enterprise_id", None)
        response = JSONResponse(
            {"code": body["code"], "cover": cover, "claim": body["insurance_claim"]}, headers=headers
        )
        response.verdict = outcome.verdict
        return response
    if wants == "linktype":
        part = {
            "verificationService": {"code": body["code"], "verdict": body["verdict"]},
            "certificationInfo": {"code": body["code"], "inspection": body["inspection"]},
            "recallStatus": {
                "code": body["code"],
                "recalled": body["recall"] is not None,
                "recall": body["recall"],
            },
        }[link_type]
        response = JSONResponse(part, headers=headers)
    else:
        lang = _lang(request)
        response = templates.TemplateResponse(
            request,
            "scan.html",
            {"s": body, "lang": lang, "t": TEXT[lang], "switch": _switch_href(request, lang)},
            headers=headers,
        )
    response.verdict = outcome.verdict
    return response


@router.get("/code", include_in_schema=False, response_class=HTMLResponse)
def typed_code(
    request: Request, gtin: str = "", lot: str = "", serial: str = "", expiry: str = ""
) -> Response:
    """The help page's form: a code typed from its label, sent to its scan page (303) or back to the
    help page saying what is still wrong."""
    public_rate_limit(request)
    parts = {"gtin": gtin[:40], "lot": lot[:40], "serial": serial[:40], "expiry": expiry[:12]}
    digits = re.sub(r"\s", "", gtin)
    expiry = re.sub(r"\s", "", expiry)
    try:
        link = DigitalLink(normalise_gtin(digits), lot.strip() or None, typed_serial(serial.strip()) or None)
        link = parse_path(link.path(), expiry or None)
        if not link.serial:
            raise CodeError("serial", "the serial (21) is needed to check one item")
    except CodeError as exc:
        return code_help(request, exc, parts)
    query = {"17": expiry} if expiry else {}
    if request.query_params.get("lang") in ("zh", "en"):
        query["lang"] = request.query_params["lang"]
    return RedirectResponse(link.path() + (f"?{urlencode(query)}" if query else ""), status_code=303)


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


def _query(raw: bytes) -> dict[str, str]:
    """The query string as Starlette reads it (keep blank values, the last value of a name wins),
    split by hand when nothing in it needs decoding, as in the `?17=YYMMDD` of a printed code."""
    if not raw:
        return {}
    text = raw.decode("latin-1")
    if "%" in text or "+" in text:
        return dict(parse_qsl(text, keep_blank_values=True))
    params = {}
    for pair in text.split("&"):
        if pair:
            name, _, value = pair.partition("=")
            params[name] = value
    return params


_VARY = (b"vary", b"Accept, Accept-Language")
_JSON_TYPE = (b"content-type", b"application/json")


class ScanFastPath:
    """ASGI middleware that answers GET /01/… itself, ahead of routing and the other middleware.

    The scan is what the public hits; Starlette's routing, FastAPI's per-route machinery and the
    generic metrics would cost more than the scan. A plain JSON scan (the consumer apps' request)
    is read straight from the ASGI scope and answered with raw ASGI messages; the page, the linkset
    and the link types go through `scan_endpoint`. Errors still become problem documents, and the
    scan keeps its own metrics (crosstrust_scans_total by verdict, crosstrust_scan_seconds)."""

    def __init__(self, app, metrics: Metrics) -> None:  # noqa: ANN001 - ASGI app
        self.app = app
        self.scans = metrics.scans
        self.seconds = metrics.scan_seconds
        self._by_verdict: dict[str, Any] = {}  # label lookups cost more than the counting

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001 - ASGI
        if (
            scope["type"] != "http"
            or not scope["path"].startswith("/01/")
            or scope["method"] not in ("GET", "HEAD")
        ):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        verdict = "error"
        try:
            answer = await self._json(scope)
            if answer is None:
                response = await scan_endpoint(Request(scope, receive))
                verdict = getattr(response, "verdict", verdict)
        except DomainError as exc:
            answer = None
            response = problem(
                exc.status,
                exc.title,
                exc.detail,
                slug=exc.slug,
                instance=scope["path"],
                errors=[e.as_dict() for e in exc.errors],
                headers={"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None,
            )
        if answer is None:
            await response(scope, receive, send)
        else:
            body, headers, verdict = answer
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        counter = self._by_verdict.get(verdict)
        if counter is None:
            counter = self._by_verdict[verdict] = self.scans.labels(verdict)
        counter.inc()
        self.seconds.observe(time.perf_counter() - start)

    async def _json(self, scope) -> tuple[bytes, list[tuple[bytes, bytes]], str] | None:  # noqa: ANN001
        """The plain JSON scan, read straight from the scope, or None for anything else (the page, the
        linkset, the link types: `scan_endpoint`). What it reads must match what `_resolve` reads from
        a Starlette Request (tests/traceability/test_scan.py compares the two answers)."""
        params = _query(scope["query_string"])
        if "linkType" in params:
            return None
        accept = ""
        agent = ""
        for name, value in scope["headers"]:
            if name == b"accept":
                if not accept:
                    accept = value.decode("latin-1")
            elif name == b"user-agent" and not agent:
                agent = value.decode("latin-1")
        if "application/json" not in accept or "text/html" in accept or "application/linkset+json" in accept:
            return None
        state = scope["app"].state
        client = scope.get("client")
        address = client[0] if client else "unknown"
        wait = state.rate_limiter.take(address)
        if wait:
            raise RateLimited(f"too many requests from your address; try again in {wait} s", retry_after=wait)
        try:
            link = parse_path(scope["path"], params.get("17"))
        except CodeError as exc:
            raise Invalid(f"not a valid GS1 Digital Link: {exc.reason}", field=exc.field) from None
        who = Client.from_request(state.client_salt, address, agent, params.get("city"), params.get("loc"))
        if state.db.is_sqlite:
            return _json_answer(state, link, who)
        return await run_in_threadpool(_json_answer, state, link, who)


def _json_answer(state, link: DigitalLink, who: Client) -> tuple[bytes, list, str]:  # noqa: ANN001
    anchor = link.uri(state.settings.resolver_base_url)
    outcome = state.resolver.resolve(link, who)
    body = state.scan_json.render(outcome, anchor)
    headers = [
        (b"content-length", str(len(body)).encode()),
        _JSON_TYPE,
        (b"link", _link_header(anchor).encode("latin-1")),
        _VARY,
    ]
    return body, headers, outcome.verdict
