"""The regulator's complaint desk and the insurer's desk in Chromium at 1366 px: the regulator takes a
case into mediation, confirms the defect, records the advance compensation paid and closes another case,
all from the console (the database checked after); the insurer decides and pays a claim and sees the loss
ratio move; axe-core finds nothing serious on any new page; another insurer's claim and a merchant's
session are refused with nothing changed; every form is refused without its CSRF token."""

from __future__ import annotations

import pytest

from complaints import service as complaints
from core.money import Money
from core.security import SYSTEM, Role, create_key
from insurance import claims
from insurance.models import InsuranceClaim
from tests.complaints.conftest import Cases, jpeg_with_exif
from tests.conftest import Keys, register
from tests.e2e.pages_kit import axe_check, screenshot, sign_in
from tests.insurance.conftest import insure, product
from tests.testclient import TestClient

WIDE = {"width": 1366, "height": 900}


@pytest.fixture(autouse=True)
def _every_word_in_the_glossary(caplog):
    """A page that shows a value the glossary does not know fails its test (never an internal value)."""
    yield
    unknown = [r.getMessage() for r in caplog.records if r.name == "crosstrust.glossary"]
    assert not unknown, unknown


def _keys(db) -> Keys:
    m1, m2, ins = (
        register(db),
        register(db, name_zh="另一家跨境公司"),
        register(db, "insurer", name_zh="测试保险公司"),
    )
    with db.transaction() as s:
        return Keys(
            admin=create_key(s, Role.admin),
            regulator=create_key(s, Role.regulator),
            merchant=create_key(s, Role.merchant, m1.id),
            other_merchant=create_key(s, Role.merchant, m2.id),
            insurer=create_key(s, Role.insurer, ins.id),
            merchant_id=m1.id,
            other_merchant_id=m2.id,
            insurer_id=ins.id,
        )


def _drain(live) -> None:
    from api import wiring

    wiring.dispatcher(
        live.db, live.app.state.search, live.app.state.complaint_kit, max_attempts=3, backoff_base=0.0001
    ).drain()


def _wide(browser):
    context = browser.new_context(viewport=WIDE, locale="zh-CN")
    return context, context.new_page()


def _check(page, name: str) -> None:
    axe_check(page, name)
    page.set_viewport_size(WIDE)
    screenshot(page, f"{name}-1366")


