"""The insurer's desk over HTTP (/insurer): prices by grade, the book by grade and status, loss ratio and
exposure; a claim decided (a refusal needs a reason from the glossary) and paid through the claims
service, the loss ratio moving; only the insurer's own claims; every form refused without CSRF."""

from __future__ import annotations

import pytest

from core.money import Money
from core.security import Role, create_key
from insurance import claims
from insurance.models import InsuranceClaim
from tests.conftest import Keys, register
from tests.insurance.conftest import insure, product, released_units
from tests.testclient import TestClient


@pytest.fixture(autouse=True)
def _every_word_in_the_glossary(caplog):
    """A page that shows a value the glossary does not know fails its test (never an internal value)."""
    yield
    unknown = [r.getMessage() for r in caplog.records if r.name == "crosstrust.glossary"]
    assert not unknown, unknown


def _pages(app, key: str) -> tuple[TestClient, str]:
    client = TestClient(app, follow_redirects=False)
    client.get("/signin")
    token = client.cookies["csrftoken"]
    r = client.post("/signin", data={"key": key, "csrftoken": token})
    assert r.status_code == 303, r.text
    return client, token


def _claims(client, db, keys: Keys, dispatcher, n: int = 2) -> tuple[dict, list[int]]:
    """A bound policy and `n` consumers' claims on its units (199.00 yuan infant formula each)."""
    prod = product(client, keys)
    _, serials = released_units(client, keys, quantity=n)
    dispatcher.drain()
    policy = insure(client, keys, prod["id"])
    ids = []
    with db.transaction() as s:
        for serial in serials:
            c = claims.submit(
                s, serial, source="consumer", enterprise_id=keys.merchant_id, asked=Money(199_00, "CNY")
            )
            ids.append(c.id)
    return policy, ids


def _claim(db, claim_id: int) -> InsuranceClaim:
    with db.read_session() as s:
        return s.get(InsuranceClaim, claim_id)


def _ratio(page: str) -> str:
    row = page.split('data-table="loss-grade"', 1)[1].split("</table>", 1)[0]
    return row.split('data-field="loss-ratio">', 1)[1].split("<", 1)[0]


def test_the_insurer_decides_and_pays_a_claim_and_sees_the_loss_ratio_move(app, client, db, keys, dispatcher):
    policy, (first, second) = _claims(client, db, keys, dispatcher)
    desk, token = _pages(app, keys.insurer)

    home = desk.get("/insurer")
    assert home.status_code == 200
    assert 'data-table="prices-' in home.text and "不予承保 Not eligible" in home.text  # grade D
    assert 'data-table="portfolio"' in home.text and 'data-figure="waiting">2<' in home.text
    assert _ratio(home.text) == "0.0%"
    assert 'data-table="exposure-grade"' in home.text and "svg" in home.text

    queue = desk.get("/insurer/claims")
    assert f'data-claim="{first}"' in queue.text and f'data-claim="{second}"' in queue.text

    page = desk.get(f"/insurer/claims/{first}")
    assert page.status_code == 200 and 'data-form="decision"' in page.text
    assert policy["policy_no"] in page.text
    r = desk.post(f"/insurer/claims/{first}/decision", data={"csrftoken": token, "approve": "true"})
    assert r.status_code == 303 and r.headers["location"] == f"/insurer/claims/{first}?done=decision"
    c = _claim(db, first)
    assert c.status == "approved" and c.approved_minor == 199_00  # as assessed: what was asked

    r = desk.post(f"/insurer/claims/{first}/payment", data={"csrftoken": token})
    assert r.status_code == 303
    c = _claim(db, first)
    assert (c.status, c.paid_minor) == ("paid", 199_00)
    premium = policy["premium_minor"]
    home = desk.get("/insurer")
    assert _ratio(home.text) == "%.1f%%" % ((199_00 - c.recovered_minor) / premium * 100)
    assert 'data-field="paid-total">' in desk.get("/insurer/claims").text

    # The merchant owes the deductible back (100.00): recovered, the net paid and the ratio fall.
    assert (
        c.recovery_due_minor == 100_00 and 'data-form="recovery"' in desk.get(f"/insurer/claims/{first}").text
    )
    too_much = desk.post(f"/insurer/claims/{first}/recovery", data={"csrftoken": token, "amount": "150.00"})
    assert too_much.status_code == 422 and "amount_minor" in too_much.text
    r = desk.post(f"/insurer/claims/{first}/recovery", data={"csrftoken": token, "amount": "100.00"})
    assert r.status_code == 303 and _claim(db, first).recovered_minor == 100_00
    assert _ratio(desk.get("/insurer").text) == "%.1f%%" % ((199_00 - 100_00) / premium * 100)

    r = desk.post(
        f"/insurer/claims/{second}/decision",
        data={"csrftoken": token, "approve": "false", "reason_code": "no_defect", "reason": "未见缺陷"},
    )
    assert r.status_code == 303
    c = _claim(db, second)
    assert (c.status, c.reason_code) == ("rejected", "no_defect")
    assert "未确认质量缺陷" in desk.get(f"/insurer/claims/{second}").text


