"""The demo's credit as a merchant meets it: its voluntary recall (主动召回) counts as the README and the
methodology say a merchant's own recall counts (minor), and its credit report PDF, read back, prints
every English word of its tables whole."""

from __future__ import annotations

import json
import re

from sqlmodel import select
from typer.testing import CliRunner

from api.cli import app as cli_app
from core.settings import get_settings
from credit import methodology
from credit import service as credit
from credit.models import CreditRecord
from enterprises.models import Enterprise
from tests.credit.test_report import pdftotext


def test_the_demos_voluntary_recall_is_minor_and_its_report_reads_whole(
    db, settings, client, monkeypatch, tmp_path
):
    monkeypatch.setenv("CROSSTRUST_DATABASE_URL", db.url)
    monkeypatch.setenv("CROSSTRUST_VAR_DIR", str(settings.var_dir))
    get_settings.cache_clear()
    try:
        seeded = CliRunner().invoke(cli_app, ["demo"])
    finally:
        get_settings.cache_clear()
    assert seeded.exit_code == 0, seeded.output
    admin = {
        "Authorization": f"Bearer {json.loads((settings.var_dir / 'demo-keys.json').read_text())['admin']}"
    }

    with db.read_session() as s:
        (recall,) = s.exec(select(CreditRecord).where(CreditRecord.kind == "recall")).all()
        uscc = s.get(Enterprise, recall.enterprise_id).uscc
    assert "主动召回" in (recall.evidence or "")
    records = client.get(f"/api/v1/enterprises/{recall.enterprise_id}/credit/records", headers=admin)
    assert records.status_code == 200, records.text
    (seen,) = [r for r in records.json() if r["kind"] == "recall"]
    points = methodology.current().kinds["recall"].points
    assert seen["severity"] == "minor"
    assert -points["minor"] <= seen["points_now"] < 0  # a minor recall's weight, decayed from today

    pdf = client.get(f"/credit/{uscc}/report.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdftotext(pdf.content, tmp_path, "-layout")
    names = credit.display_names()
    report = client.get(f"/api/v1/public/credit/{uscc}").json()
    cells = [names["kinds"][r["kind"]] for r in report["records"]]
    cells += [names["severities"][r["severity"]] for r in report["records"]]
    words = {w for cell in cells for w in re.findall(r"[A-Za-z]{2,}", cell)}
    assert "Minor" in words and "recall" in words, words
    broken = sorted(w for w in words if not re.search(rf"(?<![A-Za-z]){w}(?![A-Za-z])", text))
    assert broken == [], f"words split inside a cell: {broken}\n{text}"
