"""The public portal (no sign-in, Chinese first with English, phone first): disclosure search, an
enterprise's page, the red and black lists, the zone's live figures, and the sitemap and robots.txt.

Every page reads through the domains' services (the search through the same run as the public JSON API,
so both backends answer the page as they answer the API). Bad input is a 4xx page naming the field.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape as xml_escape

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from pydantic import ValidationError

from api import zone_figures
from api.deps import public_rate_limit
from api.pages import charts, web
from api.pages.glossary import word
from api.pages.routes import templates
from api.routers.disclosure import run as run_search
from core.db import id_of
from core.errors import FieldError, Invalid
from core.identifiers import country_name, validate_uscc
from disclosure.schemas import LISTS, SearchParams
from disclosure.search.base import FACET_FIELDS

router = APIRouter(
    include_in_schema=False, route_class=web.PageRoute, dependencies=[Depends(public_rate_limit)]
)
# What machines read (JSON, CSV, XML, text): errors are problem documents, not pages.
data = APIRouter(include_in_schema=False, dependencies=[Depends(public_rate_limit)])

PAGE_SIZE = 20
FACET_SHOWN = 12  # values shown per facet
CATEGORIES = ("entity", "operating", "regulatory", "service", "reward_punishment", "complaint")
PORTAL_PAGES = ("/", "/disclosures", "/figures", "/lists/red", "/lists/black")


def canonical(request: Request, path: str, query: dict[str, str] | None = None) -> str:
    """The page's one address on the platform's public origin (the resolver's base, where codes point)."""
    base = request.app.state.settings.resolver_base_url.rstrip("/")
    return base + path + (f"?{urlencode(query)}" if query else "")


def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, {"lang": "zh-CN", **context}, status_code=status)
    # Public and the same for everyone, but live: a cache may keep it, and must ask again each time.
    response.headers["Cache-Control"] = "public, no-cache"
    return response


def _field_errors(exc: ValidationError) -> Invalid:
    errors = [FieldError(".".join(str(p) for p in e["loc"]) or "query", e["msg"]) for e in exc.errors()]
    return Invalid("; ".join(f"{e.field}: {e.reason}" for e in errors), errors=errors)


# --- search -----------------------------------------------------------------------------------------


def _search_args(request: Request) -> dict[str, Any]:
    """The query string as the search model reads it: lists for the filters, one value for the rest."""
    args: dict[str, Any] = {}
    for name, value in request.query_params.multi_items():
        if name in LISTS or name == "facets":
            args.setdefault(name, []).append(value)
        elif value != "":
            args[name] = value
    return args


def _href(args: dict[str, Any], **change: Any) -> str:
    """/disclosures with `args` changed (None drops a name); a new search starts at its first page."""
    merged = {k: v for k, v in args.items() if k != "search_after"} | change
    pairs = []
    for k, v in merged.items():
        if v is None or v == [] or v == "":
            continue
        for item in v if isinstance(v, list) else [v]:
            pairs.append((k, item))
    return "/disclosures" + (f"?{urlencode(pairs)}" if pairs else "")


def _names(request: Request, usccs: set[str]) -> dict[str, str]:
    from enterprises import service as enterprises

    if not usccs:
        return {}
    with request.app.state.db.read_session() as s:
        return enterprises.names_by_uscc(s, usccs)


def _label(field: str, value: str, names: dict[str, str]) -> str:
    if field == "category":
        return word(value, "disclosure_category")
    if field == "product_category":
        return word(value, "product_category")
    if field == "grade":
        return word(value, "grade")
    if field == "origin_country":
        zh, en = country_name(value, "zh"), country_name(value, "en")
        return zh if zh == en else f"{zh} {en}"
    if field in ("uscc",):
        return names.get(value, value)
    return value


