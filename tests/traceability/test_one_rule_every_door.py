"""A rule lives in one service and every front door calls it: the same input gets the same answer, naming
the same field with the same reason, from the API (the test client), the merchant's or the public page
(a form post or a link followed) and the CLI (its entry point), where the door has the operation.

The rules driven here: a batch's label range (traceability.exports), a declaration's products
(traceability.service.declare) and a USCC (enterprises.service.get_by_uscc). Shipping's rule has its own
test (test_ship_one_rule.py)."""

from __future__ import annotations

import io
import zipfile

import pytest
from markupsafe import escape

from core.identifiers import MAX_OFFSET
from tests.conftest import Keys
from tests.traceability.conftest import signed_in
from traceability import exports, shipping

BAD_USCC = "91330206MA2AAAAA0Y"  # a well-formed code with the wrong check character


def _batch(flow, quantity: int) -> dict:
    decl = flow.declare(flow.product()["id"])
    flow.inspect(decl)
    return flow.issue(flow.release(decl), quantity=quantity)


def _said(output: str) -> str:
    return " ".join(output.split())  # the CLI's console wraps long lines


@pytest.mark.parametrize(
    ("offset", "limit", "field", "reason"),
    [
        (2, 1, "offset", "the batch has 2 codes; the first is 0, the last 1"),
        (-1, 1, "offset", exports.RANGE_OFFSET),
        (MAX_OFFSET + 1, 1, "offset", exports.RANGE_OFFSET),
        (0, 0, "limit", exports.RANGE_LIMIT),
        (0, exports.MAX_LABELS + 1, "limit", exports.RANGE_LIMIT),
    ],
    ids=["past-the-last-code", "negative-offset", "offset-too-large", "no-codes", "too-many-codes"],
)
def test_a_label_range_gets_the_same_answer_from_the_api_the_page_and_the_cli(
    app, client, flow, cli, keys: Keys, tmp_path, offset: int, limit: int, field: str, reason: str
):
    batch = _batch(flow, quantity=2)
    params = {"offset": offset, "limit": limit}

    api = client.get(
        f"/api/v1/enterprises/{keys.merchant_id}/code-batches/{batch['id']}/qr.zip",
        params=params,
        headers=flow.m,
    )
    assert api.status_code == 422, api.text
    assert api.json()["errors"] == [{"field": field, "reason": reason}]

    page = signed_in(app, keys.merchant)
    shown = page.get(f"/merchant/batches/{batch['id']}/qr.zip", params=params)
    assert shown.status_code == 422 and "<html" in shown.text, shown.text
    assert f"{field}: " in shown.text and str(escape(reason)) in shown.text, shown.text

    out = tmp_path / "qr.zip"
    done = cli(
        "codes",
        "export",
        "--batch",
        batch["id"],
        "--format",
        "qr",
        "-o",
        out,
        f"--offset={offset}",
        f"--limit={limit}",
    )
    assert done.exit_code == 2, done.output
    assert f"{field}: {reason}" in _said(done.output), done.output
    assert not out.exists()  # refused before any file was made


def test_a_range_that_holds_is_the_same_file_from_each_door(app, client, flow, cli, keys: Keys, tmp_path):
    batch = _batch(flow, quantity=3)
    codes = flow.codes(batch)
    params = {"offset": 1, "limit": 1}
    api = client.get(
        f"/api/v1/enterprises/{keys.merchant_id}/code-batches/{batch['id']}/qr.zip",
        params=params,
        headers=flow.m,
    )
    page = signed_in(app, keys.merchant).get(f"/merchant/batches/{batch['id']}/qr.zip", params=params)
    out = tmp_path / "qr.zip"
    done = cli(
        "codes", "export", "--batch", batch["id"], "--format", "qr", "-o", out, "--offset", 1, "--limit", 1
    )
    assert api.status_code == page.status_code == 200 and done.exit_code == 0, done.output
    name = f"qr-batch-{batch['id']}-1.zip"
    for r in (api, page):
        assert r.headers["content-type"] == "application/zip"
        assert r.headers["content-disposition"] == f'attachment; filename="{name}"'
    zips = [zipfile.ZipFile(io.BytesIO(r.content)).namelist() for r in (api, page)]
    zips.append(zipfile.ZipFile(out).namelist())
    assert zips == [[codes[1]["short_code"] + ".png"]] * 3


