"""Disclosures derived from events, and searching them on the embedded index."""

import json

from sqlmodel import select

from core.events import Event
from disclosure import handlers
from disclosure.models import DisclosureRecord
from tests.conftest import Keys, register
from tests.traceability.conftest import Flow


def _search(client, headers=None, public=True, **params):
    url = "/api/v1/public/disclosures/search" if public else "/api/v1/disclosures/search"
    r = client.get(url, params=params, headers=headers or {})
    assert r.status_code == 200, r.text
    return r.json()


def _total(found) -> int:
    """An exact total (below the cap both backends count to)."""
    assert found["total"]["relation"] == "eq", found["total"]
    return found["total"]["value"]


def test_registration_becomes_a_public_entity_record_found_by_name_fragment_and_uscc(client, db, dispatcher):
    ent = register(
        db,
        name_zh="宁波甬澳母婴用品进出口有限公司",
        name_en="Ningbo Yong-Ao Baby",
        contact_email="boss@example.com",
        contact_name="王小明",
        contact_phone="13800000000",
    )
    dispatcher.drain()
    for q in ("甬澳", "母婴用品", "Yong-Ao", ent.uscc):
        found = _search(client, q=q, category="entity")
        assert [h["uscc"] for h in found["hits"]] == [ent.uscc], q
    hit = _search(client, q="甬澳", category="entity")["hits"][0]
    assert "<mark>甬澳</mark>" in hit["highlight"]["title_zh"]
    # the new merchant is rated from day one, and its grade is published as a reward/punishment record
    graded = _search(client, q="甬澳", category="reward_punishment")["hits"]
    assert [(h["uscc"], h["grade"]) for h in graded] == [(ent.uscc, "B")]
    assert hit["grade"] == "B"
    # no personal data in the index: neither findable nor in the stored documents
    for private in ("王小明", "13800000000", "boss"):
        assert _total(_search(client, q=private)) == 0
    stored = json.dumps(_search(client, q="甬澳")["hits"], ensure_ascii=False)
    assert "boss@example.com" not in stored and "王小明" not in stored and "13800000000" not in stored


def test_shipments_become_operating_and_regulatory_records(client, db, dispatcher, keys):
    flow = Flow(client, keys)
    product = flow.product(name_zh="德国婴幼儿配方奶粉3段 800克", hs_code="1901101000", origin_country="DE")
    decl = flow.declare(product["id"], lots=("LOTA", "LOTB"))
    flow.inspect(decl, ["pass", "fail"])
    flow.release(decl)
    client.post(
        f"/api/v1/declarations/{decl['id']}/lines/1/recall",
        json={"reason": "标签不符，主动召回"},
        headers=flow.r,
    )
    dispatcher.drain()
    with db.read_session() as s:
        keys_ = sorted(r.record_key for r in s.exec(select(DisclosureRecord)))
    assert f"operating:declaration:{decl['id']}" in keys_
    assert f"regulatory:inspection:{decl['id']}:2" in keys_
    assert any(k.startswith("operating:monthly:") for k in keys_)
    assert any(k.startswith("regulatory:recall:") for k in keys_)

    regulator = Keys.header(keys.regulator)
    milk = _search(client, regulator, public=False, q="奶粉")
    assert {h["category"] for h in milk["hits"]} >= {"operating", "regulatory"}
    public = _search(client, q="奶粉")
    assert "operating" not in {h["category"] for h in public["hits"]}  # declaration values are for regulators
    by_category = {
        c: {h["title_zh"][:3] for h in public["hits"] if h["category"] == c}
        for c in ("regulatory", "reward_punishment")
    }
    assert by_category["regulatory"] == {"检验不", "召回："}
    # and both became credit records, published as reward/punishment information
    assert {
        h["title_zh"].split("：")[1][:2] for h in public["hits"] if h["category"] == "reward_punishment"
    } == {"检验", "召回"}
    assert {h["hs_code"] for h in _search(client, regulator, public=False, q="1901")["hits"]} == {
        "1901101000"
    }
    by_hs = _search(client, regulator, public=False, hs_prefix="1901")
    assert _total(by_hs) >= 3 and all(h["hs_code"].startswith("1901") for h in by_hs["hits"])
    monthly = _search(client, category="operating")
    assert (
        monthly["hits"][0]["fields"]["items"] == 200
        and monthly["hits"][0]["fields"]["declared_value_minor"] == 200 * 19900
    )


