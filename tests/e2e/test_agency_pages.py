"""Agencies in Chromium (issue 25, item 8), on the demo: the console says which agency its regulator acts
for, in words; another agency's complaint and declaration show read-only (no action form, a sentence
naming both agencies and why), and a case transferred to the agency shows its forms. A form posted on
another agency's case anyway is refused by the service (403), not only hidden."""

from __future__ import annotations

from sqlmodel import col, select

from api import demo, demo_complaints
from complaints.models import Complaint
from core.identifiers import uscc_with_check
from core.security import Role, authenticate, create_key
from enterprises.models import Enterprise
from tests.conftest import register
from tests.e2e.pages_kit import axe_check, sign_in

ZONE_ZH, ZONE_EN = (
    "宁波市北仑区市场监督管理局（宁波保税区）",
    "Beilun District Administration for Market Regulation",
)
PUDONG_ZH, PUDONG_EN = "上海市浦东新区市场监督管理局", "Pudong New Area Administration for Market Regulation"
ACTIONS = (
    "form[data-form=close], form[data-form=transfer], form[data-form=contact], form[data-form=escalation]"
)


def _case_id(db, ticket_no: str) -> int:
    with db.read_session() as s:
        found = s.exec(select(Complaint.id).where(col(Complaint.ticket_no) == ticket_no)).one()
    return int(found)


def test_the_console_names_its_agency_and_another_agencys_cases_are_read_only(
    demo_server, demo_keys, browser
):
    base, db, app = demo_server
    urls = demo.issue_demo_codes(db, app.state.keyring, per_line=4)
    tickets = demo_complaints.seed_complaints(db, app.state.settings, urls)
    zone_case, pudong_case = _case_id(db, tickets["open"]), _case_id(db, tickets["transferred"])
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    other, zone = ctx.new_page(), browser.new_context(locale="zh-CN").new_page()
    try:
        # The second agency's regulator: its console says, in words, whom it acts for.
        sign_in(other, base, demo_keys[demo.OTHER_REGULATOR], "/console")
        acting = other.inner_text("[data-field=acting-for]")
        assert (
            PUDONG_ZH in acting and PUDONG_EN in acting and acting.index(PUDONG_ZH) < acting.index(PUDONG_EN)
        )
        assert "310115" not in acting  # words, not the code
        # The bonded zone's case: read, never acted on, and the page says why.
        other.goto(f"{base}/console/complaints/{zone_case}")
        assert other.locator(ACTIONS).count() == 0
        why = other.inner_text("[data-field=read-only]")
        assert (
            ZONE_ZH in why and PUDONG_ZH in why and "只能查看" in why and "transferred to your agency" in why
        )
        axe_check(other, "console-complaint-read-only")
        # Posting the form anyway: the service refuses it.
        token = next(c["value"] for c in other.context.cookies() if c["name"] == "csrftoken")
        forced = other.request.post(
            f"{base}/console/complaints/{zone_case}/close", form={"csrftoken": token, "outcome": "withdrawn"}
        )
        assert forced.status == 403 and "read-only" in forced.text()
        # The case transferred to Pudong: its forms are there, and closing it works.
        other.goto(f"{base}/console/complaints/{pudong_case}")
        assert other.locator("[data-field=read-only]").count() == 0
        assert other.locator("form[data-form=close]").count() == 1
        other.select_option("#c-outcome", "withdrawn")
        other.click("form[data-form=close] button[type=submit]")
        other.wait_for_url(f"**/console/complaints/{pudong_case}?done=*")
        assert other.get_attribute("[data-field=status]", "data-status") == "closed"

        # The bonded zone's regulator: the other way round.
        sign_in(zone, base, demo_keys["regulator"], "/console")
        assert ZONE_ZH in zone.inner_text("[data-field=acting-for]")
        zone.goto(f"{base}/console/complaints/{zone_case}")
        assert zone.locator("form[data-form=close]").count() == 1
        assert zone.locator("[data-field=read-only]").count() == 0

        # A declaration of an enterprise registered in Pudong: read-only for the zone, its own for Pudong.
        from api import seeding
        from traceability.codes import gtin_with_check

        ent = register(db, uscc=uscc_with_check("91310115777000001"), name_zh="浦东跨境贸易有限公司")
        with db.transaction() as s:
            product = seeding.product(s, ent.id, gtin_with_check("690123456788"))
            decl = seeding.declare(
                s, ent.id, "310520269999000077", [seeding.line_body(product.id, "LOT7", 20)]
            )
        zone.goto(f"{base}/console/declarations/{decl.id}")
        assert zone.locator("form[data-form=inspection]").count() == 0
        why = zone.inner_text("[data-field=read-only]")
        assert PUDONG_ZH in why and ZONE_ZH in why
        axe_check(zone, "console-declaration-read-only")
        other.goto(f"{base}/console/declarations/{decl.id}")
        assert other.locator("[data-field=read-only]").count() == 0
        other.fill("#lab_1", "SHCIQ-2026-000001")
        other.click("form[data-form=inspection] button[type=submit]")
        other.wait_for_url(f"**/console/declarations/{decl.id}")
        assert other.get_attribute("[data-field=status]", "data-status") == "inspected"

        # A public report about a zone merchant: the zone checks it; for Pudong the row is read-only.
        with db.read_session() as s:
            zone_merchant = authenticate(s, demo_keys["merchant"]).enterprise_id
            uscc = s.get(Enterprise, zone_merchant).uscc
        report = {
            "uscc": uscc,
            "category": "false_advertising",
            "narrative": "网店页面宣称奶粉可治疗过敏，属虚假宣传",
            "evidence_url": "https://example.com/shot.png",
            "consent": True,
        }
        sent = other.request.post(f"{base}/api/v1/public/tipoffs", data=report)
        assert sent.status == 201, sent.text()
        tipoff = sent.json()["tipoff"]["id"]
        other.goto(f"{base}/console/tipoffs")
        row = other.locator(f"[data-tipoff='{tipoff}']")
        assert row.locator("form[data-form=decide]").count() == 0
        assert ZONE_ZH in row.locator("[data-field=read-only]").inner_text()
        axe_check(other, "console-tipoffs-read-only")
        zone.goto(f"{base}/console/tipoffs")
        assert zone.locator(f"[data-tipoff='{tipoff}'] form[data-form=decide]").count() == 1
        for path in ("/console/credit", "/console/credit/trust"):
            other.goto(f"{base}{path}")
            axe_check(other, f"other-agency{path.replace('/', '-')}")
    finally:
        ctx.close()
        zone.context.close()


def test_an_admin_console_acts_for_every_agency(demo_server, page):
    base, db, _ = demo_server
    with db.transaction() as s:
        key = create_key(s, Role.admin)
    sign_in(page, base, key, "/console")
    acting = page.inner_text("[data-field=acting-for]")
    assert "平台管理员" in acting and "every agency" in acting
