"""The deadline sweep: from the command line, and in several workers at once with each case moved once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import func, select
from typer.testing import CliRunner

from api.cli import app as cli
from complaints import service
from complaints.models import Complaint, Status
from core.clock import clock, utcnow
from core.events import OutboxEvent
from core.settings import get_settings
from tests.complaints.conftest import Cases


def seed_open_cases(db, enterprise_id: int, n: int, due_in: timedelta) -> None:
    """Cases written directly (the sweep's subject is many rows, not intake)."""
    now = utcnow()
    with db.transaction() as s:
        s.add_all(
            Complaint(
                ticket_no=f"TSBULK{i:08d}",
                token_hash=f"{i:064d}",
                category="quality",
                narrative="bulk",
                wanted="refund",
                channel="api",
                enterprise_id=enterprise_id,
                contact_cipher="x",
                contact_hash="y",
                contact_masked="z",
                region="330206",
                received_at=now,
                due_at=now + due_in,
                merchant_due_at=now + due_in,
                updated_at=now,
            )
            for i in range(n)
        )


def test_the_command_line_sweeps(cases: Cases, db, tmp_path, monkeypatch, keys):
    monkeypatch.setenv("CROSSTRUST_DATABASE_URL", db.url)
    monkeypatch.setenv("CROSSTRUST_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    try:
        seed_open_cases(db, keys.merchant_id, 3, timedelta(hours=-1))
        result = CliRunner().invoke(cli, ["complaints", "sweep"])
        assert result.exit_code == 0, result.output
        assert "3 escalated" in result.output
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("workers", [4])
def test_sweepers_running_at_once_move_each_case_once(db, keys, app, workers):
    seed_open_cases(db, keys.merchant_id, 300, timedelta(hours=-1))
    seed_open_cases_later = 50
    with db.transaction() as s:  # some not yet due
        for c in s.exec(select(Complaint).limit(seed_open_cases_later)):
            c.due_at = utcnow() + timedelta(days=3)
            s.add(c)
    kit = app.state.complaint_kit
    results: list[dict] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(service.sweep(db, kit, batch=40))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert sum(r["escalated"] for r in results) == 250
    with db.read_session() as s:
        overdue = s.exec(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.type == "complaint.overdue")
        ).one()
        moved = s.exec(
            select(func.count()).select_from(Complaint).where(Complaint.status == Status.mediation)
        ).one()
    assert overdue == 250 and moved == 250
    clock.advance(timedelta(days=1))
    assert service.sweep(db, kit)["escalated"] == 0


def test_the_demo_has_complaints_in_several_states_and_the_regulator_search_shows_them(
    db, tmp_path, monkeypatch, client
):
    import json

    monkeypatch.setenv("CROSSTRUST_DATABASE_URL", db.url)
    monkeypatch.setenv("CROSSTRUST_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["demo"])
        assert result.exit_code == 0, result.output
        keys = json.loads((tmp_path / "var" / "demo-keys.json").read_text())
    finally:
        get_settings.cache_clear()
    reg = {"Authorization": f"Bearer {keys['regulator']}"}
    cases = client.get("/api/v1/complaints", headers=reg).json()
    states = {(c["status"], c["escalation_reason"], c["published_at"] is not None) for c in cases}
    assert ("received", "", False) in states  # open
    assert ("mediation", "overdue", False) in states  # overdue, escalated
    assert any(c["status"] == "closed" and c["outcome"] == "resolved" for c in cases)
    assert any(c["published_at"] for c in cases)
    client.app.state.dispatcher.drain()
    found = client.get("/api/v1/disclosures/search", params={"category": "complaint"}, headers=reg).json()
    titles = [h["title_zh"] for h in found["hits"]]
    assert any("消费投诉处理情况" in t for t in titles) and any(t.startswith("消费投诉（") for t in titles)
    published = next(h for h in found["hits"] if h["title_zh"].startswith("消费投诉（"))
    assert "张伟" not in published["body_zh"] and "13900000003" not in published["body_zh"]
