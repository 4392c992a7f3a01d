"""The black list's measure "every declaration inspected" (逐票查验), through the API on both databases: a
merchant capped to the black list has every pending declaration drawn, at the methodology's list rate
(1.0, not grade D's 0.8), with the reason on the draw; the measure shows that rate; a methodology whose
black-list rate is below grade D's is refused."""

from __future__ import annotations

import tomllib

import pytest

from credit import methodology
from tests.conftest import Keys
from tests.insurance.conftest import set_grade
from tests.traceability.conftest import Flow


def test_every_declaration_of_a_black_listed_merchant_is_drawn(client, db, keys: Keys, dispatcher):
    flow = Flow(client, keys)
    product = flow.product()
    declared = [flow.declare(product["id"], lots=(f"LOT26B{i:02d}",)) for i in range(20)]
    dispatcher.drain()
    set_grade(db, keys.merchant_id, "D")
    regulator = Keys.header(keys.regulator)
    r = client.post("/api/v1/credit/draws", json={"inspectors": ["张三", "李四"]}, headers=regulator)
    assert r.status_code == 201, r.text
    d = r.json()
    assert {s["declaration_no"] for s in d["selected"]} == {x["declaration_no"] for x in declared}
    assert {c["raised"]["rate"] for c in d["inputs"]["candidates"]} == {1.0}
    row = d["selection"][0]
    assert row["inspection_rate"] == 1.0 and row["raised_because"][0]["code"] == "black_list"
    assert (
        "黑名单" in row["raised_because"][0]["zh"] and "every declaration" in row["raised_because"][0]["en"]
    )
    assert client.get(f"/api/v1/public/credit/draws/{d['id']}/replay").json()["matches"] is True
    measures = client.get(f"/api/v1/enterprises/{keys.merchant_id}/credit/measures", headers=regulator)
    assert measures.status_code == 200, measures.text
    (more,) = [m for m in measures.json() if m["code"] == "black_more_inspections"]
    assert more["how"] == {"inspection_rate": 1.0}


def test_a_black_list_rate_below_the_worst_grade_is_refused():
    data = tomllib.loads(methodology.DEFAULT_FILE.read_text(encoding="utf-8"))
    data["supervision"]["lists"]["black"] = 0.5
    with pytest.raises(methodology.MethodologyError, match=r"supervision.lists.black must not be below"):
        methodology.parse(data)
