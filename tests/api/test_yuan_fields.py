"""Every form reads an amount typed in yuan one way (api.pages.web.yuan): "168.00" is 16800 fen, and
words, "inf", "1E999999999999999", a third decimal or a negative are a 422 naming the field, never a
500 (the merchant's answer once read it with float(), and the others overflowed on a huge exponent)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from api.pages.web import yuan
from core.errors import Invalid
from enterprises.models import Enterprise
from tests.testclient import TestClient
from traceability import service as trace

BAD = ["abc", "inf", "-inf", "NaN", "1E999999999999999", "1e13", "1.001", "-1", ""]


@pytest.mark.parametrize("text", BAD)
def test_what_is_not_an_amount_in_yuan_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(Invalid) as refused:
        yuan(text, "amount")
    assert [e.field for e in refused.value.errors] == ["amount"]


def test_amounts_in_yuan_are_read_as_fen() -> None:
    assert [yuan(t, "amount") for t in ("168.00", "168", " 0.5 ", "0", "9999999999999.99")] == [
        16800,
        16800,
        50,
        0,
        999999999999999,
    ]
    with pytest.raises(Invalid):
        yuan("0", "amount", above_zero=True)


@pytest.mark.demo_seeded
@pytest.mark.parametrize("text", ["1E999999999999999", "inf"])
def test_a_declaration_forms_huge_unit_value_is_a_422_beside_its_field(
    app, db, seeded_keys: dict[str, str], text: str
) -> None:
    keys = seeded_keys
    with db.read_session() as s:
        merchant = s.exec(
            select(Enterprise).where(Enterprise.kind == "merchant").order_by(Enterprise.id)
        ).first()
        product = trace.list_products(s, merchant.id)[0]
    with TestClient(app, follow_redirects=False) as client:
        client.get("/signin")
        token = client.cookies["csrftoken"]
        assert client.post("/signin", data={"key": keys["merchant"], "csrftoken": token}).status_code == 303
        form = {
            "csrftoken": token,
            "declaration_no": "310520261000444444",
            "transport_doc_type": "bill_of_lading",
            "transport_doc_no": "MSKU4444444",
            "arrival_port": "CNNGB",
            "bonded_warehouse": "宁波保税区一号仓",
            "declared_on": "2026-11-20",
            "lines.0.product_id": str(product.id),
            "lines.0.lot": "HUGE1",
            "lines.0.quantity": "3",
            "lines.0.unit_value": text,
            "lines.0.currency": "CNY",
        }
        r = client.post("/merchant/declarations", data=form)
    assert r.status_code == 422 and 'data-error="lines.0.unit_value"' in r.text, r.text
