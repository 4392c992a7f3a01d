"""The regulator console's supervision pages in Chromium, on the demo data: run a supervision draw and
replay it; decide a credit repair and an objection and see the decisions on the enterprise profile; the
suspicious-scan feed with its evidence; the insurance on the enterprise profile. Each page passes axe
at phone and desktop width; a form without its CSRF token, and a merchant's session, are refused; a
name with markup is shown as text."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from sqlmodel import select

from api import demo, demo_insurance, seeding
from core.clock import utcnow
from core.security import Principal, Role, create_key
from credit import service as credit
from credit.models import SupervisionDraw
from credit.schemas import ObjectionCreate, RepairCreate
from enterprises.models import Enterprise
from tests.conftest import register
from tests.e2e.pages_kit import PHONE, axe_check, screenshot, sign_in
from traceability.codes import gtin_with_check

NEW_PAGES = ("/console/draws", "/console/credit", "/console/scans")


def _merchants(db) -> list[Enterprise]:
    with db.read_session() as s:
        return list(s.exec(select(Enterprise).where(Enterprise.kind == "merchant").order_by(Enterprise.id)))


def fits_a_phone(page) -> None:
    """Nothing wider than a phone's screen: no sideways scrolling to read a row."""
    page.set_viewport_size(PHONE)
    width = page.evaluate("document.documentElement.scrollWidth")
    widest = page.evaluate(
        """() => [...document.querySelectorAll('main *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth)
            .slice(-3).map(e => e.tagName + '.' + e.className + ' ' + (e.dataset.table || ''))"""
    )
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a {PHONE['width']}px phone: {widest}"


