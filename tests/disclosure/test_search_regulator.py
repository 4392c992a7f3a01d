"""The regulator's first hour with the disclosure search: a product found by its brand or maker, English
records a reader of English can read, the facets asked for, and a dashboard's counts without hits.
Each test runs on both search backends and both databases (tests/disclosure/conftest.py)."""

from __future__ import annotations

import re

from sqlmodel import select

from core.english import CHINESE_ONLY_NAME, CHINESE_ONLY_TEXT
from disclosure.models import DisclosureRecord
from disclosure.search.base import FACET_FIELDS
from tests.conftest import Keys
from tests.traceability.conftest import Flow

CHINESE = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")
REGULATOR_SEARCH = "/api/v1/disclosures/search"
PUBLIC_SEARCH = "/api/v1/public/disclosures/search"


def _search(client, url, headers=None, **params) -> dict:
    r = client.get(url, params=params, headers=headers or {})
    assert r.status_code == 200, r.text
    return r.json()


def _problem(client, url, headers=None, **params) -> dict:
    r = client.get(url, params=params, headers=headers or {})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()


def _milupa_shipments(client, keys, dispatcher) -> Flow:
    """A Milupa product with no English name, one declaration rejected after a failed inspection and
    one released and recalled, with reasons typed in Chinese as a Chinese regulator types them."""
    flow = Flow(client, keys)
    product = flow.product(
        name_zh="德国婴幼儿配方奶粉3段 800克",
        name_en="",
        brand="Milupa 美乐宝",
        manufacturer="Milupa GmbH",
        origin_country="DE",
    )
    rejected = flow.declare(product["id"], lots=("LOTM1",))
    flow.inspect(rejected, ["fail"])
    r = client.post(
        f"/api/v1/declarations/{rejected['id']}/reject", json={"reason": "检出阪崎肠杆菌"}, headers=flow.r
    )
    assert r.status_code == 200, r.text
    released = flow.declare(product["id"], lots=("LOTM2",))
    flow.inspect(released)
    flow.release(released)
    r = client.post(
        f"/api/v1/declarations/{released['id']}/lines/1/recall",
        json={"reason": "标签不符，主动召回"},
        headers=flow.r,
    )
    assert r.status_code == 200, r.text
    # Someone else's goods, which a search for Milupa must not find.
    other = flow.product(brand="Aptamil 爱他美", manufacturer="Nutricia")
    flow.declare(other["id"], lots=("LOTN1",))
    dispatcher.drain()
    return flow


def test_a_search_by_brand_or_manufacturer_finds_the_goods_records(client, keys, dispatcher):
    flow = _milupa_shipments(client, keys, dispatcher)
    regulator = flow.r
    for q in ("Milupa", "milupa", "美乐宝", "Milupa GmbH", "GmbH"):
        found = _search(client, REGULATOR_SEARCH, regulator, q=q, size=50)
        kinds = {(h["category"], h["title_en"].split(":")[0].split(" ")[0]) for h in found["hits"]}
        assert ("operating", "Import") in kinds, (q, kinds)  # both declarations
        assert ("regulatory", "Failed") in kinds, (q, kinds)  # the failed inspection
        assert ("regulatory", "Not") in kinds, (q, kinds)  # the rejection
        assert ("regulatory", "Recall") in kinds, (q, kinds)
        assert all("Milupa 美乐宝" in h["brands"] for h in found["hits"]), q
        assert found["total"]["value"] == 5, (q, [h["title_en"] for h in found["hits"]])
    # the public finds the regulatory records (declarations are for regulators) by the maker too
    public = _search(client, PUBLIC_SEARCH, q="Milupa")
    assert {h["category"] for h in public["hits"]} == {"regulatory"} and public["total"]["value"] == 3
    assert all(h["manufacturers"] == ["Milupa GmbH"] for h in public["hits"])
    # another brand's goods are not among them, and are found by their own brand
    nutricia = _search(client, REGULATOR_SEARCH, regulator, q="Nutricia")
    assert nutricia["total"]["value"] == 1 and nutricia["hits"][0]["brands"] == ["Aptamil 爱他美"]
    assert _search(client, REGULATOR_SEARCH, regulator, q="Milupa Nutricia")["total"]["value"] == 0


