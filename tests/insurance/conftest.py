"""Small factories for insurance tests: an insurer's product, a merchant's released units, a grade set
through real credit records, and a bound policy."""

from __future__ import annotations

import itertools
from typing import Any

from core.clock import utcnow
from core.db import Database
from credit import service as credit
from tests.conftest import Keys
from tests.traceability.conftest import Flow

_keys = itertools.count(1)

PRODUCT = {
    "code": "QI-CBEC",
    "name_zh": "跨境商品品质险",
    "name_en": "Cross-border quality insurance",
    "cover_per_unit_minor": 5_000_00,
    "aggregate_limit_minor": 200_000_00,
    "deductible_minor": 100_00,
    "base_rate_per_mille": "3.35",
    "waiting_days": 0,
    "claim_window_days": 30,
    "categories": ["infant_formula", "food", "cosmetics"],
}


def product(client, keys: Keys, **over: Any) -> dict:
    body = PRODUCT | over
    r = client.post(
        f"/api/v1/enterprises/{keys.insurer_id}/insurance/products",
        json=body,
        headers=Keys.header(keys.insurer),
    )
    assert r.status_code == 201, r.text
    return r.json()


# Records that move a new merchant (850, B) to each grade: +50 is 900 (A), -160 is 690 (C); serious
# dishonesty caps the grade at D whatever the points.
GRADE_RECORDS = {
    "A": [("commendation", "general")],
    "B": [],
    "C": [("complaint_upheld", "serious"), ("complaint_upheld", "serious")],
    "D": [("serious_dishonesty", "general")],
}


def set_grade(db: Database, enterprise_id: int, grade: str) -> None:
    with db.transaction() as s:
        credit.recompute(s, enterprise_id, "test")
        for kind, severity in GRADE_RECORDS[grade]:
            credit.add_record(
                s,
                enterprise_id=enterprise_id,
                kind=kind,
                severity=severity,
                occurred_at=utcnow(),
                title_zh=f"测试记录 {kind}",
                source_type="manual",
                source_key=f"test:{next(_keys)}",
                actor="test",
            )
        credit.recompute(s, enterprise_id, "test")
        assert credit.grade_code(s, enterprise_id) == grade


def quote(client, keys: Keys, product_id: int, key: str | None = None, **over: Any):
    return client.post(
        f"/api/v1/enterprises/{keys.merchant_id}/insurance/quotes",
        json={"product_id": product_id} | over,
        headers=Keys.header(key or keys.merchant),
    )


def bind(client, keys: Keys, policy_id: int, key: str | None = None):
    return client.post(
        f"/api/v1/insurance/policies/{policy_id}/bind", headers=Keys.header(key or keys.merchant)
    )


def insure(client, keys: Keys, product_id: int, **over: Any) -> dict:
    q = quote(client, keys, product_id, **over)
    assert q.status_code == 201, q.text
    b = bind(client, keys, q.json()["id"])
    assert b.status_code == 200, b.text
    return b.json()


def released_units(client, keys: Keys, quantity: int = 10, **product_over: Any) -> tuple[dict, list[str]]:
    """A released lot of 100 units at 199.00 CNY each, with `quantity` codes issued; their serials."""
    flow = Flow(client, keys)
    prod, _decl, codes = flow.released_codes(quantity=quantity, **product_over)
    return prod, [c["serial"] for c in codes]
