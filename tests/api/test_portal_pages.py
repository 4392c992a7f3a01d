"""The public portal's pages over HTTP: the enterprise page (six categories, grade and reasons, insurance,
complaint figures and published cases with the company's response, the credit report link), the red and
black lists, /code opened empty or with a whole code, the sitemap, robots.txt and canonical links."""

from __future__ import annotations

import re

from api.pages.portal import CATEGORIES
from tests.complaints.conftest import Cases
from tests.conftest import Keys, register
from tests.insurance.conftest import insure, product, set_grade


def test_the_enterprise_page_shows_what_is_disclosed_about_a_merchant(client, db, keys: Keys, dispatcher):
    dispatcher.drain()  # the new merchant is rated: premiums are priced by grade
    insure(client, keys, product(client, keys)["id"])
    cases = Cases(client, keys)
    filed = cases.file()
    cases.answer(filed, public_response="facts_disputed")
    dispatcher.drain()
    with db.read_session() as s:
        from enterprises import service as enterprises

        ent = enterprises.get(s, keys.merchant_id)
    r = client.get(f"/enterprises/{ent.uscc}")
    assert r.status_code == 200, r.text
    html = r.text
    assert ent.name_zh in html and f'data-field="uscc">{ent.uscc}<' in html
    assert re.search(r'data-grade="[ABCD]"', html) and "主要原因" in html
    assert 'data-insured="yes"' in html and "测试保险公司" in html
    assert 'data-figure="received">1<' in html and 'data-figure="answered_on_time">1<' in html
    # the published case with the company's response, in words
    assert f'data-case="{filed.ticket_no}"' in html
    assert "企业对事实有异议 Company disputes the facts" in html
    for category in ("entity", "operating", "regulatory", "service", "reward_punishment", "complaint"):
        assert f'data-category="{category}"' in html
    assert "主体信息 Entity" in html and "服务信息 Service" in html
    assert f'href="/credit/{ent.uscc}"' in html
    assert f'<link rel="canonical" href="http://localhost:8000/enterprises/{ent.uscc}">' in html or (
        f'/enterprises/{ent.uscc}">' in html and 'rel="canonical"' in html
    )
    # no internal value shown where words belong
    assert "reward_punishment<" not in html and "facts_disputed<" not in html


def test_the_enterprise_page_counts_each_category_and_shows_its_newest_public_records(client, db, dispatcher):
    """The six categories come from the records in one query: counts of what the public may see (not
    regulator-only records, not those past their publication window), the newest three of each."""
    from datetime import timedelta

    from core.clock import utcnow
    from disclosure import service as disclosures

    ent = register(db, kind="insurer", name_zh="宁波六类公示测试有限公司")  # insurers get no grade record
    other = register(db, kind="insurer", name_zh="宁波另一家测试有限公司")
    dispatcher.drain()  # registration discloses the enterprise itself (entity)
    now = utcnow().replace(microsecond=0)

    def record(key: str, category: str, days_ago: int, **extra: object) -> None:
        values = {
            "category": category,
            "enterprise_id": extra.pop("enterprise_id", ent.id),
            "uscc": ent.uscc,
            "enterprise_name": ent.name_zh,
            "title_zh": f"标题{key}",
            "occurred_at": now - timedelta(days=days_ago),
            "source_type": "test",
            **extra,
        }
        with db.transaction() as s:
            disclosures.upsert(s, f"test:{key}", values, None)

    for day in range(5):  # five operating records: the newest three shown, all five counted
        record(f"op{day}", "operating", day)
    record("reg-live", "regulatory", 10, publish_until=now + timedelta(days=30))
    record("reg-gone", "regulatory", 2000, publish_until=now - timedelta(days=1))
    record("hidden", "complaint", 1, visibility="regulator")
    record("theirs", "service", 1, enterprise_id=other.id)
    html = client.get(f"/enterprises/{ent.uscc}").text

    def section(category: str) -> str:
        found = re.search(
            rf'<details class="card" data-category="{category}"[^>]*>(.*?)</details>', html, re.S
        )
        assert found, category
        return found.group(1)

    counts = {c: re.search(r'<span class="count">(\d+)</span>', section(c)).group(1) for c in CATEGORIES}
    entity = counts.pop("entity")  # registration discloses the enterprise itself
    assert int(entity) >= 1
    assert counts == {
        "operating": "5",
        "regulatory": "1",
        "service": "0",
        "reward_punishment": "0",
        "complaint": "0",
    }
    assert re.findall(r"标题op\d", section("operating")) == ["标题op0", "标题op1", "标题op2"]
    assert "标题reg-live" in html and "标题reg-gone" not in html and "标题hidden" not in html
    assert "标题theirs" not in html


