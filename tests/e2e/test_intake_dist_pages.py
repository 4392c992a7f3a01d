"""Distribution in Chromium: the regulator opens the subscriptions from /console/intake, is refused a
callback URL that is not http(s) (naming the field), subscribes its agency to the courts' lists with a
loopback receiver (the operator's allowed network here, CROSSTRUST_WEBHOOK_ALLOWED_NETWORKS), reads the
signing secret once, sees the court's record delivered in words, and revokes the subscription. axe-core
finds nothing serious; every shown value goes through the glossary."""

from __future__ import annotations

import time

import pytest
from standardwebhooks import Webhook

from core.clock import utcnow
from core.security import Role, create_key
from core.workdays import CHINA_TZ
from tests.conftest import register
from tests.e2e.pages_kit import axe_check, sign_in
from tests.intake.helpers import COURT_HEADER, csv_bytes, deliver, source
from tests.receiver import Receiver


@pytest.fixture(autouse=True)
def _loopback_allowed(monkeypatch):
    monkeypatch.setenv("CROSSTRUST_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8")


@pytest.fixture(autouse=True)
def _every_word_in_the_glossary(caplog):
    yield
    unknown = [r.getMessage() for r in caplog.records if r.name == "crosstrust.glossary"]
    assert not unknown, unknown


def _drain(live) -> None:  # noqa: ANN001
    from api import wiring

    wiring.dispatcher(
        live.db, live.app.state.search, live.app.state.complaint_kit, max_attempts=3, backoff_base=0.0001
    ).drain()


def _delivered(live, rx) -> None:  # noqa: ANN001
    """Drain until the receiver has the record: the live server's own dispatcher may hold the event
    (it runs in the server, `dispatcher_in_process`), so one drain here can find nothing to do."""
    deadline = time.monotonic() + 60  # a safety net on a loaded machine, not a timing check
    while not rx.received and time.monotonic() < deadline:
        _drain(live)
        if not rx.received:
            time.sleep(0.1)


def test_the_regulator_subscribes_sees_deliveries_and_revokes(live_server, browser, tmp_path):
    base, db, _ = live_server
    rx = Receiver()
    ent = register(db, name_zh="宁波甬信跨境贸易有限公司")
    _drain(live_server)
    with db.transaction() as s:
        regulator = create_key(s, Role.regulator)
    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        sign_in(page, base, regulator, "/console/intake")
        page.goto(f"{base}/console/intake")
        page.click("a[data-link=subscriptions]")
        page.wait_for_url("**/console/intake/subscriptions")
        assert "本机关尚无订阅" in page.content()
        form = page.locator("form[data-form=subscribe]")
        assert "失信被执行人" in form.inner_text() and "宁波市北仑区市场监督管理局" in form.inner_text()
        form.locator("input[name=name]").fill("法院名单共享")
        form.locator("input[name=url]").fill("ftp://example.com/hook")
        form.locator("input[name=kinds][value=court_dishonest]").check()
        form.evaluate("f => f.noValidate = true")  # the server's check, not the browser's
        with page.expect_response(lambda r: r.url.endswith("/console/intake/subscriptions")) as refused:
            form.locator("button[type=submit]").click()
        assert refused.value.status == 422 and "url" in page.content()
        page.goto(f"{base}/console/intake/subscriptions")
        form = page.locator("form[data-form=subscribe]")
        form.locator("input[name=name]").fill("法院名单共享")
        form.locator("input[name=url]").fill(rx.url)
        form.locator("input[name=kinds][value=court_dishonest]").check()
        form.locator("input[name=regions][value='330206']").check()
        today = utcnow().astimezone(CHINA_TZ).date()
        form.locator("input[name=since]").fill(str(today))  # catch up from today: nothing older yet
        form.locator("button[type=submit]").click()
        secret = page.locator("[data-field=secret] .mono").inner_text().strip()
        assert secret.startswith("whsec_")
        row = page.locator("[data-table=subscriptions] tbody tr")
        assert row.count() == 1
        assert "失信被执行人" in row.inner_text() and "宁波市北仑区市场监督管理局" in row.inner_text()
        assert row.locator("[data-field=status]").inner_text() == "生效中 Active"
        assert row.locator("[data-field=since]").inner_text() == f"补发自 Since {today:%Y-%m-%d} 00:00"
        axe_check(page, "console-intake-subscribed")
        # The court's row is delivered, signed with the secret the page showed.
        src = source(db)
        rows = [[ent.name_zh, ent.uscc, "(2026)浙02执1号", "宁波市中级人民法院", "", "2026-03-01"]]
        deliver(db, tmp_path, src, "court_dishonest", csv_bytes(COURT_HEADER, rows))
        _delivered(live_server, rx)
        [(headers, body, status)] = rx.received
        Webhook(secret).verify(body, headers)
        page.goto(f"{base}/console/intake/subscriptions")
        sent = page.locator("[data-table^=deliveries] tbody tr")
        assert sent.count() == 1
        assert sent.locator("[data-field=state]").inner_text() == "已送达 Delivered"
        assert sent.locator("[data-field=message]").inner_text() == "新增记录 New record"
        assert page.locator("[data-field=secret]").count() == 0  # shown once only
        axe_check(page, "console-intake-subscriptions")
        page.locator("form[data-form=revoke] button[type=submit]").click()
        page.wait_for_url("**/console/intake/subscriptions?revoked=*")
        status = page.locator("[data-table=subscriptions] [data-field=status]")
        assert status.inner_text() == "已撤销 Revoked"
        assert page.locator("form[data-form=revoke]").count() == 0
    finally:
        context.close()
        rx.close()
