from tests.conftest import register


def test_home_page_looks_up_an_enterprise_by_uscc(live_server, page, tmp_path):
    base, db, _ = live_server
    ent = register(db, name_zh="宁波浏览器测试进出口有限公司")
    page.goto(base + "/")
    assert "跨境电商溯源与信用平台" in page.text_content("h1")
    page.fill("#uscc", ent.uscc)
    page.click("#lookup button[type=submit]")
    page.wait_for_url(f"**/enterprises/{ent.uscc}")
    assert "宁波浏览器测试进出口有限公司" in page.content()
    page.goto(base + "/")
    page.screenshot(path=str(tmp_path / "home.png"), full_page=True)


def _outside_origin(base: str, urls: list[str]) -> list[str]:
    return [u for u in urls if not (u.startswith(base + "/") or u.startswith(("data:", "blob:")))]


def test_docs_page_lists_the_api_from_the_platform_alone(live_server, page):
    """Swagger UI's script, style and favicon are served by the platform (issue 20: no request leaves
    its origin; a bonded-zone machine may not reach a CDN)."""
    base, _, _ = live_server
    requests: list[str] = []
    page.on("request", lambda req: requests.append(req.url))
    page.goto(base + "/docs")
    page.locator(".opblock-summary-path", has_text="/api/v1/enterprises/{enterprise_id}").first.wait_for(
        timeout=15000
    )
    assert page.locator(".opblock").count() >= 10
    assert page.title() == "CrossTrust - Swagger UI"
    assert base + "/openapi.json" in requests
    assert any(u.startswith(base + "/") and u.endswith("/swagger-ui-bundle.js") for u in requests), requests
    assert any(u.startswith(base + "/") and u.endswith("/swagger-ui.css") for u in requests), requests
    assert not _outside_origin(base, requests), requests