def test_english_records_carry_no_untranslated_chinese(client, db, keys, dispatcher):
    # The importer has no English name: its English records say so instead of printing the Chinese one.
    r = client.patch(
        f"/api/v1/enterprises/{keys.merchant_id}", json={"name_en": ""}, headers=Keys.header(keys.admin)
    )
    assert r.status_code == 200, r.text
    flow = _milupa_shipments(client, keys, dispatcher)
    # a record a regulator adds by hand, its title and document number in Chinese only
    r = client.post(
        "/api/v1/credit/records",
        json={
            "enterprise_id": keys.merchant_id,
            "kind": "administrative_penalty",
            "severity": "general",
            "title_zh": "进口化妆品中文标签不合格",
            "evidence_ref": "甬保市监罚〔2026〕88号",
            "reason": "行政处罚决定书",
        },
        headers=flow.r,
    )
    assert r.status_code == 201, r.text
    dispatcher.drain()
    with db.read_session() as s:
        records = list(s.exec(select(DisclosureRecord)))
    mine = [r for r in records if r.enterprise_id == keys.merchant_id]
    assert {r.record_key.split(":")[0] for r in mine} >= {"entity", "operating", "regulatory"}
    for record in records:
        assert not CHINESE.search(record.title_en), record.title_en
        assert not CHINESE.search(record.body_en), record.body_en
    # …and what a reader of the English search results sees says what is missing, not a blank
    hits = _search(client, REGULATOR_SEARCH, flow.r, q="Milupa", size=50)["hits"]
    by_kind = {h["title_en"].split(" ")[0]: h for h in hits}
    assert f"Reason: {CHINESE_ONLY_TEXT}" in by_kind["Not"]["body_en"]  # the rejection's reason
    assert f"Reason: {CHINESE_ONLY_TEXT}" in by_kind["Recall:"]["body_en"]
    assert "检出阪崎肠杆菌" in by_kind["Not"]["body_zh"]  # the Chinese record keeps the reason itself
    # a product with no English name: the Latin part of its brand-bearing Chinese name, else a label
    assert by_kind["Failed"]["title_en"] == f"Failed inspection: {CHINESE_ONLY_NAME} (lot LOTM1)"
    assert f"tests: {CHINESE_ONLY_TEXT}" in by_kind["Failed"]["body_en"]
    penalty = _search(client, PUBLIC_SEARCH, q="甬保市监罚", category="reward_punishment")["hits"]
    assert len(penalty) == 1 and penalty[0]["body_en"].endswith(f"; reference {CHINESE_ONLY_TEXT}.")
    assert penalty[0]["title_en"] == f"Credit record (general): {CHINESE_ONLY_TEXT}"
    entity = _search(client, REGULATOR_SEARCH, flow.r, category="entity", enterprise_id=keys.merchant_id)
    assert entity["hits"][0]["title_en"] == f"Registration: {CHINESE_ONLY_NAME}"
    for hit in hits:
        for field in ("title_en", "body_en"):
            assert not CHINESE.search(hit[field]), hit[field]
        assert not CHINESE.search(re.sub(r"</?mark>", "", hit["highlight"]["body_en"]))


def test_the_facets_parameter_counts_only_the_facets_asked_for(client, keys, dispatcher):
    flow = _milupa_shipments(client, keys, dispatcher)
    every = _search(client, REGULATOR_SEARCH, flow.r, q="Milupa")
    assert set(every["facets"]) == set(FACET_FIELDS)
    assert every["facets"]["category"] == {"regulatory": 3, "operating": 2}
    two = _search(client, REGULATOR_SEARCH, flow.r, q="Milupa", facets="category,grade")
    assert two["facets"] == {"category": every["facets"]["category"], "grade": every["facets"]["grade"]}
    repeated = client.get(
        REGULATOR_SEARCH,
        params=[("q", "Milupa"), ("facets", "origin_country"), ("facets", "category")],
        headers=flow.r,
    ).json()
    assert set(repeated["facets"]) == {"origin_country", "category"}
    assert repeated["facets"]["origin_country"] == {"DE": 5}
    # a facet asked for still ignores its own filter, as with all facets
    filtered = _search(client, REGULATOR_SEARCH, flow.r, q="Milupa", category="operating", facets="category")
    assert filtered["facets"] == {"category": {"regulatory": 3, "operating": 2}}
    assert filtered["total"]["value"] == 2
    assert _search(client, REGULATOR_SEARCH, flow.r, q="Milupa", facets="false")["facets"] == {}
    assert set(_search(client, REGULATOR_SEARCH, flow.r, q="Milupa", facets="true")["facets"]) == set(
        FACET_FIELDS
    )
    for bad in ("brand", "category,colour", "false,category", "maybe"):
        problem = _problem(client, REGULATOR_SEARCH, flow.r, facets=bad)
        assert [e["field"] for e in problem["errors"]] == ["facets"], (bad, problem)


def test_size_zero_gives_counts_facets_and_trend_only(client, keys, dispatcher):
    flow = _milupa_shipments(client, keys, dispatcher)
    full = _search(client, REGULATOR_SEARCH, flow.r, q="Milupa", trend="month", size=2)
    assert full["search_after"] is not None and len(full["hits"]) == 2
    for url, headers in ((REGULATOR_SEARCH, flow.r), (PUBLIC_SEARCH, None)):
        counted = _search(client, url, headers, q="Milupa", trend="month", size=0)
        paged = _search(client, url, headers, q="Milupa", trend="month", size=100)
        assert counted["hits"] == [] and counted["search_after"] is None
        assert counted["total"] == paged["total"] and counted["total"]["value"] > 0
        assert counted["facets"] == paged["facets"] and counted["trend"] == paged["trend"]
        assert sum(p["count"] for p in counted["trend"]) == counted["total"]["value"]
    # by date and with no words too (a dashboard's usual query), with facets asked for
    dashboard = _search(client, REGULATOR_SEARCH, flow.r, size=0, facets="category", trend="day")
    assert dashboard["hits"] == [] and set(dashboard["facets"]) == {"category"}
    assert sum(dashboard["facets"]["category"].values()) == dashboard["total"]["value"]
    # a page token makes no sense without a page
    problem = _problem(
        client, REGULATOR_SEARCH, flow.r, q="Milupa", size=0, search_after=full["search_after"]
    )
    assert [e["field"] for e in problem["errors"]] == ["search_after"]
    assert [e["field"] for e in _problem(client, PUBLIC_SEARCH, size=-1)["errors"]] == ["size"]
