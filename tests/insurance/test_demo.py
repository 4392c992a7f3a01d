"""`make run`'s demo: one insured merchant whose demo scan shows the cover, one uninsured, one paid claim."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from typer.testing import CliRunner

from api.cli import app
from core.settings import get_settings
from enterprises.models import Enterprise
from insurance import service as insurance
from tests.api.test_cli import cli_env  # noqa: F401 - the CLI's environment fixture
from traceability.codes import Keyring


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_the_demo_has_an_insured_merchant_an_uninsured_one_and_a_paid_claim(cli_env, client, db):  # noqa: F811
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert "Paid claim" in result.output
    urls = json.loads((cli_env / "demo-scans.json").read_text())
    info = json.loads((cli_env / "demo-insurance.json").read_text())

    # The demo's codes carry the check of the CLI's code secret (var/code-secret), not the test app's:
    # read with another key they are forged, and a forged code shows no importer's cover.
    client.app.state.resolver.keyring = Keyring.from_settings(get_settings())
    scan = client.get(_path(urls[0]), headers={"Accept": "application/json"}).json()
    assert scan["verdict"]["status"] == "genuine"
    assert scan["enterprise"]["name_zh"] == info["insured"]
    assert "承保品质险" in scan["enterprise"]["insurance"]["summary"]
    page = client.get(_path(urls[0]), headers={"Accept": "text/html"}).text
    assert "每件最高赔付" in page

    claimed = client.get(_path(info["claimed_scan"]), headers={"Accept": "application/json"}).json()
    assert claimed["insurance_claim"]["status"] == "paid"
    assert claimed["insurance_claim"]["amount"] == {"amount_minor": 800_00, "currency": "CNY"}

    with db.read_session() as s:
        from sqlmodel import select

        uninsured = s.exec(select(Enterprise).where(Enterprise.name_zh == info["uninsured"])).one()
        assert insurance.enterprise_cover(s, uninsured.id) is None
