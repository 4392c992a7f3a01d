"""Inspection draws: replayable from the published seed and inputs, weighted by grade."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select
from typer.testing import CliRunner

from api.cli import app as cli
from core.settings import get_settings
from credit import supervision
from credit.models import SupervisionDraw
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


def test_a_draw_over_no_pending_declaration_is_refused_not_published(client, keys: Keys, db):
    regulator = Keys.header(keys.regulator)
    r = client.post("/api/v1/credit/draws", json={"inspectors": ["张三"]}, headers=regulator)
    assert r.status_code == 409, r.text
    problem = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "nothing to draw" in problem["detail"] and problem["errors"][0]["field"] == "candidates"
    with db.read_session() as s:
        assert s.exec(select(SupervisionDraw)).all() == []  # nothing was published
    # a declaration that has been inspected is no longer a candidate either
    flow = Flow(client, keys)
    declaration = flow.declare(flow.product()["id"])
    flow.inspect(declaration)
    again = client.post("/api/v1/credit/draws", json={"inspectors": ["张三"]}, headers=regulator)
    assert again.status_code == 409, again.text
    assert client.get("/api/v1/public/credit/draws/1").status_code == 404
    long_name = client.post("/api/v1/credit/draws", json={"inspectors": ["张" * 121]}, headers=regulator)
    assert long_name.status_code == 422 and "inspectors" in long_name.json()["errors"][0]["field"]


def _draw_selecting_some(client, regulator) -> dict:
    """A draw that selects some but not all of the pending declarations (each try is a new seed)."""
    for _ in range(20):
        r = client.post("/api/v1/credit/draws", json={"inspectors": ["张三", "李四"]}, headers=regulator)
        assert r.status_code == 201, r.text
        d = r.json()
        if 0 < d["selected_count"] < d["candidates_count"]:
            return d
    raise AssertionError("twenty draws at grade B's rate never selected some but not all")


def test_the_drawn_declarations_show_their_selection_where_a_regulator_looks(client, keys: Keys, dispatcher):
    flow = Flow(client, keys)
    product = flow.product()
    declared = {flow.declare(product["id"])["declaration_no"]: None for _ in range(12)}
    dispatcher.drain()
    regulator = Keys.header(keys.regulator)
    d = _draw_selecting_some(client, regulator)
    # the answer names its columns for a person, and agrees with the published result
    assert d["candidates_count"] == 12 and d["selected_count"] == len(d["selected"]) == len(d["selection"])
    rates = d["inputs"]["rates"]
    for readable, raw in zip(d["selection"], d["selected"], strict=True):
        assert readable == {
            "declaration_no": raw["declaration_no"],
            "importer_uscc": raw["uscc"],
            "importer_grade": raw["grade"],
            "inspection_rate": rates[raw["grade"]],
            "draw_value": raw["u"],
            "inspector": raw["inspector"],
            "raised_because": [],  # no list or warning raised these
        }
        assert readable["draw_value"] < readable["inspection_rate"]
    assert client.get(f"/api/v1/public/credit/draws/{d['id']}").json()["selection"] == d["selection"]
    drawn = {s["declaration_no"]: s for s in d["selection"]}

    listed = client.get("/api/v1/declarations", params={"limit": 100}, headers=regulator).json()
    assert {x["declaration_no"] for x in listed} == set(declared)
    for declaration in listed:
        mark = declaration["supervision"]
        if declaration["declaration_no"] not in drawn:
            assert mark is None, declaration["declaration_no"]
            continue
        assert mark["selected"] is True and mark["draw_id"] == d["id"]
        assert mark["inspector"] == drawn[declaration["declaration_no"]]["inspector"]
        assert mark["importer_grade"] == "B" and mark["published_at"].endswith(f"/draws/{d['id']}")
        # the declaration's own page says the same, to the regulator and to the importer
        one_url = f"/api/v1/enterprises/{keys.merchant_id}/declarations/{declaration['id']}"
        for headers in (regulator, Keys.header(keys.merchant)):
            assert client.get(one_url, headers=headers).json()["supervision"] == mark
    merchant_view = client.get(
        f"/api/v1/enterprises/{keys.merchant_id}/declarations",
        params={"limit": 100},
        headers=Keys.header(keys.merchant),
    ).json()
    assert {x["declaration_no"] for x in merchant_view if x["supervision"]} == set(drawn)


def test_the_cli_draw_table_names_its_columns(client, keys: Keys, dispatcher, db, monkeypatch, tmp_path):
    flow = Flow(client, keys)
    product = flow.product()
    for _ in range(30):
        flow.declare(product["id"])
    dispatcher.drain()
    monkeypatch.setenv("CROSSTRUST_DATABASE_URL", db.url)
    monkeypatch.setenv("CROSSTRUST_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("COLUMNS", "240")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["supervise", "draw", "-i", "张三", "-i", "李四"])
        assert result.exit_code == 0, result.output
        for column in ("declaration no.", "importer (USCC)", "importer's grade", "inspection rate"):
            assert column in result.output, result.output
        assert "draw value" in result.output and "inspector" in result.output
        assert "of 30 pending declarations selected" in result.output
        # with nothing left to draw from, the CLI says so and exits non-zero instead of publishing
        for declaration in client.get("/api/v1/declarations", params={"limit": 100}, headers=flow.r).json():
            flow.inspect(declaration)
        refused = CliRunner().invoke(cli, ["supervise", "draw", "-i", "张三"])
        assert refused.exit_code != 0 and "nothing to draw" in refused.output
    finally:
        get_settings.cache_clear()