def _filters(args: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    """The filters in force, each with its words and the link that removes it."""
    out = []
    for name in LISTS:
        for value in _split(args.get(name, [])):
            field = name.removeprefix("not_")
            rest = [v for v in _split(args.get(name, [])) if v != value]
            out.append(
                {
                    "name": name,
                    "value": value,
                    "excluded": name.startswith("not_"),
                    "field": word(field, "search_facet"),
                    "label": _label(field, value, names),
                    "remove": _href(args, **{name: rest}),
                }
            )
    return out


def _split(values: list[str]) -> list[str]:
    return [p.strip() for v in values for p in v.split(",") if p.strip()]


@router.get("/disclosures", response_class=HTMLResponse)
def search_page(request: Request) -> HTMLResponse:
    """The public search over the six categories: words, filters with their exclusions, facets, a trend,
    deep paging, and the same query as CSV, JSON lines or JSON."""
    args = _search_args(request)
    # The trend counts every match (the one pass a search cannot stop early): on the embedded index with
    # a million records it is most of a broad search's time, so it is drawn when asked for (one link).
    asked = {**args, "size": str(PAGE_SIZE)}
    try:
        params = SearchParams.model_validate(asked)
    except ValidationError as exc:
        raise _field_errors(exc) from None
    result = run_search(request, params, request.app.state.search, public_only=True)
    shown = list(result["facets"].get("uscc", {}))[:FACET_SHOWN]
    usccs = set(shown) | set(_split(args.get("uscc", []) + args.get("not_uscc", [])))
    names = _names(request, usccs)
    facets = []
    for field in FACET_FIELDS:
        counts = result["facets"].get(field) or {}
        facets.append(
            {
                "field": field,
                "title": word(field, "search_facet"),
                "values": [
                    {
                        "value": v,
                        "label": _label(field, v, names),
                        "count": n,
                        "only": _href(args, **{field: [*_split(args.get(field, [])), v]}),
                        "not": _href(args, **{f"not_{field}": [*_split(args.get(f"not_{field}", [])), v]}),
                    }
                    for v, n in list(counts.items())[:FACET_SHOWN]
                ],
            }
        )
    trend = result["trend"] or []
    exported = {k: v for k, v in args.items() if k not in ("search_after", "size", "trend", "facets")}
    next_href = None
    if result["search_after"]:
        next_href = _href(args, search_after=result["search_after"])
    return page(
        request,
        "portal_search.html",
        {
            "canonical": canonical(request, "/disclosures"),
            "q": params.q,
            "args": args,
            "r": result,
            "facets": facets,
            "filters": _filters(args, names),
            "categories": CATEGORIES,
            "chart": charts.bars(
                [(t["period"], t["count"]) for t in trend], "公示信息数量趋势 Disclosures over time"
            )
            if trend
            else None,
            "trend": trend,
            "trend_interval": params.trend,
            "trend_href": _href(args, trend="month"),
            "next_href": next_href,
            "downloads": {
                "csv": "/api/v1/public/disclosures/export?" + urlencode(_pairs(exported | {"format": "csv"})),
                "jsonl": "/api/v1/public/disclosures/export?"
                + urlencode(_pairs(exported | {"format": "jsonl"})),
                "json": "/api/v1/public/disclosures/search?" + urlencode(_pairs(args)),
            },
            "paged": params.search_after is not None,
            "first_page": _href(args),
        },
    )


def _pairs(args: dict[str, Any]) -> list[tuple[str, str]]:
    return [(k, item) for k, v in args.items() for item in (v if isinstance(v, list) else [v])]


# --- an enterprise ----------------------------------------------------------------------------------


@router.get("/enterprises", response_class=HTMLResponse)
def enterprise_lookup(request: Request, uscc: str = "") -> Response:
    """The home page's lookup without JavaScript: a code goes to its page; words go to the search."""
    text = uscc.strip()
    if not text:
        return RedirectResponse("/#lookup", status_code=303)
    try:
        code = validate_uscc(text.upper())
    except ValueError:
        return RedirectResponse("/disclosures?" + urlencode({"q": text[:200], "category": "entity"}), 303)
    return RedirectResponse(f"/enterprises/{code}", status_code=303)


def _disclosures_of(s: Any, enterprise_id: int) -> dict[str, Any]:
    """Per category: how many public records, and the newest few (one query, from the records)."""
    from disclosure import service as disclosures

    found = disclosures.public_by_category(s, enterprise_id, newest=3)
    return {c: found.get(c, {"count": 0, "hits": []}) for c in CATEGORIES}


def _compensation(s: Any, enterprise_id: int) -> dict[str, int]:
    from complaints import figures as complaint_figures
    from insurance import figures as insurance_figures

    paid = insurance_figures.paid_for(s, enterprise_id)
    counts = complaint_figures.merchant_counts(s, enterprise_id)
    total = dict(paid["by_currency"])
    for case_id, currency, minor in counts["payments"]:
        if case_id not in paid["cases"]:
            total[currency] = total.get(currency, 0) + minor
    return total


@router.get("/enterprises/{uscc}", response_class=HTMLResponse)
def enterprise_page(request: Request, uscc: str) -> HTMLResponse:
    """What the platform discloses about one enterprise: the six categories, its grade and reasons, its
    insurance, its complaint figures and published cases, and a link to its credit report."""
    from complaints import figures as complaint_figures
    from credit import measures, pledges
    from credit import methodology as methodology_
    from credit import service as credit
    from enterprises import service as enterprises
    from insurance import service as insurance

    with request.app.state.db.read_session() as s:
        ent = enterprises.get_by_uscc(s, uscc)
        code = ent.uscc
        ent_id = id_of(ent)
        profile = enterprises.public_profile(s, ent_id)
        merchant = ent.kind == "merchant"
        grade = credit.grade_of(s, ent_id) if merchant else None
        joint = (
            (measures.for_enterprise(s, ent_id), pledges.of(s, ent_id, public_only=True))
            if merchant
            else ([], [])
        )
        cover = insurance.enterprise_cover(s, ent_id) if merchant else None
        counts = complaint_figures.merchant_counts(s, ent_id)
        compensation = _compensation(s, ent_id)
        cases = complaint_figures.published_cases(s, ent_id, limit=10)
        disclosed = _disclosures_of(s, ent_id)
    return page(
        request,
        "portal_enterprise.html",
        {
            "canonical": canonical(request, f"/enterprises/{code}"),
            "e": profile,
            "merchant": merchant,
            "grade": grade,
            "measures": joint[0],  # 联合奖惩: what applies and why
            "pledges": joint[1],  # 信用承诺: published
            "trust": methodology_.current().trust,
            "cover": cover,
            "counts": counts,
            "compensation": compensation,
            "cases": cases,
            "disclosures": disclosed,
            "categories": CATEGORIES,
            "country": _label("origin_country", profile["country"], {})
            if profile is not None and profile.get("country")
            else "—",
        },
    )


# --- the lists --------------------------------------------------------------------------------------


@router.get("/lists/{which}", response_class=HTMLResponse)
def credit_list(request: Request, which: str, start: int = 0) -> HTMLResponse:
    """The red list (守信激励) or the black list (失信惩戒): who is on it, since when, and why."""
    from credit import service as credit

    if not 0 <= start <= 1_000_000:
        raise Invalid.field("start", "must be between 0 and 1000000")
    limit = 100
    with request.app.state.db.read_session() as s:
        rows = credit.listed(s, which, limit=limit + 1, offset=start)
    return page(
        request,
        "portal_list.html",
        {
            "canonical": canonical(request, f"/lists/{which}"),
            "which": which,
            "rows": rows[:limit],
            "start": start,
            "next": start + limit if len(rows) > limit else None,
            "previous": max(start - limit, 0) if start else None,
        },
    )


# --- the zone's figures -----------------------------------------------------------------------------


def _window(interval: str, periods: int | None) -> zone_figures.Window:
    if interval not in zone_figures.SPAN:
        raise Invalid.field("interval", "must be day or month")
    default, most = zone_figures.SPAN[interval]
    count = default if periods is None else periods
    if not 1 <= count <= most:
        raise Invalid.field("periods", f"must be between 1 and {most} for interval={interval}")
    return zone_figures.Window(interval, count)  # type: ignore[arg-type]  # one of SPAN's keys: an Interval


def _figures(request: Request, interval: str, periods: str | None) -> dict[str, Any]:
    count = None
    if periods not in (None, ""):
        if not periods.isdigit() or len(periods) > 4:
            raise Invalid.field("periods", "must be a whole number")
        count = int(periods)
    window = _window(interval, count)
    with request.app.state.db.read_session() as s:
        return zone_figures.figures(s, window)


@router.get("/figures", response_class=HTMLResponse)
def figures_page(request: Request, interval: str = "day", periods: str | None = None) -> HTMLResponse:
    """The zone's figures, live: charts, a table, and the same figures as CSV and JSON."""
    f = _figures(request, interval, periods)
    query = {"interval": interval} | ({"periods": periods} if periods else {})
    series = f["series"]

    def chart(column: str, scale: float = 1) -> Any:
        return charts.bars(
            [(r["period"][5:], r[column] / scale) for r in series], word(column, "zone_figure")
        )

    return page(
        request,
        "portal_figures.html",
        {
            "canonical": canonical(
                request, "/figures", {"interval": interval} if interval != "day" else None
            ),
            "f": f,
            "interval": interval,
            "charts": [
                ("declarations", word("declarations", "zone_figure"), chart("declarations")),
                (
                    "declared_value",
                    word("declared_value_minor", "zone_figure") + "（元 yuan）",
                    chart("declared_value_minor", 100),
                ),
                ("scans", word("scans", "zone_figure"), chart("scans")),
                ("complaints", word("complaints_received", "zone_figure"), chart("complaints_received")),
            ],
            "verdicts": zone_figures.VERDICTS,
            "json_href": "/figures.json?" + urlencode(query),
            "csv_href": "/figures.csv?" + urlencode(query),
        },
    )


@data.get("/figures.json")
def figures_json(request: Request, interval: str = "day", periods: str | None = None) -> JSONResponse:
    return JSONResponse(_figures(request, interval, periods), headers={"Cache-Control": "no-cache"})


@data.get("/figures.csv")
def figures_csv(request: Request, interval: str = "day", periods: str | None = None) -> Response:
    f = _figures(request, interval, periods)
    return Response(
        "".join(zone_figures.as_csv(f)),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="zone-figures-{interval}.csv"',
            "Cache-Control": "no-cache",
        },
    )