def test_a_repeated_delivery_changes_nothing(db, dispatcher):
    ent = register(db, name_zh="重复投递测试有限公司")
    dispatcher.drain()
    from core.events import OutboxEvent

    def state() -> tuple[int, int]:
        with db.read_session() as s:
            rec = s.exec(
                select(DisclosureRecord).where(DisclosureRecord.record_key == f"entity:{ent.id}")
            ).one()
            changed = s.exec(select(OutboxEvent).where(OutboxEvent.type == "disclosure.changed")).all()
            return rec.version, len(changed)

    before = state()
    with db.transaction() as s:
        row = s.exec(select(OutboxEvent).where(OutboxEvent.type == "enterprise.registered")).one()
        event = Event(
            row.id, row.type, row.aggregate_type, row.aggregate_id, row.actor, row.payload, row.created_at
        )
        handlers.entity(s, event)
        handlers.entity(s, event)
    assert state() == before


def test_filters_exclusions_facets_and_deep_paging(client, db, dispatcher, keys):
    registered = [
        register(db, name_zh=f"分页测试贸易有限公司{i:02d}", country="AU" if i % 2 else "NZ")
        for i in range(23)
    ]
    dispatcher.drain()
    for sort in ("relevance", "date"):  # one enterprise's records: found by its index, then by the words
        one = _search(client, q="分页测试", uscc=registered[5].uscc, sort=sort)
        # its entity record and its credit grade record
        assert [h["uscc"] for h in one["hits"]] == [registered[5].uscc] * 2 and _total(one) == 2
        assert {h["category"] for h in one["hits"]} == {"entity", "reward_punishment"}
    seen, token, pages = [], None, 0
    while True:
        params = {"q": "分页测试", "category": "entity", "size": 10, "sort": "date"} | (
            {"search_after": token} if token else {}
        )
        page = _search(client, **params)
        seen += [h["id"] for h in page["hits"]]
        pages += 1
        token = page["search_after"]
        if not token:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 23
    au = _search(client, q="分页测试", origin_country="AU")
    assert _total(au) == 11
    # the country facet ignores the country filter; the category facet does not
    assert au["facets"]["origin_country"] == {"NZ": 12, "AU": 11}
    assert au["facets"]["category"] == {"entity": 11}
    not_au = _search(client, q="分页测试", category="entity", not_origin_country="AU")
    assert _total(not_au) == 12
    trend = _search(client, q="分页测试", category="entity", trend="month")
    assert sum(t["count"] for t in trend["trend"]) == 23
    # each merchant is rated from registration: 23 grade records, all B, the grade facet counts them
    graded = _search(client, q="分页测试", category="reward_punishment")
    assert _total(graded) == 23 and graded["facets"]["grade"] == {"B": 23}
    names = client.get("/api/v1/public/enterprise-names", params={"q": "分页测试贸易"}).json()
    assert len(names) == 10 and names[0]["name"].startswith("分页测试贸易有限公司")


