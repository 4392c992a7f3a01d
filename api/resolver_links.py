"""The resolver's links: a resolver path read as a GS1 Digital Link, where each of its link types leads,
the RFC 9264 linkset and the Link header every resolver answer carries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from fastapi import Request

from core.errors import DomainError, NotFound
from traceability.codes import (
    CodeError,
    DigitalLink,
    ais_of_query,
    parse_link,
)

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
VIEWS = ("verificationService", "certificationInfo", "recallStatus", "serviceInfo", "epcis")
# Where a conformant resolver lets browser apps of other parties in (GS1-Conformant Resolver 1.1 §3:
# CORS, and GET, HEAD and OPTIONS on every resolver path).
CORS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"GET, HEAD, OPTIONS"),
    (b"access-control-expose-headers", b"Link, Location, Content-Type, Content-Language, Vary"),
]
PREFLIGHT = [
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


def raw_path(scope: Mapping[str, Any]) -> str:
    """The path as it was sent, still percent-encoded: `scope["path"]` is already decoded, which would
    split a lot `A%2FB` in two and decode a lot `100%2541` twice."""
    raw = scope.get("raw_path")
    if raw:
        return raw.decode("latin-1")
    return quote(scope["path"], safe="/")


def parse_scope(scope: Mapping[str, Any], attributes: list[tuple[str, str]]) -> DigitalLink:
    """The link of a resolver path, its AIs (the path's and the query's) checked by GS1's rules."""
    path = raw_path(scope)
    if path.startswith("/scan/"):
        path = path[len("/scan") :]
    try:
        return parse_link(path, attributes)
    except CodeError as exc:
        raise BadDigitalLink(f"not a valid GS1 Digital Link: {exc.reason}", field=exc.field) from None


def link_of(request: Request) -> DigitalLink:
    return parse_scope(request.scope, ais_of_query(request.url.query))


def link_type_of(value: str) -> str:
    """The link type a `linkType` value names, without its namespace (`gs1:pip`, `https://gs1.org/voc/pip`
    and `https://ref.gs1.org/voc/pip` are one)."""
    for prefix in _LINK_TYPE_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


def anchor_of(link: DigitalLink, base: str) -> str:
    """The linkset's anchor: the item's identifier, without data attributes (the `?17=` expiry)."""
    return base.rstrip("/") + link.path()


def targets(link: DigitalLink, base: str) -> dict[str, str]:
    """Where each link type leads: the scan page (gs1:pip, the default link), its JSON views, the events."""
    page = base.rstrip("/") + "/scan" + link.path()
    out = {"pip": page, "defaultLink": page}
    # gs1:epcis too: the item's own events, public like the page (the EPCIS query API needs a key).
    out |= {view: f"{page}?view={view}" for view in VIEWS}
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


def link_header(anchor: str, same_as: str | None = None, context: str | None = None) -> str:
    """The Link header of every resolver answer: the linkset (never the legacy list of every link), the
    uncompressed URI of a compressed one, and on the linkset itself its JSON-LD context."""
    parts = [f'<{anchor}?linkType=linkset>; rel="linkset"; type="application/linkset+json"']
    if same_as:
        parts.append(f'<{same_as}>; rel="owl:sameAs"')
    if context:
        parts.append(f'<{context}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"')
    return ", ".join(parts)


def passed_on(raw_query: bytes) -> str:
    """The query string to pass on when redirecting: all of it but `linkType`, as it was sent."""
    if not raw_query:
        return ""
    pairs = [p for p in raw_query.decode("latin-1").split("&") if p and p.split("=", 1)[0] != "linkType"]
    return "&".join(pairs)


def with_query(url: str, query: str) -> str:
    if not query:
        return url
    return url + ("&" if "?" in url else "?") + query