def test_the_enterprise_page_refuses_a_bad_code_and_a_missing_enterprise(client):
    r = client.get("/enterprises/not-a-uscc")
    assert r.status_code == 422 and "text/html" in r.headers["content-type"] and "uscc" in r.text
    from tests.conftest import make_uscc

    r = client.get(f"/enterprises/{make_uscc()}")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]


def test_the_lookup_goes_to_the_page_or_to_the_search(client, db):
    ent = register(db, name_zh="宁波查找测试有限公司")
    r = client.get("/enterprises", params={"uscc": ent.uscc.lower()}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/enterprises/{ent.uscc}"
    r = client.get("/enterprises", params={"uscc": "查找测试"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/disclosures?q=")


def test_the_red_and_black_lists(client, db, keys: Keys):
    red, black = (
        register(db, name_zh="宁波守信示范有限公司"),
        register(db, name_zh="宁波失信惩戒测试有限公司"),
    )
    set_grade(db, red.id, "A")
    set_grade(db, black.id, "D")
    red_page = client.get("/lists/red")
    black_page = client.get("/lists/black")
    assert red_page.status_code == 200 and black_page.status_code == 200
    assert "宁波守信示范有限公司" in red_page.text and "宁波失信惩戒测试有限公司" not in red_page.text
    assert "宁波失信惩戒测试有限公司" in black_page.text and "宁波守信示范有限公司" not in black_page.text
    assert f'href="/enterprises/{black.uscc}"' in black_page.text
    assert "红名单（守信激励）" in red_page.text and "黑名单（失信惩戒）" in black_page.text
    assert client.get("/lists/grey").status_code == 422
    assert client.get("/lists/red", params={"start": "-1"}).status_code == 422


def test_code_opened_empty_is_a_form_and_a_whole_code_goes_to_its_scan_page(client):
    r = client.get("/code")
    assert r.status_code == 200 and 'id="code-form"' in r.text and 'name="gtin"' in r.text
    assert "/static/portal-scan.js" in r.text
    link = "/01/04001234500126/10/DE2611A0/21/11603GMDDWMQ8QYD0K45"
    for text in (
        "https://other-resolver.example" + link + "?17=280314",
        "http://127.0.0.1:8000/scan" + link + "?17=280314",
        "(01)04001234500126(10)DE2611A0(21)1160-3GMD-DWMQ-8QYD-0K45(17)280314",
    ):
        r = client.get("/code", params={"code": text}, follow_redirects=False)
        assert r.status_code == 303, (text, r.text)
        assert r.headers["location"] == link + "?17=280314", text
    r = client.get("/code", params={"code": "hello"})
    assert r.status_code == 400 and "text/html" in r.headers["content-type"]
    # the help page's own form still works as before
    r = client.get("/code", params={"gtin": "04001234500126", "serial": ""})
    assert r.status_code == 400


def test_sitemap_robots_and_canonical_links(client, db):
    ent = register(db, name_zh="宁波站点地图测试有限公司")
    sitemap = client.get("/sitemap.xml")
    assert sitemap.status_code == 200 and sitemap.headers["content-type"].startswith("application/xml")
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap.text)
    base = client.app.state.settings.resolver_base_url.rstrip("/")
    for path in ("/", "/disclosures", "/figures", "/lists/red", "/lists/black"):
        assert base + path in locs
    assert f"{base}/enterprises/{ent.uscc}" in locs and f"{base}/credit/{ent.uscc}" in locs
    robots = client.get("/robots.txt").text
    assert f"Sitemap: {base}/sitemap.xml" in robots and "Disallow: /api/" in robots
    assert "Disallow: /console" in robots and "Disallow: /merchant" in robots
    for path in ("/", "/disclosures", "/figures", "/lists/red", f"/enterprises/{ent.uscc}"):
        html = client.get(path).text
        found = re.findall(r'<link rel="canonical" href="([^"]+)">', html)
        assert found and found[0].split("?")[0] == base + path, (path, found)
