"""The GS1 Digital Link resolver: a code's URI answers with the scan page, JSON, or an RFC 9264 linkset."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from api import scan_guidance, scan_pg, scan_signed
from api.deps import client_address, public_rate_limit
from api.metrics import Metrics
from api.pages.routes import templates
from api.pages.scan_text import TEXT
from api.problems import media, problem, responses
from api.scan_view import scan_view
from core.clock import utcnow
from core.db import WouldBlock
from core.errors import DomainError, Invalid, NotFound, RateLimited
from insurance import service as insurance
from traceability import answer_keys
from traceability.codes import (
    SERIAL_LENGTH,
    CodeError,
    DigitalLink,
    ais_of_query,
    normalise_gtin,
    parse_link,
    uncompress,
)
from traceability.places import Client
from traceability.scan import UNREAD
from traceability.verdict import CodeRow

router = APIRouter(tags=["resolver"])

GS1 = "https://gs1.org/voc/"
# The link-type namespaces a request may name a link type by: the CURIE prefix and both GS1 vocabulary
# URIs (the resolver standard 1.1 moved the vocabulary to ref.gs1.org; GS1's test suite uses that form).
_LINK_TYPE_PREFIXES = ("gs1:", GS1, "https://ref.gs1.org/voc/", "http://gs1.org/voc/")
LINK_TYPES = ("pip", "epcis", "certificationInfo", "verificationService", "recallStatus", "serviceInfo")
# What each link type answers here; gs1:serviceInfo ("service or maintenance") carries the unit's quality
# insurance (品质险): whether it is covered, by which policy, up to how much, until when, and its claim.
LINK_TYPE_NOTES = {
    "serviceInfo": "Quality insurance of this unit (品质险): cover, policy, limit per item, until when, and "
    "any approved or paid claim on it (application/json)",
}
# The JSON answers of the scan page's link types (the page itself is gs1:pip, the default link).
_VIEWS = ("verificationService", "certificationInfo", "recallStatus", "serviceInfo", "epcis")
# Where a conformant resolver lets browser apps of other parties in (GS1-Conformant Resolver 1.1 §3:
# CORS, and GET, HEAD and OPTIONS on every resolver path).
CORS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"GET, HEAD, OPTIONS"),
    (b"access-control-expose-headers", b"Link, Location, Content-Type, Content-Language, Vary"),
]
_PREFLIGHT = [
    (b"allow", b"GET, HEAD, OPTIONS"),
    (b"access-control-allow-headers", b"Accept, Accept-Language, Content-Type"),
    (b"access-control-max-age", b"86400"),
]
LINKSET_CONTEXT = "/linkset-context.jsonld"


class BadDigitalLink(DomainError):
    """A request on a resolver path that is not a valid GS1 Digital Link: 400, as the GS1-Conformant
    Resolver standard says (the rest of the API answers invalid input with 422)."""

    status = 400
    title = "Not a valid GS1 Digital Link"
    slug = "invalid-digital-link"


class NoLink(NotFound):
    slug = "no-such-link"


def _raw_path(scope: Mapping[str, Any]) -> str:
    """The path as it was sent, still percent-encoded: `scope["path"]` is already decoded, which would
    split a lot `A%2FB` in two and decode a lot `100%2541` twice."""
    raw = scope.get("raw_path")
    if raw:
        return raw.decode("latin-1")
    return quote(scope["path"], safe="/")


def _parse(scope: Mapping[str, Any], attributes: list[tuple[str, str]]) -> DigitalLink:
    """The link of a resolver path, its AIs (the path's and the query's) checked by GS1's rules."""
    path = _raw_path(scope)
    if path.startswith("/scan/"):
        path = path[len("/scan") :]
    try:
        return parse_link(path, attributes)
    except CodeError as exc:
        raise BadDigitalLink(f"not a valid GS1 Digital Link: {exc.reason}", field=exc.field) from None


def _link(request: Request) -> DigitalLink:
    return _parse(request.scope, ais_of_query(request.url.query))


_LANGS = ("zh", "en")


