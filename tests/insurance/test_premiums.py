"""Products, quotes and binding: the premium table by grade, declared value and period against numbers
computed by hand, rounding to the fen, a grade change mid-period, grade D and the bond, and who may
touch whose policy."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import ROUND_HALF_EVEN

import pytest

from core.clock import clock
from core.money import Money
from core.security import Role, create_key
from insurance import pricing
from tests.conftest import Keys, register
from tests.insurance.conftest import bind, insure, product, quote, set_grade
from tests.traceability.conftest import Flow


def test_rounding_is_half_up_to_the_fen_once():
    # 19,900.00 yuan x 3.35 per mille = 66.665 yuan: half-up gives 66.67, banker's would give 66.66.
    p = pricing.premium(Money(1_990_000), "3.35", "1.0")
    assert p.premium == Money(6667)
    assert Money(1_990_000).scale("0.00335", rounding=ROUND_HALF_EVEN) == Money(6666)
    assert (
        p.arithmetic["unrounded_minor"] == "6666.5"
        and p.arithmetic["formula"] == "19900.00 × 3.35‰ × 1.0 = 66.665"
    )
    # Rounded once on the product, not per factor: 66.665 x 0.8 = 53.332 -> 53.33 (not 66.67 x 0.8 = 53.34).
    assert pricing.premium(Money(1_990_000), "3.35", "0.8").premium == Money(5333)
    # A minimum premium applies when the rated one is lower, and says so.
    small = pricing.premium(Money(1000), "3.35", "1.0", Money(50_00))
    assert small.premium == Money(50_00) and small.arithmetic["minimum_applied"] is True


def _release(flow: Flow, quantity: int, unit_value_minor: int) -> None:
    prod = flow.product()
    line = {
        "product_id": prod["id"],
        "lot": f"L{quantity}",
        "production_date": "2026-09-01",
        "expiry_date": "2028-08-31",
        "quantity": quantity,
        "unit_value": {"amount_minor": unit_value_minor, "currency": "CNY"},
    }
    decl = flow.declare(prod["id"], lines=[line])
    flow.inspect(decl)
    flow.release(decl)


# grade, period -> declared value in the window and premium at 3.35 per mille, computed by hand:
#   365 days: 19,900.00 + 9,950.00 = 29,850.00 yuan;  90 days: only the later 9,950.00 yuan.
#   29,850.00 x 3.35 per mille = 99.9975 yuan;  9,950.00 x 3.35 per mille = 33.3325 yuan.
PREMIUMS = [
    ("A", 365, 2_985_000, 8000),  # 99.9975 x 0.8 = 79.998   -> 80.00
    ("B", 365, 2_985_000, 10000),  # 99.9975 x 1.0           -> 100.00
    ("C", 365, 2_985_000, 15000),  # 99.9975 x 1.5 = 149.99625 -> 150.00
    ("A", 90, 995_000, 2667),  # 33.3325 x 0.8 = 26.666    -> 26.67
    ("B", 90, 995_000, 3333),  # 33.3325                   -> 33.33
    ("C", 90, 995_000, 5000),  # 33.3325 x 1.5 = 49.99875 -> 50.00
]


def test_premium_table_by_grade_declared_value_and_period(client, db, keys: Keys, dispatcher):
    prod = product(client, keys)
    merchants = {grade: _merchant(db, keys) for grade in ("A", "B", "C")}
    for k in merchants.values():
        _release(Flow(client, k), 100, 199_00)  # 19,900.00 yuan, released now
    clock.advance(timedelta(days=200))
    for k in merchants.values():
        _release(Flow(client, k), 50, 199_00)  # 9,950.00 yuan, released 200 days later
    dispatcher.drain()
    for grade, k in merchants.items():
        set_grade(db, k.merchant_id, grade)
    for grade, period, value, premium in PREMIUMS:
        r = quote(client, merchants[grade], prod["id"], period_days=period)
        assert r.status_code == 201, r.text
        q = r.json()
        assert (q["grade"], q["declared_value_minor"], q["premium_minor"]) == (grade, value, premium), (
            grade,
            period,
        )
        assert q["arithmetic"]["rounding"].startswith("ROUND_HALF_UP")
        assert q["arithmetic"]["multiplier"] == {"A": "0.8", "B": "1.0", "C": "1.5"}[grade]
        assert q["status"] == "quoted"


def _merchant(db, keys: Keys) -> Keys:
    m = register(db, name_zh="新跨境公司")
    with db.transaction() as s:
        key = create_key(s, Role.merchant, m.id)
    return replace(keys, merchant=key, merchant_id=m.id)


def test_quote_binds_into_a_policy_that_keeps_its_terms_and_premium(client, db, keys: Keys, dispatcher):
    prod = product(client, keys)
    Flow(client, keys).released_codes(quantity=1)
    dispatcher.drain()
    policy = insure(client, keys, prod["id"])
    assert policy["status"] == "active" and policy["grade"] == "B" and policy["premium_minor"] == 6667
    assert policy["cover_per_unit_minor"] == 5_000_00 and policy["policy_no"].startswith("CTI")
    # a new version of the product changes new quotes, not the bound policy
    v2 = product(client, keys, cover_per_unit_minor=3_000_00, base_rate_per_mille="5")
    assert v2["version"] == 2 and v2["code"] == prod["code"]
    listed = client.get("/api/v1/insurance/products", headers=Keys.header(keys.merchant)).json()
    assert [p["id"] for p in listed] == [v2["id"]]
    again = client.get(
        f"/api/v1/insurance/policies/{policy['id']}", headers=Keys.header(keys.merchant)
    ).json()
    assert again["cover_per_unit_minor"] == 5_000_00 and again["product_id"] == prod["id"]
    # the old version cannot be quoted any more, and a second policy cannot overlap the first
    assert quote(client, keys, prod["id"]).status_code == 409
    overlap = quote(client, keys, v2["id"]).json()
    r = bind(client, keys, overlap["id"])
    assert r.status_code == 409 and "already has policy" in r.json()["detail"]


def test_a_grade_change_mid_period_is_never_retroactive_and_renewal_rerates(
    client, db, keys: Keys, dispatcher
):
    prod = product(client, keys)
    Flow(client, keys).released_codes(quantity=1)
    dispatcher.drain()
    policy = insure(client, keys, prod["id"], period_days=365)
    assert policy["premium_minor"] == 6667  # B

    clock.advance(timedelta(days=180))
    set_grade(db, keys.merchant_id, "C")
    mid = client.get(f"/api/v1/insurance/policies/{policy['id']}", headers=Keys.header(keys.merchant)).json()
    assert (mid["status"], mid["grade"], mid["premium_minor"]) == ("active", "B", 6667)

    clock.advance(timedelta(days=180))
    renewal = client.post(
        f"/api/v1/insurance/policies/{policy['id']}/renewal", headers=Keys.header(keys.merchant)
    )
    assert renewal.status_code == 201, renewal.text
    r = renewal.json()
    # re-rated at C on what was released in the last 365 days (the same lot): 66.665 x 1.5 = 99.9975 -> 100.00
    assert (r["grade"], r["premium_minor"], r["renewal_of"]) == ("C", 10000, policy["id"])
    assert r["starts_at"] == policy["ends_at"] and r["cover_from"] == r["starts_at"]  # no waiting on renewal

    # the grade falls to D before renewal: the renewal is suspended, the running policy still covers
    set_grade(db, keys.merchant_id, "D")
    suspended = client.post(
        f"/api/v1/insurance/policies/{policy['id']}/renewal", headers=Keys.header(keys.merchant)
    )
    assert suspended.status_code == 201 and suspended.json()["status"] == "suspended"
    assert "grade D" in suspended.json()["status_reason"]
    running = client.get(
        f"/api/v1/insurance/policies/{policy['id']}", headers=Keys.header(keys.merchant)
    ).json()
    assert running["status"] == "active"


def test_binding_a_quote_after_the_grade_changed_needs_a_new_quote(client, db, keys: Keys, dispatcher):
    prod = product(client, keys)
    dispatcher.drain()
    q = quote(client, keys, prod["id"]).json()
    set_grade(db, keys.merchant_id, "C")
    r = bind(client, keys, q["id"])
    assert r.status_code == 409 and "from B to C" in r.json()["detail"]


def test_grade_d_needs_a_bond_where_the_product_allows_it(client, db, keys: Keys, dispatcher):
    plain = product(client, keys)
    bonded = product(
        client,
        keys,
        code="QI-BOND",
        multipliers={"A": "0.8", "B": "1", "C": "1.5", "D": "3"},
        d_min_bond_minor=50_000_00,
    )
    dispatcher.drain()
    set_grade(db, keys.merchant_id, "D")
    r = quote(client, keys, plain["id"])
    assert r.status_code == 409 and r.json()["reason_code"] == "grade_not_eligible"
    assert r.json()["errors"][0]["field"] == "grade"
    r = quote(client, keys, bonded["id"], bond_minor=10_000_00)
    assert r.status_code == 409 and r.json()["reason_code"] == "bond_required"
    assert r.json()["errors"][0]["field"] == "bond_minor"
    r = quote(client, keys, bonded["id"], bond_minor=50_000_00)
    assert r.status_code == 201 and r.json()["grade"] == "D" and r.json()["arithmetic"]["multiplier"] == "3"


def test_nobody_touches_a_policy_or_product_that_is_not_theirs(client, db, keys: Keys, dispatcher):
    prod = product(client, keys)
    dispatcher.drain()
    q = quote(client, keys, prod["id"]).json()
    # another merchant can neither bind nor see it, nor quote for this merchant
    assert bind(client, keys, q["id"], key=keys.other_merchant).status_code == 403
    assert (
        client.get(
            f"/api/v1/insurance/policies/{q['id']}", headers=Keys.header(keys.other_merchant)
        ).status_code
        == 403
    )
    assert quote(client, keys, prod["id"], key=keys.other_merchant).status_code == 403
    # another insurer cannot see it, nor offer products in this insurer's name
    other = register(db, "insurer", name_zh="另一家保险公司")
    with db.transaction() as s:
        other_key = create_key(s, Role.insurer, other.id)
    assert (
        client.get(f"/api/v1/insurance/policies/{q['id']}", headers=Keys.header(other_key)).status_code == 403
    )
    r = client.post(
        f"/api/v1/enterprises/{keys.insurer_id}/insurance/products",
        json={"code": "X"},
        headers=Keys.header(other_key),
    )
    assert r.status_code == 403
    # a merchant cannot offer products, an insurer cannot bind
    assert (
        client.post(
            f"/api/v1/enterprises/{keys.merchant_id}/insurance/products",
            json={},
            headers=Keys.header(keys.merchant),
        ).status_code
        == 403
    )
    assert bind(client, keys, q["id"], key=keys.insurer).status_code == 403
    # the underwriting insurer sees it
    assert (
        client.get(f"/api/v1/insurance/policies/{q['id']}", headers=Keys.header(keys.insurer)).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"base_rate_per_mille": "-1"}, "base_rate_per_mille"),
        ({"base_rate_per_mille": "0.00001"}, "base_rate_per_mille"),
        ({"cover_per_unit_minor": 10**14}, "cover_per_unit_minor"),
        ({"cover_per_unit_minor": 300_000_00}, "cover_per_unit_minor cannot exceed"),
        ({"multipliers": {"A": "0.8"}}, "multipliers needs grades"),
        ({"multipliers": {"A": "0.8", "B": "1", "C": "1.5", "D": "3"}}, "go together"),
        ({"categories": ["spaceships"]}, "categories"),
        ({"currency": "XYZ"}, "currency"),
        ({"waiting_days": 400}, "waiting_days"),
    ],
)
def test_bad_products_are_refused_naming_the_field(client, keys: Keys, over, field):
    from tests.insurance.conftest import PRODUCT

    r = client.post(
        f"/api/v1/enterprises/{keys.insurer_id}/insurance/products",
        json=PRODUCT | over,
        headers=Keys.header(keys.insurer),
    )
    assert r.status_code == 422, r.text
    assert field in r.text


def test_bad_quotes_are_refused(client, keys: Keys, dispatcher):
    prod = product(client, keys)
    dispatcher.drain()
    assert quote(client, keys, prod["id"], period_days=5).status_code == 422
    assert quote(client, keys, prod["id"], starts_on="2020-01-01").json()["errors"][0]["field"] == "starts_on"
    assert quote(client, keys, 999_999).status_code == 404


def test_two_quotes_bound_at_the_same_moment_make_one_policy(client, db, keys: Keys, dispatcher):
    import threading

    from core.errors import Conflict
    from core.security import SYSTEM
    from insurance import service

    prod = product(client, keys)
    dispatcher.drain()
    quotes = [quote(client, keys, prod["id"]).json()["id"] for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[object] = [None, None]

    def bind_one(i: int) -> None:
        barrier.wait()
        try:
            with db.transaction() as s:  # each thread its own connection
                outcomes[i] = service.bind(s, quotes[i], SYSTEM).status
        except Conflict as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=bind_one, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(map(str, outcomes)).count("active") == 1, outcomes
    assert any(isinstance(o, Conflict) and "already has policy" in o.detail for o in outcomes)
