"""The merchant forms over HTTP, on SQLite and PostgreSQL: a declaration posted twice with one form's
key is one declaration, bad fields are a 422 form naming them as the API does, ids out of range are a
page (never a 500), the repair advice's figures are the scorecard's own, and a complaint's claim is what
the tracking page shows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from api import demo, demo_insurance
from core.clock import utcnow
from credit import methodology
from credit import service as credit
from credit.scorecard import score
from credit.standing import entry_of
from enterprises.models import Enterprise
from tests.testclient import TestClient
from traceability import service as trace

pytestmark = pytest.mark.demo_seeded  # every test starts from the demo as `demo.seed` leaves it


def _client(app, key: str) -> tuple[TestClient, str]:
    client = TestClient(app, follow_redirects=False)
    client.get("/signin")
    token = client.cookies["csrftoken"]
    assert client.post("/signin", data={"key": key, "csrftoken": token}).status_code == 303
    return client, token


def _seeded(db, keys: dict[str, str]) -> tuple[dict[str, str], Enterprise]:  # noqa: ANN001
    """The demo's keys and first merchant (the database holds the demo: `demo_seeded`)."""
    with db.read_session() as s:
        merchant = s.exec(
            select(Enterprise).where(Enterprise.kind == "merchant").order_by(Enterprise.id)
        ).first()
    return keys, merchant


def _declaration_form(product_id: int, token: str, **over: str) -> dict[str, str]:
    form = {
        "csrftoken": token,
        "idempotency_key": "form-key-1",
        "declaration_no": "310520261000555555",
        "transport_doc_type": "bill_of_lading",
        "transport_doc_no": "MSKU5555555",
        "arrival_port": "CNNGB",
        "bonded_warehouse": "宁波保税区一号仓",
        "declared_on": utcnow().date().isoformat(),
        "lines.0.product_id": str(product_id),
        "lines.0.lot": "HTTP2611",
        "lines.0.quantity": "30",
        "lines.0.expiry_date": "2029-01-31",
        "lines.0.unit_value": "99.90",
        "lines.0.currency": "CNY",
        "lines.1.currency": "CNY",  # an empty row: only its hidden currency
    }
    return form | over


def test_a_declaration_posted_twice_is_one_and_bad_fields_are_named(app, db, seeded_keys):
    keys, merchant = _seeded(db, seeded_keys)
    with TestClient(app):
        client, token = _client(app, keys["merchant"])
        with db.read_session() as s:
            product = trace.list_products(s, merchant.id)[0]
            before = len(trace.list_declarations(s, merchant.id, 500, 0))

        bad = client.post(
            "/merchant/declarations",
            data=_declaration_form(
                product.id, token, **{"arrival_port": "XXNGB", "lines.0.lot": "", "lines.0.quantity": "0"}
            ),
        )
        assert bad.status_code == 422
        for field in ("arrival_port", "lines.0.quantity"):
            assert f'data-error="{field}"' in bad.text, field
        assert 'value="99.90"' in bad.text  # kept

        first = client.post("/merchant/declarations", data=_declaration_form(product.id, token))
        again = client.post("/merchant/declarations", data=_declaration_form(product.id, token))
        assert first.status_code == again.status_code == 303
        assert first.headers["location"] == again.headers["location"]
        with db.read_session() as s:
            decls = trace.list_declarations(s, merchant.id, 500, 0)
            assert len(decls) == before + 1
            new = next(d for d in decls if d.declaration_no == "310520261000555555")
            (line,) = trace.lines_of(s, new.id)
            assert (line.lot, line.quantity, line.unit_value_minor) == ("HTTP2611", 30, 9990)

        # The same number under a new form (another key): the service's conflict, a page, not a 500.
        clash = client.post(
            "/merchant/declarations", data=_declaration_form(product.id, token, idempotency_key="form-key-2")
        )
        assert clash.status_code == 409 and 'data-error="declaration_no"' in clash.text
        assert "already exists" in clash.text

        for path in ("/merchant/declarations/99999999999999999999", "/merchant/insurance/policies/0"):
            page = client.get(path)
            assert page.status_code == 422 and 'data-status="422"' in page.text, path