def _lang(request: Request) -> str:
    """`lang=` first, then Accept-Language in its order of preference (q-values), then Chinese."""
    lang = request.query_params.get("lang")
    if lang in _LANGS:
        return lang
    ranked = []
    for i, part in enumerate(request.headers.get("accept-language", "").lower().split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranked.append((-q, i, tag.strip()))
    for _, _, tag in sorted(ranked):
        primary = tag.split("-")[0]
        if primary in _LANGS:
            return primary
    return "zh"


def link_type_of(value: str) -> str:
    """The link type a `linkType` value names, without its namespace (`gs1:pip`, `https://gs1.org/voc/pip`
    and `https://ref.gs1.org/voc/pip` are one)."""
    for prefix in _LINK_TYPE_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


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


def _code_error(request: Request) -> CodeError:
    """Why the request's path is not a Digital Link, as the parser says it (field and reason)."""
    path = _raw_path(request.scope)
    try:
        parse_link(
            path[len("/scan") :] if path.startswith("/scan/") else path, ais_of_query(request.url.query)
        )
    except CodeError as exc:
        return exc
    return CodeError("code", "not a valid GS1 Digital Link")


def code_help(
    request: Request, error: CodeError, parts: dict[str, str] | None = None, status: int = 400
) -> Response:
    """The page for a code that cannot be read, in the consumer's language: what was wrong and how to
    type the code from the label (a form that builds the link). 400, as the problem document is
    (GS1's resolver standard: a path that is not a Digital Link is 400)."""
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
        status_code=status,
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
    if answer_keys.MEDIA_TYPE in accept:
        return "jose"  # the scan's signed answer (api.scan_signed)
    if "application/json" in accept and "text/html" not in accept:
        return "json"
    return "html"


def anchor_of(link: DigitalLink, base: str) -> str:
    """The linkset's anchor: the item's identifier, without data attributes (the `?17=` expiry)."""
    return base.rstrip("/") + link.path()


def targets(link: DigitalLink, base: str) -> dict[str, str]:
    """Where each link type leads: the scan page (gs1:pip, the default link), its JSON views, the events."""
    page = base.rstrip("/") + "/scan" + link.path()
    out = {"pip": page, "defaultLink": page}
    # gs1:epcis too: the item's own events, public like the page (the EPCIS query API needs a key).
    out |= {view: f"{page}?view={view}" for view in _VIEWS}
    return out


def linkset(link: DigitalLink, base: str, product: dict | None = None) -> dict[str, Any]:
    """The item's links as an RFC 9264 linkset, valid against GS1's linkset schema."""
    anchor = anchor_of(link, base)
    href = targets(link, base)

    def entry(link_type: str, title: str, media: str) -> list[dict[str, Any]]:
        return [{"href": href[link_type], "title": title, "type": media, "hreflang": ["zh", "en"]}]

    context: dict[str, Any] = {"anchor": anchor}
    if product:
        context["itemDescription"] = " ".join(
            p for p in (product.get("name_zh"), product.get("name_en")) if p
        ) or product.get("gtin", "")
    context |= {
        GS1 + "pip": entry("pip", "商品溯源信息 Product information", "text/html"),
        GS1 + "verificationService": entry(
            "verificationService", "正品验证 Verification", "application/json"
        ),
        GS1 + "certificationInfo": entry(
            "certificationInfo", "检验检疫结果 Inspection results", "application/json"
        ),
        GS1 + "recallStatus": entry("recallStatus", "召回状态 Recall status", "application/json"),
        GS1 + "serviceInfo": entry("serviceInfo", "品质保险 Quality insurance cover", "application/json"),
        GS1 + "epcis": entry("epcis", "EPCIS 事件 Supply-chain events", "application/ld+json"),
        # The default link carries a title and no optional attribute (GS1-Conformant Resolver 1.1 §3.6).
        GS1 + "defaultLink": [{"href": href["defaultLink"], "title": "商品溯源信息 Product information"}],
    }
    return {"linkset": [context]}


def _link_header(anchor: str, same_as: str | None = None, context: str | None = None) -> str:
    """The Link header of every resolver answer: the linkset (never the legacy list of every link), the
    uncompressed URI of a compressed one, and on the linkset itself its JSON-LD context."""
    parts = [f'<{anchor}?linkType=linkset>; rel="linkset"; type="application/linkset+json"']
    if same_as:
        parts.append(f'<{same_as}>; rel="owl:sameAs"')
    if context:
        parts.append(f'<{context}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"')
    return ", ".join(parts)


def _passed_on(raw_query: bytes) -> str:
    """The query string to pass on when redirecting: all of it but `linkType`, as it was sent."""
    if not raw_query:
        return ""
    pairs = [p for p in raw_query.decode("latin-1").split("&") if p and p.split("=", 1)[0] != "linkType"]
    return "&".join(pairs)


def _with_query(url: str, query: str) -> str:
    if not query:
        return url
    return url + ("&" if "?" in url else "?") + query


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
    public_rate_limit(request)
    if view is not None and view not in _VIEWS:
        raise Invalid.field("view", f"one of {', '.join(_VIEWS)}")
    link = None
    if view is None and _browser(request):
        # Parsed here once, so that a code a person cannot have meant gets the help page; the page
        # is built from this parse rather than a second one.
        try:
            link = _link(request)
        except BadDigitalLink:
            return code_help(request, _code_error(request))
    if request.app.state.db.is_sqlite:
        return _page(request, view, link=link)
    return await run_in_threadpool(_page, request, view, link=link)


def _resolve(request: Request) -> Response:
    """A resolver path: the linkset, or a 307 to the link asked for (the default: the scan page), or the
    scan as JSON for the apps that ask for it. A GTIN this platform does not know is 404."""
    state = request.app.state
    base = state.settings.resolver_base_url
    wants = _wants(request)
    if wants == "html" and _browser(request):
        if (path := _typed_path(request.scope["path"])) is not None:
            # A serial typed from the short code: the page of the code it reads as, not a counterfeit.
            query = request.url.query
            return RedirectResponse(path + (f"?{query}" if query else ""), status_code=303)
        try:
            link = _link(request)
        except BadDigitalLink:
            return code_help(request, _code_error(request))
    else:
        link = _link(request)
    same_as = request.scope.get("crosstrust.same_as")
    anchor = anchor_of(link, base)
    headers = {"Link": _link_header(anchor, same_as), "Vary": "Accept, Accept-Language"}
    product = _product(state, link)
    if wants == "linkset":
        if product is None:
            raise NoLink(f"this resolver has no links for GTIN {link.gtin}")
        headers["Link"] = _link_header(anchor, same_as, base.rstrip("/") + LINKSET_CONTEXT)
        response: Response = JSONResponse(
            linkset(link, base, product), media_type="application/linkset+json", headers=headers
        )
        _mark(response, "linkset")
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
        body, _, verdict, status = _json_answer(state, link, _client(request), same_as)
        signed = scan_signed.with_digsig(link, ais_of_query(request.url.query))
        response = scan_signed.response(state.answer_signing, signed, base, body, status, headers)
        _mark(response, verdict)
        return response
    if wants == "json":
        # Reached only when the fast path is not in front (it answers plain JSON scans itself):
        # the same answer, from the same function.
        body, raw_headers, verdict, status = _json_answer(state, link, _client(request), same_as)
        response = Response(body, status_code=status)
        response.raw_headers = raw_headers
        _mark(response, verdict)
        return response
    if product is None:
        # Not ours: no link to redirect to. The consumer still sees the page that says so (404).
        return _page(request, None, link=link, status=404, headers=headers)
    return _redirect(targets(link, base)["defaultLink"], request, headers)


def _product(state, link: DigitalLink) -> dict | None:  # noqa: ANN001
    """The product a link names, from the scan's caches as `Resolver.resolve` reads them (the lot's facts
    first), so that a forged code on a known lot still costs no database read."""
    cache = state.resolver.cache
    facts = cache.lot(state.db, link.gtin, link.lot) if link.lot else None
    return facts.product if facts is not None else cache.product(state.db, link.gtin)


def _mark(response: Response, verdict: str) -> None:
    """Attach the scan's verdict to its response, for the scan metrics (`_scan` reads it back)."""
    response.__dict__["verdict"] = verdict


def _redirect(target: str, request: Request, headers: dict[str, str]) -> Response:
    location = _with_query(target, _passed_on(request.scope.get("query_string", b"")))
    response = Response(status_code=307, headers={**headers, "Location": location})
    _mark(response, "redirect")
    return response


def _page(
    request: Request,
    view: str | None,
    *,
    link: DigitalLink | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The scan page and its JSON views: the targets of the resolver's links."""
    state = request.app.state
    base = state.settings.resolver_base_url
    link = link or _link(request)
    if headers is None:
        headers = {"Link": _link_header(anchor_of(link, base)), "Vary": "Accept, Accept-Language"}
    accept = request.headers.get("accept", "")
    if view is None and "application/json" in accept and "text/html" not in accept:
        json_body, raw_headers, verdict, json_status = _json_answer(state, link, _client(request))
        response = Response(json_body, status_code=json_status)
        response.raw_headers = raw_headers
        _mark(response, verdict)
        return response
    outcome = state.resolver.resolve(link, _client(request))
    if view == "epcis":
        # Only a code this platform issued has events to show; a forged one learns nothing.
        if outcome.verdict == "counterfeit" or outcome.facts is None or outcome.code_id is None:
            raise NoLink("no events: this platform did not issue that code")
        response = JSONResponse(
            state.resolver.public_events(link, outcome.facts),
            media_type="application/ld+json",
            headers=headers,
        )
        _mark(response, outcome.verdict)
        return response
    body = scan_view(outcome, state.enterprise_cards, base, state.unit_claims)
    typed = view is None and outcome.verdict == "counterfeit" and request.query_params.get("typed") == "1"
    if typed:
        # Typed by hand on the help page's form (not scanned): a failed check is most likely a typo.
        parts = {
            "gtin": link.gtin,
            "lot": link.lot or "",
            "serial": link.serial or "",
            "expiry": request.query_params.get("17", "")[:12],
            "lang": _lang(request),
            "edit": "1",
        }
        codes = [e.code for e in outcome.evidence]
        body["guidance"] = scan_guidance.guidance(
            outcome.verdict, codes, body["code"]["uri"], base, body.get("enterprise"), typed=parts
        )
    if view == "serviceInfo":
        # Not the hot path: the exact answer for this unit (category, waiting period, claim window).
        with state.db.read_session() as s:
            cover = insurance.cover_for(s, link.serial) if link.serial else None
        if cover is not None:
            cover.pop("enterprise_id", None)
        response = JSONResponse(
            {"code": body["code"], "cover": cover, "claim": body["insurance_claim"]}, headers=headers
        )
    elif view is not None:
        part = {
            "verificationService": {"code": body["code"], "verdict": body["verdict"]},
            "certificationInfo": {"code": body["code"], "inspection": body["inspection"]},
            "recallStatus": {
                "code": body["code"],
                "recalled": body["recall"] is not None,
                "recall": body["recall"],
            },
        }[view]
        response = JSONResponse(part, headers=headers)
    else:
        lang = _lang(request)
        response = templates.TemplateResponse(
            request,
            "scan.html",
            {"s": body, "lang": lang, "t": TEXT[lang], "switch": _switch_href(request, lang), "typed": typed},
            headers={**headers, "Content-Language": lang},
            status_code=status,
        )
    _mark(response, outcome.verdict)
    return response


@router.get("/code", include_in_schema=False, response_class=HTMLResponse)
def typed_code(
    request: Request, gtin: str = "", lot: str = "", serial: str = "", expiry: str = "", code: str = ""
) -> Response:
    """The help page's form: a code typed from its label, sent to its scan page (303) or back to the
    help page saying what is still wrong. `code` is a whole code as read by the portal's camera or
    pasted (a Digital Link URI or its path, or the label's "(01)…(21)…" line); opened with nothing at
    all, the page is the form to type a code into (200), not an error."""
    public_rate_limit(request)
    if code.strip():
        return _whole_code(request, code.strip()[:400])
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


_ELEMENT = re.compile(r"\((\d{2,4})\)([^()]*)")


def _whole_code(request: Request, text: str) -> Response:
    """A whole code to its scan page on this platform (303), whatever resolver host it names; a text
    that is no code is the help page saying which part is wrong (400)."""
    expiry = None
    if text.startswith("("):
        found = {ai: value.strip() for ai, value in _ELEMENT.findall(text)}
        if "01" not in found:
            return code_help(request, CodeError("gtin", "the label's line starts with (01) and the GTIN"), {})
        try:
            link = DigitalLink(
                normalise_gtin(found["01"]),
                found.get("10") or None,
                typed_serial(found.get("21", "")) or None,
            )
        except CodeError as exc:
            return code_help(request, exc, {})
        path, expiry = link.path(), found.get("17")
    else:
        parts = urlsplit(text if "://" in text or text.startswith("/") else "/" + text)
        path = parts.path.removeprefix("/scan")
        expiry = dict(parse_qsl(parts.query)).get("17")
        start = path.find("/01/")
        path = path[start:] if start >= 0 else path
    try:
        link = parse_link(path, [("17", expiry)] if expiry else [])
    except CodeError as exc:
        return code_help(request, exc, {"gtin": "", "lot": "", "serial": "", "expiry": ""})
    query = {"17": expiry} if expiry else {}
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


def _query(raw: bytes) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The query string as Starlette reads it (keep blank values, the last value of a name wins), and
    its AIs (the names of all digits) in order with any repeat kept, for GS1's rules to check; split by
    hand when nothing in it needs decoding, as in the `?17=YYMMDD` of a printed code."""
    if not raw:
        return {}, []
    text = raw.decode("latin-1")
    if "%" in text or "+" in text:
        pairs = parse_qsl(text, keep_blank_values=True)
    else:
        pairs = [pair.partition("=")[::2] for pair in text.split("&") if pair]
    return dict(pairs), [(k, v) for k, v in pairs if k.isdigit()]


_VARY = (b"vary", b"Accept, Accept-Language")
_JSON_TYPE = (b"content-type", b"application/json")
# Paths a compressed Digital Link could have: one segment of base64url (GS1 Digital Link 1.2 §8).
_COMPRESSED_PATH = re.compile(r"^/[A-Za-z0-9_-]{10,300}$")
_METHODS = ("GET", "HEAD", "OPTIONS")


def _is_resolver_path(path: str) -> bool:
    return path.startswith(("/01/", "/scan/01/")) or path == "/.well-known/gs1resolver"


class ScanFastPath:
    """ASGI middleware that answers GET /01/… itself, ahead of routing and the other middleware.

    The scan is what the public hits; Starlette's routing, FastAPI's per-route machinery and the
    generic metrics would cost more than the scan. A plain JSON scan (the consumer apps' request)
    is read straight from the ASGI scope and answered with raw ASGI messages; the redirects, the page,
    the linkset and the link types go through `scan_endpoint`. Errors still become problem documents,
    and the scan keeps its own metrics (crosstrust_scans_total by verdict, crosstrust_scan_seconds).

    It also makes every resolver path answer as a GS1-conformant resolver must: CORS headers on every
    answer, OPTIONS, and a compressed Digital Link (`/{base64url}`) answered as its uncompressed URI."""

    def __init__(self, app, metrics: Metrics) -> None:  # noqa: ANN001 - ASGI app
        self.app = app
        self.scans = metrics.scans
        self.seconds = metrics.scan_seconds
        self._by_verdict: dict[str, Any] = {}  # label lookups cost more than the counting
        self._routes: set[str] | None = None

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001 - ASGI
        if scope["type"] != "http" or scope["method"] not in _METHODS:
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if not path.startswith("/01/"):
            if _is_resolver_path(path):
                await self._other(scope, receive, send)
            elif _COMPRESSED_PATH.match(path) and not self._is_route(scope, path):
                await self._compressed(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        if path.count("/") == 3 and await self._compressed(scope, receive, send, partial=True):
            return  # /01/{gtin}/{base64url}: the GTIN uncompressed, the rest compressed
        if scope["method"] == "OPTIONS":
            await self._options(scope, send)
            return
        await self._scan(scope, receive, send)

    def _is_route(self, scope, path: str) -> bool:  # noqa: ANN001
        if self._routes is None:
            self._routes = {getattr(r, "path", "") for r in scope["app"].routes}
        return path in self._routes

    async def _other(self, scope, receive, send) -> None:  # noqa: ANN001
        """The scan page's path and the description file: routed as usual, with CORS added."""
        if scope["method"] == "OPTIONS":
            await self._options(scope, send)
            return
        await self.app(scope, receive, _with_cors(send))

    async def _options(self, scope, send, link_header: str | None = None) -> None:  # noqa: ANN001
        headers = [*CORS, *_PREFLIGHT]
        if link_header is None and scope["path"].startswith("/01/"):
            try:
                link = _parse(scope, [])
            except BadDigitalLink:
                link = None
            if link is not None:
                link_header = _link_header(anchor_of(link, scope["app"].state.settings.resolver_base_url))
        if link_header:
            headers.append((b"link", link_header.encode("latin-1")))
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    async def _compressed(self, scope, receive, send, partial: bool = False) -> bool:  # noqa: ANN001
        """A compressed Digital Link (all of it, or all but the GTIN): answered as the uncompressed URI
        it stands for, that request in its place (so that it is parsed and checked as any other), with
        a Link header naming it (owl:sameAs). False for a partial path that does not decode (the caller
        goes on: it is a bad uncompressed link); a whole path that does not decode goes on to the app
        (a 404)."""
        try:
            found = uncompress(_raw_path(scope))
        except CodeError as exc:
            response = _problem(
                BadDigitalLink(f"not a valid GS1 Digital Link: {exc.reason}", field=exc.field), scope
            )
            await response(scope, receive, _with_cors(send))
            return True
        if found is None:
            if partial:
                return False
            await self.app(scope, receive, send)
            return True
        path, query = found
        sent = scope["query_string"].decode("latin-1")
        query = "&".join(q for q in (query, sent) if q)
        base = scope["app"].state.settings.resolver_base_url
        same_as = base.rstrip("/") + path + (f"?{query}" if query else "")
        scope = {
            **scope,
            "path": unquote(path),
            "raw_path": path.encode("latin-1"),
            "query_string": query.encode("latin-1"),
            "crosstrust.same_as": same_as,
        }
        if scope["method"] == "OPTIONS":
            try:
                link = _parse(scope, [])
            except BadDigitalLink:
                link = None
            header = _link_header(anchor_of(link, base), same_as) if link is not None else None
            await self._options(scope, send, header)
            return True
        await self._scan(scope, receive, send)
        return True

    async def _scan(self, scope, receive, send) -> None:  # noqa: ANN001
        start = time.perf_counter()
        verdict = "error"
        try:
            answer = await self._json(scope)
            if answer is None:
                response = await scan_endpoint(Request(scope, receive))
                verdict = getattr(response, "verdict", verdict)
        except DomainError as exc:
            answer = None
            response = _problem(exc, scope)
        if answer is None:
            await response(scope, receive, _with_cors(send))
        else:
            body, headers, verdict, status = answer
            # The CORS headers go straight into the JSON answer's own list (fresh per answer): wrapping
            # `send` copies the message and its headers, which the scan's hot path does not need to pay.
            headers += CORS
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        counter = self._by_verdict.get(verdict)
        if counter is None:
            counter = self._by_verdict[verdict] = self.scans.labels(verdict)
        counter.inc()
        self.seconds.observe(time.perf_counter() - start)

    async def _json(self, scope) -> tuple[bytes, list[tuple[bytes, bytes]], str, int] | None:  # noqa: ANN001
        """The plain JSON scan, read straight from the scope, or None for anything else (the page, the
        linkset, the link types: `scan_endpoint`). What it reads must match what `_resolve` reads from
        a Starlette Request (tests/traceability/test_scan.py compares the two answers)."""
        params, attributes = _query(scope["query_string"])
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
        same_as = scope.get("crosstrust.same_as")
        if state.scan_statements is not None:
            return await _json_postgres(state, scope, attributes, address, agent, params, same_as)
        limiter = state.rate_limiter
        # The in-process limiter does no I/O: called directly, without a coroutine per scan.
        wait = limiter.take(address) if limiter.in_process else await limiter.atake(address)
        if wait:
            raise RateLimited(f"too many requests from your address; try again in {wait} s", retry_after=wait)
        link = _parse(scope, attributes)
        who = Client.from_request(state.client_salt, address, agent, params.get("city"), params.get("loc"))
        if state.db.is_sqlite:
            return _json_answer(state, link, who, same_as)
        return await run_in_threadpool(_json_answer, state, link, who, same_as)


async def _json_postgres(  # noqa: ANN001, PLR0913 - the parts of the request `_json` read
    state, scope, attributes, address: str, agent: str, params: dict, same_as: str | None
) -> tuple[bytes, list[tuple[bytes, bytes]], str, int]:
    """`_json` on PostgreSQL: the rate limit and the code row in one statement from the event loop
    (api.scan_pg), the rest on the loop unless it needs another read. The answers are `_json`'s:
    a refused token first (429), then a link that does not parse (400)."""
    try:
        link, bad = _parse(scope, attributes), None
    except BadDigitalLink as exc:
        link, bad = None, exc
    serial = state.resolver.serial_to_read(link) if link is not None else None
    limiter = state.rate_limiter
    row = UNREAD
    if limiter.in_process:
        wait = limiter.take(address)
        if not wait and serial is not None:
            row = await scan_pg.read_row(state.scan_statements, serial)
    else:
        try:
            wait, found = await scan_pg.take_and_read(state.scan_statements, limiter, address, serial)
            row = found if serial is not None else UNREAD
        except scan_pg.Unanswered:
            wait = 0
    if wait:
        raise RateLimited(f"too many requests from your address; try again in {wait} s", retry_after=wait)
    if bad is not None:
        raise bad
    assert link is not None
    who = Client.from_request(state.client_salt, address, agent, params.get("city"), params.get("loc"))
    try:
        return _json_answer(state, link, who, same_as, row=row, io=False)
    except WouldBlock:
        return await run_in_threadpool(_json_answer, state, link, who, same_as, row=row)


def _problem(exc: DomainError, scope) -> Response:  # noqa: ANN001
    return problem(
        exc.status,
        exc.title,
        exc.detail,
        slug=exc.slug,
        instance=scope["path"],
        errors=[e.as_dict() for e in exc.errors],
        headers={"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None,
    )


def _with_cors(send):  # noqa: ANN001, ANN202 - ASGI
    async def sender(message) -> None:  # noqa: ANN001
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *CORS]}
        await send(message)

    return sender


def _json_answer(  # noqa: ANN001, PLR0913
    state,
    link: DigitalLink,
    who: Client,
    same_as: str | None = None,
    row: CodeRow | None = UNREAD,
    io: bool = True,
) -> tuple[bytes, list, str, int]:
    """The JSON scan's answer; `row` and `io` as `Resolver.resolve` takes them (with `io` false, nothing
    is recorded before the answer is made, so that WouldBlock leaves nothing half done)."""
    base = state.settings.resolver_base_url
    now = utcnow()
    outcome = state.resolver.resolve(link, who, now, row=row, io=io, record=False)
    body = state.scan_json.render(outcome, link.uri(base), io)
    state.resolver.record(outcome, who, now)
    headers = [
        (b"content-length", str(len(body)).encode()),
        _JSON_TYPE,
        (b"link", _link_header(anchor_of(link, base), same_as).encode("latin-1")),
        _VARY,
    ]
    # A GTIN this platform does not know: the scan's JSON still says what the code is (not ours), with
    # 404, as a conformant resolver answers a well-formed link it has nothing for.
    return body, headers, outcome.verdict, 200 if outcome.product is not None else 404
