"""Shipping out of the bonded warehouse (出区) is one rule, traceability.shipping.ship: the API, the
merchant's page and the CLI give the same answer to the same request, and the page ships a line, a lot
or chosen codes of the merchant's own goods only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli import app as cli_app
from core.settings import get_settings
from tests.conftest import Keys
from tests.traceability.scans import JSON, scan_path
from traceability.shipping import ONE_OF


@pytest.fixture
def cli(db, settings, monkeypatch):
    monkeypatch.setenv("CROSSTRUST_DATABASE_URL", db.url)
    monkeypatch.setenv("CROSSTRUST_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("CROSSTRUST_CODE_SECRET", settings.code_secret)
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(cli_app, [str(a) for a in args], terminal_width=400)
    get_settings.cache_clear()


def _page(app, key: str) -> TestClient:
    page = TestClient(app, follow_redirects=False)
    page.get("/signin")
    r = page.post("/signin", data={"key": key, "csrftoken": page.cookies["csrftoken"]})
    assert r.status_code == 303, r.text
    return page


def _verdict(client, uri: str) -> str:
    return client.get(scan_path({"uri": uri}), headers=JSON).json()["verdict"]["status"]


def test_the_same_bad_shipment_gets_the_same_answer_from_the_api_the_page_and_the_cli(
    app, client, flow, cli, keys: Keys
):
    product, decl, codes = flow.released_codes(quantity=2)
    lot = decl["lines"][0]["lot"] if "lines" in decl else None
    lot = (
        lot
        or client.get(
            f"/api/v1/enterprises/{keys.merchant_id}/declarations/{decl['id']}", headers=flow.m
        ).json()["lines"][0]["lot"]
    )
    # A lot and codes at once: which is meant? Each front door refuses it with the service's words.
    api = client.post(
        f"/api/v1/enterprises/{keys.merchant_id}/shipments",
        json={"gtin": product["gtin"], "lot": lot, "codes": [codes[0]["uri"]]},
        headers=flow.m,
    )
    assert api.status_code == 422 and api.json()["errors"][0]["reason"] == ONE_OF, api.text

    page = _page(app, keys.merchant)
    form = {
        "gtin": product["gtin"],
        "lot": lot,
        "codes": codes[0]["uri"],
        "csrftoken": page.cookies["csrftoken"],
    }
    r = page.post("/merchant/shipments", data=form)
    assert r.status_code == 422 and ONE_OF in r.text, r.text
    assert "请只选一种出区方式" in r.text  # Chinese first, the same words in English beside them

    done = cli("codes", "ship", "--gtin", product["gtin"], "--lot", lot, "--code", codes[0]["uri"])
    assert done.exit_code == 2 and ONE_OF in " ".join(done.output.split()), done.output
    # Nothing left the warehouse.
    assert _verdict(client, codes[0]["uri"]) == "not_shipped"


def test_the_merchant_ships_a_line_from_the_page_and_its_codes_scan_genuine(app, client, flow, keys: Keys):
    _, decl, codes = flow.released_codes(quantity=2)
    page = _page(app, keys.merchant)
    shown = page.get(f"/merchant/declarations/{decl['id']}")
    assert 'data-form="ship-line"' in shown.text
    token = page.cookies["csrftoken"]
    r = page.post(
        "/merchant/shipments", data={"declaration_id": decl["id"], "line_no": 1, "csrftoken": token}
    )
    assert r.status_code == 303 and "shipped=2" in r.headers["location"], r.text
    assert "已出区" in page.get(r.headers["location"]).text
    assert {_verdict(client, c["uri"]) for c in codes} == {"genuine"}
    # Again: nothing recorded twice.
    r = page.post(
        "/merchant/shipments", data={"declaration_id": decl["id"], "line_no": 1, "csrftoken": token}
    )
    assert "shipped=0&already=2" in r.headers["location"]


def test_another_merchants_line_is_not_shipped_from_the_page(app, client, flow, keys: Keys):
    _, decl, codes = flow.released_codes(quantity=1)
    other = _page(app, keys.other_merchant)
    r = other.post(
        "/merchant/shipments",
        data={"declaration_id": decl["id"], "line_no": 1, "csrftoken": other.cookies["csrftoken"]},
    )
    assert r.status_code == 404, r.text
    assert _verdict(client, codes[0]["uri"]) == "not_shipped"
