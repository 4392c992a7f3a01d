"""The consumer's first hour in a real browser at phone width (390 x 844): a forged serial on a real lot,
a recalled item, a mistyped code, the language switch, one "code issued" per item, the AA contrast of
amber and grade C, and a code not yet shipped. Each test keeps its screenshots under the var dir
(CROSSTRUST_VAR_DIR, else the test server's) in screenshots/, and checks they are not blank."""

from __future__ import annotations

import itertools
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest

from api import seeding
from core.clock import utcnow
from core.security import SYSTEM
from credit import service as credit
from tests.conftest import register
from traceability import service as trace
from traceability.codes import gtin_with_check
from traceability.verdict import ScanPolicy

_numbers = itertools.count(1)


@pytest.fixture
def shots(live_server) -> Path:
    var = os.environ.get("CROSSTRUST_VAR_DIR")
    root = Path(var) if var else live_server.app.state.settings.var_dir
    folder = root / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def keep(page, shots: Path, name: str) -> Path:
    """A full-page screenshot, kept, and checked to show something (not one flat colour)."""
    from PIL import Image

    path = shots / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    with Image.open(path) as image:
        assert image.width == 390, image.size  # phone width
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
        assert colours is not None and len(colours) > 50, f"{path} looks blank"
    return path


def _lot(live_server, *, ship: bool = True, batches=(3,), penalty: bool = False):
    """An importer with a released lot of honey and its codes; returns (shipment, [codes per batch])."""
    base, db, app = live_server
    n = next(_numbers)
    ent = register(
        db, name_zh=f"宁波甬澳母婴用品进出口有限公司{n}", name_en=f"Ningbo Yong-Ao Baby Products {n}"
    )
    with db.transaction() as s:
        shipment = seeding.released_declaration(
            s,
            ent.id,
            base,
            gtin=gtin_with_check(f"94212345{n:04d}"),
            declaration_no=f"31052026100000{n:04d}",
            lots=[(f"NZ2611B{n}", 50)],
            product_over={
                "hs_code": "0409000000",
                "name_zh": "新西兰麦卢卡蜂蜜 UMF10+ 250克",
                "name_en": "Manuka Honey UMF10+ 250 g",
                "origin_country": "NZ",
                "category": "food",
                "brand": "Kiwi Bee 奇异蜂",
            },
            line_over={"expiry_date": "2029-09-20", "unit_value": {"amount_minor": 16800}},
            inspection={"tests_performed": ["蜂蜜真实性"]},
            reason="合格",
            transport_doc_no="MSKU7777777",
        )
    codes = []
    for quantity in batches:
        batch = seeding.issue(db, shipment.declaration_id, 1, quantity, app.state.keyring, base)
        codes.append(list(trace.codes_of_batch(db, batch.id)))
    if ship:
        with db.transaction() as s:
            seeding.ship(s, shipment.declaration_id, 1, base, when=utcnow() + timedelta(seconds=1))
    with db.transaction() as s:
        if penalty:  # a serious administrative penalty: 850 - 200 points, grade C
            credit.add_record(
                s,
                enterprise_id=ent.id,
                kind="administrative_penalty",
                severity="serious",
                occurred_at=utcnow() - timedelta(days=1),
                title_zh="虚假宣传，罚款 20 万元",
                title_en="False advertising: a fine of 200,000 CNY",
                evidence_ref="甬市监罚〔2026〕1号",
                source_type="manual",
                source_key=f"e2e:penalty:{n}",
                actor="system:e2e",
                reason="e2e",
            )
        credit.recompute(s, ent.id)
    return ent, shipment, codes


def _forged(uri: str, serial: str) -> str:
    return uri.replace(serial, serial[:-1] + ("0" if serial[-1] != "0" else "1"))


