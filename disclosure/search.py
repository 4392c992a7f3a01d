"""Search over disclosure records behind one interface: the embedded index (SQLite FTS5, the default,
no server) and, where CROSSTRUST_SEARCH_URL is set, Elasticsearch.

Chinese has no spaces, so the embedded index stores CJK text as overlapping character bigrams (the
same idea as Elasticsearch's cjk analyzer): any Chinese substring of two characters or more matches
as a phrase of bigrams. Latin words and codes match by prefix.
"""

from __future__ import annotations

import html
import json
import re
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from core.clock import utcnow
from core.errors import Invalid

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
# The period a record falls in, as both backends name it: the day, the week's Monday, the month.
INTERVALS = {
    "day": "date(d.occurred_at)",
    "week": "date(d.occurred_at, 'weekday 0', '-6 days')",
    "month": "strftime('%Y-%m', d.occurred_at)",
}
SCHEMA_VERSION = 2
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
    facets: bool = True
    trend: str | None = None


@dataclass
class SearchResult:
    total: int | None  # None on later pages of the embedded index (the first page gave it)
    hits: list[dict[str, Any]]
    facets: dict[str, dict[str, int]]
    trend: list[dict[str, Any]] | None
    next_after: list[Any] | None


class SearchUnavailable(Exception):
    pass


class SearchBackend(Protocol):
    def index(self, docs: Iterable[dict[str, Any]]) -> None: ...
    def delete(self, ids: Iterable[int]) -> None: ...

    def search(self, query: SearchQuery) -> SearchResult: ...
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