def test_bad_search_input_says_why(client, db, dispatcher):
    register(db)
    dispatcher.drain()
    cases = [
        ({"colour": "red"}, "colour"),
        ({"category": "gossip"}, "category"),
        ({"date_from": "2026-13-01"}, "date_from"),
        ({"size": "1000"}, "size"),
        ({"trend": "hourly"}, "trend"),
        ({"origin_country": "ZZ"}, "origin_country"),
        ({"search_after": "bm90LWEtdG9rZW4"}, "search_after"),
    ]
    for params, field in cases:
        r = client.get("/api/v1/public/disclosures/search", params=params)
        assert r.status_code == 422, (params, r.text)
        assert r.json()["errors"][0]["field"] == field
    assert _total(_search(client, q="!!! ？")) == 0  # nothing searchable in it: no match, not an error
    first = _search(client, size=1, sort="date")
    token = first["search_after"] or ""
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    r = client.get(
        "/api/v1/public/disclosures/search", params={"size": 1, "sort": "date", "search_after": tampered}
    )
    assert r.status_code == 422 and "page token" in r.json()["detail"]
    # a genuine token of another shape (an older release's date order, another backend's) says so too
    signer = client.app.state.page_signer
    for sort, after in (("date", ["2026-01-01T00:00:00+00:00", 3]), ("relevance", ["high", 3]), ("date", [])):
        token = signer.dumps({"sort": sort, "after": after})
        r = client.get(
            "/api/v1/public/disclosures/search", params={"q": "测试", "sort": sort, "search_after": token}
        )
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "search_after", (after, r.text)


def test_regulator_search_needs_a_regulator_key(client, keys):
    assert client.get("/api/v1/disclosures/search").status_code == 401
    assert client.get("/api/v1/disclosures/search", headers=Keys.header(keys.merchant)).status_code == 403


