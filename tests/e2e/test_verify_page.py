"""The verify page (issue 26) in Chromium: opened once online, then with the network cut it still opens
(its service worker keeps it) and checks signed codes with WebCrypto: genuine, bad after one changed
character of the data or the signature, unknown key, unsigned; and once back online a revocation
reaches its cache, so that the same code then reads revoked-key offline; a certificate it keeps changed by
one character (a signing key's or the root's) is not trusted."""

from __future__ import annotations

import json

from api import seeding
from core.security import SYSTEM
from tests.conftest import register
from traceability import code_keys, digsig
from traceability import service as trace
from traceability.codes import gtin_with_check


def _signed_codes(live_server, quantity: int = 3) -> tuple[trace.CodeBatch, list[trace.IssuedCode]]:
    base, db, app = live_server
    keyring = app.state.keyring
    ent = register(db)
    with db.transaction() as s:
        released = seeding.released_declaration(
            s, ent.id, base, gtin=gtin_with_check("690201907077"), declaration_no="310520260099000077",
            lots=[("LOT2611A", quantity)],
        )  # fmt: skip
        batch = trace.reserve_codes(s, released.declaration_id, 1, quantity, keyring, SYSTEM, signed=True)
    done = trace.run_batch(db, batch.id, keyring, base, runner=batch.runner)
    return done, list(trace.codes_of_batch(db, done.id))


def _outcome(page, code: str) -> str:
    page.fill("#code", code)
    page.click("#check")
    page.wait_for_function("document.getElementById('outcome').dataset.outcome !== ''")
    outcome = page.get_attribute("#outcome", "data-outcome")
    page.evaluate("document.getElementById('outcome').dataset.outcome = ''")
    return outcome


def test_the_verify_page_checks_signed_codes_offline(live_server, page, tmp_path):
    base, db, app = live_server
    batch, codes = _signed_codes(live_server)
    page.goto(base + "/verify/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now under the service worker, which has cached the page and the certificates
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.wait_for_function("document.getElementById('certificates').dataset.keys === '1'")
    assert "不要点开" in page.text_content(".lead") and "not by opening any link" in page.text_content(
        ".lead"
    )

    page.context.set_offline(True)
    page.reload()
    page.wait_for_function("document.getElementById('certificates').dataset.keys === '1'")
    uri = codes[0].link.uri(base)
    sig = codes[0].link.digsig
    assert sig is not None
    assert _outcome(page, uri) == "genuine-signature"
    assert "签名真实" in page.text_content("#outcome") and "Genuine signature" in page.text_content(
        "#outcome"
    )
    link = codes[0].link
    bracketed = f"(01){link.gtin}(17){link.expiry:%y%m%d}(10){link.lot}(21){link.serial}(8030){sig}"
    assert _outcome(page, bracketed) == "genuine-signature"
    serial = link.serial
    assert serial is not None
    other = serial[:-1] + ("0" if serial[-1] != "0" else "1")
    assert _outcome(page, uri.replace(serial, other)) == "bad-signature"
    assert _outcome(page, uri.replace(sig, sig[:20] + ("A" if sig[20] != "A" else "B") + sig[21:])) == (
        "bad-signature"
    )
    assert _outcome(page, uri.replace(sig, digsig.encode(60000, digsig.decode(sig)[1]))) == "unknown-key"
    assert _outcome(page, uri.replace(f"&8030={sig}", "")) == "unsigned"
    assert _outcome(page, "hello") == "not-a-code"
    page.screenshot(path=str(tmp_path / "verify-offline.png"), full_page=True)

    # a revocation reaches the page's cache on its next visit online, and holds offline
    with db.transaction() as s:
        code_keys.revoke(s, batch.signing_key_id, "leaked")
    page.context.set_offline(False)
    page.reload()
    page.wait_for_function("document.getElementById('certificates').textContent.includes('1 revoked')")
    page.context.set_offline(True)
    page.reload()
    page.wait_for_function("document.getElementById('certificates').dataset.keys === '1'")
    assert _outcome(page, uri) == "revoked-key"


KEPT = "/.well-known/crosstrust/certificates"
READ_KEPT = "caches.open('crosstrust-verify-v2').then((c) => c.match(u)).then((r) => r.text())"
PUT_KEPT = (
    "async ([u, text]) => (await caches.open('crosstrust-verify-v2'))"
    ".put(u, new Response(text, { headers: { 'Content-Type': 'application/json' } }))"
)


def _one_character_changed(document: str, which: str) -> str:
    """The kept document with one character of a certificate's body changed (as the CLI's test does)."""
    changed = json.loads(document)
    lines = changed[which][0]["certificate"].splitlines()
    lines[4] = lines[4][:20] + ("A" if lines[4][20] != "A" else "B") + lines[4][21:]
    changed[which][0]["certificate"] = "\n".join(lines) + "\n"
    return json.dumps(changed)


def test_a_certificate_changed_by_one_character_is_not_trusted_offline(live_server, page):
    """The page checks the certificates it keeps: a signing key's certificate, or the root's, changed by
    one character in the service worker's cache makes the code's key unknown, with the network cut."""
    base, _db, _app = live_server
    _batch, codes = _signed_codes(live_server, 1)
    page.goto(base + "/verify/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.wait_for_function("document.getElementById('certificates').dataset.keys === '1'")
    assert page.get_attribute("#certificates", "data-untrusted") == "0"
    uri = codes[0].link.uri(base)
    page.context.set_offline(True)
    assert _outcome(page, uri) == "genuine-signature"
    original = page.evaluate(f"(u) => {READ_KEPT}", KEPT)
    for which in ("keys", "roots"):
        page.evaluate(PUT_KEPT, [KEPT, _one_character_changed(original, which)])
        page.reload()
        page.wait_for_function("document.getElementById('certificates').dataset.untrusted === '1'")
        assert _outcome(page, uri) == "unknown-key", which
    page.evaluate(PUT_KEPT, [KEPT, original])
    page.reload()
    page.wait_for_function("document.getElementById('certificates').dataset.untrusted === '0'")
    assert _outcome(page, uri) == "genuine-signature"