def _token(page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")


def test_the_regulator_mediates_pays_in_advance_and_closes_from_the_console(live_server, browser):
    base, db, app = live_server
    keys = _keys(db)
    api = TestClient(app)
    cases = Cases(api, keys)
    paid_case = cases.file(files=[jpeg_with_exif()])
    closed_case = cases.file(consent_publish="false")
    context, page = _wide(browser)
    try:
        sign_in(page, base, keys.regulator, "/console/complaints")
        assert page.url == f"{base}/console/complaints"
        _check(page, "desk-queue")
        page.select_option("#f-status", "received")
        page.click("form[data-form=filters] button[type=submit]")
        page.wait_for_url("**/console/complaints?*status=received*")
        assert page.locator("[data-table=filtered] tbody tr").count() == 2

        page.click(f"tr[data-complaint='{paid_case.id}'] a[data-link=case]")
        page.wait_for_url(f"**/console/complaints/{paid_case.id}")
        assert page.locator("ul.evidence img").count() == 1
        assert page.evaluate("document.querySelector('ul.evidence img').naturalWidth") > 0
        _check(page, "desk-case")
        page.click("form[data-form=contact] button[type=submit]")
        page.wait_for_load_state()
        assert page.inner_text("[data-field=contact]") == "13812345678"
        _check(page, "desk-case-contact")

        page.fill("#esc-reason", "商家七日内未联系消费者")
        page.click("form[data-form=escalation] button[type=submit]")
        page.wait_for_url("**?done=escalation")
        assert page.get_attribute("[data-field=status]", "data-status") == "mediation"
        page.check("#defect-yes")
        page.fill("#m-note", "检验确认奶粉结块")
        page.click("form[data-form=mediation] button[type=submit]")
        page.wait_for_url("**?done=mediation")
        assert page.get_attribute("[data-field=status]", "data-status") == "compensation_due"
        _check(page, "desk-case-compensation")
        assert page.input_value("#p-amount") == "1990.00"
        page.fill("#p-ref", "PAY-2026-0001")
        page.click("form[data-form=payment] button[type=submit]")
        page.wait_for_url("**?done=payment")
        assert page.get_attribute("[data-field=status]", "data-status") == "closed"
        screenshot(page, "desk-case-closed-1366")
        with db.read_session() as s:
            c = complaints.get(s, paid_case.id)
            assert (c.status, c.outcome, c.defect_confirmed, c.compensation_paid_minor) == (
                "closed",
                "upheld",
                True,
                1_990_00,
            )
            assert c.escalation_reason == "regulator"

        page.goto(f"{base}/console/complaints/{closed_case.id}")
        assert page.locator("[data-field=no-consent]").count() == 1
        page.select_option("#c-outcome", "resolved")
        page.fill("#c-note", "双方电话和解")
        page.click("form[data-form=close] button[type=submit]")
        page.wait_for_url("**?done=close")
        with db.read_session() as s:
            c = complaints.get(s, closed_case.id)
            assert (c.status, c.outcome) == ("closed", "resolved")

        page.goto(f"{base}/console/complaints/received")
        _check(page, "desk-receive")

        # The draw's public record, as a page anyone reads (no session needed).
        from credit import supervision
        from tests.traceability.conftest import Flow

        flow = Flow(api, keys)
        flow.declare(flow.product()["id"])
        with db.transaction() as s:
            draw = supervision.draw(s, ["张检", "李检"], SYSTEM, None)
        page.goto(f"{base}/console/draws/{draw.id}")
        page.click(f"a[href='/draws/{draw.id}']")
        page.wait_for_url(f"{base}/draws/{draw.id}")
        assert page.inner_text("[data-field=seed]") == draw.seed
        _check(page, "draw-public")
    finally:
        context.close()


def _claims(live, keys: Keys, api: TestClient) -> tuple[dict, int]:
    prod = product(api, keys)
    cases = Cases(api, keys)
    serial = cases.code()["serial"]
    _drain(live)
    policy = insure(api, keys, prod["id"])
    with live.db.transaction() as s:
        claim = claims.submit(
            s, serial, source="consumer", enterprise_id=keys.merchant_id, asked=Money(199_00, "CNY")
        )
    return policy, claim.id


def test_the_insurer_decides_and_pays_a_claim_and_sees_the_loss_ratio_move(live_server, browser):
    base, db, app = live_server
    keys = _keys(db)
    api = TestClient(app)
    policy, claim_id = _claims(live_server, keys, api)
    context, page = _wide(browser)
    try:
        sign_in(page, base, keys.insurer)
        assert page.url == f"{base}/insurer"  # an insurer's key lands on its desk
        ratio = "[data-table=loss-grade] [data-field=loss-ratio]"
        assert page.inner_text(ratio) == "0.0%"
        assert page.locator("svg[data-chart=bars]").count() >= 1
        _check(page, "insurer-desk")

        page.click("nav.topnav a[href='/insurer/claims']")
        page.wait_for_url(f"{base}/insurer/claims")
        _check(page, "insurer-claims")
        page.click(f"tr[data-claim='{claim_id}'] a[data-link=claim]")
        page.wait_for_url(f"**/insurer/claims/{claim_id}")
        _check(page, "insurer-claim")
        page.check("#approve-yes")
        page.click("form[data-form=decision] button[type=submit]")
        page.wait_for_url("**?done=decision")
        assert page.get_attribute("[data-field=status]", "data-status") == "approved"
        page.click("form[data-form=payment] button[type=submit]")
        page.wait_for_url("**?done=payment")
        assert page.get_attribute("[data-field=status]", "data-status") == "paid"
        with db.read_session() as s:
            c = s.get(InsuranceClaim, claim_id)
            assert (c.status, c.paid_minor) == ("paid", 199_00)

        page.goto(f"{base}/insurer")
        moved = page.inner_text(ratio)
        assert moved == "%.1f%%" % ((199_00 - c.recovered_minor) / policy["premium_minor"] * 100)
        assert moved != "0.0%"
        screenshot(page, "insurer-desk-after-1366")
    finally:
        context.close()


def test_other_insurers_merchants_and_forms_without_csrf_change_nothing(live_server, browser):
    base, db, app = live_server
    keys = _keys(db)
    api = TestClient(app)
    _, claim_id = _claims(live_server, keys, api)
    case = Cases(api, keys).file()
    rival = register(db, "insurer", name_zh="另一家保险公司")
    with db.transaction() as s:
        rival_key = create_key(s, Role.insurer, rival.id)

    context, page = _wide(browser)
    try:
        sign_in(page, base, rival_key)
        response = page.goto(f"{base}/insurer/claims/{claim_id}")
        assert response.status == 403
        assert page.get_attribute("article[data-status]", "data-status") == "403"
        for path, form in (("decision", {"approve": "true"}), ("payment", {})):
            r = page.request.post(
                f"{base}/insurer/claims/{claim_id}/{path}", form={"csrftoken": _token(page), **form}
            )
            assert r.status == 403, path
        screenshot(page, "insurer-403-1366")
    finally:
        context.close()

    context, page = _wide(browser)
    try:
        sign_in(page, base, keys.merchant)
        for path in ("/insurer", f"/insurer/claims/{claim_id}", f"/console/complaints/{case.id}"):
            response = page.goto(base + path)
            assert response.status == 403, path
        r = page.request.post(
            f"{base}/console/complaints/{case.id}/close",
            form={"csrftoken": _token(page), "outcome": "withdrawn"},
        )
        assert r.status == 403
    finally:
        context.close()

    context, page = _wide(browser)
    try:
        sign_in(page, base, keys.regulator)
        for action, form in (
            ("escalation", {"reason": "商家未联系"}),
            ("question", {"question": "请补充照片"}),
            ("mediation", {"defect_confirmed": "true"}),
            ("payment", {"amount": "1.00", "reference": "x"}),
            ("close", {"outcome": "withdrawn"}),
            ("transfer", {"to_region": "310115", "reason": "移送"}),
            ("contact", {}),
        ):
            r = page.request.post(f"{base}/console/complaints/{case.id}/{action}", form=form)
            assert r.status == 403, action
        assert (
            page.request.post(f"{base}/console/complaints/received", form={"from_region": "440300"}).status
            == 403
        )
    finally:
        context.close()

    context, page = _wide(browser)
    try:
        sign_in(page, base, keys.insurer)
        for path, form in (
            ("decision", {"approve": "true"}),
            ("payment", {}),
            ("recovery", {"amount": "1.00"}),
        ):
            assert page.request.post(f"{base}/insurer/claims/{claim_id}/{path}", form=form).status == 403
    finally:
        context.close()

    with db.read_session() as s:
        c = complaints.get(s, case.id)
        claim = s.get(InsuranceClaim, claim_id)
    assert (c.status, c.version) == ("received", 1)
    assert (claim.status, claim.decided_by) == ("submitted", "")
