"""Shipping out of the bonded warehouse (出区) is one rule, traceability.shipping.ship: the API, the
merchant's page and the CLI give the same answer to the same request, and the page ships a line, a lot
or chosen codes of the merchant's own goods only."""

from __future__ import annotations

from tests.conftest import Keys
from tests.traceability.conftest import signed_in
from tests.traceability.scans import JSON, scan_path
from traceability.shipping import ONE_OF


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

    page = signed_in(app, keys.merchant)
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
    page = signed_in(app, keys.merchant)
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


def test_another_merchants_line_is_not_shipped_from_thesigned_in(app, client, flow, keys: Keys):
    _, decl, codes = flow.released_codes(quantity=1)
    other = signed_in(app, keys.other_merchant)
    r = other.post(
        "/merchant/shipments",
        data={"declaration_id": decl["id"], "line_no": 1, "csrftoken": other.cookies["csrftoken"]},
    )
    assert r.status_code == 404, r.text
    assert _verdict(client, codes[0]["uri"]) == "not_shipped"
