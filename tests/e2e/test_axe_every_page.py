"""axe-core on every page the platform renders, for every role, in both languages: the demo data (the one
the glossary test walks, tests/api/test_page_words.py) behind one server, one Chromium, each page visited
once per language (`lang=en` and an English browser for the second pass), and not one serious or critical
violation, colour contrast included. A failure names the page, the rule, the node and why."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlmodel import select

from tests.api import test_page_words
from tests.api.test_page_words import issued_serials, role_paths
from tests.conftest import free_port, serve
from tests.e2e.pages_kit import PHONE, SERIOUS, axe_violations, describe, low_rules

demo_site = test_page_words.demo_site  # the fixture: the demo data the glossary test walks

WIDE = {"width": 1366, "height": 900}


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def settings(settings, port):
    """The resolver is the server itself: a code's link sends the browser to its scan page there."""
    return settings.model_copy(update={"resolver_base_url": f"http://127.0.0.1:{port}"})


def _public_pages(db, scans: list[str], token: str) -> list[tuple[str, int]]:
    """(path, the status its page answers, after any redirect): every public page, and the pages that
    answer a mistake."""
    from credit.models import SupervisionDraw
    from enterprises.models import Enterprise

    with db.read_session() as s:
        usccs = s.exec(select(Enterprise.uscc).where(Enterprise.kind == "merchant")).all()
        draws = s.exec(select(SupervisionDraw.id)).all()
    scan_paths = []
    for url in scans:
        parts = urlsplit(url)
        scan_paths.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    gtin = scan_paths[0].split("/")[2]
    return [
        ("/", 200),
        ("/signin", 200),
        ("/tipoffs/new", 200),
        ("/tipoffs/follow", 200),
        ("/code", 200),
        ("/code?code=not-a-code", 400),  # the help page: what was wrong, and the form again
        (f"/code?gtin={gtin}&serial=ABC&edit=1", 200),  # back to correct a typed code
        (f"/code?gtin={gtin}&serial=QQQQQQQQQQQQQQQQ", 200),  # a typed code that fails its check
        ("/disclosures", 200),
        ("/disclosures?q=母婴&trend=month", 200),
        ("/enterprises?uscc=母婴", 200),  # words typed in the lookup: the search of enterprises
        *((f"/enterprises/{u}", 200) for u in usccs),
        ("/lists/red", 200),
        ("/lists/black", 200),
        ("/figures", 200),
        ("/figures?interval=month", 200),
        ("/verify/", 200),  # the offline check of a signed code
        *((f"/credit/{u}", 200) for u in usccs),
        ("/complaints/new", 200),
        (f"/complaints/new?code={scans[0]}", 200),
        ("/complaints/track", 200),
        ("/complaints/track?token=NOTATOKEN", 422),  # the lookup again, saying what is wrong
        (f"/complaints/track?token={token}", 200),
        *((f"/draws/{d}", 200) for d in draws),
        *((p, 200) for p in scan_paths),
        *((f"/verifiable/grade/{u}", 200) for u in usccs),  # the proof pages (issue 23)
        *((f"/verifiable/code/{serial}", 200) for serial in issued_serials(db, scans)[:1]),
        ("/draws/999999", 404),  # the pages' error page
    ]


def _signed_in_pages(db, role: str, enterprise_id: int | None) -> list[str]:
    from complaints.models import Complaint
    from credit.models import SupervisionDraw
    from insurance.models import InsuranceClaim

    with db.read_session() as s:
        if role == "merchant":
            return [*role_paths(db, role, enterprise_id), "/merchant/shipments", "/sessions"]
        if role == "insurer":
            claims = s.exec(select(InsuranceClaim.id).where(InsuranceClaim.insurer_id == enterprise_id)).all()
            assert claims, "the demo has a claim"
            return ["/insurer", "/insurer/claims", *(f"/insurer/claims/{i}" for i in claims), "/sessions"]
        cases = s.exec(select(Complaint.id)).all()
        draws = s.exec(select(SupervisionDraw.id)).all()
    return [
        *role_paths(db, role, None),
        "/console?q=母婴",
        "/console/complaints?status=received",
        "/console/complaints/received",
        *(f"/console/complaints/{i}" for i in cases),
        *(f"/console/draws/{i}" for i in draws),
        *(f"/console/draws/{i}/replay" for i in draws),
        "/console/complaints/999999",  # the error page, signed in
        "/sessions",
    ]


def _draw(base: str, browser, key: str) -> None:
    """A supervision draw made from the console, so that its pages (console and public) exist."""
    context = browser.new_context(viewport=WIDE)
    page = context.new_page()
    _sign_in(page, base, key)
    page.goto(base + "/console/draws")
    page.fill("#inspectors", "张三")
    page.click("form[action='/console/draws'] button[type=submit]")
    page.wait_for_url("**/console/draws/*")
    context.close()


def _sign_in(page, base: str, key: str) -> None:
    page.goto(base + "/signin")
    page.fill("#key", key)
    page.click("#signin button[type=submit]")
    page.wait_for_load_state()
    assert not page.url.endswith("/signin"), page.content()[:500]


# The page's language, and its own switch to English (the scan pages, the consumer's complaint pages, the
# code help page).
_LANG_AND_ENGLISH = """() => {
    const a = document.querySelector('a[href*="lang=en"]');
    return [document.documentElement.lang, a ? a.href : null];
}"""


