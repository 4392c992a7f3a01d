"""`make run`'s demo (issue 19 item 5: its code compressed by GS1's toolkit answered 404): every code the
demo issues, and its scan of each verdict, compressed by GS1's toolkit in every form, resolves as itself."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from sqlmodel import select
from typer.testing import CliRunner

from api.cli import app
from api.ratelimit import RateLimiter
from core.settings import get_settings
from tests.api.test_cli import cli_env  # noqa: F401 - the CLI's environment fixture
from tests.traceability.scans import BASE
from tests.traceability.test_digital_link_conformance import (
    TOOLKIT_FORMS,
    assert_every_compressed_form_resolves_as_itself,
)
from traceability import service as trace
from traceability.codes import Keyring
from traceability.models import CodeBatch


def _here(url: str) -> str:
    """The demo's URL on the test app's resolver (the same path and query)."""
    parts = urlsplit(url)
    return BASE + parts.path + (f"?{parts.query}" if parts.query else "")


def test_every_demo_code_compressed_by_gs1s_toolkit_in_every_form_resolves_as_itself(cli_env, client, db):  # noqa: F811
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    # The demo's codes carry the check of the CLI's code secret, not the test app's.
    client.app.state.resolver.keyring = Keyring.from_settings(get_settings())
    # Some 2,000 scans from one address in a few seconds: the limit is not what this test is about.
    client.app.state.rate_limiter = RateLimiter(per_minute=10**9, burst=10**9)
    with db.read_session() as s:
        batches = list(s.exec(select(CodeBatch.id).where(CodeBatch.status == "done")))
    issued = [code.link.uri(BASE) for batch in batches for code in trace.codes_of_batch(db, batch)]
    # The demo's scan of each verdict (genuine, recalled, not yet shipped, suspicious, revoked,
    # counterfeit, unverified), some of them not issued codes at all.
    shown = [_here(url) for url in json.loads((cli_env / "demo-scans.json").read_text())]
    assert len(issued) >= 100 and len(shown) >= 8
    uris = list(dict.fromkeys(shown + issued))
    resolved = assert_every_compressed_form_resolves_as_itself(client, uris)
    assert resolved == len(uris) * len(TOOLKIT_FORMS)
