"""The Elasticsearch backend: an index template with a Chinese-capable analyzer (CJK bigrams) and
keyword fields for facets, writes through an alias so that a rebuild swaps indices with no downtime,
bulk indexing with external versions (an older or repeated delivery is ignored)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError, helpers

from core.clock import utcnow
from core.errors import Invalid
from disclosure.search.base import (
    TOTAL_CAP,
    SearchQuery,
    SearchResult,
    SearchUnavailable,
    highlight,
    sort_key,
)

TEXT_ZH = {"type": "text", "analyzer": "cjk"}
# Facet fields build their global ordinals at refresh, not on the first search after it.
FACET = {"type": "keyword", "eager_global_ordinals": True}
TEXT_EN = {"type": "text", "analyzer": "standard"}
MAPPINGS = {
    "dynamic": False,
    "properties": {
        "id": {"type": "long"},
        "version": {"type": "long"},
        "category": FACET,
        "enterprise_id": {"type": "keyword"},
        "uscc": FACET,
        "enterprise_name": {**TEXT_ZH, "fields": {"keyword": {"type": "keyword"}}},
        "title_zh": TEXT_ZH,
        "title_en": TEXT_EN,
        "body_zh": TEXT_ZH,
        "body_en": TEXT_EN,
        # An index built before these existed finds brands and makers after `crosstrust search reindex`.
        "brands": TEXT_ZH,
        "manufacturers": TEXT_ZH,
        "origin_country": FACET,
        "hs_code": {"type": "keyword"},
        "product_category": FACET,
        "grade": FACET,
        "occurred_at": {"type": "date"},
        "sort_key": {"type": "long"},  # date order, the same on both backends (base.sort_key)
        "visibility": {"type": "keyword"},
        "publish_until": {"type": "date"},
        "fields": {"type": "object", "enabled": False},
    },
}
TEXT_FIELDS = ["title_zh", "body_zh", "enterprise_name", "title_en", "body_en", "brands", "manufacturers"]
ES_INTERVALS = {"day": ("day", "yyyy-MM-dd"), "week": ("week", "yyyy-MM-dd"), "month": ("month", "yyyy-MM")}


def _unavailable(exc: Exception) -> SearchUnavailable:
    return SearchUnavailable(f"Elasticsearch did not answer ({type(exc).__name__})")


class ElasticIndex:
    total_cap = TOTAL_CAP  # per index, so that a test can lower it

    def __init__(
        self, url: str, alias: str = "crosstrust-disclosures", refresh: str | bool = "wait_for"
    ) -> None:
        self.es = Elasticsearch(url, request_timeout=10, max_retries=0)
        self.alias = alias
        # refresh=True (the tests' search_refresh): every read sees every write made before it, by one
        # refresh before each read instead of one after each write (a delivered event is a write: ~80 ms
        # each, most of a disclosure test's time; issue 21).
        self.refresh_on_read = refresh is True
        self.refresh = False if refresh is True else refresh
        self._ready = False

    # -- index management ---------------------------------------------------------------------------

    def _new_index(self) -> str:
        name = f"{self.alias}-{time.time_ns()}"
        self.es.indices.create(
            index=name,
            settings={"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "1s"},
            mappings=MAPPINGS,
        )
        return name

    def _ensure(self) -> None:
        if self._ready:
            return
        try:
            if not self.es.indices.exists_alias(name=self.alias):
                name = self._new_index()
                self.es.indices.put_alias(index=name, name=self.alias)
        except (TransportError, ApiError) as exc:
            raise _unavailable(exc) from exc
        self._ready = True

    def _read_ready(self) -> None:
        self._ensure()
        if self.refresh_on_read:
            try:
                self.es.indices.refresh(index=self.alias)
            except (TransportError, ApiError) as exc:
                raise _unavailable(exc) from exc

    def ping(self) -> bool:
        try:
            return bool(self.es.ping())
        except TransportError:
            return False

    def _actions(self, docs: Iterable[dict[str, Any]], index: str) -> Iterable[dict[str, Any]]:
        for d in docs:
            yield {
                "_op_type": "index",
                "_index": index,
                "_id": d["id"],
                "version": d["version"],
                "version_type": "external_gte",
                "_source": {**d, "sort_key": sort_key(d["occurred_at"], d["id"])},
            }

    def index(self, docs: Iterable[dict[str, Any]]) -> None:
        self._ensure()
        try:
            _, errors = helpers.bulk(
                self.es, self._actions(docs, self.alias), raise_on_error=False, refresh=self.refresh
            )
        except (TransportError, ApiError) as exc:
            raise _unavailable(exc) from exc
        assert isinstance(errors, list)  # raise_on_error=False without stats_only: the errors themselves
        failed = [e for e in errors if next(iter(e.values())).get("status") != 409]  # 409: an older version
        if failed:
            raise SearchUnavailable(f"Elasticsearch refused {len(failed)} document(s): {failed[0]}")

    def delete(self, ids: Iterable[int]) -> None:
        self._ensure()
        actions = [{"_op_type": "delete", "_index": self.alias, "_id": i} for i in ids]
        try:
            helpers.bulk(self.es, actions, raise_on_error=False, refresh=self.refresh)
        except (TransportError, ApiError) as exc:
            raise _unavailable(exc) from exc

    def rebuild(self, chunks: Iterable[list[dict[str, Any]]]) -> int:
        """Build a fresh index beside the live one, then swap the alias in one step: no downtime."""
        try:
            name = self._new_index()
            count = 0
            for chunk in chunks:
                helpers.bulk(self.es, self._actions(chunk, name), refresh=False)
                count += len(chunk)
            self.es.indices.refresh(index=name)
            old = (
                list(self.es.indices.get_alias(name=self.alias).keys())
                if self.es.indices.exists_alias(name=self.alias)
                else []
            )
            actions = [{"remove": {"index": o, "alias": self.alias}} for o in old] + [
                {"add": {"index": name, "alias": self.alias}}
            ]
            self.es.indices.update_aliases(actions=actions)
            for o in old:
                self.es.indices.delete(index=o)
        except (TransportError, ApiError) as exc:
            raise _unavailable(exc) from exc
        self._ready = True
        return count

    def reset(self) -> None:
        self.rebuild([])

    def drop(self) -> None:
        """Remove the alias and its indices (tests)."""
        if self.es.indices.exists_alias(name=self.alias):
            for name in self.es.indices.get_alias(name=self.alias):
                self.es.indices.delete(index=name)
        self._ready = False

    def versions(self) -> dict[int, int]:
        self._read_ready()
        try:
            return {
                int(h["_id"]): h["_source"]["version"]
                for h in helpers.scan(
                    self.es, index=self.alias, query={"query": {"match_all": {}}}, _source=["version"]
                )
            }
        except (TransportError, ApiError) as exc:
            raise _unavailable(exc) from exc

    def autocomplete(self, prefix: str, limit: int = 10) -> list[dict[str, Any]]:
        self._read_ready()
        body: dict[str, Any] = {
            "size": 0,
            "query": {"wildcard": {"enterprise_name.keyword": {"value": f"*{prefix}*"}}},
            "aggs": {
                "names": {
                    "terms": {"field": "enterprise_name.keyword", "size": limit, "order": {"_key": "asc"}},
                    "aggs": {"one": {"top_hits": {"size": 1, "_source": ["uscc", "enterprise_id"]}}},
                }
            },
        }
        try:
            res = self.es.search(index=self.alias, **body)
        except (TransportError, ApiError) as exc:
            raise _unavailable(exc) from exc
        out = []
        for b in res["aggregations"]["names"]["buckets"]:
            src = b["one"]["hits"]["hits"][0]["_source"]
            out.append({"name": b["key"], "uscc": src["uscc"], "enterprise_id": int(src["enterprise_id"])})
        return out

    # -- search -----------------------------------------------------------------------------------

    @staticmethod
    def _filter(name: str, values: list[str]) -> dict[str, Any]:
        if name == "hs_prefix":
            return {
                "bool": {"should": [{"prefix": {"hs_code": v}} for v in values], "minimum_should_match": 1}
            }
        return {"terms": {name: values}}

    def _filters(self, query: SearchQuery, names: set[str], skip: str | None = None) -> list[dict[str, Any]]:
        """The filters on the fields in `names` (but `skip`), as filter clauses."""
        clauses = [self._filter(k, v) for k, v in query.include.items() if k in names and k != skip and v]
        clauses += [
            {"bool": {"must_not": [self._filter(k, v)]}}
            for k, v in query.exclude.items()
            if k in names and k != skip and v
        ]
        return clauses

    @staticmethod
    def _check_after(after: list[Any] | None, relevance: bool) -> None:
        """A page token from another order or backend is the user's to replace (422), not a 503."""
        if after is None:
            return
        kinds = (int | float, int) if relevance else (int,)
        if len(after) != len(kinds) or not all(
            isinstance(v, k) and not isinstance(v, bool) for v, k in zip(after, kinds, strict=True)
        ):
            raise Invalid.field("search_after", "the page token is not for this search; start again")

    @staticmethod
    def _text_clauses(q: str) -> list[dict[str, Any]]:
        """Every word must match: a phrase prefix in the text, a USCC, or (digits) an HS code prefix."""
        return [
            {
                "bool": {
                    "should": [
                        {"multi_match": {"query": word, "type": "phrase_prefix", "fields": TEXT_FIELDS}},
                        {"term": {"uscc": word.upper()}},
                        *([{"prefix": {"hs_code": word}}] if word.isdigit() else []),
                    ],
                    "minimum_should_match": 1,
                }
            }
            for word in q.split()
        ]

    @staticmethod
    def _base_filters(query: SearchQuery) -> list[dict[str, Any]]:
        """The filters every search applies: public records only (if asked) and the date range."""
        base: list[dict[str, Any]] = []
        if query.public_only:
            base.append({"term": {"visibility": "public"}})
            base.append(
                {
                    "bool": {
                        "should": [
                            {"bool": {"must_not": {"exists": {"field": "publish_until"}}}},
                            {"range": {"publish_until": {"gt": utcnow().isoformat()}}},
                        ],
                        "minimum_should_match": 1,
                    }
                }
            )
        if query.date_from or query.date_to:
            rng: dict[str, str] = {}
            if query.date_from:
                rng["gte"] = query.date_from.isoformat()
            if query.date_to:
                rng["lte"] = query.date_to.isoformat() + "T23:59:59.999999Z"
            base.append({"range": {"occurred_at": rng}})
        return base

    def _aggregations(
        self, query: SearchQuery, later: set[str], post: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """The facets (each ignoring its own field's filter) and the trend, as aggregations."""
        aggs: dict[str, Any] = {}
        for name in query.facet_fields:
            aggs[name] = {
                "filter": {"bool": {"filter": self._filters(query, later, skip=name)}},
                "aggs": {
                    "v": {
                        "terms": {
                            "field": name,
                            "size": 50,
                            "order": [{"_count": "desc"}, {"_key": "asc"}],
                        }
                    }
                },
            }
        if query.trend:
            interval, fmt = ES_INTERVALS[query.trend]
            aggs["trend"] = {
                "filter": {"bool": {"filter": post}},
                "aggs": {
                    "v": {
                        "date_histogram": {
                            "field": "occurred_at",
                            "calendar_interval": interval,
                            "format": fmt,
                            "min_doc_count": 1,
                        }
                    }
                },
            }
        return aggs

    def _body(self, query: SearchQuery) -> dict[str, Any]:
        """The search request: query, sort, page, filters and aggregations."""
        must = self._text_clauses(query.q)
        base = self._base_filters(query)
        relevance = query.sort == "relevance" and bool(query.q)
        self._check_after(query.after, relevance)
        # unmapped_type: an index built before sort_key existed still answers (those records come last)
        # until `crosstrust search reindex` rebuilds it.
        by_date = [{"sort_key": {"order": "desc", "unmapped_type": "long"}}]
        sort = [{"_score": "desc"}, {"id": "asc"}] if relevance else by_date
        # Filters narrow the query itself, where they are cheapest, except that a facet ignores its own
        # field's filter: with facets asked for, those filters apply after the aggregations.
        later = set(query.facet_fields)
        base += self._filters(query, {k for k in query.include | query.exclude if k not in later})
        post = self._filters(query, later)
        body: dict[str, Any] = {
            "query": {"bool": {"must": must or [{"match_all": {}}], "filter": base}},
            "sort": sort,
            "size": query.size + 1 if query.size else 0,  # size 0: counts, facets and trend only
            "track_total_hits": True if query.exact_total else self.total_cap,
        }
        if post:
            body["post_filter"] = {"bool": {"filter": post}}
        if query.after:
            body["search_after"] = query.after
        aggs = self._aggregations(query, later, post)
        if aggs:
            body["aggs"] = aggs
        return body

    @staticmethod
    def _result(query: SearchQuery, res: Any) -> SearchResult:
        """Elasticsearch's answer as a SearchResult: the page's records highlighted, facets, trend."""
        raw = res["hits"]["hits"]
        words = query.q.split()
        hits = []
        for h in raw[: query.size]:
            d = dict(h["_source"])
            d.pop("sort_key", None)
            d["highlight"] = {
                "title_zh": highlight(d["title_zh"], words),
                "body_zh": highlight(d["body_zh"], words, 120),
                "body_en": highlight(d["body_en"], words, 160),
            }
            hits.append(d)
        next_after = raw[query.size - 1]["sort"] if query.size and len(raw) > query.size else None
        facets = {
            name: {b["key"]: b["doc_count"] for b in res["aggregations"][name]["v"]["buckets"]}
            for name in query.facet_fields
        }
        trend = None
        if query.trend:
            trend = [
                {"period": b["key_as_string"], "count": b["doc_count"]}
                for b in res["aggregations"]["trend"]["v"]["buckets"]
            ]
        total = res["hits"]["total"]
        return SearchResult(total["value"], hits, facets, trend, next_after, total_relation=total["relation"])

    def search(self, query: SearchQuery) -> SearchResult:
        self._read_ready()
        body = self._body(query)
        try:
            res = self.es.search(index=self.alias, **body)
        except (TransportError, ApiError) as exc:
            raise _unavailable(exc) from exc
        return self._result(query, res)