def _visit(page, base: str, role: str, lang: str, path: str, want: int, english: dict) -> list[str]:
    """Open the page (in English: through its own switch where it has one, else as an English browser
    asks for it, the page being bilingual) and return axe-core's serious and critical nodes."""
    url = base + path if lang == "zh" else (english[(role, path)] or base + path)
    response = page.goto(url)
    assert response.status == want, (role, lang, url, response.status, page.content()[:300])
    page_lang, own_english = page.evaluate(_LANG_AND_ENGLISH)
    if lang == "zh":
        english[(role, path)] = own_english
        assert page_lang.startswith("zh"), (url, page_lang)
    elif english[(role, path)]:
        assert page_lang.startswith("en"), (url, page_lang)
    return describe(axe_violations(page), f"{role} {lang} {url.removeprefix(base)}")


# The roles' pages in four parts, a test each, so that the two workers share them (tests/conftest.py,
# SPLIT_FILES): each part starts from the same demo, checkpoint and draw, and walks its roles' pages in
# both languages as the single test did.
PARTS = {
    "public": "public",
    "regulator": "regulator",
    "insurer": "insurer and bank",
    "bank": "insurer and bank",
}


def _part(role: str) -> str:
    return PARTS.get(role, "merchants")  # the demo's merchant and the other merchants ("merchant 7")


@pytest.mark.demo_seeded  # demo_site starts from the demo restored, not seeded
@pytest.mark.parametrize("db", ["sqlite"], indirect=True)  # the pages are the same on both databases
@pytest.mark.parametrize("part", ["public", "regulator", "merchants", "insurer and bank"])
def test_no_page_of_any_role_in_either_language_has_a_serious_accessibility_violation(
    app, db, demo_site, port, browser, part
):
    from core.security import Role, create_key
    from enterprises.models import Enterprise

    keys = demo_site["keys"]
    with db.read_session() as s:
        insurer_id = s.exec(select(Enterprise.id).where(Enterprise.kind == "insurer")).first()
        merchant_id, *others = s.exec(
            select(Enterprise.id).where(Enterprise.kind == "merchant").order_by(Enterprise.id)
        ).all()
    with db.transaction() as s:  # the other merchants (other grades, no policy): their own pages
        other_keys = {i: create_key(s, Role.merchant, i) for i in others}
    failures: list[str] = []
    visited: list[tuple[str, str, str]] = []
    from translog import scheduled, service

    scheduled.checkpoint(app.state.settings, db)  # a checkpoint, for the proof pages to verify
    with db.read_session() as s:
        assert service.latest_checkpoint(s) is not None
    with serve(app, port) as base:
        _draw(base, browser, keys["regulator"])
        public = _public_pages(db, demo_site["scans"], demo_site["token"])
        roles = [
            ("public", None, PHONE, [path for path, _ in public]),
            ("regulator", keys["regulator"], WIDE, _signed_in_pages(db, "regulator", None)),
            ("merchant", keys["merchant"], WIDE, _signed_in_pages(db, "merchant", merchant_id)),
            ("insurer", keys["insurer"], WIDE, _signed_in_pages(db, "insurer", insurer_id)),
            # The demo's first merchant authorised the demo bank (api.demo_sharing).
            ("bank", keys["bank"], WIDE, ["/bank/credit", f"/bank/credit/{merchant_id}", "/sessions"]),
            *(
                (f"merchant {i}", key, WIDE, ["/merchant", "/merchant/credit", "/merchant/insurance"])
                for i, key in other_keys.items()
            ),
        ]
        roles = [r for r in roles if _part(r[0]) == part]
        assert roles, part
        status = dict(public)
        english: dict[tuple[str, str], str | None] = {}
        for lang, locale in (("zh", "zh-CN"), ("en", "en-US")):
            for role, key, size, paths in roles:
                context = browser.new_context(viewport=size, locale=locale)
                page = context.new_page()
                if key:
                    _sign_in(page, base, key)
                for path in paths:
                    want = status.get(path, 404 if "999999" in path else 200)
                    failures += _visit(page, base, role, lang, path, want, english)
                    visited.append((role, lang, path))
                context.close()
    switched = sum(1 for url in english.values() if url)
    print(
        f"axe-core, {part}: {len(visited) // 2} pages × 2 languages ({switched} with a page of their own in English)"
    )
    assert not failures, f"{len(failures)} serious or critical nodes:\n" + "\n".join(failures)


def test_the_check_finds_what_it_is_there_to_find(page):
    """The harness itself: low contrast, a nameless button and an image without text are reported, with
    their nodes; a minor finding (a heading level skipped) is not counted."""
    page.set_content(
        '<!doctype html><html lang="zh-CN"><title>t</title><main><h1>标题</h1><h4>跳级</h4>'
        '<p style="color:#aaa;background:#fff">浅灰文字 Light grey text</p>'
        '<button type="button"></button><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></html>'
    )
    found = axe_violations(page)
    assert {v["id"] for v in found} == {"color-contrast", "button-name", "image-alt"}
    lines = describe(found, "sample")
    assert any("color-contrast (serious) at ['p']" in line for line in lines), lines
    # The rules left out (those that can report nothing serious or critical) change nothing counted: axe
    # with every rule finds the same serious and critical nodes, and the rest only below them.
    everything = page.evaluate("() => window.axe.run(document, {resultTypes: ['violations']})")["violations"]
    assert [(v["id"], v["nodes"]) for v in everything if v["impact"] in SERIOUS] == [
        (v["id"], v["nodes"]) for v in found
    ]
    left_out = set(low_rules(page))
    skipped = {v["id"]: v["impact"] for v in everything if v["id"] in left_out}
    assert skipped == {"heading-order": "moderate"}, skipped  # the <h4> after the <h1>: reported, not counted
    assert {"region", "landmark-one-main", "heading-order"} <= left_out
    assert not {"color-contrast", "button-name", "image-alt", "label", "meta-viewport"} & left_out