def test_a_product_with_bad_fields_is_a_form_naming_them(app, db, seeded_keys):
    keys, _ = _seeded(db, seeded_keys)
    with TestClient(app):
        client, token = _client(app, keys["merchant"])
        bad = client.post(
            "/merchant/products",
            data={
                "csrftoken": token,
                "gtin": "123",
                "hs_code": "7700000000",
                "name_zh": "",
                "category": "toys",
            },
        )
        assert bad.status_code == 422
        for field in ("gtin", "hs_code", "name_zh", "origin_country", "category"):
            assert f'data-error="{field}"' in bad.text, field


def test_repair_advice_is_the_scorecard_recomputed_without_each_record(db, seeded_keys):
    _, merchant = _seeded(db, seeded_keys)
    now = utcnow()
    with db.transaction() as s:
        old, _ = credit.add_record(
            s,
            enterprise_id=merchant.id,
            kind="administrative_penalty",
            severity="general",
            occurred_at=now - timedelta(days=100),
            title_zh="旧处罚",
            source_type="manual",
            source_key="advice:1",
            actor="system:test",
        )
        recent, _ = credit.add_record(
            s,
            enterprise_id=merchant.id,
            kind="administrative_penalty",
            severity="serious",
            occurred_at=now - timedelta(days=10),
            title_zh="新处罚",
            source_type="manual",
            source_key="advice:2",
            actor="system:test",
        )
    with db.read_session() as s:
        advice = credit.repair_advice(s, merchant.id, now)
        card, records = credit.compute(s, merchant.id, now)
        m = methodology.current()
    by_id = {a["record"]["id"]: a for a in advice["records"]}
    assert by_id[old.id]["state"] == "repairable" and by_id[recent.id]["state"] == "wait"
    assert [a["record"]["id"] for a in advice["records"]][0] == recent.id  # the largest deduction first
    for r in (old, recent):
        without = score(m, (entry_of(x) for x in records if x.id != r.id), now)
        assert by_id[r.id]["score_if_repaired"] == without.score > card.score
        assert by_id[r.id]["grade_if_repaired"] == without.grade
    assert advice["score"] == card.score and advice["grade"] == card.grade
    if advice["next_grade"]:
        assert advice["points_needed"] == round(advice["next_grade"]["min"] - card.score, 1)


def test_a_complaints_claim_is_found_by_case_and_else_by_its_unit(app, db):
    from insurance import claims

    with TestClient(app):
        demo.issue_demo_codes(db, app.state.keyring, per_line=4)
        info = demo_insurance.seed_insurance(db)
    serial = info["claimed_scan"].split("/21/")[1].split("?")[0]
    with db.read_session() as s:
        found = claims.claim_of_case(s, 10**9, serial)
        assert found is not None and found["status"] in ("approved", "paid")
        assert "account_masked" not in found and "account_cipher" not in found
        assert claims.claim_of_case(s, 10**9, None) is None
        assert claims.claim_of_case(s, 10**9, "NOSUCHSERIAL") is None


def test_a_policy_in_its_waiting_period_says_from_when_the_scan_is_covered(app, db, seeded_keys):
    from urllib.parse import urlsplit

    from core.security import SYSTEM
    from insurance import service as insurance
    from insurance.schemas import ProductCreate, QuoteRequest

    _, merchant = _seeded(db, seeded_keys)
    with db.transaction() as s:
        insurer = s.exec(select(Enterprise).where(Enterprise.kind == "insurer")).first()
        credit.recompute(s, merchant.id, "test")
        product = insurance.create_product(
            s,
            insurer.id,
            ProductCreate(
                code="QI-WAIT",
                name_zh="品质险（等待期 10 天）",
                cover_per_unit_minor=1_000_00,
                aggregate_limit_minor=100_000_00,
                base_rate_per_mille="3",
                waiting_days=10,
                categories=[
                    "infant_formula",
                    "food",
                    "health_supplement",
                    "cosmetics",
                    "maternal_baby",
                    "other",
                ],
            ),
            SYSTEM,
        )
        insurance.bind(
            s, insurance.quote(s, merchant.id, QuoteRequest(product_id=product.id), SYSTEM).id, SYSTEM
        )
        cover = insurance.enterprise_cover(s, merchant.id)
        assert cover is not None and cover["waiting"] is True
        assert (
            cover["waiting"]
            is not insurance.enterprise_cover(s, merchant.id, utcnow() + timedelta(days=11))["waiting"]
        )
    with TestClient(app) as client:
        url = urlsplit(demo.issue_demo_codes(db, app.state.keyring, per_line=4)[0])
        page = client.get(f"{url.path}?{url.query}", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert 'data-field="cover"' in page.text and "起生效" in page.text
