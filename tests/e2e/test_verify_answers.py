"""The verify page checks the scan's signed answer (issue 26) in Chromium: it asks the code's own link for
the answer (`Accept: application/jose`) and checks the JWS with WebCrypto against the answer keys it
keeps. The platform's answer is trusted and its signed facts shown; a look-alike site — a copied code
whose link points elsewhere — that copies the words, signs with another key under the platform's kid,
changes one character, or replays another code's signed answer, is refused."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import jwt
import pytest
from joserfc.jwk import ECKey

from tests.e2e.pages_kit import screenshot
from tests.e2e.test_verify_page import _outcome, _signed_codes
from tests.receiver import serve_in_thread
from traceability import answer_keys


class LookAlike(ThreadingHTTPServer):
    """A site of a counterfeiter's: whatever is asked, it answers `body` (CORS open, as it would be)."""

    body = ""


class _Handler(BaseHTTPRequestHandler):
    server: LookAlike

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        data = self.server.body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/jose")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def look_alike() -> Iterator[tuple[LookAlike, str]]:
    server = LookAlike(("127.0.0.1", 0), _Handler)
    serve_in_thread(server)
    yield server, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _answer(page, code: str) -> str:
    _outcome(page, code)
    page.wait_for_function("document.getElementById('answer').dataset.answer !== ''")
    return page.get_attribute("#answer", "data-answer")


def test_the_verify_page_trusts_the_platforms_signed_answer_and_no_look_alike(live_server, page, look_alike):
    base, _db, _app = live_server
    fake, fake_base = look_alike
    _batch, codes = _signed_codes(live_server, 2)
    page.goto(base + "/verify/")
    page.wait_for_function("document.getElementById('certificates').dataset.answerKeys === '1'")
    uri = codes[0].link.uri(base)

    assert _answer(page, uri) == "answer-genuine"
    shown = page.text_content("#answer") + page.text_content("#answer-facts")
    assert "本平台的签名" in shown and "this platform's signature" in shown and "Signed at" in shown
    assert "用本页扫码" in page.content() and "Scan with this page, not with any link" in page.content()
    screenshot(page, "verify-signed-answer")

    # the same code copied onto a label whose link is the look-alike's: its own signature still checks
    copied = uri.replace(base, fake_base)
    real = httpx.get(uri, headers={"Accept": "application/jose"}).text
    other_code = httpx.get(codes[1].link.uri(base), headers={"Accept": "application/jose"}).text
    header = jwt.get_unverified_header(real)
    payload = base64.urlsafe_b64decode(real.split(".")[1] + "==")
    another_key = answer_keys.AnswerKey(0, header["kid"], ECKey.generate_key("P-256"), header["x5c"])
    at = real.index(".") + 12
    cases = {
        "words": (httpx.get(uri, headers={"Accept": "application/json"}).text, "answer-unsigned"),
        "another key": (another_key.sign(payload), "answer-forged"),
        "one character": (real[:at] + ("A" if real[at] != "A" else "B") + real[at + 1 :], "answer-forged"),
        "another code's answer": (other_code, "answer-other-code"),
        "the platform's own answer, passed on": (real, "answer-genuine"),
    }
    for name, (body, expected) in cases.items():
        fake.body = body
        assert _outcome(page, copied) == "genuine-signature", name
        assert _answer(page, copied) == expected, name
        if expected != "answer-genuine":
            assert page.text_content("#answer-facts") == "", name
            assert "不要相信" in page.text_content("#answer"), name
        if name == "another key":
            screenshot(page, "verify-look-alike-answer")