class EmbeddedIndex:
    """The default backend: a SQLite file beside the database, rebuilt from it at any time."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        if self._conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            # The index is derived data: an older layout is dropped and rebuilt (crosstrust search reindex).
            self._conn.executescript(
                "DROP TABLE IF EXISTS docs; DROP TABLE IF EXISTS docs_fts; DROP TABLE IF EXISTS names;"
            )
            self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._conn.executescript(
            """
            CREATE TABLE IF NOT EXISTS docs (
                id INTEGER PRIMARY KEY, version INTEGER NOT NULL, category TEXT, enterprise_id INTEGER, uscc TEXT,
                enterprise_name TEXT, origin_country TEXT, hs_code TEXT, product_category TEXT, grade TEXT,
                occurred_at TEXT, visibility TEXT, publish_until TEXT, doc TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS docs_when ON docs(occurred_at DESC, id DESC);
            CREATE INDEX IF NOT EXISTS docs_category ON docs(category);
            CREATE INDEX IF NOT EXISTS docs_uscc ON docs(uscc);
            CREATE VIRTUAL TABLE IF NOT EXISTS docs_fts USING fts5(terms, tokenize = 'unicode61 remove_diacritics 2');
            CREATE TABLE IF NOT EXISTS names (name TEXT PRIMARY KEY, uscc TEXT, enterprise_id INTEGER);
            """
        )

    def ping(self) -> bool:
        return self._conn.execute("SELECT 1").fetchone() == (1,)

    def index(self, docs: Iterable[dict[str, Any]]) -> None:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for d in docs:
                    current = self._conn.execute(
                        "SELECT version FROM docs WHERE id = ?", (d["id"],)
                    ).fetchone()
                    if current is not None and current[0] >= d["version"]:
                        continue  # an older or repeated delivery
                    terms = cjk_terms(
                        " ".join(
                            str(d.get(k) or "")
                            for k in (
                                "title_zh",
                                "title_en",
                                "body_zh",
                                "body_en",
                                "enterprise_name",
                                "uscc",
                                "hs_code",
                            )
                        )
                    )
                    self._conn.execute("DELETE FROM docs_fts WHERE rowid = ?", (d["id"],))
                    self._conn.execute("INSERT INTO docs_fts (rowid, terms) VALUES (?, ?)", (d["id"], terms))
                    self._conn.execute(
                        "INSERT OR REPLACE INTO docs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            d["id"],
                            d["version"],
                            d["category"],
                            d["enterprise_id"],
                            d["uscc"],
                            d["enterprise_name"],
                            d.get("origin_country"),
                            d.get("hs_code"),
                            d.get("product_category"),
                            d.get("grade"),
                            d["occurred_at"],
                            d["visibility"],
                            d.get("publish_until"),
                            json.dumps(d, ensure_ascii=False),
                        ),
                    )
                    self._conn.execute(
                        "INSERT OR REPLACE INTO names VALUES (?, ?, ?)",
                        (d["enterprise_name"], d["uscc"], d["enterprise_id"]),
                    )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def delete(self, ids: Iterable[int]) -> None:
        with self._lock:
            for i in ids:
                self._conn.execute("DELETE FROM docs WHERE id = ?", (i,))
                self._conn.execute("DELETE FROM docs_fts WHERE rowid = ?", (i,))

    def reset(self) -> None:
        with self._lock:
            self._conn.executescript("DELETE FROM docs; DELETE FROM docs_fts; DELETE FROM names;")

    def rebuild(self, chunks: Iterable[list[dict[str, Any]]]) -> int:
        self.reset()
        count = 0
        for chunk in chunks:
            self.index(chunk)
            count += len(chunk)
        return count

    def versions(self) -> dict[int, int]:
        return dict(self._conn.execute("SELECT id, version FROM docs").fetchall())

    def autocomplete(self, prefix: str, limit: int = 10) -> list[dict[str, Any]]:
        rows = self._conn.execute(
            "SELECT name, uscc, enterprise_id FROM names WHERE name LIKE ? ESCAPE '\\' ORDER BY name LIMIT ?",
            ("%" + prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%", limit),
        ).fetchall()
        return [{"name": n, "uscc": u, "enterprise_id": e} for n, u, e in rows]

    # -- querying --------------------------------------------------------------------------------

    def _where(self, query: SearchQuery, skip: str | None = None) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        args: list[Any] = []
        if query.public_only:
            where.append("d.visibility = 'public' AND (d.publish_until IS NULL OR d.publish_until > ?)")
            args.append(utcnow().isoformat())
        if query.q:
            where.append("d.id IN (SELECT rowid FROM docs_fts WHERE docs_fts MATCH ?)")
            args.append(fts_query(query.q))
        for name, values, negate in [(k, v, False) for k, v in query.include.items()] + [
            (k, v, True) for k, v in query.exclude.items()
        ]:
            if name == skip or not values:
                continue
            if name == "hs_prefix":
                clause = "(" + " OR ".join("d.hs_code LIKE ?" for _ in values) + ")"
                args += [v + "%" for v in values]
            else:
                column = "d.enterprise_id" if name == "enterprise_id" else f"d.{name}"
                clause = f"{column} IN ({','.join('?' for _ in values)})"
                args += [int(v) if name == "enterprise_id" else v for v in values]
            where.append(
                f"(d.hs_code IS NULL OR NOT {clause})"
                if negate and name == "hs_prefix"
                else (f"({column} IS NULL OR NOT {clause})" if negate else clause)
            )
        if query.date_from:
            where.append("d.occurred_at >= ?")
            args.append(query.date_from.isoformat())
        if query.date_to:
            where.append("d.occurred_at < date(?, '+1 day')")
            args.append(query.date_to.isoformat())
        return where, args

    def _facets(self, query: SearchQuery, clause: str, args: list[Any]) -> dict[str, dict[str, int]]:
        """Counts per facet value, each ignoring its own facet's filter. Facets whose field is not
        filtered share one pass over the matching records; a filtered facet gets a pass of its own."""
        filtered = {k for k, v in (query.include | query.exclude).items() if v}
        shared = [f for f in FACET_FIELDS if f not in filtered]
        passes = [(shared, clause, args)] if shared else []
        for name in FACET_FIELDS:
            if name in filtered:
                w, a = self._where(query, skip=name)
                passes.append(([name], " AND ".join(w) or "1", a))
        facets: dict[str, dict[str, int]] = {}
        for names, where, params in passes:
            counters: list[dict[str, int]] = [{} for _ in names]
            cols = ", ".join(f"d.{n}" for n in names)
            for row in self._conn.execute(f"SELECT {cols} FROM docs d WHERE {where}", params):  # noqa: S608
                for i, value in enumerate(row):
                    if value is not None:
                        counters[i][value] = counters[i].get(value, 0) + 1
            for name, counts in zip(names, counters, strict=True):
                top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:50]
                facets[name] = dict(top)
        return facets

    def search(self, query: SearchQuery) -> SearchResult:
        where, args = self._where(query)
        clause = " AND ".join(where) or "1"
        # Counting a large match costs a scan; later pages of the same query know it already.
        total = (
            None
            if query.after
            else self._conn.execute(f"SELECT count(*) FROM docs d WHERE {clause}", args).fetchone()[0]  # noqa: S608
        )
        relevance = query.sort == "relevance" and bool(query.q)
        if relevance:
            sql = (
                "SELECT d.id, d.doc, f.rank FROM docs d JOIN docs_fts f ON f.rowid = d.id"  # noqa: S608
                f" WHERE docs_fts MATCH ? AND {clause}"
            )
            page_args = [fts_query(query.q), *args]
            if query.after:
                sql += " AND (f.rank > ? OR (f.rank = ? AND d.id > ?))"
                page_args += [query.after[0], query.after[0], query.after[1]]
            sql += " ORDER BY f.rank, d.id LIMIT ?"
        else:
            sql = f"SELECT d.id, d.doc, d.occurred_at FROM docs d WHERE {clause}"  # noqa: S608
            page_args = list(args)
            if query.after:
                sql += " AND (d.occurred_at < ? OR (d.occurred_at = ? AND d.id < ?))"
                page_args += [query.after[0], query.after[0], query.after[1]]
            sql += " ORDER BY d.occurred_at DESC, d.id DESC LIMIT ?"
        rows = self._conn.execute(sql, [*page_args, query.size + 1]).fetchall()
        words = [w for w in re.split(r"\s+", query.q) if w]
        hits = []
        for _id, doc, _key in rows[: query.size]:
            d = json.loads(doc)
            d["highlight"] = {
                "title_zh": highlight(d["title_zh"], words),
                "body_zh": highlight(d["body_zh"], words, 120),
                "body_en": highlight(d["body_en"], words, 160),
            }
            hits.append(d)
        next_after = None
        if len(rows) > query.size:
            last = rows[query.size - 1]
            next_after = [last[2], last[0]]
        facets = self._facets(query, clause, args) if query.facets else {}
        trend = None
        if query.trend:
            period = INTERVALS[query.trend]
            trend = [
                {"period": p, "count": c}
                for p, c in self._conn.execute(
                    f"SELECT {period} AS p, count(*) FROM docs d WHERE {clause}"  # noqa: S608
                    " GROUP BY p ORDER BY p",
                    args,
                ).fetchall()
            ]
        return SearchResult(total, hits, facets, trend, next_after)


_backend: SearchBackend | None = None


def configure(backend: SearchBackend) -> None:
    global _backend
    _backend = backend


def current() -> SearchBackend:
    if _backend is None:
        raise SearchUnavailable("no search backend is configured")
    return _backend


def parse_date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid.field(name, f"'{value}' is not a date (YYYY-MM-DD)") from None


def from_settings(settings: Any) -> SearchBackend:
    """The backend the settings ask for: Elasticsearch where a URL is set, else the embedded index."""
    if settings.search_url:
        from disclosure.elastic import ElasticIndex

        return ElasticIndex(settings.search_url, settings.search_index, refresh=settings.search_refresh)
    return EmbeddedIndex(settings.ensure_var_dir() / "search.db")
