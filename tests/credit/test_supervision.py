"""Inspection draws: replayable from the published seed and inputs, weighted by grade."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from credit import supervision
from tests.conftest import Keys
from tests.traceability.conftest import Flow

RATES = {"A": 0.05, "B": 0.2, "C": 0.5, "D": 0.8}


def inputs(candidates, inspectors=("张三", "李四", "王五")):
    return {
        "methodology_version": "test",
        "rates": RATES,
        "inspectors": sorted(inspectors),
        "candidates": sorted(candidates, key=lambda c: c["declaration_no"]),
    }


candidates = st.lists(
    st.builds(
        lambda n, g: {"declaration_no": f"3105{n:014d}", "uscc": "91330206MA2AAAAA0X", "grade": g},
        st.integers(0, 10**12),
        st.sampled_from("ABCD"),
    ),
    max_size=60,
    unique_by=lambda c: c["declaration_no"],
)


@settings(max_examples=200)
@given(candidates, st.binary(min_size=8, max_size=32))
def test_the_same_inputs_and_seed_give_the_same_draw(cands, seed):
    first = supervision.draw_from(inputs(cands), seed.hex())
    again = supervision.draw_from(inputs([dict(c) for c in reversed(cands)]), seed.hex())
    assert first == again


def test_the_draw_follows_the_grades_rates():
    cands = [
        {"declaration_no": f"3105{i:014d}", "uscc": "x", "grade": g}
        for g in "ABCD"
        for i in range(1000 * (ord(g) - 64), 1000 * (ord(g) - 64) + 1000)
    ]
    _, selected = supervision.draw_from(inputs(cands), "00112233445566778899aabbccddeeff")
    share = {g: sum(1 for s in selected if s["grade"] == g) / 1000 for g in "ABCD"}
    for g, rate in RATES.items():
        assert abs(share[g] - rate) < 0.05, share  # ±5 points: about 4 standard deviations at n = 1000
    assert {s["inspector"] for s in selected} == {"张三", "李四", "王五"}
    # another seed draws other declarations
    _, other = supervision.draw_from(inputs(cands), "ffeeddccbbaa99887766554433221100")
    assert {s["declaration_no"] for s in other} != {s["declaration_no"] for s in selected}


def test_a_published_draw_replays_and_a_bad_request_says_why(client, keys: Keys, dispatcher):
    flow = Flow(client, keys)
    product = flow.product()
    for _ in range(12):
        flow.declare(product["id"])
    dispatcher.drain()
    regulator = Keys.header(keys.regulator)
    r = client.post("/api/v1/credit/draws", json={"inspectors": ["张三", "李四"]}, headers=regulator)
    assert r.status_code == 201, r.text
    d = r.json()
    assert len(d["inputs"]["candidates"]) == 12 and {c["grade"] for c in d["inputs"]["candidates"]} == {"B"}
    assert len(d["seed"]) == 32 and len(d["input_hash"]) == 64 and "HMAC-SHA256" in d["algorithm"]
    published = client.get(f"/api/v1/public/credit/draws/{d['id']}").json()
    assert published["selected"] == d["selected"] and published["seed"] == d["seed"]
    assert client.get(f"/api/v1/public/credit/draws/{d['id']}/replay").json()["matches"] is True
    # the same seed over the same pending declarations draws the same
    again = client.post(
        "/api/v1/credit/draws", json={"inspectors": ["李四", "张三"], "seed": d["seed"]}, headers=regulator
    ).json()
    assert again["selected"] == d["selected"] and again["input_hash"] == d["input_hash"]

    assert client.post("/api/v1/credit/draws", json={"inspectors": []}, headers=regulator).status_code == 422
    bad_seed = client.post(
        "/api/v1/credit/draws", json={"inspectors": ["张三"], "seed": "not-hex!"}, headers=regulator
    )
    assert bad_seed.status_code == 422 and bad_seed.json()["errors"][0]["field"].endswith("seed")
    twice = client.post("/api/v1/credit/draws", json={"inspectors": ["张三", "张三"]}, headers=regulator)
    assert twice.status_code == 422 and "named twice" in twice.text
    merchant = client.post(
        "/api/v1/credit/draws", json={"inspectors": ["张三"]}, headers=Keys.header(keys.merchant)
    )
    assert merchant.status_code == 403