def test_bad_decisions_are_a_page_naming_the_field(app, client, db, keys, dispatcher):
    _, (claim_id, _) = _claims(client, db, keys, dispatcher)
    desk, token = _pages(app, keys.insurer)
    for form, status, field in (
        ({}, 422, "approve"),
        ({"approve": "maybe"}, 422, "approve"),
        ({"approve": "false"}, 422, "reason_code"),
        ({"approve": "false", "reason_code": "bad_luck"}, 422, "reason_code"),
        ({"approve": "true", "amount": "abc"}, 422, "amount"),
        ({"approve": "true", "amount": "0"}, 422, "amount"),
        ({"approve": "true", "amount": "9999999.00"}, 422, "amount_minor"),  # over the item's cover
    ):
        r = desk.post(f"/insurer/claims/{claim_id}/decision", data={"csrftoken": token, **form})
        assert r.status_code == status and field in r.text and "<html" in r.text, (form, r.text)
    r = desk.post(f"/insurer/claims/{claim_id}/payment", data={"csrftoken": token})
    assert r.status_code == 409  # not approved yet
    assert _claim(db, claim_id).status == "submitted"
    assert desk.get("/insurer/claims/999999999").status_code == 404


def test_another_insurers_claim_a_merchant_and_no_csrf_change_nothing(app, client, db, keys, dispatcher):
    _, (claim_id, _) = _claims(client, db, keys, dispatcher)
    other = register(db, "insurer", name_zh="另一家保险公司")
    with db.transaction() as s:
        other_key = create_key(s, Role.insurer, other.id)
    rival, token = _pages(app, other_key)
    assert rival.get(f"/insurer/claims/{claim_id}").status_code == 403
    for path, form in (("decision", {"approve": "true"}), ("payment", {}), ("recovery", {"amount": "1.00"})):
        r = rival.post(f"/insurer/claims/{claim_id}/{path}", data={"csrftoken": token, **form})
        assert r.status_code == 403, path
    home = rival.get("/insurer")
    assert home.status_code == 200 and f'data-claim="{claim_id}"' not in rival.get("/insurer/claims").text
    assert 'data-figure="waiting">0<' in home.text

    merchant, mtoken = _pages(app, keys.merchant)
    for path in ("/insurer", "/insurer/claims", f"/insurer/claims/{claim_id}"):
        r = merchant.get(path)
        assert r.status_code == 403 and "保险机构页面只对保险机构开放" in r.text, path
    r = merchant.post(f"/insurer/claims/{claim_id}/decision", data={"csrftoken": mtoken, "approve": "true"})
    assert r.status_code == 403

    desk, _ = _pages(app, keys.insurer)
    for path, form in (("decision", {"approve": "true"}), ("payment", {}), ("recovery", {"amount": "1.00"})):
        r = desk.post(f"/insurer/claims/{claim_id}/{path}", data=form)
        assert r.status_code == 403 and "表单已失效" in r.text, path
    c = _claim(db, claim_id)
    assert (c.status, c.decided_by) == ("submitted", "")
