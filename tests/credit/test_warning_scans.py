"""Early warning from scans and insurance, through the API on both databases: counterfeit scans of one
product clustering in one city and impossible-travel scans clustering in another raise the merchant, and
the product by its GTIN, to high, each reason in words with its city; scans below a cluster's count do
not fire; the draw then inspects the product's declaration at the warning's rate with the reason on the
draw. A merchant whose insurance was cancelled is flagged only once it still declares goods."""

from __future__ import annotations

from core.clock import utcnow
from credit import warning
from tests.conftest import Keys
from tests.insurance.conftest import bind, quote, set_grade
from tests.insurance.conftest import product as insurance_product
from tests.traceability.conftest import Flow
from tests.traceability.scans import JSON
from tests.traceability.scans import scan_path as _path


def _scan(client, app, path: str, city: str) -> str:
    verdict = client.get(path + ("&" if "?" in path else "?") + f"city={city}", headers=JSON).json()
    app.state.resolver.writer.flush()
    return verdict["verdict"]["status"]


def _forged(code: dict, n: int) -> str:
    path = _path(code)
    head, _, tail = path.partition("/21/")
    serial, sep, query = tail.partition("?")
    return f"{head}/21/FAKE{n:04d}{serial[8:]}{sep}{query}"


def test_scan_clusters_name_the_product_and_the_city_and_raise_the_draw(client, app, keys: Keys, dispatcher):
    flow = Flow(client, keys)
    product, _, codes = flow.released_codes(quantity=5)
    flow.ship(codes[0]["gtin"], codes[0]["lot"])
    rules = warning.rules().scan_signals
    fakes = rules["counterfeit_cluster"].min_count
    verdicts = [_scan(client, app, _forged(codes[0], n), "上海") for n in range(fakes)]
    verdicts += [_scan(client, app, _forged(codes[0], 100 + n), "北京") for n in range(fakes - 1)]
    assert set(verdicts) == {"counterfeit"}, verdicts
    regulator = Keys.header(keys.regulator)
    one = client.get(f"/api/v1/enterprises/{keys.merchant_id}/credit/warning", headers=regulator).json()
    (fired,) = one["reasons"]
    assert (fired["signal"], fired["points"], fired["recent"]) == ("counterfeit_cluster", 40, fakes)
    assert [(w["place"], w["count"]) for w in fired["where"]] == [("上海", fakes)]  # Beijing is one short
    assert (
        "上海" in fired["text_zh"] and "Shanghai" in fired["text_en"] and product["gtin"] in fired["text_zh"]
    )
    assert one["level"] == "elevated" and one["products"][0]["level"] == "elevated"

    travels = rules["travel_cluster"].min_count
    for code in codes[1 : 1 + travels]:
        assert [_scan(client, app, _path(code), c) for c in ("宁波", "乌鲁木齐")] == ["genuine", "suspicious"]
    feed = client.get("/api/v1/credit/warnings?minimum=high", headers=regulator)
    assert feed.status_code == 200, feed.text
    (top,) = feed.json()
    assert (top["enterprise_id"], top["level"], top["points"]) == (keys.merchant_id, "high", 70)
    (prod,) = top["products"]
    assert (prod["gtin"], prod["level"], prod["name_zh"]) == (product["gtin"], "high", product["name_zh"])
    travel = next(x for x in prod["reasons"] if x["signal"] == "travel_cluster")
    assert [(w["place"], w["count"]) for w in travel["where"]] == [("乌鲁木齐", travels)]
    assert "不可能行程" in travel["text_zh"] and "Urumqi" in travel["text_en"]

    # The draw: a new declaration of the product is inspected at the warning's rate at least, and says why.
    declared = flow.declare(product["id"], lots=("LOT2612W",))
    dispatcher.drain()
    r = client.post("/api/v1/credit/draws", json={"inspectors": ["张三"]}, headers=regulator)
    assert r.status_code == 201, r.text
    d = r.json()
    (cand,) = [c for c in d["inputs"]["candidates"] if c["declaration_no"] == declared["declaration_no"]]
    assert cand["raised"]["rate"] == warning.rules().draw["high"] == 0.8
    codes_ = [w["code"] for w in cand["raised"]["because"]]
    assert codes_ == ["warning_enterprise", "warning_product"], codes_
    assert (
        product["gtin"] in cand["raised"]["because"][1]["zh"]
        and "假冒扫描聚集" in cand["raised"]["because"][1]["zh"]
    )
    assert client.get(f"/api/v1/public/credit/draws/{d['id']}/replay").json()["matches"] is True
    for row in d["selection"]:
        assert row["inspection_rate"] == 0.8 and row["raised_because"]


def test_a_lapsed_policy_counts_only_while_the_merchant_still_sells(client, db, keys: Keys, dispatcher):
    set_grade(db, keys.merchant_id, "B")
    ins = insurance_product(client, keys)
    q = quote(client, keys, ins["id"])
    assert q.status_code == 201, q.text
    assert bind(client, keys, q.json()["id"]).status_code == 200
    regulator = Keys.header(keys.regulator)
    url = f"/api/v1/enterprises/{keys.merchant_id}/credit/warning"
    assert client.get(url, headers=regulator).json()["reasons"] == []  # insured: nothing
    r = client.post(
        f"/api/v1/insurance/policies/{q.json()['id']}/cancellation",
        json={"reason": "退保"},
        headers=Keys.header(keys.merchant),
    )
    assert r.status_code == 200, r.text
    assert client.get(url, headers=regulator).json()["reasons"] == []  # cancelled, but not selling
    flow = Flow(client, keys)
    flow.declare(flow.product()["id"])
    one = client.get(url, headers=regulator).json()
    (lapsed,) = one["reasons"]
    assert (lapsed["signal"], lapsed["points"], one["level"]) == ("insurance_lapsed", 30, "elevated")
    assert utcnow().date().isoformat() in lapsed["text_zh"] and "1 票申报" in lapsed["text_zh"]
    assert "none is in force" in lapsed["text_en"]