def test_another_merchants_product_is_the_same_422_from_the_api_and_thesigned_in(
    app, client, flow, keys: Keys
):
    """The page once checked ownership itself and answered 403; now declare's own 422, beside the field."""
    product = flow.product()  # the merchant's
    lines = [
        {
            "product_id": product["id"],
            "lot": "THEIRS1",
            "quantity": 5,
            "unit_value": {"amount_minor": 1000, "currency": "CNY"},
        }
    ]
    body = {
        "declaration_no": "310520261000777777",
        "transport_doc_type": "bill_of_lading",
        "transport_doc_no": "MSKU7777777",
        "arrival_port": "CNNGB",
        "bonded_warehouse": "宁波保税区一号仓",
        "declared_on": "2026-11-20",
        "lines": lines,
    }
    field, reason = "lines.0.product_id", f"product {product['id']} is not one of this enterprise's"

    api = client.post(
        f"/api/v1/enterprises/{keys.other_merchant_id}/declarations",
        json=body,
        headers=Keys.header(keys.other_merchant),
    )
    assert api.status_code == 422, api.text
    assert api.json()["errors"] == [{"field": field, "reason": reason}]

    other = signed_in(app, keys.other_merchant)
    form = {k: v for k, v in body.items() if k != "lines"} | {
        "lines.0.product_id": str(product["id"]),
        "lines.0.lot": "THEIRS1",
        "lines.0.quantity": "5",
        "lines.0.unit_value": "10.00",
        "lines.0.currency": "CNY",
        "csrftoken": other.cookies["csrftoken"],
    }
    shown = other.post("/merchant/declarations", data=form)
    assert shown.status_code == 422, shown.text
    assert f'data-error="{field}"' in shown.text and str(escape(reason)) in shown.text, shown.text
    listed = client.get(
        f"/api/v1/enterprises/{keys.other_merchant_id}/declarations", headers=Keys.header(keys.other_merchant)
    )
    assert listed.json() == []


def test_a_malformed_uscc_is_named_the_same_by_the_api_the_pages_and_the_cli(app, client, cli):
    reason = "check character is 'Y' but should be"
    api = client.get(f"/api/v1/public/enterprises/{BAD_USCC}")
    assert api.status_code == 422 and api.json()["errors"][0]["field"] == "uscc", api.text
    assert api.json()["errors"][0]["reason"].startswith(reason)
    credit = client.get(f"/api/v1/public/credit/{BAD_USCC}")
    assert credit.status_code == 422 and credit.json()["errors"] == api.json()["errors"]
    exact = api.json()["errors"][0]["reason"]

    shown = client.get(f"/enterprises/{BAD_USCC}", headers={"Accept": "text/html"})  # the portal's page
    assert shown.status_code == 422 and str(escape(exact)) in shown.text, shown.text
    report = client.get(f"/credit/{BAD_USCC}", headers={"Accept": "text/html"})  # the printable report
    assert report.status_code == 422 and exact in report.text, report.text

    done = cli("codes", "ship", "--enterprise", BAD_USCC, "--gtin", "06901234567892", "--lot", "L1")
    assert done.exit_code == 2 and f"uscc: {exact}" in _said(done.output), done.output


def test_shipping_bounds_are_shippings_own_from_the_api_the_page_and_the_cli(
    app, client, flow, cli, keys: Keys
):
    """How many codes one shipment names, and what a lot may be, are traceability.shipping's checks: the
    API's schema shows them but does not answer first with words of its own."""
    _, _, codes = flow.released_codes(quantity=1)
    many = [codes[0]["uri"]] * (shipping.MAX_CODES + 1)
    too_many = {
        "field": "codes",
        "reason": f"at most {shipping.MAX_CODES} codes per request; ship a whole lot by its line",
    }
    api = client.post(
        f"/api/v1/enterprises/{keys.merchant_id}/shipments", json={"codes": many}, headers=flow.m
    )
    assert api.status_code == 422 and api.json()["errors"] == [too_many], api.text
    page = signed_in(app, keys.merchant)
    shown = page.post(
        "/merchant/shipments", data={"codes": "\n".join(many), "csrftoken": page.cookies["csrftoken"]}
    )
    assert shown.status_code == 422 and str(escape(too_many["reason"])) in shown.text, shown.text

    gtin = codes[0]["gtin"]
    api = client.post(
        f"/api/v1/enterprises/{keys.merchant_id}/shipments", json={"gtin": gtin, "lot": "."}, headers=flow.m
    )
    assert api.status_code == 422, api.text
    [error] = api.json()["errors"]
    assert error["field"] == "lot" and "cannot be a lot" in error["reason"], error
    shown = page.post(
        "/merchant/shipments", data={"gtin": gtin, "lot": ".", "csrftoken": page.cookies["csrftoken"]}
    )
    assert shown.status_code == 422 and str(escape(error["reason"])) in shown.text, shown.text
    done = cli("codes", "ship", "--gtin", gtin, "--lot", ".")
    assert done.exit_code == 2 and f"lot: {error['reason']}" in _said(done.output), done.output