def _csrf(page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")


def _pending_declarations(db, enterprise_id: int, count: int) -> list[str]:
    """Declarations waiting for inspection (the demo's are all decided): what a draw draws from."""
    numbers = []
    with db.transaction() as s:
        product = seeding.product(s, enterprise_id, gtin_with_check("690123450001"))
        for n in range(count):
            number = f"31052026199{n:07d}"
            seeding.declare(s, enterprise_id, number, [seeding.line_body(product.id, f"PEND{n}", 10)])
            numbers.append(number)
    return numbers


def test_regulator_runs_a_draw_sees_its_seed_and_hash_and_replays_it(demo_server, demo_keys, page):
    base, db, _ = demo_server
    keys = demo_keys
    merchants = _merchants(db)
    sign_in(page, base, keys["regulator"], "/console/draws")
    # The demo's declarations are all decided: nothing to draw from is said as such (409), not drawn.
    assert page.inner_text("[data-field=waiting]") == "0"
    page.fill("#inspectors", "张检验")
    page.click("form[data-form=draw] button[type=submit]")
    assert page.get_attribute("article[data-status]", "data-status") == "409"
    assert "nothing to draw from" in page.inner_text("[data-field=detail]")

    numbers = _pending_declarations(db, merchants[0].id, 12)
    page.goto(f"{base}/console/draws")
    assert page.url == f"{base}/console/draws"
    assert page.inner_text("[data-field=waiting]") == str(len(numbers))
    axe_check(page, "console-draws")
    fits_a_phone(page)
    # A seed given on the page makes the selection known in advance: the published algorithm, rerun.
    seed = "00112233445566778899aabbccddeeff"
    page.fill("#inspectors", "张检验\n李检验")
    page.fill("#seed", seed)
    page.click("form[data-form=draw] button[type=submit]")
    page.wait_for_url("**/console/draws/*")
    with db.read_session() as s:
        drawn = s.exec(select(SupervisionDraw).order_by(SupervisionDraw.id.desc())).first()  # type: ignore[union-attr]
    assert page.url == f"{base}/console/draws/{drawn.id}"
    assert page.inner_text("[data-field=seed]") == seed
    assert page.inner_text("[data-field=input-hash]") == drawn.input_hash
    assert page.inner_text("[data-field=candidates]") == str(len(numbers))
    shown = page.locator("[data-table=selection] tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.declarationNo)"
    )
    assert shown == [row["declaration_no"] for row in drawn.selected]
    assert set(shown) <= set(numbers)
    if shown:  # each selected importer is named and linked to its profile
        assert page.locator("[data-table=selection] a[data-link=enterprise]").first.inner_text() == (
            merchants[0].name_zh
        )
    axe_check(page, "console-draw")
    fits_a_phone(page)

    page.click("a[data-link=replay]")
    page.wait_for_url(f"**/console/draws/{drawn.id}/replay")
    assert page.get_attribute("[data-field=replay]", "data-matches") == "true"
    assert page.inner_text("[data-field=replay-input-hash]") == drawn.input_hash
    assert page.inner_text("[data-field=replay-result-hash]") == drawn.result_hash
    replayed = page.locator("[data-table=replay] tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.declarationNo)"
    )
    assert replayed == shown
    axe_check(page, "console-draw-replay")
    fits_a_phone(page)

    page.goto(f"{base}/console/draws")
    assert page.locator(f"[data-table=draws] tr[data-draw='{drawn.id}']").count() == 1
    # Bad input is a page naming the field: no inspector, a seed that is not hexadecimal.
    token = _csrf(page)
    empty = page.request.post(f"{base}/console/draws", form={"csrftoken": token, "inspectors": " "})
    assert empty.status == 422 and "inspectors" in empty.text()
    bad_seed = page.request.post(
        f"{base}/console/draws", form={"csrftoken": token, "inspectors": "王", "seed": "not-hex!"}
    )
    assert bad_seed.status == 422 and "seed" in bad_seed.text()
    # Without the token the draw is refused, and nothing was drawn.
    refused = page.request.post(f"{base}/console/draws", form={"inspectors": "王"})
    assert refused.status == 403
    with db.read_session() as s:
        assert len(s.exec(select(SupervisionDraw)).all()) == 1


def _credit_cases(db, enterprise_id: int) -> tuple[int, int, int, int]:
    """A repairable record with a pending repair, and a record under objection: (repair, its record,
    objection, its record)."""
    merchant = Principal(key_id=None, role=Role.merchant, enterprise_id=enterprise_id, prefix="test")
    with db.transaction() as s:
        repairable, _ = credit.add_record(
            s,
            enterprise_id=enterprise_id,
            kind="administrative_penalty",
            severity="minor",  # repairable at once (repair_after_days = 0)
            occurred_at=utcnow() - timedelta(days=3),
            title_zh="标签瑕疵，责令改正",
            source_type="manual",
            source_key="e2e:repair:1",
            actor="system:test",
            reason="测试",
        )
        disputed, _ = credit.add_record(
            s,
            enterprise_id=enterprise_id,
            kind="administrative_penalty",
            severity="general",
            occurred_at=utcnow() - timedelta(days=2),
            title_zh="虚假宣传（企业认为有误）",
            source_type="manual",
            source_key="e2e:objection:1",
            actor="system:test",
            reason="测试",
        )
        repair = credit.apply_repair(
            s,
            enterprise_id,
            repairable.id,
            RepairCreate(
                evidence="已更换全部中文标签<script>window.pwned=3</script>", evidence_ref="整改报告-1"
            ),
            merchant,
        )
        objection = credit.object_to(
            s,
            enterprise_id,
            disputed.id,
            ObjectionCreate(reason="处罚对象不是本企业", evidence="营业执照"),
            merchant,
        )
        return repair.id, repairable.id, objection.id, disputed.id


def test_regulator_decides_a_repair_and_an_objection_and_the_profile_shows_them(demo_server, demo_keys, page):
    base, db, _ = demo_server
    keys = demo_keys
    ent = _merchants(db)[0]
    repair_id, repaired_record, objection_id, disputed_record = _credit_cases(db, ent.id)

    sign_in(page, base, keys["regulator"], "/console/credit")
    card = page.locator(f"article[data-repair='{repair_id}']")
    assert "已更换全部中文标签<script>" in card.locator("[data-field=evidence]").inner_text()
    assert page.evaluate("window.pwned") is None
    assert "标签瑕疵" in card.inner_text()
    assert page.locator(f"article[data-objection='{objection_id}'] [data-field=reason]").inner_text() == (
        "处罚对象不是本企业"
    )
    axe_check(page, "console-credit")
    fits_a_phone(page)

    # Without a reason the browser will not send the form; posted anyway, the field is named.
    token = _csrf(page)
    no_reason = page.request.post(
        f"{base}/console/credit/repairs/{repair_id}/decision", form={"csrftoken": token, "approve": "true"}
    )
    assert no_reason.status == 422 and "reason" in no_reason.text()
    no_token = page.request.post(
        f"{base}/console/credit/repairs/{repair_id}/decision", form={"approve": "true", "reason": "x"}
    )
    assert no_token.status == 403
    for path, field in (("repairs/99999999999999999999", "item_id"), ("appeals/1", "what")):
        bad = page.request.post(
            f"{base}/console/credit/{path}/decision",
            form={"csrftoken": token, "approve": "true", "reason": "x"},
        )
        assert bad.status == 422 and field in bad.text(), (path, bad.text())

    card.locator("textarea").fill("整改材料齐全，准予修复")
    card.locator("button[data-action=approve]").click()
    page.wait_for_url("**/console/credit?decided=*")
    assert f"#{repair_id}" in page.inner_text("[data-field=decided]")
    assert page.locator(f"article[data-repair='{repair_id}']").count() == 0
    objection = page.locator(f"article[data-objection='{objection_id}']")
    objection.locator("textarea").fill("处罚决定书载明为本企业，驳回")
    objection.locator("button[data-action=reject]").click()
    page.wait_for_url("**/console/credit?decided=*")
    assert page.locator(f"article[data-objection='{objection_id}']").count() == 0
    # Decided once: a second decision is a 409 page, not a change.
    again = page.request.post(
        f"{base}/console/credit/objections/{objection_id}/decision",
        form={"csrftoken": _csrf(page), "approve": "true", "reason": "再次"},
    )
    assert again.status == 409

    page.click("[data-field=decided] a")
    page.wait_for_url(f"**/console/enterprises/{ent.id}*")
    repair_row = page.locator(f"[data-table=credit-applications] tr[data-repair='{repair_id}']")
    assert repair_row.locator("[data-field=status]").inner_text() == "已批准 Approved"
    assert repair_row.locator("[data-field=decision-reason]").inner_text() == "整改材料齐全，准予修复"
    objection_row = page.locator(f"[data-table=credit-applications] tr[data-objection='{objection_id}']")
    assert objection_row.locator("[data-field=status]").inner_text() == "已驳回 Dismissed"
    # The records themselves: the repaired one ended, the disputed one counts again.
    assert "已修复 Repaired" in page.inner_text(f"[data-table=records] tr[data-record='{repaired_record}']")
    assert "有效" in page.inner_text(f"[data-table=records] tr[data-record='{disputed_record}']")
    assert page.evaluate("window.pwned") is None
    axe_check(page, "console-enterprise-decided")


def _scan(page, base: str, url: str, city: str) -> None:
    """A consumer's scan from a city, on this server (the demo's URLs name the configured resolver)."""
    link = urlsplit(url)
    query = f"{link.query}&city={city}" if link.query else f"city={city}"
    response = page.request.get(f"{base}{link.path}?{query}", headers={"Accept": "application/json"})
    assert response.status == 200, response.text()


def test_the_suspicious_scan_feed_shows_impossible_travel_and_over_scanning_newest_first(
    demo_server, demo_keys, page
):
    base, db, app = demo_server
    keys = demo_keys
    urls = demo.issue_demo_codes(db, app.state.keyring, per_line=4)
    genuine = urls[0]  # the first merchant's first lot: shipped, genuine
    writer = app.state.resolver.writer

    # Two far places a minute apart: Beijing, then Urumqi (about 2,400 km).
    _scan(page, base, genuine, "北京")
    writer.flush()
    _scan(page, base, genuine, "乌鲁木齐")
    writer.flush()
    # Another code scanned more often than the policy allows, from one place.
    copied = urls[1]
    limit = app.state.resolver.policy.max_scans
    for _ in range(limit + 2):
        _scan(page, base, copied, "上海")
        writer.flush()  # each scan judged on the count the ones before it left on the code

    sign_in(page, base, keys["regulator"], "/console/scans")
    cards = page.locator("article[data-scan]")
    ids = [int(x) for x in cards.evaluate_all("els => els.map(e => e.dataset.scan)")]
    assert ids == sorted(ids, reverse=True) and len(ids) >= 3
    newest = cards.first  # the last over-scan of the copied code
    assert newest.locator("[data-evidence=over_scanned]").count() == 1
    assert newest.locator("[data-field=nth]").inner_text() == str(limit + 2)
    assert newest.locator("[data-field=place]").inner_text() == "上海"
    travel = page.locator("article[data-scan] [data-evidence=impossible_travel]")
    assert travel.count() == 1
    text = travel.inner_text()
    assert "北京" in text and "乌鲁木齐" in text and "公里" in text
    # What is kept of a consumer only: no coordinates, no device hash on the page.
    main = page.inner_text("main")
    assert "43.83" not in main and "87.62" not in main
    axe_check(page, "console-scans")
    fits_a_phone(page)

    # Paged: older scans after the first page, none repeated.
    assert page.locator("a[data-link=older]").count() == 0  # fewer than a page here
    page.goto(f"{base}/console/scans?before={ids[-1]}")
    assert page.locator("article[data-scan]").count() == 0
    bad = page.goto(f"{base}/console/scans?before=abc")
    assert bad.status == 422 and "before" in page.inner_text("main")


def test_the_enterprise_profile_shows_its_policy_and_claims(demo_server, demo_keys, page):
    base, db, app = demo_server
    keys = demo_keys
    demo.issue_demo_codes(db, app.state.keyring, per_line=4)
    info = demo_insurance.seed_insurance(db)
    merchants = _merchants(db)
    insured = next(m for m in merchants if m.name_zh == info["insured"])
    uninsured = next(m for m in merchants if m.name_zh == info["uninsured"])

    sign_in(page, base, keys["regulator"], f"/console/enterprises/{insured.id}")
    rows = page.locator("[data-table=policies] tbody tr")
    assert rows.count() == 1
    assert rows.first.locator("[data-field=policy-status]").inner_text() == "生效 In force"
    assert rows.first.locator("[data-field=cover]").inner_text() == "¥5,000.00"
    assert "¥" in rows.first.locator("[data-field=premium]").inner_text()
    claim = page.locator("[data-table=claims] tbody tr")
    assert claim.count() == 1
    assert claim.first.locator("[data-field=claim-status]").inner_text().startswith("已赔付 Paid")
    axe_check(page, "console-enterprise-insurance")
    fits_a_phone(page)

    page.goto(f"{base}/console/enterprises/{uninsured.id}")
    assert page.locator("[data-field=uninsured]").count() == 1


def test_a_merchant_session_gets_the_403_page_on_every_new_console_page(live_server, page):
    base, db, _ = live_server
    ent = register(db)
    with db.transaction() as s:
        key = create_key(s, Role.merchant, ent.id)
    sign_in(page, base, key)
    for path in (*NEW_PAGES, "/console/draws/1", "/console/draws/1/replay"):
        response = page.goto(base + path)
        assert response.status == 403, path
        assert page.get_attribute("article[data-status]", "data-status") == "403"
    token = _csrf(page)
    for path in (
        "/console/draws",
        "/console/credit/repairs/1/decision",
        "/console/credit/objections/1/decision",
    ):
        response = page.request.post(
            base + path, form={"csrftoken": token, "inspectors": "x", "approve": "true", "reason": "x"}
        )
        assert response.status == 403, path
        assert "监管控制台只对监管人员开放" in response.text()
    screenshot(page, "console-supervision-403")


def _seed_selecting(db, inspectors: list[str], agency: str | None = "330206") -> str:
    """A seed whose draw selects at least one of the waiting declarations (the draw is published and
    pure, so a test can look for one before drawing). A regulator's draw names its agency (the bonded
    zone's, for a key made without one) in its inputs, so the seed is looked for with the same inputs."""
    from credit import supervision

    with db.read_session() as s:
        inputs = supervision._inputs(s, inspectors, agency)
    return next(
        seed for seed in (f"{i:032x}" for i in range(1, 5000)) if supervision.draw_from(inputs, seed)[1]
    )


def test_names_with_markup_are_text_on_the_new_pages(live_server, page):
    from traceability import service as trace

    base, db, app = live_server
    evil = "<script>window.pwned=1</script>恶意进口有限公司"
    evil_product = "<img src=x onerror=window.pwned=2>奶粉"
    ent = register(db, name_zh=evil)
    with db.transaction() as s:
        key = create_key(s, Role.regulator)
        released = seeding.released_declaration(
            s,
            ent.id,
            base,
            gtin=gtin_with_check("690123450099"),
            declaration_no="310520261990000776",
            lots=[("EVIL1", 5)],
            product_over={"name_zh": evil_product},
        )
        seeding.declare(s, ent.id, "310520261990000777", [seeding.line_body(released.product_id, "EVIL2", 5)])
    batch = seeding.issue(db, released.declaration_id, 1, 2, app.state.keyring, base)
    with db.transaction() as s:
        seeding.ship(s, released.declaration_id, 1, base)
    url = next(trace.codes_of_batch(db, batch.id)).link.uri(base)
    _credit_cases(db, ent.id)
    _scan(page, base, url, "北京")
    app.state.resolver.writer.flush()
    _scan(page, base, url, "乌鲁木齐")
    app.state.resolver.writer.flush()

    def no_markup_ran() -> None:
        assert page.evaluate("window.pwned") is None
        assert page.locator("main script, main img, main b").count() == 0

    inspectors = ["<b>检验员</b>"]
    sign_in(page, base, key, "/console/draws")
    page.fill("#inspectors", inspectors[0])
    page.fill("#seed", _seed_selecting(db, inspectors))
    page.click("form[data-form=draw] button[type=submit]")
    page.wait_for_url("**/console/draws/*")
    assert page.locator("[data-table=selection] a[data-link=enterprise]").first.inner_text() == evil
    assert inspectors[0] in page.inner_text("[data-table=selection]")
    no_markup_ran()
    page.click("a[data-link=replay]")
    page.wait_for_url("**/replay")
    assert inspectors[0] in page.inner_text("[data-table=replay]")
    no_markup_ran()
    page.goto(f"{base}/console/credit")
    assert evil in page.inner_text("main article[data-repair] a[data-link=enterprise]")
    no_markup_ran()
    page.goto(f"{base}/console/scans")
    scan = page.locator("article[data-scan]").first
    assert scan.locator("h2").inner_text().startswith(evil_product)
    assert scan.locator("a[data-link=enterprise]").inner_text() == evil
    no_markup_ran()
    page.goto(f"{base}/console/enterprises/{ent.id}")
    assert "window.pwned=3" in page.inner_text("[data-table=credit-applications]")
    no_markup_ran()
