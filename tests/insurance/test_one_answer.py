"""Insurance's rules answer the same from the API and the pages: a refusal without a reason code (the
insurer's desk once said so in words of its own, on the field; the API named the body), and a policy
cancelled without a reason of two characters (the merchant's page asked for two, the API for one)."""

from __future__ import annotations

from markupsafe import escape

from tests.conftest import Keys
from tests.insurance.conftest import insure, product, released_units
from tests.insurance.test_insurer_desk import _claims, _pages


def test_a_refusal_without_a_reason_code_is_the_same_answer_from_the_api_and_the_desk(
    app, client, db, keys: Keys, dispatcher
):
    _, [claim_id] = _claims(client, db, keys, dispatcher, n=1)
    expected = [{"field": "reason_code", "reason": "a rejection needs a reason_code"}]
    api = client.post(
        f"/api/v1/insurance/claims/{claim_id}/decision",
        json={"approve": False},
        headers=Keys.header(keys.insurer),
    )
    assert api.status_code == 422 and api.json()["errors"] == expected, api.text

    desk, token = _pages(app, keys.insurer)
    shown = desk.post(f"/insurer/claims/{claim_id}/decision", data={"csrftoken": token, "approve": "false"})
    assert shown.status_code == 422 and "<html" in shown.text, shown.text
    assert "reason_code: " in shown.text and expected[0]["reason"] in shown.text, shown.text


def test_a_cancellation_reason_is_held_to_the_same_length_by_the_api_and_the_merchants_page(
    app, client, db, keys: Keys, dispatcher
):
    offer = product(client, keys)
    released_units(client, keys, quantity=1)
    dispatcher.drain()  # the merchant's first grade, which premiums are rated by
    policy = insure(client, keys, offer["id"])
    url = f"/api/v1/insurance/policies/{policy['id']}/cancellation"
    for reason in ("x", "  x  "):  # one character, spaces round it or not
        api = client.post(url, json={"reason": reason}, headers=Keys.header(keys.merchant))
        assert api.status_code == 422, api.text
        [error] = api.json()["errors"]
        assert error["field"] == "reason" and "at least 2 characters" in error["reason"], error

        page, token = _pages(app, keys.merchant)
        shown = page.post(
            f"/merchant/insurance/policies/{policy['id']}/cancel", data={"reason": reason, "csrftoken": token}
        )
        assert shown.status_code == 422, shown.text
        assert "reason: " in shown.text and str(escape(error["reason"])) in shown.text, shown.text
    ok = client.post(url, json={"reason": " 停业 "}, headers=Keys.header(keys.merchant))
    assert ok.status_code == 200 and ok.json()["status"] == "cancelled", ok.text
    assert ok.json()["status_reason"] == "停业"