def test_a_forged_serial_on_a_real_lot_says_not_issued_here_and_vouches_for_nothing(live_server, page, shots):
    base, _, _ = live_server
    ent, _, (codes,) = _lot(live_server)
    code = codes[0]
    page.goto(_forged(code.link.uri(base), code.link.serial))
    assert page.locator("section.verdict").get_attribute("data-verdict") == "counterfeit"
    assert "该码不是本平台签发的" in page.inner_text("section.verdict")
    steps = page.locator("[data-guidance] li")
    assert steps.first.get_attribute("data-step") == "not_issued"
    assert "此码不是本平台签发的" in steps.first.inner_text()
    assert page.locator("[data-link=hotline]").get_attribute("href") == "tel:12315"
    assert page.locator("[data-link=report]").is_visible()
    # What the genuine goods are, labelled as the lot's and not this item's.
    genuine = page.locator("[data-section=genuine-lot]")
    assert "本批次正品的信息（仅供比对）" in genuine.inner_text()
    assert "不是您手中这件商品的" in page.inner_text("[data-field=not-this-item]")
    assert page.inner_text("[data-section=genuine-lot] [data-field=lot]") == code.link.lot
    assert page.inner_text("[data-field=genuine-importer]") == ent.name_zh
    # Nothing that vouches for the item: no inspection, declaration, custody, credit grade or scan count.
    for vouching in (
        "[data-field=inspection]",
        "[data-field=declaration_no]",
        ".timeline",
        "[data-field=credit]",
    ):
        assert page.locator(vouching).count() == 0, vouching
    assert page.locator("[data-field=scans]").count() == 0
    keep(page, shots, "consumer-forged-serial-zh")


def test_a_recalled_item_says_stop_using_return_contact_and_offers_the_claim(live_server, page, shots):
    base, db, _ = live_server
    ent, shipment, (codes,) = _lot(live_server)
    with db.transaction() as s:
        trace.recall_lot(s, shipment.declaration_id, 1, "检出不合格成分，主动召回", SYSTEM, base)
    uri = codes[1].link.uri(base)
    page.goto(uri)
    assert page.locator("section.verdict").get_attribute("data-verdict") == "recalled"
    steps = page.locator("[data-guidance=recalled] li")
    assert [steps.nth(i).get_attribute("data-step") for i in range(steps.count())] == [
        "stop_using",
        "return_refund",
        "contact",
    ]
    assert "停止使用" in steps.nth(0).inner_text() and "退货退款" in steps.nth(1).inner_text()
    assert ent.name_zh in steps.nth(2).inner_text()
    claim = page.locator("[data-link=complain]")
    assert claim.is_visible() and claim.inner_text() == "申请退款 / 投诉"
    from urllib.parse import quote

    assert claim.get_attribute("href") == f"{base}/complaints/new?code={quote(uri, safe='')}"
    assert page.locator("section.recall[role=alert]").inner_text().count("检出不合格成分") == 1
    keep(page, shots, "consumer-recalled-zh")


def test_a_mistyped_code_gets_a_help_page_in_the_consumers_language(live_server, page, browser, shots):
    base, _, _ = live_server
    _, _, (codes,) = _lot(live_server)
    link = codes[0].link
    gtin = link.gtin
    wrong = gtin[:-1] + str((int(gtin[-1]) + 1) % 10)  # one digit mistyped: the check digit fails
    bad = link.uri(base).replace(gtin, wrong)
    answer = page.goto(bad)
    assert answer.status == 400
    assert page.inner_text("h1") == "无法识别这个商品码"
    assert page.get_attribute("[data-field=problem]", "data-problem-field") == "gtin"
    assert "校验码" in page.inner_text("[data-field=problem]")
    assert "如何按标签输入代码" in page.inner_text("[data-section=how-to-type]")
    keep(page, shots, "consumer-mistyped-zh")
    # Typed again from the label, as its short code, in lower case: the code's own page.
    page.fill("#gtin", gtin)
    page.fill("#serial", "-".join(link.serial[i : i + 4] for i in range(0, 20, 4)).lower())
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/01/.*/21/" + link.serial + r".*"))
    assert page.locator("section.verdict").get_attribute("data-verdict") == "genuine"

    english = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    try:
        en = english.new_page()
        en.goto(bad)
        assert en.inner_text("h1") == "This code could not be read"
        assert "check digit" in en.inner_text("[data-section=what-is-wrong]")
        keep(en, shots, "consumer-mistyped-en")
    finally:
        english.close()
    # An API client keeps the problem document.
    problem = page.request.get(bad, headers={"Accept": "application/json"})
    assert problem.status == 400 and problem.headers["content-type"] == "application/problem+json"


