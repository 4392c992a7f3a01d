"""The nightly recompute: when it runs, and that it rescores everyone as records decay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from core.clock import clock
from core.jobs import DailyJob
from core.settings import Settings
from credit import service as credit
from tests.conftest import Keys


def test_the_nightly_job_runs_at_two_in_the_morning_beijing_time():
    job = DailyJob("t", lambda: None, "02:00", db=None)
    # 17:30 UTC is 01:30 in Beijing: tonight at 02:00 (18:00 UTC)
    assert job.next_run(datetime(2026, 11, 27, 17, 30, tzinfo=UTC)) == datetime(
        2026, 11, 27, 18, 0, tzinfo=UTC
    )
    # 18:30 UTC is 02:30 in Beijing: tomorrow night
    assert job.next_run(datetime(2026, 11, 27, 18, 30, tzinfo=UTC)) == datetime(
        2026, 11, 28, 18, 0, tzinfo=UTC
    )
    with pytest.raises(ValidationError):
        Settings(credit_nightly_at="25:00", _env_file=None)


def test_the_nightly_recompute_follows_decay_and_rates_the_unrated(client, db, keys: Keys, dispatcher):
    regulator = Keys.header(keys.regulator)
    r = client.post(
        "/api/v1/credit/records",
        json={
            "enterprise_id": keys.merchant_id,
            "kind": "administrative_penalty",
            "severity": "general",
            "title_zh": "虚假宣传，罚款",
            "reason": "处罚决定书",
        },
        headers=regulator,
    )
    assert r.status_code == 201
    with db.read_session() as s:
        today = credit.grade_of(s, keys.merchant_id)
    assert today["score"] == 770.0
    clock.advance(timedelta(days=120))  # one half-life of a general record
    result = credit.recompute_all(db)
    assert result["enterprises"] == 2 and result["changed"] >= 1  # both merchants of the fixture
    with db.read_session() as s:
        later = credit.grade_of(s, keys.merchant_id)
        assert later["score"] == 810.0 and credit.grade_of(s, keys.other_merchant_id)["grade"] == "B"
        assert [h.trigger for h in credit.history(s, keys.merchant_id)][:2] == ["nightly", "manual"]
    assert credit.recompute_all(db)["changed"] == 0  # nothing moved since
