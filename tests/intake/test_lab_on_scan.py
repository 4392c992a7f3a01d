"""A failed sampled test reaches the consumer's scan (issue 24): another agency's lab reports that a sample
of a merchant's declared lot failed; once intake accepts and links the report, a scan of any item of that
lot says so in the lab's words (the JSON and the page), while the verdict on the code itself is unchanged;
a passing report says nothing; a report a regulator settles as not holding is withdrawn from the scan.
Both databases."""

# ruff: noqa: RUF001 - full-width punctuation is Chinese text

from __future__ import annotations

from sqlmodel import select

from core.events import Event
from enterprises.models import Enterprise
from intake.events import IntakeRecordSuperseded
from intake.models import IntakeRecord
from tests.conftest import Keys
from traceability import lab_results

from .helpers import csv_bytes, deliver, source
from .test_links import LAB_HEADER, _lab

BASE = "http://127.0.0.1:8000"
JSON = {"Accept": "application/json"}


def _evidence(client, uri: str) -> tuple[str, list[dict]]:  # noqa: ANN001
    r = client.get(uri.removeprefix(BASE), headers=JSON)
    assert r.status_code == 200, r.text
    body = r.json()
    return body["verdict"]["status"], [e for e in body["verdict"]["evidence"] if e["code"] == "lab_failed"]


def test_a_failed_lab_test_of_the_lot_is_on_the_scan_and_a_withdrawn_one_is_not(
    client, flow, keys: Keys, db, dispatcher, tmp_path
):
    _, _, codes = flow.released_codes(quantity=2)
    code = codes[0]
    with db.read_session() as s:
        merchant = s.get(Enterprise, keys.merchant_id)
        assert merchant is not None
    before_status, none = _evidence(client, code["uri"])
    assert none == []
    src = source(db, code="samr-nb", name_zh="宁波市市场监督管理局")
    rows = [
        _lab(merchant.name_zh, merchant.uscc, code["gtin"], code["lot"], "NB2026-0001", "不合格"),
        _lab(merchant.name_zh, merchant.uscc, code["gtin"], "OTHERLOT", "NB2026-0002", "不合格"),
        _lab(merchant.name_zh, merchant.uscc, code["gtin"], code["lot"], "NB2026-0003", "合格"),
    ]
    d = deliver(db, tmp_path, src, "lab_result", csv_bytes(LAB_HEADER, rows))
    assert d.accepted == 3, d
    dispatcher.drain()
    status, [found] = _evidence(client, code["uri"])
    assert status == before_status  # the code is what it was; the lot's test is said beside it
    assert "该批次抽检不合格（宁波市市场监督管理局，2026-11-02）" in found["zh"], found
    assert "NB2026-0001" in found["zh"] and found["en"].startswith("A sample of this lot failed"), found
    assert "NB2026-0002" not in str(found)  # another lot's report is not this lot's
    page = client.get(code["uri"].removeprefix(BASE), headers={"Accept": "text/html"})
    assert page.status_code == 200 and "该批次抽检不合格" in page.text
    # A regulator settles that the report does not hold: the scan stops saying it.
    with db.read_session() as s:
        [rec] = [r for r in s.exec(select(IntakeRecord)) if r.fields.get("report_no") == "NB2026-0001"]
    assert rec.id is not None
    with db.transaction() as s:
        lab_results.withdrawn(
            s,
            Event(
                1,
                "intake.record_superseded",
                "intake_record",
                str(rec.id),
                "test",
                IntakeRecordSuperseded(
                    record_id=rec.id,
                    credit_kinds=["inspection_failure"],
                    by_record_id=rec.id,
                    conflict_id=1,
                    settled_by="regulator:1",
                    reason="复检合格",
                ),
                rec.created_at,
            ),
        )
    assert _evidence(client, code["uri"])[1] == []