def test_search_check_and_reindex_from_the_command_line(client, db, dispatcher, settings, monkeypatch):
    from typer.testing import CliRunner

    from api.cli import app
    from core.settings import get_settings

    for i in range(5):
        register(db, name_zh=f"重建索引测试公司{i}")
    dispatcher.drain()
    # five entity records and five grade records (every merchant is rated from registration)
    monkeypatch.setenv("CROSSTRUST_DATABASE_URL", db.url)
    monkeypatch.setenv("CROSSTRUST_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("CROSSTRUST_SEARCH_URL", settings.search_url)
    monkeypatch.setenv("CROSSTRUST_SEARCH_INDEX", settings.search_index)
    monkeypatch.setenv("CROSSTRUST_SEARCH_REFRESH", "true")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(app, ["search", "check"]).exit_code == 0
        client.app.state.search.delete([1, 2])
        broken = runner.invoke(app, ["search", "check"])
        assert broken.exit_code == 1 and "missing: 2 record(s)" in broken.output
        rebuilt = runner.invoke(app, ["search", "reindex"])
        assert rebuilt.exit_code == 0 and "10 records indexed" in rebuilt.output
        assert runner.invoke(app, ["search", "check"]).exit_code == 0
    finally:
        get_settings.cache_clear()
    assert _total(_search(client, q="重建索引")) == 10


def test_exports_stream_csv_and_jsonl(client, db, dispatcher, keys):
    import csv as csvlib
    import io

    for i in range(7):
        register(db, name_zh=f"导出测试公司{i}", country="KR")
    dispatcher.drain()
    r = client.get(
        "/api/v1/public/disclosures/export", params={"q": "导出测试", "category": "entity", "format": "csv"}
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csvlib.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == 7 and {row["origin_country"] for row in rows} == {"KR"}
    assert r.headers["X-Total-Count"] == "7" and r.headers["X-Export-Capped"] == "false"
    r = client.get(
        "/api/v1/disclosures/export",
        params={"q": "导出测试", "category": "entity", "format": "jsonl"},
        headers=Keys.header(keys.regulator),
    )
    lines = [json.loads(x) for x in r.text.splitlines()]
    assert len(lines) == 7 and all("highlight" not in x for x in lines)
    assert client.get("/api/v1/public/disclosures/export", params={"format": "xlsx"}).status_code == 422


def test_regulatory_records_leave_public_search_when_their_window_ends(client, db, dispatcher, keys):
    from datetime import timedelta

    from core.clock import clock, utcnow

    flow = Flow(client, keys)
    product = flow.product(name_zh="过期公示测试奶粉")
    decl = flow.declare(product["id"])
    flow.inspect(decl, ["fail"])
    dispatcher.drain()
    regulator = Keys.header(keys.regulator)
    assert _total(_search(client, q="过期公示", category="regulatory")) == 1
    clock.freeze(utcnow() + timedelta(days=3 * 365 + 1))
    assert _total(_search(client, q="过期公示", category="regulatory")) == 0
    assert _total(_search(client, regulator, public=False, q="过期公示", category="regulatory")) == 1


def test_an_export_job_writes_everything_with_progress(client, db, dispatcher, keys):
    for i in range(12):
        register(db, name_zh=f"导出任务测试公司{i}")
    dispatcher.drain()
    regulator = Keys.header(keys.regulator)
    r = client.post(
        "/api/v1/disclosures/exports",
        params={"q": "导出任务", "category": "entity", "format": "jsonl"},
        headers=regulator,
    )
    assert r.status_code == 202, r.text
    job = r.json()
    client.app.state.jobs.wait(30)
    status = client.get(f"/api/v1/disclosures/exports/{job['id']}", headers=regulator).json()
    assert status["status"] == "done" and status["rows"] == status["total"] == 12
    file = client.get(f"/api/v1/disclosures/exports/{job['id']}/file", headers=regulator)
    assert file.status_code == 200 and len(file.text.splitlines()) == 12
    assert (
        client.post("/api/v1/disclosures/exports", params={"format": "pdf"}, headers=regulator).status_code
        == 422
    )
    assert (
        client.get(f"/api/v1/disclosures/exports/{job['id']}", headers=Keys.header(keys.merchant)).status_code
        == 403
    )


def test_past_the_cap_the_total_reads_at_least_and_paging_still_reaches_every_match(
    client, db, dispatcher, search_backend_name
):
    for i in range(12):  # insurers: one (entity) record each, as merchants also get a credit grade record
        register(db, "insurer", name_zh=f"封顶测试贸易公司{i:02d}", country="NZ" if i % 3 else "AU")
    dispatcher.drain()
    every = _search(client, q="封顶测试", sort="date", size=100)
    assert _total(every) == 12 and every["facets_approximate"] is False
    newest_first = [h["id"] for h in every["hits"]]
    exact_facets = every["facets"]

    client.app.state.search.total_cap = 5  # instead of 10,000 records
    capped = _search(client, q="封顶测试", sort="date", size=100, trend="month")
    assert capped["total"] == {"value": 5, "relation": "gte"}
    assert [h["id"] for h in capped["hits"]] == newest_first  # the cap stops the count, not the hits
    assert sum(t["count"] for t in capped["trend"]) == 12  # a trend counts every match
    if capped["facets_approximate"]:  # the embedded index: counted over the newest five, lower bounds
        assert sum(capped["facets"]["category"].values()) == 5
        for name, counts in capped["facets"].items():
            assert all(0 < n <= exact_facets[name][value] for value, n in counts.items()), name
    else:
        assert capped["facets"] == exact_facets
    ranked = _search(client, q="封顶测试")
    assert ranked["ranking_approximate"] is (search_backend_name == "embedded")
    for sort in ("date", "relevance"):
        seen, token = [], None
        while True:
            params = {"q": "封顶测试", "sort": sort, "size": 3} | ({"search_after": token} if token else {})
            page = _search(client, **params)
            seen += [h["id"] for h in page["hits"]]
            token = page["search_after"]
            if not token:
                break
        assert len(seen) == 12 and set(seen) == set(newest_first), sort
        if sort == "date":
            assert seen == newest_first
    # exports count everything: their headers and job totals stay exact
    r = client.get("/api/v1/public/disclosures/export", params={"q": "封顶测试", "format": "jsonl"})
    assert r.headers["X-Total-Count"] == "12" and len(r.text.splitlines()) == 12