# --- for crawlers -----------------------------------------------------------------------------------


SITEMAP_MAX = 50_000  # the sitemap protocol's limit per file


@data.get("/sitemap.xml")
def sitemap(request: Request) -> Response:
    """The portal's pages and every active merchant's page and credit report."""
    from enterprises import service as enterprises

    urls = [canonical(request, p) for p in PORTAL_PAGES]
    offset, chunk = 0, 1000
    with request.app.state.db.read_session() as s:
        while len(urls) < SITEMAP_MAX:
            found = enterprises.list_enterprises(s, "merchant", limit=chunk, offset=offset, status=["active"])
            for e in found:
                urls += [
                    canonical(request, f"/enterprises/{e.uscc}"),
                    canonical(request, f"/credit/{e.uscc}"),
                ]
            if len(found) < chunk:
                break
            offset += chunk
    body = "".join(f"<url><loc>{xml_escape(u)}</loc></url>" for u in urls[:SITEMAP_MAX])
    return Response(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>\n',
        media_type="application/xml",
    )


@data.get("/robots.txt")
def robots(request: Request) -> PlainTextResponse:
    # The portal is for everyone; what needs a key or a session, and the API, is not for crawlers.
    lines = [
        "User-agent: *",
        "Allow: /",
        *(
            f"Disallow: {p}"
            for p in ("/api/", "/console", "/merchant", "/signin", "/complaints/", "/track/", "/code")
        ),
        f"Sitemap: {canonical(request, '/sitemap.xml')}",
    ]
    return PlainTextResponse("\n".join(lines) + "\n")
