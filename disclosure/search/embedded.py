"""The default search backend: a SQLite FTS5 index in a file beside the database, no server.

What it stores of a record's text, and how a search's words and filters become a query on it, is in
embedded_terms (CJK bigrams, prefixes, filter tags).
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from operator import itemgetter
from pathlib import Path
from typing import Any

from core.clock import utcnow
from core.errors import Invalid
from core.files import create_private_sqlite, narrow_sqlite
from disclosure.search.base import (
    EPOCH,
    INTERVALS,
    TOTAL_CAP,
    WINDOW,
    SearchQuery,
    SearchResult,
    highlight,
    sort_key,
)
from disclosure.search.embedded_terms import cjk_terms, fts_query, key_of_day, tags_of, tags_query

SCHEMA_VERSION = 4
_ID_BITS = 2**31 - 1  # the record id's part of a sort key
_BM25 = "bm25(docs_fts, 1.0, 0.0)"  # the words rank; the filter tags do not


@dataclass
class _Matches:
    sql: str  # FROM … WHERE …, with the filter columns as `d`
    args: list[Any]
    key: str  # the sort key's column on the side SQLite walks
    text: str | None = None  # the FTS5 query (the text index is then the outer loop: it ranks as it goes)


class EmbeddedIndex:
    """The default backend: a SQLite file beside the database, rebuilt from it at any time.

    A record's sort key (see sort_key) is the row id of its filter columns (docs) and of its text
    (docs_fts): walking either backwards meets the newest matches first, so a page, a capped count and
    the facets of a broad query stop early instead of visiting every match. The stored documents sit
    apart (bodies, by record id) so that the walk over the filter columns stays narrow, and the text
    index keeps no copy of the text (contentless).

    Writes go through one connection under a lock. Reads never use it: a search on the writer's
    connection saw the writer's half-done transaction (a record dropped but not yet re-inserted when
    its date moved), and a rollback there aborted the reader's statements. Each searching thread has
    its own read connection, and a search's statements run in one read transaction, so a search sees
    one committed state of the index from its first statement to its last (WAL gives readers a
    snapshot and never blocks them on the writer).
    """

    total_cap = TOTAL_CAP  # per index, so that a test can lower it
    window = WINDOW  # likewise

    def __init__(self, path: Path) -> None:
        create_private_sqlite(path)  # 0600: the index holds regulator-only records
        self.path = path
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        narrow_sqlite(path)  # side files an older install made 0644
        self._conn.execute("PRAGMA cache_size=-65536")  # 64 MiB of pages, then the OS's cache
        self._conn.execute("PRAGMA mmap_size=1073741824")
        if self._conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            # The index is derived data: an older layout is dropped and rebuilt (crosstrust search reindex).
            self._conn.executescript(
                "DROP TABLE IF EXISTS docs; DROP TABLE IF EXISTS docs_fts; DROP TABLE IF EXISTS names;"
                " DROP TABLE IF EXISTS bodies;"
            )
            self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._conn.executescript(
            """
            CREATE TABLE IF NOT EXISTS docs (
                key INTEGER PRIMARY KEY, id INTEGER NOT NULL UNIQUE, version INTEGER NOT NULL, category TEXT,
                enterprise_id INTEGER, uscc TEXT, origin_country TEXT, hs_code TEXT, product_category TEXT,
                grade TEXT, visibility TEXT, publish_until TEXT);
            CREATE INDEX IF NOT EXISTS docs_category ON docs(category);
            CREATE INDEX IF NOT EXISTS docs_uscc ON docs(uscc);
            CREATE INDEX IF NOT EXISTS docs_enterprise ON docs(enterprise_id);
            CREATE TABLE IF NOT EXISTS bodies (id INTEGER PRIMARY KEY, doc TEXT NOT NULL);
            CREATE VIRTUAL TABLE IF NOT EXISTS docs_fts USING fts5(
                terms, tags, content = '', tokenize = 'unicode61 remove_diacritics 2');
            CREATE TABLE IF NOT EXISTS names (name TEXT PRIMARY KEY, uscc TEXT, enterprise_id INTEGER);
            """
        )

        self._trend_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="search-trend")
        self._trend_local = threading.local()
        self._readers = threading.local()

    def _reader(self) -> sqlite3.Connection:
        """This thread's read connection (opened on first use)."""
        conn = getattr(self._readers, "conn", None)
        if conn is None:
            conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA mmap_size=1073741824")
            conn.execute("PRAGMA busy_timeout=5000")  # a checkpoint's brief lock, not the writer's
            self._readers.conn = conn
        return conn

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction on this thread's connection: every statement in it sees the same state."""
        conn = self._reader()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")  # nothing was written: this only ends the snapshot

    def _days(self, sql: str, args: list[Any]) -> list[tuple[int, int]]:
        conn = getattr(self._trend_local, "conn", None)
        if conn is None:
            conn = self._trend_local.conn = sqlite3.connect(str(self.path), isolation_level=None)
            conn.execute("PRAGMA mmap_size=1073741824")
        return conn.execute(sql, args).fetchall()

    def ping(self) -> bool:
        return self._reader().execute("SELECT 1").fetchone() == (1,)

    @staticmethod
    def _text(d: dict[str, Any]) -> tuple[str, str]:
        """What the text index holds of a record: its words, and its filter tags."""
        fields = ("title_zh", "title_en", "body_zh", "body_en", "enterprise_name", "uscc", "hs_code")
        names = [*(d.get("brands") or []), *(d.get("manufacturers") or [])]
        return cjk_terms(" ".join([*(str(d.get(k) or "") for k in fields), *names])), tags_of(d)

    def _drop(self, key: int, record_id: int) -> None:
        (doc,) = self._conn.execute("SELECT doc FROM bodies WHERE id = ?", (record_id,)).fetchone()
        # A contentless text index forgets a row given exactly what was indexed for it.
        self._conn.execute(
            "INSERT INTO docs_fts (docs_fts, rowid, terms, tags) VALUES ('delete', ?, ?, ?)",
            (key, *self._text(json.loads(doc))),
        )
        self._conn.execute("DELETE FROM docs WHERE key = ?", (key,))
        self._conn.execute("DELETE FROM bodies WHERE id = ?", (record_id,))

    def index(self, docs: Iterable[dict[str, Any]]) -> None:
        with self._lock:
            # In key order: the text index writes its pending terms out whenever a row id goes backwards.
            keyed = sorted(((sort_key(d["occurred_at"], d["id"]), d) for d in docs), key=lambda kd: kd[0])
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for key, d in keyed:
                    current = self._conn.execute(
                        "SELECT key, version FROM docs WHERE id = ?", (d["id"],)
                    ).fetchone()
                    if current is not None:
                        if current[1] >= d["version"]:
                            continue  # an older or repeated delivery
                        self._drop(current[0], d["id"])  # the key moves when the record's date does
                    self._conn.execute(
                        "INSERT INTO docs_fts (rowid, terms, tags) VALUES (?, ?, ?)", (key, *self._text(d))
                    )
                    self._conn.execute(
                        "INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            key,
                            d["id"],
                            d["version"],
                            d["category"],
                            d["enterprise_id"],
                            d["uscc"],
                            d.get("origin_country"),
                            d.get("hs_code"),
                            d.get("product_category"),
                            d.get("grade"),
                            d["visibility"],
                            d.get("publish_until"),
                        ),
                    )
                    self._conn.execute(
                        "INSERT INTO bodies VALUES (?, ?)", (d["id"], json.dumps(d, ensure_ascii=False))
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
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for i in ids:
                    row = self._conn.execute("SELECT key FROM docs WHERE id = ?", (i,)).fetchone()
                    if row is not None:
                        self._drop(row[0], i)
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def reset(self) -> None:
        with self._lock:
            self._conn.executescript(
                "DELETE FROM docs; DELETE FROM bodies; DELETE FROM names;"
                " INSERT INTO docs_fts (docs_fts) VALUES ('delete-all');"
            )

    def rebuild(self, chunks: Iterable[list[dict[str, Any]]]) -> int:
        self.reset()
        count = 0
        for chunk in chunks:
            self.index(chunk)
            count += len(chunk)
        with self._lock:
            self._conn.execute("INSERT INTO docs_fts (docs_fts) VALUES ('optimize')")  # one segment
            self._conn.execute("ANALYZE")  # the planner's row estimates, to choose walk or index
        return count

    def versions(self) -> dict[int, int]:
        return dict(self._reader().execute("SELECT id, version FROM docs").fetchall())

    def autocomplete(self, prefix: str, limit: int = 10) -> list[dict[str, Any]]:
        rows = (
            self._reader()
            .execute(
                "SELECT name, uscc, enterprise_id FROM names WHERE name LIKE ? ESCAPE '\\' ORDER BY name LIMIT ?",
                ("%" + prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%", limit),
            )
            .fetchall()
        )
        return [{"name": n, "uscc": u, "enterprise_id": e} for n, u, e in rows]

    # -- querying --------------------------------------------------------------------------------

    def _where(self, query: SearchQuery, skip: str | None = None) -> _Matches:
        """The FROM and WHERE of the query's matches (`d` the filter columns), with their arguments."""
        where: list[str] = []
        args: list[Any] = []
        source, key, text = "docs d", "d.key", None
        if query.q:
            # Walk the text index newest first (its row ids are the sort keys) and stop early; the
            # filters' tags narrow the walk inside the text index (one enterprise's few records, one
            # country's share of a common word) before any record's filter columns are read.
            text = f"terms : ({fts_query(query.q)})" + tags_query(query, skip)
            where.append("docs_fts MATCH ?")
            args.append(text)
            source, key = "docs_fts JOIN docs d ON d.key = docs_fts.rowid", "docs_fts.rowid"
        if query.public_only:
            where.append("d.visibility = 'public' AND (d.publish_until IS NULL OR d.publish_until > ?)")
            args.append(utcnow().isoformat())
        for name, values, negate in [(k, v, False) for k, v in query.include.items()] + [
            (k, v, True) for k, v in query.exclude.items()
        ]:
            if name == skip or not values:
                continue
            if name == "hs_prefix":
                column = "d.hs_code"
                clause = "(" + " OR ".join("d.hs_code GLOB ?" for _ in values) + ")"
                args += [re.sub(r"([*?\[])", r"[\1]", v) + "*" for v in values]
            else:
                column = f"d.{name}"
                clause = f"{column} IN ({','.join('?' for _ in values)})"
                args += [int(v) if name == "enterprise_id" else v for v in values]
            where.append(f"({column} IS NULL OR NOT {clause})" if negate else clause)
        if query.date_from:
            where.append(f"{key} >= ?")
            args.append(key_of_day(query.date_from))
        if query.date_to:
            where.append(f"{key} < ?")
            args.append(key_of_day(query.date_to + timedelta(days=1)))
        return _Matches(f"{source} WHERE {' AND '.join(where) or '1'}", args, key, text)

    @property
    def _width(self) -> int:
        """How many of the newest matches the facets count and relevance ranks (at most the cap)."""
        return min(self.window, self.total_cap)

    @staticmethod
    def _newest(conn: sqlite3.Connection, columns: list[str], m: _Matches, limit: int) -> list[tuple]:
        """The newest `limit` matches (fewer if fewer match), newest first."""
        sql = f"SELECT {', '.join(columns)} FROM {m.sql} ORDER BY {m.key} DESC LIMIT ?"  # noqa: S608
        return conn.execute(sql, [*m.args, limit]).fetchall()

    def _total(
        self, conn: sqlite3.Connection, query: SearchQuery, m: _Matches, head: list[tuple]
    ) -> tuple[int, str]:
        """The total and its relation, counted on from the window's walk up to the cap (or to the end)."""
        width, cap = self._width, self.total_cap
        if len(head) <= width:
            return len(head), "eq"
        if query.exact_total:
            return conn.execute(f"SELECT count(*) FROM {m.sql}", m.args).fetchone()[0], "eq"  # noqa: S608
        older = conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {m.sql} AND {m.key} < ? ORDER BY {m.key} DESC LIMIT ?)",  # noqa: S608
            [*m.args, head[width - 1][0], cap + 1 - width],
        ).fetchone()[0]
        return (cap, "gte") if width + older > cap else (width + older, "eq")

    @staticmethod
    def _check_after(after: list[Any] | None, relevance: bool) -> None:
        """A page token from another order or another backend is the user's to replace, not a 500."""
        if after is None:
            return

        def number(v: Any) -> bool:
            return isinstance(v, int | float) and not isinstance(v, bool)

        def whole(v: Any) -> bool:
            return isinstance(v, int) and not isinstance(v, bool)

        ok = (
            (len(after) == 2 and number(after[0]) and whole(after[1]))
            or (
                len(after) == 3
                and (after[0] is None or number(after[0]))
                and whole(after[1])
                and whole(after[2])
            )
            if relevance
            else len(after) == 1 and whole(after[0])
        )
        if not ok:
            raise Invalid.field("search_after", "the page token is not for this search; start again")

    def search(self, query: SearchQuery) -> SearchResult:
        with self._snapshot() as conn:
            return self._search(conn, query)

    def _search(self, conn: sqlite3.Connection, query: SearchQuery) -> SearchResult:
        relevance = query.sort == "relevance" and bool(query.q)
        self._check_after(query.after, relevance)
        if query.q and not fts_query(query.q):  # nothing searchable in it (punctuation only)
            return SearchResult(
                0,
                [],
                {f: {} for f in query.facet_fields},
                [] if query.trend else None,
                None,
            )
        m = self._where(query)
        trend_days = self._start_trend(query, m)
        filtered = {k for k, v in (query.include | query.exclude).items() if v}
        shared = [f for f in query.facet_fields if f not in filtered]
        columns = [
            m.key,
            "d.id",
            _BM25 if relevance else "NULL",
            *(f"d.{n}" for n in shared),
        ]
        # One walk over the newest matches (the window) gives the shared facets, the relevance window
        # and (for a first page by date) the page itself; the total counts on from there to the cap,
        # reading no columns: a record's bm25 and its facet values cost more than finding it.
        head = self._newest(conn, columns, m, self._width + 1)
        over = len(head) > self._width  # more match than the window holds
        newest = head[: self._width]
        total, relation = self._total(conn, query, m, head)

        ranking_approximate = False
        if query.size == 0:
            page: list[tuple[int, list[Any]]] = []  # counts, facets and trend only: no page, no ranking
        elif relevance:
            page, ranking_approximate = self._ranked_page(conn, query, m, newest, over)
        else:
            page = self._dated_page(conn, query, m, head, over)
        hits = self._hydrate(conn, query, page)
        next_after = page[query.size - 1][1] if query.size and len(page) > query.size else None
        facets, facets_approximate = self._facets(conn, query, shared, filtered, newest, over)
        return SearchResult(
            total,
            hits,
            facets,
            self._trend(query, trend_days),
            next_after,
            total_relation=relation,
            facets_approximate=facets_approximate,
            ranking_approximate=ranking_approximate,
            window=self._width if facets_approximate or ranking_approximate else None,
        )

    def _start_trend(self, query: SearchQuery, m: _Matches) -> Future[list[tuple[int, int]]] | None:
        """The trend's count of matches per day, started (None without a trend).

        A trend counts every match, the one pass that cannot stop early: it runs beside the rest of the
        search on a connection of its own (SQLite lets go of the GIL while it steps)."""
        if not query.trend:
            return None
        return self._trend_worker.submit(
            self._days,
            f"SELECT ({m.key} >> 31) / 86400 AS day, count(*) FROM {m.sql} GROUP BY day",  # noqa: S608
            m.args,
        )

    def _ranked_page(
        self, conn: sqlite3.Connection, query: SearchQuery, m: _Matches, newest: list[tuple], over: bool
    ) -> tuple[list[tuple[int, list[Any]]], bool]:
        """A page by relevance as (key, token) pairs, and whether the ranking is approximate.

        The newest matches (the window) are ranked; older ones follow newest first."""
        after = query.after
        page: list[tuple[int, list[Any]]] = []
        window = newest
        boundary = window[-1][0] if over else None
        if after is not None and len(after) == 3:
            boundary = after[2]
            if after[0] is not None and not (
                over and window[-1][0] == boundary
            ):  # records came or went since the first page
                window = conn.execute(
                    f"SELECT {m.key}, d.id, {_BM25} FROM {m.sql} AND {m.key} >= ?",  # noqa: S608
                    [*m.args, boundary],
                ).fetchall()
        ranked = sorted((r[2], r[1], r[0]) for r in window)
        if after is not None and after[0] is None:
            ranked = []  # past the ranked window already
        elif after is not None:
            ranked = [r for r in ranked if (r[0], r[1]) > (after[0], after[1])]
        for score, record_id, key in ranked[: query.size + 1]:
            page.append((key, [score, record_id] + ([boundary] if boundary is not None else [])))
        if len(page) <= query.size and boundary is not None:
            # After the ranked window, the older matches follow newest first.
            start = after[1] if after is not None and after[0] is None else boundary
            for (key,) in conn.execute(
                f"SELECT {m.key} FROM {m.sql} AND {m.key} < ? ORDER BY {m.key} DESC LIMIT ?",  # noqa: S608
                [*m.args, start, query.size + 1 - len(page)],
            ):
                page.append((key, [None, key, boundary]))
        return page, boundary is not None

    @staticmethod
    def _dated_page(
        conn: sqlite3.Connection, query: SearchQuery, m: _Matches, head: list[tuple], over: bool
    ) -> list[tuple[int, list[Any]]]:
        """A page by date, newest first, as (key, token) pairs."""
        after = query.after
        if after is None and (not over or len(head) > query.size):
            return [(r[0], [r[0]]) for r in head[: query.size + 1]]  # the walk went far enough
        return [
            (key, [key])
            for (key,) in conn.execute(
                f"SELECT {m.key} FROM {m.sql} AND {m.key} < ? ORDER BY {m.key} DESC LIMIT ?",  # noqa: S608
                [*m.args, after[0] if after else 2**63 - 1, query.size + 1],
            )
        ]

    @staticmethod
    def _hydrate(
        conn: sqlite3.Connection, query: SearchQuery, page: list[tuple[int, list[Any]]]
    ) -> list[dict[str, Any]]:
        """The page's stored records, highlighted, in page order."""
        ids = [k & _ID_BITS for k, _ in page[: query.size]]
        bodies = dict(
            conn.execute(
                f"SELECT id, doc FROM bodies WHERE id IN ({','.join('?' for _ in ids)})",  # noqa: S608
                ids,
            ).fetchall()
        )
        words = [w for w in re.split(r"\s+", query.q) if w]
        hits = []
        for record_id in ids:
            d = json.loads(bodies[record_id])
            d["highlight"] = {
                "title_zh": highlight(d["title_zh"], words),
                "body_zh": highlight(d["body_zh"], words, 120),
                "body_en": highlight(d["body_en"], words, 160),
            }
            hits.append(d)
        return hits

    def _facets(
        self,
        conn: sqlite3.Connection,
        query: SearchQuery,
        shared: list[str],
        filtered: set[str],
        newest: list[tuple],
        over: bool,
    ) -> tuple[dict[str, dict[str, int]], bool]:
        """The facets' counts (top 50 each), and whether any was counted over capped matches."""
        facets: dict[str, dict[str, int]] = {}
        facets_approximate = False
        if not query.facet_fields:
            return facets, facets_approximate
        width = self._width
        # Each facet ignores its own filter: a filtered facet walks its own matches.
        passes = [(shared, [r[3:] for r in newest], over)]
        for name in query.facet_fields:
            if name in filtered:
                rows = self._newest(conn, [f"d.{name}"], self._where(query, skip=name), width + 1)
                passes.append(([name], rows[:width], len(rows) > width))
        for names, rows, capped in passes:
            facets_approximate |= capped
            for i, name in enumerate(names):
                counts = Counter(row[i] for row in rows)
                counts.pop(None, None)
                # Most first, then by value: sorting by value, then (stably) by count, runs in C.
                ranked = sorted(counts.items())
                ranked.sort(key=itemgetter(1), reverse=True)
                facets[name] = dict(ranked[:50])
        return {name: facets[name] for name in query.facet_fields}, facets_approximate

    @staticmethod
    def _trend(
        query: SearchQuery, trend_days: Future[list[tuple[int, int]]] | None
    ) -> list[dict[str, Any]] | None:
        """The trend's per-day counts gathered into the query's periods."""
        if trend_days is None or not query.trend:
            return None
        counts: dict[str, int] = {}
        for day, count in trend_days.result():
            period = INTERVALS[query.trend](EPOCH.date() + timedelta(days=day))
            counts[period] = counts.get(period, 0) + count
        return [{"period": p, "count": c} for p, c in sorted(counts.items())]
