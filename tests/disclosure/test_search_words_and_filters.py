"""Words with filters and exclusions find exactly the records that have the words and pass the filters,
on both backends (the embedded index intersects them inside its text index through filter tags, and
must find what the filter columns say); and past its window the embedded index says what it counted
and ranked, while the total stays exact up to the cap."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta

import pytest

from disclosure.search.base import SearchQuery

CATEGORIES = ["operating", "regulatory", "reward_punishment", "complaint"]
COUNTRIES = ["NZ", "AU", None]
GRADES = ["A", "D", None]
PRODUCTS = ["infant_formula", "food"]
HS = ["1901101000", "0409000000", None]


def _docs() -> list[dict]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    docs = []
    combos = itertools.product(CATEGORIES, COUNTRIES, GRADES, PRODUCTS, HS)
    for i, (category, country, grade, product, hs) in enumerate(combos, start=1):
        enterprise = 1 + (i // 7) % 3
        docs.append(
            {
                "id": i,
                "version": 1,
                "category": category,
                "enterprise_id": enterprise,
                "uscc": f"91330206{enterprise:09d}X",
                "enterprise_name": f"标签测试贸易有限公司{enterprise}",
                "title_zh": "标签测试 奶粉进口" if i % 5 < 3 else "标签测试 蜂蜜进口",
                "title_en": "Tag test",
                "body_zh": "",
                "body_en": "",
                "fields": {},
                "brands": [],
                "manufacturers": [],
                "origin_country": country,
                "hs_code": hs,
                "product_category": product,
                "grade": grade,
                "occurred_at": (start + timedelta(hours=i)).isoformat(),
                "publish_until": None,
                "visibility": "regulator" if i % 17 == 0 else "public",
            }
        )
    return docs


QUERIES = [
    ({"origin_country": ["NZ"]}, {}),
    ({"origin_country": ["NZ", "AU"], "grade": ["D"]}, {}),
    ({}, {"origin_country": ["NZ"]}),  # a record with no country is not excluded
    ({"category": ["reward_punishment", "complaint"]}, {"grade": ["A"]}),
    ({"hs_prefix": ["1901"]}, {}),
    ({"hs_prefix": ["04", "19011"]}, {"category": ["complaint"]}),
    ({"uscc": ["91330206000000002X"]}, {"product_category": ["food"]}),
    ({"enterprise_id": ["3"], "product_category": ["infant_formula"]}, {"origin_country": ["AU"]}),
]


def _expected(docs: list[dict], words: str, include: dict, exclude: dict) -> list[int]:
    def value(d: dict, name: str) -> str | None:
        v = d["hs_code" if name == "hs_prefix" else name]
        return None if v is None else str(v)

    def passes(d: dict, name: str, values: list[str]) -> bool:
        v = value(d, name)
        if v is None:
            return False
        return any(v.startswith(x) for x in values) if name == "hs_prefix" else v in values

    found = [
        d
        for d in docs
        if d["visibility"] == "public"
        and words in d["title_zh"]
        and all(passes(d, n, vs) for n, vs in include.items())
        and not any(passes(d, n, vs) for n, vs in exclude.items())
    ]
    return [d["id"] for d in sorted(found, key=lambda d: d["occurred_at"], reverse=True)]


@pytest.mark.parametrize("words", ["奶粉", "标签测试"])
def test_words_with_filters_and_exclusions_find_exactly_what_the_filters_say(client, words):
    backend = client.app.state.search
    docs = _docs()
    backend.index(docs)
    for include, exclude in QUERIES:
        query = SearchQuery(q=words, include=include, exclude=exclude, sort="date", size=500)
        found = backend.search(query)
        expected = _expected(docs, words, include, exclude)
        assert expected, (include, exclude)  # every query finds something: a check that can fail
        assert [h["id"] for h in found.hits] == expected, (include, exclude)
        assert found.total == len(expected) and found.total_relation == "eq"
        # each facet ignores its own filter: the country facet of a country filter counts every country
        for name in ("origin_country", "grade", "category"):
            if name in include:
                relaxed = {k: v for k, v in include.items() if k != name}
                counted = _expected(docs, words, relaxed, exclude)
                by_value = {
                    v: sum(1 for d in docs if d["id"] in counted and d[name] == v)
                    for v in {d[name] for d in docs}
                    if v is not None
                }
                assert found.facets[name] == {v: n for v, n in by_value.items() if n}, name


def test_past_its_window_the_embedded_index_counts_the_total_on_and_says_what_it_ranked(
    client, search_backend_name
):
    backend = client.app.state.search
    docs = _docs()
    backend.index(docs)
    every = _expected(docs, "标签测试", {}, {})
    if search_backend_name == "elasticsearch":  # no window: facets and ranking cover every match
        found = backend.search(SearchQuery(q="标签测试", size=5))
        assert not found.facets_approximate and not found.ranking_approximate and found.window is None
        assert sum(found.facets["category"].values()) == found.total == len(every)
        return
    backend.window = 7  # instead of 2,000
    found = backend.search(SearchQuery(q="标签测试", sort="date", size=5))
    assert found.total == len(every) and found.total_relation == "eq"  # counted on past the window
    assert found.facets_approximate and found.window == 7
    assert sum(found.facets["category"].values()) == 7
    ranked = backend.search(SearchQuery(q="标签测试", size=5))
    assert ranked.ranking_approximate and ranked.window == 7
    seen, after = [], None
    while True:
        page = backend.search(SearchQuery(q="标签测试", size=5, after=after, facets=False))
        seen += [h["id"] for h in page.hits]
        after = page.next_after
        if after is None:
            break
    assert sorted(seen) == sorted(every)  # paging by relevance still reaches every match
    backend.total_cap = 20
    capped = backend.search(SearchQuery(q="标签测试", sort="date", size=5))
    assert (capped.total, capped.total_relation) == (20, "gte")
    # the page says how many it counted, and a capped total as "more than", in both languages
    html = client.get("/disclosures", params={"q": "标签测试"}).text
    assert 'data-relation="gte"' in html and "超过 <strong>20</strong> 条公示信息" in html
    assert "More than 20 records" in html
    assert re.search(r"计数基于最新 7 条 · Counted over the newest 7 matches", html)
    assert "按相关度排列最新 7 条" in html and "Relevance orders the newest 7 matches" in html
