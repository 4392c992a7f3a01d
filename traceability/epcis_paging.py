"""Paging of EPCIS lists (events, capture jobs, named queries, subscriptions): signed page tokens
that expire, and the perPage and nextPageToken parameters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.clock import utcnow
from core.errors import Invalid
from core.tokens import TokenSigner
from traceability.epcis_ids import _stamp
from traceability.epcis_schema import PAGE_TOKEN_TTL, QueryInvalid


def page_token(signer: TokenSigner, after: Any) -> str:
    """The next page's token: where the page ended, and until when the token works (its
    GS1-Next-Page-Token-Expires)."""
    expires = int((utcnow() + PAGE_TOKEN_TTL).timestamp())
    return signer.dumps({"after": after, "exp": expires})


def token_expires(signer: TokenSigner, token: str) -> datetime:
    """When a token this server issued stops working."""
    return datetime.fromtimestamp(signer.loads(token)["exp"], UTC)


def _paging(params: dict[str, str], signer: TokenSigner, allowed: set[str]) -> tuple[int, Any]:
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise QueryInvalid.field(
            unknown[0], f"not a supported query parameter; use {', '.join(sorted(allowed))}"
        )
    try:
        per_page = int(params.get("perPage", "30"))
    except ValueError:
        raise QueryInvalid.field("perPage", "a whole number") from None
    if not 1 <= per_page <= 1000:
        raise QueryInvalid.field("perPage", "between 1 and 1000")
    after = None
    if "nextPageToken" in params:
        try:
            token = signer.loads(params["nextPageToken"])
        except Invalid as exc:
            raise QueryInvalid(exc.detail, errors=exc.errors) from None
        if not isinstance(token, dict) or "after" not in token:
            raise QueryInvalid.field("nextPageToken", "the page token is not one this server issued")
        # Tokens issued before they carried an expiry (no "exp") still work.
        expires = token.get("exp")
        if isinstance(expires, int) and utcnow().timestamp() >= expires:
            when = _stamp(datetime.fromtimestamp(expires, UTC))
            raise QueryInvalid.field(
                "nextPageToken", f"the page token expired at {when}: start again from the first page"
            )
        after = token["after"]
    return per_page, after
