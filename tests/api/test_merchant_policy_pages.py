"""The merchant's policy pages: a quote that cannot be bound says why (Chinese and English) before the
merchant tries, a policy renews and cancels from its page, and the arithmetic reads as a table."""

from __future__ import annotations

import re

import pytest

from api import demo, demo_insurance
from tests.testclient import TestClient

pytestmark = pytest.mark.demo_seeded  # every test starts from the demo as `demo.seed` leaves it


@pytest.fixture
def insured(app, db, dispatcher, seeded_keys):
    keys = seeded_keys
    with TestClient(app):
        demo.issue_demo_codes(db, app.state.keyring, per_line=4)
        demo_insurance.seed_insurance(db)
        dispatcher.drain()
        client = TestClient(app, follow_redirects=False)
        client.get("/signin")
        r = client.post("/signin", data={"key": keys["merchant"], "csrftoken": client.cookies["csrftoken"]})
        assert r.status_code == 303
        yield client


def _policy_id(page: str, status: str) -> int:
    return int(re.search(rf'data-policy="(\d+)" data-status="{status}"', page).group(1))


def test_a_quote_over_the_running_policy_says_why_it_cannot_be_bound_before_binding(insured):
    client = insured
    token = client.cookies["csrftoken"]
    offers = client.get("/merchant/insurance").text
    product_id = re.search(r'name="product_id" value="(\d+)"', offers).group(1)
    r = client.post("/merchant/insurance/quotes", data={"product_id": product_id, "csrftoken": token})
    assert r.status_code == 303, r.text
    quote = client.get(r.headers["location"]).text
    assert 'data-field="cannot-bind"' in quote and 'data-form="bind"' not in quote
    assert "仍然有效" in quote and "already has policy" in quote
    assert "{'amount_minor'" not in quote and "ROUND_HALF_UP" not in quote
    assert 'data-table="arithmetic"' in quote and "‰" in quote
    # Binding anyway is the same rule's refusal, as a page.
    quote_id = int(r.headers["location"].split("/")[-1].split("?")[0])
    refused = client.post(f"/merchant/insurance/policies/{quote_id}/bind", data={"csrftoken": token})
    assert refused.status_code == 409 and "仍然有效" in refused.text


def test_a_policy_renews_and_a_quote_is_dropped_from_its_page(insured):
    client = insured
    token = client.cookies["csrftoken"]
    active = _policy_id(client.get("/merchant/insurance").text, "active")
    page = client.get(f"/merchant/insurance/policies/{active}").text
    assert 'data-form="renew"' in page and 'data-form="cancel"' in page
    r = client.post(f"/merchant/insurance/policies/{active}/renew", data={"csrftoken": token})
    assert r.status_code == 303 and r.headers["location"].endswith("?renewed=1"), r.text
    renewal = client.get(r.headers["location"]).text
    assert 'data-status="quoted"' in renewal and 'data-form="bind"' in renewal  # from the old one's end
    renewal_id = int(r.headers["location"].split("/")[-1].split("?")[0])
    bad = client.post(
        f"/merchant/insurance/policies/{renewal_id}/cancel", data={"reason": "", "csrftoken": token}
    )
    assert bad.status_code == 422 and "reason" in bad.text
    r = client.post(
        f"/merchant/insurance/policies/{renewal_id}/cancel", data={"reason": "暂不续保", "csrftoken": token}
    )
    assert r.status_code == 303
    assert 'data-status="cancelled"' in client.get(r.headers["location"]).text


def test_the_forms_default_date_is_chinas_after_16_utc_and_a_quote_on_it_is_taken(insured):
    """From 16:00 UTC China is already on the next day: the quote form's start date (and the declaration
    form's date) default to China's date, which the services read; UTC's date would be 'in the past'."""
    from datetime import UTC, datetime

    from core.clock import clock

    clock.freeze(datetime(2026, 12, 6, 17, 0, tzinfo=UTC))  # 2026-12-07 01:00 in Beijing
    client = insured
    token = client.cookies["csrftoken"]
    offers = client.get("/merchant/insurance").text
    assert 'name="starts_on" type="date" min="2026-12-07" value="2026-12-07"' in offers
    product_id = re.search(r'name="product_id" value="(\d+)"', offers).group(1)
    starts_on = re.search(r'name="starts_on" type="date" min="[^"]*" value="([^"]*)"', offers).group(1)
    r = client.post(
        "/merchant/insurance/quotes",
        data={"product_id": product_id, "starts_on": starts_on, "csrftoken": token},
    )
    assert r.status_code == 303, r.text
    assert 'value="2026-12-07"' in client.get("/merchant/declarations/new").text