def test_the_language_switch_keeps_every_query_parameter(live_server, page, shots):
    base, _, _ = live_server
    _, _, (codes,) = _lot(live_server)
    uri = codes[0].link.uri(base)
    page.goto(uri + "&city=宁波")
    page.click("[data-link=lang]")
    page.wait_for_url(re.compile(r".*lang=en.*"))
    assert "17=" in page.url and "city=" in page.url
    assert "Genuine" in page.inner_text("section.verdict")
    assert page.inner_text("[data-field=expiry]") == "2029-09-20"
    keep(page, shots, "consumer-language-en")
    page.click("[data-link=lang]")
    page.wait_for_url(re.compile(r".*lang=zh.*"))
    assert "17=" in page.url and "city=" in page.url and "正品验证通过" in page.inner_text("section.verdict")


def test_code_issued_appears_once_for_an_item_of_a_line_with_several_batches(live_server, page, shots):
    base, _, _ = live_server
    _, _, (first, second) = _lot(live_server, batches=(2, 3))
    for code in (first[0], second[0]):
        page.goto(code.link.uri(base))
        steps = [li.get_attribute("data-step") for li in page.locator(".timeline li").all()]
        assert steps == ["inspecting", "accepting", "commissioning", "shipping"], steps
    keep(page, shots, "consumer-timeline-two-batches")


def _contrast(page, selector: str) -> float:
    """WCAG contrast ratio of an element's text colour on its background colour, as the browser draws."""
    return page.evaluate(
        """(selector) => {
          const el = document.querySelector(selector);
          const style = getComputedStyle(el);
          const rgb = (c) => c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
          const lum = (c) => {
            const [r, g, b] = rgb(c).map((v) => {
              v /= 255;
              return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
            });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b;
          };
          const a = lum(style.color), b = lum(style.backgroundColor);
          return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        }""",
        selector,
    )


def test_amber_suspicious_and_grade_c_pass_wcag_aa(live_server, page, shots):
    base, _, app = live_server
    _, _, (codes,) = _lot(live_server, penalty=True)
    app.state.resolver.policy = ScanPolicy(max_scans=1)
    uri = codes[0].link.uri(base)
    page.goto(uri)
    app.state.resolver.writer.flush()
    page.goto(uri)  # the second scan of a code allowed one: suspicious
    assert page.locator("section.verdict").get_attribute("data-verdict") == "suspicious"
    assert page.get_attribute("[data-field=credit] [data-grade]", "data-grade") == "C"
    assert _contrast(page, "section.verdict h1") >= 4.5
    assert _contrast(page, "[data-field=credit] [data-grade]") >= 4.5
    keep(page, shots, "consumer-suspicious-grade-c")


def test_a_code_not_yet_shipped_reads_not_yet_shipped(live_server, page, shots):
    base, _, _ = live_server
    _, _, (codes,) = _lot(live_server, ship=False)
    page.goto(codes[0].link.uri(base))
    verdict = page.locator("section.verdict")
    assert verdict.get_attribute("data-verdict") == "not_shipped"
    assert "尚未出区" in verdict.inner_text() and "可疑" not in verdict.inner_text()
    assert page.locator("[data-guidance=not_shipped] li").first.get_attribute("data-step") == "not_shipped"
    assert _contrast(page, "section.verdict h1") >= 4.5
    keep(page, shots, "consumer-not-shipped-zh")
