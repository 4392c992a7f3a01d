"""What the embedded index stores and asks of its text index (SQLite FTS5).

Chinese has no spaces, so the embedded index stores CJK text as overlapping character bigrams (the
same idea as Elasticsearch's cjk analyzer): any Chinese substring of two characters or more matches
as a phrase of bigrams. Latin words and codes match by prefix. Beside the words, each record's filter
values are stored as tags in a second column, so that words and filters intersect inside the text index.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from disclosure.search.base import EPOCH, SearchQuery

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


def cjk_terms(text: str) -> str:
    """Text as index terms: CJK runs become overlapping bigrams, everything else stays as it is."""
    out: list[str] = []
    pos = 0
    for m in _CJK.finditer(text):
        out.append(text[pos : m.start()])
        run = m.group()
        out.append(" ".join(run[i : i + 2] for i in range(max(1, len(run) - 1))))
        pos = m.end()
    out.append(text[pos:])
    return " ".join(out)


def key_of_day(day: date) -> int:
    """The smallest sort key of a day (UTC)."""
    return ((datetime(day.year, day.month, day.day, tzinfo=UTC) - EPOCH) // timedelta(seconds=1)) << 31


def fts_query(q: str) -> str:
    """A user's words as an FTS5 query: every word must match; Chinese as bigram phrases."""
    clauses = []
    for word in q.split():
        for m in re.finditer(r"[\u3400-\u9fff\uf900-\ufaff]+|[^\s\u3400-\u9fff\uf900-\ufaff]+", word):
            part = m.group()
            if _CJK.fullmatch(part):
                if len(part) == 1:
                    clauses.append(f'"{part}"*')
                else:
                    clauses.append('"' + " ".join(part[i : i + 2] for i in range(len(part) - 1)) + '"')
            else:
                tokens = re.findall(r"\w+", part)
                clauses += [f'"{t}"*' for t in tokens]
    return " AND ".join(clauses)


# A filter's tag in the text index's second column (`tags`): the field's letter and the value's letters
# and digits, so that a search with words and a filter intersects the two inside the text index instead
# of looking up every record that has the words. The filter columns still decide (the tags only narrow).
_TAGS = {
    "category": "c",
    "enterprise_id": "e",
    "uscc": "u",
    "origin_country": "o",
    "product_category": "p",
    "grade": "g",
    "hs_prefix": "h",
}


def tag(field: str, value: object) -> str:
    return _TAGS[field] + "".join(ch for ch in str(value).lower() if ch.isalnum())


def tags_of(d: dict[str, Any]) -> str:
    """A record's filter tags."""
    values = [(f, d.get("hs_code" if f == "hs_prefix" else f)) for f in _TAGS]
    return " ".join(tag(f, v) for f, v in values if v not in (None, ""))


def tags_query(query: SearchQuery, skip: str | None) -> str:
    """The query's filters as a query on the tags ("" without filters): every included field must have
    one of its values, no excluded value may be there (a prefix for hs_prefix)."""

    def phrase(field: str, value: str) -> str:
        return f'"{tag(field, value)}"' + ("*" if field == "hs_prefix" else "")

    need, refuse = [], []
    for name, values in query.include.items():
        if name != skip and values and name in _TAGS:
            need.append("tags : (" + " OR ".join(phrase(name, v) for v in values) + ")")
    for name, values in query.exclude.items():
        if name != skip and values and name in _TAGS:
            refuse += [f"tags : ({phrase(name, v)})" for v in values]
    return "".join(f" AND {n}" for n in need) + "".join(f" NOT {r}" for r in refuse)
