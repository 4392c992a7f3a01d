"""The proof pages in Chromium at phone width (390 px), over the demo data with a checkpoint signed by the
log's own function: from a scan page and from an enterprise page the "可验证 · Verifiable" link leads to a
page that says the proof holds (on the server and again in the browser, WebCrypto) and the log's size;
a leaf row altered in the database makes the same page say the proof fails, with a 200, not a 500."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import text
from sqlmodel import select

from tests.api import test_page_words
from tests.conftest import free_port, serve
from tests.e2e.pages_kit import axe_check
from tests.receiver import serve_in_thread
from translog import scheduled, service

demo_site = test_page_words.demo_site  # the fixture: the demo data the glossary test walks
pytestmark = pytest.mark.demo_seeded  # demo_site starts from the demo restored, not seeded


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def settings(settings, port):
    """The resolver is the server itself; no checkpoint timer: the test signs them."""
    return settings.model_copy(
        update={"resolver_base_url": f"http://127.0.0.1:{port}", "tlog_checkpoint_seconds": 0}
    )


@pytest.fixture
def signed(demo_site, settings, db) -> int:
    """A signed checkpoint covering the demo's leaves, by the log's own function."""
    size = scheduled.checkpoint(settings, db)
    assert size is not None and size > 0
    return size


def _follow(page, url: str) -> None:
    page.goto(url)
    link = page.locator("a[data-link=verifiable]")
    assert link.count() == 1, page.content()[:500]
    link.click()
    page.wait_for_url("**/verifiable/**")


def _verified(page, size: int) -> None:
    assert page.locator("[data-state]").get_attribute("data-state") == "verified", page.content()[:2000]
    assert page.locator("[data-field=log-size]").inner_text() == str(size)
    assert "已验证" in page.locator("[data-state]").inner_text()
    # the browser's own check: WebCrypto's SHA-256 over the path, and Chromium's Ed25519 over the note
    page.wait_for_function("() => document.getElementById('browser-check').dataset.browser !== ''")
    assert page.locator("#browser-check").get_attribute("data-browser") == "browser"
    assert "crosstrust log verify" in page.locator("[data-field=command]").text_content()
    axe_check(page, "verifiable-" + page.url.split("/verifiable/")[1].split("/")[0])


def _genuine_scan(page, base: str, scans: list[str]) -> str:
    """The first demo scan page that carries the link (a counterfeit's does not)."""
    for scanned in scans:
        parts = urlsplit(scanned)
        url = base + parts.path + (f"?{parts.query}" if parts.query else "")
        page.goto(url)
        if page.locator("a[data-link=verifiable]").count():
            return url
    raise AssertionError("no demo scan page has the link")


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)  # the pages are the same on both databases
def test_from_a_scan_page_and_an_enterprise_page_the_proof_is_verified(
    app, db, demo_site, signed, port, page
):
    from enterprises.models import Enterprise

    with serve(app, port) as base:
        scan = _genuine_scan(page, base, demo_site["scans"])
        _follow(page, scan)
        assert "追溯码" in page.locator("h1 + p").inner_text()
        _verified(page, signed)
        with db.read_session() as s:
            graded = [
                e.uscc
                for e in s.exec(select(Enterprise).where(Enterprise.kind == "merchant")).all()
                if service.latest_checkpoint(s) and _has_grade_leaf(s, e.id)
            ]
        assert graded, "the demo has a graded merchant"
        _follow(page, f"{base}/enterprises/{graded[0]}")
        assert "信用等级" in page.locator("h1 + p").inner_text()
        _verified(page, signed)
        _follow(page, f"{base}/credit/{graded[0]}")
        _verified(page, signed)


