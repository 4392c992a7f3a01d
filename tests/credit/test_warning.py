"""Early warning through the API on both databases: an enterprise with rising complaints and a failed
inspection is high, with both signals named and counted; one with an old and a new complaint is calm and
not in the feed; a withdrawn record does not count; the weights are the methodology file's (a copy with
other points gives another level); merchants and insurers may not read the feed."""

from __future__ import annotations

from datetime import timedelta

from core.clock import utcnow
from credit import service, warning
from tests.conftest import Keys, register


def _record(db, enterprise_id: int, kind: str, days_ago: float, n: int) -> int:
    with db.transaction() as s:
        r, _ = service.add_record(
            s,
            enterprise_id=enterprise_id,
            kind=kind,
            severity="general",
            occurred_at=utcnow() - timedelta(days=days_ago),
            title_zh="测试记录",
            source_type="manual",
            source_key=f"test:{enterprise_id}:{kind}:{n}",
            actor="test",
        )
        return r.id


def test_rising_complaints_and_a_failed_inspection_raise_a_warning_with_reasons(
    client, db, keys, tmp_path, monkeypatch
):
    risky, calm = keys.merchant_id, keys.other_merchant_id
    for n in range(3):
        _record(db, risky, "complaint_upheld", 3 + n, n)
    _record(db, risky, "inspection_failure", 5, 9)
    _record(db, calm, "complaint_upheld", 100, 1)
    _record(db, calm, "complaint_upheld", 2, 2)

    feed = client.get("/api/v1/credit/warnings", headers=Keys.header(keys.regulator))
    assert feed.status_code == 200, feed.text
    (top,) = feed.json()
    assert (top["enterprise_id"], top["level"], top["points"]) == (risky, "high", 65)
    assert [(x["signal"], x["recent"], x["baseline"]) for x in top["reasons"]] == [
        ("failed_inspection", 1, 0),
        ("complaint_rise", 3, 0),
    ]
    one = client.get(f"/api/v1/enterprises/{calm}/credit/warning", headers=Keys.header(keys.regulator)).json()
    assert (one["level"], one["reasons"]) == ("calm", [])
    for key in (keys.merchant, keys.insurer):
        assert client.get("/api/v1/credit/warnings", headers=Keys.header(key)).status_code == 403
    assert (
        client.get("/api/v1/credit/warnings?minimum=low", headers=Keys.header(keys.regulator)).status_code
        == 422
    )
    assert (
        client.get("/api/v1/credit/warnings?limit=501", headers=Keys.header(keys.regulator)).status_code
        == 422
    )

    # The weights are the methodology's: a copy where a failed inspection weighs 5 leaves the risky one elevated.
    text = warning.DEFAULT_FILE.read_text(encoding="utf-8").replace(
        'mode = "count"\nmin_count = 1\npoints = 35', 'mode = "count"\nmin_count = 1\npoints = 5'
    )
    other = tmp_path / "methodology.toml"
    other.write_text(text, encoding="utf-8")
    monkeypatch.setenv(warning.FILE_ENV, str(other))
    with db.read_session() as s:
        assert (warning.assess(s, risky).level, warning.assess(s, risky).points) == ("elevated", 35)


def test_a_withdrawn_record_does_not_count(db, keys):
    ent = register(db)
    rid = _record(db, ent.id, "administrative_penalty", 1, 1)
    with db.read_session() as s:
        assert warning.assess(s, ent.id).level == "elevated"
    with db.transaction() as s:
        from credit.models import CreditRecord

        r = s.get(CreditRecord, rid)
        r.status = "withdrawn"
        s.add(r)
    with db.read_session() as s:
        assert warning.assess(s, ent.id).level == "calm"
