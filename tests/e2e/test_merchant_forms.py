"""The merchant's forms in Chromium, at phone and desktop width: declaring an import (a bad field shown
beside it, then the declaration's page), registering a product and granting its GTIN, a quote bound
into a policy (and its cover on the consumer's scan page), repair advice and a repair application;
plus what must be refused: a form without its CSRF token, another merchant's ids, `<script>` run."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from sqlmodel import select

from api import demo, demo_insurance
from core.clock import utcnow
from core.security import SYSTEM, Role, create_key
from credit import service as credit
from enterprises.models import Enterprise
from tests.conftest import register
from tests.e2e.pages_kit import axe_check, screenshot, sign_in
from tests.e2e.test_complaint_pages import BUDGET, _weight
from traceability.codes import gtin_with_check

SCRIPT = "<script>window.pwned=1</script>"


def _merchant(db) -> Enterprise:  # noqa: ANN001
    with db.read_session() as s:
        return s.exec(select(Enterprise).where(Enterprise.kind == "merchant").order_by(Enterprise.id)).first()


def _offer_insurance(db, merchant_id: int) -> None:  # noqa: ANN001
    """An insurer's product on offer, and the merchant rated (premiums are priced by grade)."""
    from insurance import service as insurance
    from insurance.schemas import ProductCreate

    with db.transaction() as s:
        insurer = s.exec(select(Enterprise).where(Enterprise.kind == "insurer")).first()
        credit.recompute(s, merchant_id, "test")
        insurance.create_product(
            s,
            insurer.id,
            ProductCreate(
                code="QI-E2E",
                name_zh="跨境进口商品品质保证保险",
                name_en="Cross-border goods quality insurance",
                cover_per_unit_minor=5_000_00,
                aggregate_limit_minor=500_000_00,
                deductible_minor=100_00,
                min_premium_minor=500_00,
                base_rate_per_mille="3.5",
                claim_window_days=90,
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


def test_merchant_declares_from_the_page_and_a_bad_field_is_shown_beside_it(demo_server, demo_keys, page):
    base, db, _ = demo_server
    keys = demo_keys
    sign_in(page, base, keys["merchant"])
    page.click("[data-field=links] a[href='/merchant/declarations/new']")
    page.wait_for_url("**/merchant/declarations/new")
    axe_check(page, "merchant-declare")

    page.fill("#f-declaration_no", "31052026100077777")  # 17 digits: the server names the field
    page.fill("#f-transport_doc_no", "MSKU8888888")
    page.fill("#f-bonded_warehouse", "宁波保税区一号仓")
    page.select_option("#f-lines-0-product_id", index=1)
    page.fill("#f-lines-0-lot", "E2E2611A")
    page.fill("#f-lines-0-quantity", "120")
    page.fill("#f-lines-0-expiry_date", "2029-06-30")
    page.fill("#f-lines-0-unit_value", "12.345")  # three decimals: refused, beside the line's field
    page.click("form[data-form=declare] button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith("/merchant/declarations")
    error = page.locator("[data-error='declaration_no']")
    assert "18 digits" in error.inner_text()
    assert page.get_attribute("#f-declaration_no", "aria-describedby") == "err-declaration_no"
    assert page.get_attribute("#f-declaration_no", "aria-invalid") == "true"
    assert "two decimals" in page.inner_text("[data-error='lines.0.unit_value']")
    assert page.input_value("#f-lines-0-lot") == "E2E2611A"  # what was typed is kept
    axe_check(page, "merchant-declare-errors")

    page.fill("#f-declaration_no", "310520261000777777")
    page.fill("#f-lines-0-unit_value", "168.00")
    page.click("form[data-form=declare] button[type=submit]")
    page.wait_for_url("**/merchant/declarations/*?declared=1")
    assert page.get_attribute("[data-field=status]", "data-status") == "declared"
    assert "E2E2611A" in page.inner_text("section[data-line='1']")
    assert page.locator("[data-field=declared]").count() == 1
    axe_check(page, "merchant-declared")


def test_merchant_registers_a_product_grants_its_gtin_and_script_names_are_escaped(
    demo_server, demo_keys, page
):
    base, db, _ = demo_server
    keys = demo_keys
    partner = register(db, name_zh=f"伙伴{SCRIPT}贸易有限公司", name_en="Partner")
    sign_in(page, base, keys["merchant"])
    page.goto(f"{base}/merchant/products")
    axe_check(page, "merchant-products")

    gtin = gtin_with_check("694123450077")
    page.fill("#f-gtin", gtin[:-1] + str((int(gtin[-1]) + 1) % 10))  # the check digit wrong
    page.fill("#f-hs_code", "0402211000")
    page.fill("#f-name_zh", f"婴儿奶粉{SCRIPT}")
    page.fill("#f-origin_country", "nz")
    page.select_option("#f-category", "infant_formula")
    page.click("form[data-form=product] button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("[data-error=gtin]").count() == 1
    assert page.input_value("#f-name_zh") == f"婴儿奶粉{SCRIPT}"

    page.fill("#f-gtin", gtin)
    page.click("form[data-form=product] button[type=submit]")
    page.wait_for_url("**/merchant/products?added=*")
    row = page.locator("[data-table=products] tr", has_text="婴儿奶粉")
    assert row.locator("[data-field=name]").inner_text() == f"婴儿奶粉{SCRIPT}"  # text, not markup
    assert page.evaluate("window.pwned") is None

    page.select_option("#g-gtin", gtin.zfill(14))
    page.fill("#g-grantee_uscc", partner.uscc)
    page.click("form[data-form=grant] button[type=submit]")
    page.wait_for_url("**/merchant/products?granted=1")
    grant = page.locator("[data-table=grants] tr", has_text=gtin.zfill(14))
    assert f"伙伴{SCRIPT}贸易有限公司" in grant.inner_text()
    assert page.evaluate("window.pwned") is None
    axe_check(page, "merchant-products-granted")

    # The new product is offered on the declaration form, its name escaped there too.
    page.goto(f"{base}/merchant/declarations/new")
    assert f"婴儿奶粉{SCRIPT}" in page.inner_text("#f-lines-0-product_id")
    assert page.evaluate("window.pwned") is None
    assert SCRIPT not in page.content()


def test_merchant_gets_a_quote_binds_it_and_the_scan_page_shows_the_cover(
    demo_server, demo_keys, page, browser
):
    base, db, app = demo_server
    keys = demo_keys
    merchant = _merchant(db)
    _offer_insurance(db, merchant.id)
    sign_in(page, base, keys["merchant"])
    page.goto(f"{base}/merchant/insurance")
    assert page.locator("[data-table=policies]").count() == 0
    axe_check(page, "merchant-insurance")
    page.click("form[data-form=quote] button[type=submit]")
    page.wait_for_url("**/merchant/insurance/policies/*?quoted=1")
    assert page.get_attribute("[data-field=status]", "data-status") == "quoted"
    assert page.inner_text("[data-field=premium]").startswith("¥")  # the one money format
    axe_check(page, "merchant-quote")
    page.click("form[data-form=bind] button[type=submit]")
    page.wait_for_url("**/merchant/insurance/policies/*?bound=1")
    assert page.get_attribute("[data-field=status]", "data-status") == "active"
    assert page.locator("form[data-form=bind]").count() == 0
    page.goto(f"{base}/merchant/insurance")
    assert page.locator("[data-table=policies] tr[data-status=active]").count() == 1

    # The consumer scanning one of the merchant's items reads the cover and how to claim, on a page
    # still within its weight budget.
    urls = demo.issue_demo_codes(db, app.state.keyring, per_line=4)
    scan = urlsplit(urls[0])
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    consumer = phone.new_page()
    consumer.goto(f"{base}{scan.path}?{scan.query}")
    cover = consumer.inner_text("[data-field=cover]")
    assert "¥5,000.00" in cover and "承保" in cover
    assert "投诉此商品" in consumer.inner_text("[data-field=how-to-claim]")
    assert _weight(consumer, base) < BUDGET
    axe_check(consumer, "scan-insured")
    consumer.goto(f"{base}{scan.path}?{scan.query}&lang=en")
    assert "per item" in consumer.inner_text("[data-field=cover]")
    phone.close()


def test_the_demo_scan_shows_the_cover_and_the_complaint_shows_its_claim(demo_server, browser):
    base, db, app = demo_server
    demo.issue_demo_codes(db, app.state.keyring, per_line=4)
    info = demo_insurance.seed_insurance(db)
    claimed = urlsplit(info["claimed_scan"])
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = phone.new_page()
    page.goto(f"{base}{claimed.path}?{claimed.query}")
    assert "承保品质险" in page.inner_text("[data-field=cover]")
    page.click("a[data-link=complain]")
    page.wait_for_url("**/complaints/new?code=**")
    page.select_option("#category", "quality")
    page.select_option("#wanted", "compensation")
    page.fill("#narrative", "奶粉结块，已向保险公司理赔，想了解进度。")
    page.fill("#contact", "13800138000")
    page.click("#complaint button[type=submit]")
    page.wait_for_url("**/complaints/track?token=**")
    claim = page.locator("[data-field=claim-status]")
    assert claim.get_attribute("data-status") in ("approved", "paid")
    assert claim.inner_text() in ("已核准，等待赔付", "已赔付")
    axe_check(page, "complaint-track-claim")
    phone.close()


def test_merchant_sees_repair_advice_and_applies_for_repair(demo_server, demo_keys, page):
    base, db, _ = demo_server
    keys = demo_keys
    merchant = _merchant(db)
    with db.transaction() as s:
        record, _ = credit.add_record(
            s,
            enterprise_id=merchant.id,
            kind="administrative_penalty",
            severity="general",
            occurred_at=utcnow() - timedelta(days=120),  # past the 90 days a general record waits
            title_zh=f"进口食品中文标签不规范{SCRIPT}",
            source_type="manual",
            source_key="e2e:penalty:1",
            actor="system:test",
            reason="测试",
        )
        credit.recompute(s, merchant.id, "test")
    sign_in(page, base, keys["merchant"])
    page.goto(f"{base}/merchant/credit")
    row = page.locator(f"[data-table=advice] tr[data-record='{record.id}']")
    assert row.get_attribute("data-state") == "repairable"
    assert row.locator("[data-field=title]").inner_text() == f"进口食品中文标签不规范{SCRIPT}"
    score_now = float(page.inner_text("[data-field=score]"))
    if_repaired = float(row.locator("[data-field=if-repaired]").inner_text().split(" ")[0])
    assert if_repaired > score_now
    assert page.evaluate("window.pwned") is None
    axe_check(page, "merchant-credit")

    form = page.locator(f"section[data-act='{record.id}'] form[data-form=repair]")
    form.locator("textarea[name=evidence]").fill("已按规定更正全部中文标签，并完成员工培训。")
    form.locator("input[name=evidence_ref]").fill("整改报告 2026-11")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/merchant/credit?repair=1*")
    assert page.locator("[data-field=applied]").count() == 1
    assert page.locator("[data-table=applications] tr[data-status=pending]").count() == 1
    row = page.locator(f"[data-table=advice] tr[data-record='{record.id}']")
    assert row.get_attribute("data-state") == "repair_pending"
    assert page.locator(f"section[data-act='{record.id}'] form[data-form=repair]").count() == 0
    axe_check(page, "merchant-credit-applied")


def test_forms_without_csrf_and_another_merchants_ids_are_refused(demo_server, demo_keys, page):
    base, db, _ = demo_server
    keys = demo_keys
    merchant = _merchant(db)
    _offer_insurance(db, merchant.id)
    from insurance import service as insurance
    from insurance.schemas import QuoteRequest
    from traceability import ownership
    from traceability import service as trace

    with db.transaction() as s:
        offer = insurance.list_products(s)[0]
        quote = insurance.quote(s, merchant.id, QuoteRequest(product_id=offer.id), SYSTEM)
        record, _ = credit.add_record(
            s,
            enterprise_id=merchant.id,
            kind="administrative_penalty",
            severity="minor",
            occurred_at=utcnow() - timedelta(days=5),
            title_zh="测试记录",
            source_type="manual",
            source_key="e2e:penalty:2",
            actor="system:test",
        )
        product = trace.list_products(s, merchant.id)[0]
    other = register(db, name_zh="另一家公司")
    with db.transaction() as s:
        grant, _ = ownership.grant(s, merchant.id, product.gtin, other.id, SYSTEM)
        key = create_key(s, Role.merchant, other.id)

    # Without the CSRF token every merchant form is refused (the demo merchant, signed in).
    sign_in(page, base, keys["merchant"])
    for path, form in (
        ("/merchant/declarations", {"declaration_no": "310520261000888888"}),
        ("/merchant/products", {"gtin": gtin_with_check("694123450099")}),
        ("/merchant/insurance/quotes", {"product_id": str(offer.id)}),
        (f"/merchant/insurance/policies/{quote.id}/bind", {}),
        (f"/merchant/insurance/policies/{quote.id}/renew", {}),
        (f"/merchant/insurance/policies/{quote.id}/cancel", {"reason": "不要了"}),
        ("/merchant/shipments", {"declaration_id": "1", "line_no": "1"}),
        (f"/merchant/credit/records/{record.id}/repairs", {"evidence": "x"}),
        (f"/merchant/credit/records/{record.id}/objections", {"reason": "x"}),
        (f"/merchant/gtin-grants/{grant.id}/revoke", {}),
    ):
        refused = page.request.post(base + path, form=form)
        assert refused.status == 403, path
        assert "表单已失效" in refused.text()
    with db.read_session() as s:
        assert insurance.get_policy(s, quote.id).status == "quoted"

    # Another merchant, signed in with a valid CSRF token, reaches none of the demo merchant's records.
    page.context.clear_cookies()
    sign_in(page, base, key)
    response = page.goto(f"{base}/merchant/insurance/policies/{quote.id}")
    assert response.status == 403
    assert page.get_attribute("article[data-status]", "data-status") == "403"
    assert quote.policy_no not in page.content()
    screenshot(page, "merchant-policy-403")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    for path, form in (
        (f"/merchant/insurance/policies/{quote.id}/bind", {}),
        (f"/merchant/insurance/policies/{quote.id}/renew", {}),
        (f"/merchant/insurance/policies/{quote.id}/cancel", {"reason": "不是我的保单"}),
        (f"/merchant/credit/records/{record.id}/repairs", {"evidence": "不是我的记录"}),
        (f"/merchant/credit/records/{record.id}/objections", {"reason": "不是我的记录"}),
        (f"/merchant/gtin-grants/{grant.id}/revoke", {}),
    ):
        posted = page.request.post(base + path, form={**form, "csrftoken": token})
        assert posted.status == 403, path
    # The demo merchant's product in another's declaration: declare's own refusal, the API's 422 naming
    # the line's product_id, shown beside the field.
    declared = page.request.post(
        base + "/merchant/declarations",
        form={
            "declaration_no": "310520261000999999",
            "transport_doc_type": "bill_of_lading",
            "transport_doc_no": "MSKU9999999",
            "arrival_port": "CNNGB",
            "bonded_warehouse": "宁波保税区一号仓",
            "declared_on": utcnow().date().isoformat(),
            "lines.0.product_id": str(product.id),
            "lines.0.lot": "OTHER1",
            "lines.0.quantity": "5",
            "lines.0.unit_value": "10",
            "lines.0.currency": "CNY",
            "csrftoken": token,
        },
    )
    assert declared.status == 422 and 'data-error="lines.0.product_id"' in declared.text()
    with db.read_session() as s:
        assert insurance.get_policy(s, quote.id).status == "quoted"
        assert credit.list_repairs(s, enterprise_id=merchant.id) == []
        assert credit.list_objections(s, enterprise_id=merchant.id) == []
        assert ownership.grants_of(s, merchant.id)[0].revoked_at is None
        assert not [d for d in trace.list_declarations(s, other.id, 10, 0)]
