"""The resolver's pages: the scan page and its JSON views, and the help page for a code that cannot be
read (in the consumer's language, with a form to type the code from its label)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from api import scan_guidance
from api.pages.routes import templates
from api.pages.scan_text import TEXT
from api.resolver_links import (
    NoLink,
    anchor_of,
    link_header,
    link_of,
    raw_path,
)
from api.scan_fast import (
    client_of,
    json_answer,
    mark,
)
from api.scan_view import scan_view
from insurance import service as insurance
from traceability.codes import (
    SERIAL_LENGTH,
    CodeError,
    DigitalLink,
    ais_of_query,
    normalise_gtin,
    parse_link,
)

_LANGS = ("zh", "en")


def lang_of(request: Request) -> str:
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


def switch_href(request: Request, lang: str) -> str:
    """The other language's link: the same query (the code's `17=` expiry, `city=`…) with `lang` swapped."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return "?" + urlencode([*kept, ("lang", "en" if lang == "zh" else "zh")])


def is_browser(request: Request) -> bool:
    """A person's browser asks for HTML by name; API clients (and curl's */*) get problem documents."""
    return "text/html" in request.headers.get("accept", "")


# A serial typed by hand from the label's short code (1ABC-DEFG-…): Crockford base32 reads O as 0 and
# I, L as 1, ignores case, spaces and hyphens.
_TYPED = str.maketrans("OIL", "011")
_SERIAL_CHARS = re.compile(r"^[0-9A-HJKMNP-TV-Z]+$")


def typed_serial(serial: str) -> str:
    fixed = re.sub(r"[\s-]", "", serial).upper().translate(_TYPED)
    return fixed if len(fixed) == SERIAL_LENGTH and _SERIAL_CHARS.match(fixed) else serial


def typed_path(path: str) -> str | None:
    """The path with its serial as typed from the short code made exact, or None if it needs nothing."""
    segments = path.split("/")
    for i in range(3, len(segments) - 1, 2):
        if segments[i] == "21":
            typed = unquote(segments[i + 1])
            fixed = typed_serial(typed)
            if fixed != typed:
                return "/".join([*segments[: i + 1], fixed, *segments[i + 2 :]])
    return None


def typed_parts(request: Request) -> dict[str, str]:
    """What the consumer typed, read leniently from the path, to fill the form of the help page."""
    segments = [unquote(x) for x in request.scope["path"].split("/") if x]
    parts = {"gtin": "", "lot": "", "serial": "", "expiry": request.query_params.get("17", "")}
    names = {"01": "gtin", "10": "lot", "21": "serial"}
    for ai, value in zip(segments[::2], segments[1::2], strict=False):
        if ai in names:
            parts[names[ai]] = value[:40]
    parts["expiry"] = parts["expiry"][:12]
    return parts


def code_error(request: Request) -> CodeError:
    """Why the request's path is not a Digital Link, as the parser says it (field and reason)."""
    path = raw_path(request.scope)
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
    lang = lang_of(request)
    return templates.TemplateResponse(
        request,
        "scan_code_help.html",
        {
            "lang": lang,
            "t": TEXT[lang],
            "field": error.field,
            "reason": error.reason,
            "parts": parts if parts is not None else typed_parts(request),
            "switch": switch_href(request, lang),
        },
        status_code=status,
        headers={"Vary": "Accept, Accept-Language"},
    )


def page_answer(
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
    link = link or link_of(request)
    if headers is None:
        headers = {"Link": link_header(anchor_of(link, base)), "Vary": "Accept, Accept-Language"}
    accept = request.headers.get("accept", "")
    if view is None and "application/json" in accept and "text/html" not in accept:
        json_body, raw_headers, verdict, json_status = json_answer(state, link, client_of(request))
        response = Response(json_body, status_code=json_status)
        response.raw_headers = raw_headers
        mark(response, verdict)
        return response
    outcome = state.resolver.resolve(link, client_of(request))
    if view == "epcis":
        # Only a code this platform issued has events to show; a forged one learns nothing.
        if outcome.verdict == "counterfeit" or outcome.facts is None or outcome.code_id is None:
            raise NoLink("no events: this platform did not issue that code")
        response = JSONResponse(
            state.resolver.public_events(link, outcome.facts),
            media_type="application/ld+json",
            headers=headers,
        )
        mark(response, outcome.verdict)
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
            "lang": lang_of(request),
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
        lang = lang_of(request)
        response = templates.TemplateResponse(
            request,
            "scan.html",
            {"s": body, "lang": lang, "t": TEXT[lang], "switch": switch_href(request, lang), "typed": typed},
            headers={**headers, "Content-Language": lang},
            status_code=status,
        )
    mark(response, outcome.verdict)
    return response


_ELEMENT = re.compile(r"\((\d{2,4})\)([^()]*)")


def whole_code(request: Request, text: str) -> Response:
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