def _has_grade_leaf(s, enterprise_id: int) -> bool:
    return (
        s.connection()
        .execute(text("SELECT count(*) FROM tlog_leaf WHERE subject = :s"), {"s": f"grade:{enterprise_id}"})
        .scalar()
        > 0
    )


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_an_altered_leaf_row_makes_the_page_say_the_proof_fails(app, db, demo_site, signed, port, page):
    with db.read_session() as s:
        idx, subject, data = (
            s.connection()
            .execute(
                text(
                    "SELECT idx, subject, data FROM tlog_leaf WHERE kind = 'credit.grade' ORDER BY idx LIMIT 1"
                )
            )
            .one()
        )
    enterprise_id = int(subject.split(":")[1])
    altered = bytes(data).replace(b'"at":"2', b'"at":"1', 1)  # the date moved back a millennium
    assert altered != bytes(data)
    with db.transaction() as s:  # behind the platform's back
        s.connection().execute(
            text("UPDATE tlog_leaf SET data = :d WHERE idx = :i"), {"d": altered, "i": idx}
        )
    from enterprises.models import Enterprise

    with db.read_session() as s:
        uscc = s.get(Enterprise, enterprise_id).uscc
    with serve(app, port) as base:
        response = page.goto(f"{base}/verifiable/grade/{uscc}")
        assert response.status == 200
        state = page.locator("[data-state]")
        assert state.get_attribute("data-state") == "failed", page.content()[:2000]
        assert "验证失败" in state.inner_text()
        # the checkpoint's signature and the tiles hold; the leaf's inclusion is what fails
        marks = {c.get_attribute("data-check"): c.inner_text()[0] for c in page.locator("[data-check]").all()}
        assert marks == {"signature": "✓", "tree": "✓", "inclusion": "✗"}
        page.wait_for_function("() => document.getElementById('browser-check').dataset.browser !== ''")
        assert page.locator("#browser-check").get_attribute("data-browser") == "browser_failed"
        assert "does not verify" in page.locator("[data-field=failure]").text_content()


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_before_a_checkpoint_covers_it_the_page_says_it_is_being_added(app, db, demo_site):
    """No checkpoint signed yet (the lag of the timer): kindly "check again in a minute", not an error;
    an unknown code is a 404 page and a malformed serial a 4xx."""
    from enterprises.models import Enterprise
    from tests.testclient import TestClient

    with db.read_session() as s:
        uscc = s.exec(select(Enterprise.uscc).where(Enterprise.kind == "merchant")).first()
    with TestClient(app) as client:
        r = client.get(f"/verifiable/grade/{uscc}")
        assert r.status_code == 200, r.text[:500]
        assert (
            'data-state="pending"' in r.text
            and "请稍后再来查看" in r.text
            and "check again in a minute" in r.text
        )
        assert client.get("/verifiable/code/NOSUCHSERIAL0000").status_code == 404
        assert client.get("/verifiable/code/bad%20serial!").status_code in (400, 422)
        assert client.get("/verifiable/grade/NOTAUSCC").status_code in (404, 422)


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_a_disclosure_records_proof_page_verifies_and_an_unknown_version_is_not_found(
    app, db, demo_site, signed
):
    from tests.testclient import TestClient

    with db.read_session() as s:
        subject, version = (
            s.connection()
            .execute(text("SELECT subject, version FROM tlog_leaf WHERE kind = 'disclosure.record' LIMIT 1"))
            .one()
        )
    record_id = int(subject.split(":")[1])
    with TestClient(app) as client:
        r = client.get(f"/verifiable/record/{record_id}?version={version}")
        assert r.status_code == 200, r.text[:500]
        assert 'data-state="verified"' in r.text and f"--record {record_id}@{version}" in r.text
        assert client.get(f"/verifiable/record/{record_id}?version={version + 1000}").status_code == 404
        assert client.get("/verifiable/record/0").status_code == 422


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_a_browser_without_ed25519_says_the_server_checked_the_signature(
    app, db, demo_site, signed, port, browser
):
    """An older browser's WebCrypto has no Ed25519 (here: its importKey refuses it, as such a browser's
    does): the path is still checked in the browser, and the page says the signature was the server's."""
    from enterprises.models import Enterprise

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    context.add_init_script(
        """(() => { const own = crypto.subtle.importKey.bind(crypto.subtle);
        crypto.subtle.importKey = (f, k, alg, ...rest) => (alg && alg.name === "Ed25519")
          ? Promise.reject(new DOMException("Unrecognized name.", "NotSupportedError")) : own(f, k, alg, ...rest);
        })();"""
    )
    page = context.new_page()
    with db.read_session() as s:
        usccs = s.exec(select(Enterprise.uscc).where(Enterprise.kind == "merchant")).all()
        uscc = next(
            u
            for u in usccs
            if _has_grade_leaf(s, s.exec(select(Enterprise.id).where(Enterprise.uscc == u)).one())
        )
    with serve(app, port) as base:
        page.goto(f"{base}/verifiable/grade/{uscc}")
        assert page.locator("[data-state]").get_attribute("data-state") == "verified"
        page.wait_for_function("() => document.getElementById('browser-check').dataset.browser !== ''")
        assert page.locator("#browser-check").get_attribute("data-browser") == "browser_partial"
        assert "签名由平台服务器验证" in page.locator("#browser-check").inner_text()
    context.close()


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_a_cosigned_checkpoint_names_its_witness_in_words(app, db, demo_site, settings, port, page, tmp_path):
    """A witness (the real one, in this process) cosigns the checkpoint: the page is checked against the
    cosigned checkpoint, in the browser too, and says who cosigned it in Chinese and English."""
    import json

    from translog import witnessing
    from translog.cosign import Cosigner
    from translog.witness import Witness
    from translog.witness_server import serve as serve_witness

    cosigner = Cosigner.generate("witness.test/consumers")
    witness = Witness(cosigner, [scheduled.signer(settings).verifier], tmp_path / "witness")
    server = serve_witness(witness, "127.0.0.1", 0)
    serve_in_thread(server)
    try:
        settings.tlog_witnesses = json.dumps(
            [
                {
                    "key": cosigner.key.encode(),
                    "url": f"http://127.0.0.1:{server.server_address[1]}",
                    "zh": "消费者协会",
                    "en": "The consumers' association",
                }
            ]
        )
        size = scheduled.checkpoint(settings, db)
        assert witnessing.push(settings, db) == {"witness.test/consumers": f"cosigned {size}"}
        with serve(app, port) as base:
            scan = _genuine_scan(page, base, demo_site["scans"])
            _follow(page, scan)
            _verified(page, size)
            witness_line = page.locator("[data-witness='witness.test/consumers']")
            assert "消费者协会" in witness_line.inner_text()
            assert "The consumers' association" in witness_line.inner_text()
    finally:
        server.shutdown()
        server.server_close()
