"""What every search backend shares: the protocol, the query and its result, the fields a search filters
and facets on, and the two things both backends must compute alike (a record's place in date order,
and the highlighting of a hit), so that a page token and a result read the same on either."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

FILTER_FIELDS = (
    "category",
    "enterprise_id",
    "uscc",
    "origin_country",
    "hs_prefix",
    "product_category",
    "grade",
)
FACET_FIELDS = ("category", "origin_country", "product_category", "grade", "uscc")
# The period a day falls in (UTC), as both backends name it: the day, the week's Monday, the month.
INTERVALS = {
    "day": lambda d: d.isoformat(),
    "week": lambda d: (d - timedelta(days=d.weekday())).isoformat(),
    "month": lambda d: d.strftime("%Y-%m"),
}
# Like Elasticsearch's track_total_hits: counting stops here and the total reads "10,000 or more".
TOTAL_CAP = 10_000
# The embedded index counts facets and ranks by relevance over the newest WINDOW matches only (and says
# so: facets_approximate, ranking_approximate), so that a broad query costs what one matching WINDOW
# records costs: a match's facet values and its bm25 cost several times what counting it does.
WINDOW = 2_000
# The dates a search may name: the sort key counts seconds from 1970 in 32 bits (to 2106), and the
# day after the last one must still be a date; nothing disclosed here lies outside.
FIRST_DATE = date(1970, 1, 1)
LAST_DATE = date(2099, 12, 31)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def sort_key(occurred_at: str, record_id: int) -> int:
    """A record's place in date order, as one integer: seconds since the epoch (UTC) above 31 bits of
    the record's id. Newest first is this key descending, on both backends; records of the same
    second come newest-recorded first. The embedded index uses it as the row id of the text index,
    so that a date-ordered page walks the index in order instead of sorting every match."""
    when = datetime.fromisoformat(occurred_at)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = min(max((when - EPOCH) // timedelta(seconds=1), 0), 2**32 - 1)
    if not 0 < record_id < 2**31:
        raise ValueError(f"record id {record_id} does not fit the sort key")
    return seconds << 31 | record_id


@dataclass
class SearchQuery:
    q: str = ""
    include: dict[str, list[str]] = field(default_factory=dict)
    exclude: dict[str, list[str]] = field(default_factory=dict)
    date_from: date | None = None
    date_to: date | None = None
    public_only: bool = True
    sort: str = "relevance"
    size: int = 20
    after: list[Any] | None = None
    facets: bool | tuple[str, ...] = True  # True: every facet; or the facets asked for
    trend: str | None = None
    # Count every match (exports) instead of stopping at TOTAL_CAP.
    exact_total: bool = False

    @property
    def facet_fields(self) -> tuple[str, ...]:
        """The facets to count, in FACET_FIELDS order (none for False, all for True)."""
        if self.facets is True:
            return FACET_FIELDS
        if not self.facets:
            return ()
        return tuple(f for f in FACET_FIELDS if f in self.facets)


@dataclass
class SearchResult:
    total: int
    hits: list[dict[str, Any]]
    facets: dict[str, dict[str, int]]
    trend: list[dict[str, Any]] | None
    next_after: list[Any] | None
    total_relation: str = "eq"  # "gte": more matched than were counted (see TOTAL_CAP)
    facets_approximate: bool = False  # counted over the newest WINDOW matches, not all of them
    ranking_approximate: bool = False  # relevance order ranks the newest WINDOW matches, then by date
    window: int | None = None  # how many of the newest matches the approximations covered, if any


class SearchUnavailable(Exception):
    pass


class SearchBackend(Protocol):
    def index(self, docs: Iterable[dict[str, Any]]) -> None: ...
    def delete(self, ids: Iterable[int]) -> None: ...

    def search(self, query: SearchQuery) -> SearchResult: ...
    def autocomplete(self, prefix: str, limit: int = 10) -> list[dict[str, Any]]: ...
    def versions(self) -> dict[int, int]: ...
    def reset(self) -> None: ...
    def rebuild(self, chunks: Iterable[list[dict[str, Any]]]) -> int: ...
    def ping(self) -> bool: ...


def highlight(text: str, words: list[str], width: int | None = None) -> str:
    """HTML-escaped text with each word marked; with `width`, a snippet around the first match."""
    if width is not None and text:
        lowered = text.lower()
        starts = [i for w in words if (i := lowered.find(w.lower())) >= 0]
        first = min(starts) if starts else 0
        begin = max(0, first - width // 3)
        text = (
            ("…" if begin else "") + text[begin : begin + width] + ("…" if begin + width < len(text) else "")
        )
    out = html.escape(text)
    for w in sorted({w for w in words if w}, key=len, reverse=True):
        out = re.sub(
            re.escape(html.escape(w)), lambda m: f"<mark>{m.group()}</mark>", out, flags=re.IGNORECASE
        )
    return out
