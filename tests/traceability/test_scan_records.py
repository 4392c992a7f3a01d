"""What a scan leaves behind: the scan record (no raw address, coarse places), none lost on shutdown,
and only a recognised city shown to later scanners."""

from __future__ import annotations

from sqlmodel import select

from core.clock import utcnow
from tests.traceability.scans import JSON
from tests.traceability.scans import scan_path as _path
from traceability.models import ScanRecord


def test_scan_records_keep_no_raw_address_and_coarse_places(client, shipped, app, db):
    _, _, codes = shipped
    client.get(_path(codes[0]) + "&loc=29.874321,121.549876", headers=JSON)
    app.state.resolver.writer.flush()
    with db.read_session() as s:
        rec = s.exec(select(ScanRecord)).all()[-1]
    assert rec.lat == 29.87 and rec.lon == 121.55 and rec.place == "宁波"  # the nearest known city
    assert len(rec.client_hash) == 32 and "testclient" not in rec.client_hash
    assert rec.verdict == "genuine" and rec.serial == codes[0]["serial"]


def test_no_scan_record_is_lost_on_a_clean_shutdown(app, shipped, db, client):
    from tests.testclient import TestClient

    _, _, codes = shipped
    with db.read_session() as s:
        before = len(s.exec(select(ScanRecord)).all())
    with TestClient(app) as second:
        for _ in range(50):
            second.get(_path(codes[0]), headers=JSON)
    # the context's exit ran the app's shutdown, which drains the writer
    with db.read_session() as s:
        assert len(s.exec(select(ScanRecord)).all()) == before + 50


def test_only_a_recognised_city_is_shown_to_later_scanners(client, shipped, app, db):
    from sqlalchemy import update

    from traceability.models import ScanSummary, TraceCode

    _, _, codes = shipped
    # The first scanner's free text is dropped, not shown to the next one.
    client.get(_path(codes[1]) + "&city=张三家 幸福路8号 13800000000", headers=JSON)
    app.state.resolver.writer.flush()
    later = client.get(_path(codes[1]), headers=JSON).json()
    assert later["scans"]["first_place"] == ""
    app.state.resolver.writer.flush()
    with db.read_session() as s:
        places = {r.place for r in s.exec(select(ScanRecord).where(ScanRecord.serial == codes[1]["serial"]))}
    assert places == {""}
    # Known cities, by their own name, with 市, or in pinyin.
    for city, shown in (("上海市", "上海"), ("Shanghai", "上海"), ("宁波", "宁波")):
        assert (
            client.get(_path(codes[2]) + f"&city={city}", headers=JSON).json()["scans"]["first_place"]
            == shown
        )
        app.state.resolver.writer.flush()
        with db.transaction() as s:
            s.exec(update(ScanSummary).values(first_scan_at=None, first_scan_place=""))
    # A free-text place stored before this rule is not shown either.
    with db.transaction() as s:
        code_id = s.exec(select(TraceCode.id).where(TraceCode.serial == codes[3]["serial"])).one()
        summary = s.get(ScanSummary, code_id) or ScanSummary(code_id=code_id)
        summary.first_scan_at, summary.first_scan_place = utcnow(), "张三家"
        s.add(summary)
    assert client.get(_path(codes[3]), headers=JSON).json()["scans"]["first_place"] == ""
