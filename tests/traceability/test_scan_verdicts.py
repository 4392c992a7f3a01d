"""The scan's verdicts with their evidence, through the resolver: counterfeit (and at no database
cost when forged), unverified, suspicious for each reason."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import event

from core.clock import clock, utcnow
from tests.traceability.scans import JSON
from tests.traceability.scans import scan_path as _path
from traceability import freshness


def test_forged_serial_is_counterfeit_and_shows_the_lot_not_verified(client, shipped, app):
    _, _, codes = shipped
    code = codes[0]
    forged = _path(code).replace(
        code["serial"], code["serial"][:-1] + ("0" if code["serial"][-1] != "0" else "1")
    )
    s = client.get(forged, headers=JSON).json()
    assert s["verdict"]["status"] == "counterfeit" and s["verdict"]["evidence"][0]["code"] == "check_failed"
    assert s["lot"]["lot"] == code["lot"] and s["product"]["gtin"] == code["gtin"]
    assert s["scans"] is None
    page = client.get(forged)
    assert "未通过验证" in page.text and code["lot"] in page.text


class DatabaseReads:
    """Every statement the scan can send to the database: through either engine (sessions), through the
    raw SQLite reader of the code lookup and the per-thread PostgreSQL connection of `Database.fetch_one`
    (the code lookup there), which both bypass the engines. The resolver's per-thread readers are
    dropped so that the next lookup opens a traced one."""

    def __init__(self, app, monkeypatch) -> None:
        self.statements: list[str] = []
        db, resolver = app.state.db, app.state.resolver
        opened = db.raw_reader

        def traced_reader():
            conn = opened()
            conn.set_trace_callback(self.statements.append)
            return conn

        monkeypatch.setattr(db, "raw_reader", traced_reader)
        fetch_one = db.fetch_one

        def traced_fetch_one(sql, params):  # noqa: ANN001, ANN202
            self.statements.append(sql)
            return fetch_one(sql, params)

        monkeypatch.setattr(db, "fetch_one", traced_fetch_one)
        # On PostgreSQL the JSON scan's statements go from the event loop (api.scan_pg).
        statements = app.state.scan_statements
        if statements is not None:
            loop_fetch_one = statements.fetch_one

            async def traced_loop_fetch_one(sql, params):  # noqa: ANN001, ANN202
                self.statements.append(sql)
                return await loop_fetch_one(sql, params)

            monkeypatch.setattr(statements, "fetch_one", traced_loop_fetch_one)
        monkeypatch.setattr(resolver, "_local", threading.local())
        # The lot's facts stay cached for the whole test, however slow the machine.
        monkeypatch.setattr(resolver.cache, "ttl", 3600.0)
        # So does the generation all processes share (re-read at most every 0.5 s, not per scan).
        monkeypatch.setattr(freshness.shared, "ttl", 3600.0)
        self.engines = {id(e): e for e in (db.engine, db.read_engine)}.values()
        jobs = app.state.background.all_jobs
        self.background = {*jobs, *(f"{name}-lease" for name in jobs), app.state.background.dispatcher.name}

    def _listen(self, *args) -> None:
        # The app's own timers (the log's checkpoints, the export and batch claims, the dispatcher) read
        # on their threads whenever their period comes round: they are not the scan's.
        if threading.current_thread().name not in self.background:
            self.statements.append(args[2])

    def __enter__(self) -> DatabaseReads:
        for engine in self.engines:
            event.listen(engine, "before_cursor_execute", self._listen)
        return self

    def __exit__(self, *exc) -> None:
        for engine in self.engines:
            event.remove(engine, "before_cursor_execute", self._listen)

    def reads(self) -> list[str]:
        return [s for s in self.statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]


def test_a_forged_code_costs_no_database_read(client, shipped, app, monkeypatch):
    _, _, codes = shipped
    code = codes[0]
    forged = _path(code).replace(code["serial"], "1" + "A" * 19)
    genuine = _path(code)
    observed = DatabaseReads(app, monkeypatch)
    client.get(forged, headers=JSON)  # warms the lot cache
    with observed:
        assert client.get(forged, headers=JSON).json()["verdict"]["status"] == "counterfeit"
        assert client.get(forged).status_code == 200  # the page, through the routed path
    assert observed.reads() == []
    # The same observation sees the code lookup of a genuine scan (on SQLite, the raw reader's).
    with observed:
        assert client.get(genuine, headers=JSON).json()["verdict"]["status"] != "counterfeit"
    assert any("FROM trace_code" in s for s in observed.reads())


def test_a_well_formed_but_never_issued_serial_is_counterfeit(client, shipped, app):
    _, _, codes = shipped
    code = codes[0]
    minted = app.state.keyring.new_serials(code["gtin"], code["lot"], 1)[0]
    s = client.get(_path(code).replace(code["serial"], minted), headers=JSON).json()
    assert s["verdict"]["status"] == "counterfeit"
    assert s["verdict"]["evidence"][0]["code"] == "unknown_code"


def test_gtin_only_and_lot_only_links_show_what_is_known(client, shipped):
    _, _, codes = shipped
    gtin = codes[0]["gtin"]
    s = client.get(f"/01/{gtin}", headers=JSON).json()
    assert s["verdict"]["status"] == "unverified" and s["product"]["gtin"] == gtin and s["lot"] is None
    s = client.get(f"/01/{gtin}/10/{codes[0]['lot']}", headers=JSON).json()
    assert s["verdict"]["status"] == "unverified" and s["declaration"]["port"] == "CNNGB"


def test_over_scanned_is_suspicious(client, shipped, app):
    _, _, codes = shipped
    app.state.resolver.policy = type(app.state.resolver.policy)(max_scans=3)
    verdicts = []
    for _ in range(4):
        verdicts.append(client.get(_path(codes[1]), headers=JSON).json()["verdict"])
        app.state.resolver.writer.flush()
    assert [v["status"] for v in verdicts] == ["genuine", "genuine", "genuine", "suspicious"]
    assert verdicts[-1]["evidence"][-1]["code"] == "over_scanned"


def test_impossible_travel_is_suspicious(client, shipped, app):
    _, _, codes = shipped
    first = client.get(_path(codes[2]) + "&city=宁波", headers=JSON).json()
    app.state.resolver.writer.flush()
    second = client.get(_path(codes[2]) + "&city=乌鲁木齐", headers=JSON).json()
    assert first["verdict"]["status"] == "genuine"
    assert second["verdict"]["status"] == "suspicious"
    assert any(e["code"] == "impossible_travel" for e in second["verdict"]["evidence"])
    app.state.resolver.writer.flush()
    clock.freeze(utcnow() + timedelta(hours=8))
    later = client.get(_path(codes[2]) + "&loc=29.87,121.54", headers=JSON).json()
    assert not any(e["code"] == "impossible_travel" for e in later["verdict"]["evidence"])


def test_scanned_before_leaving_the_bonded_warehouse_is_not_yet_shipped(client, flow):
    _, _, codes = flow.released_codes(quantity=2)  # never shipped
    s = client.get(_path(codes[0]), headers=JSON).json()
    assert s["verdict"]["status"] == "not_shipped"
    assert s["verdict"]["label_zh"].startswith("尚未出区")
    assert [e["code"] for e in s["verdict"]["evidence"]] == ["issued", "before_release"]


def test_decommissioned_and_resold_codes_are_suspicious(client, shipped, flow, app):
    _, _, codes = shipped
    item = f"https://id.gs1.org/01/{codes[3]['gtin']}/10/{codes[3]['lot']}/21/{codes[3]['serial']}"
    ev = {
        "type": "ObjectEvent",
        "eventTime": (utcnow() + timedelta(minutes=5)).isoformat(),
        "eventTimeZoneOffset": "+08:00",
        "action": "DELETE",
        "bizStep": "decommissioning",
        "disposition": "inactive",
        "epcList": [item],
    }
    assert client.post("/api/v1/epcis/capture", json=ev, headers=flow.m).json()["success"]
    s = client.get(_path(codes[3]), headers=JSON).json()
    assert s["verdict"]["status"] == "suspicious" and s["verdict"]["evidence"][-1]["code"] == "decommissioned"
    assert s["chain_of_custody"][-1]["biz_step"] == "decommissioning"

    sold = f"https://id.gs1.org/01/{codes[4]['gtin']}/10/{codes[4]['lot']}/21/{codes[4]['serial']}"
    ev = {
        **ev,
        "action": "OBSERVE",
        "bizStep": "retail_selling",
        "disposition": "retail_sold",
        "epcList": [sold],
    }
    assert client.post("/api/v1/epcis/capture", json=ev, headers=flow.m).json()["success"]
    clock.freeze(utcnow() + timedelta(minutes=10))
    statuses = []
    for device in ("phone-a", "phone-b", "phone-c", "phone-d"):
        statuses.append(client.get(_path(codes[4]), headers={**JSON, "User-Agent": device}).json()["verdict"])
        app.state.resolver.writer.flush()
    assert [v["status"] for v in statuses] == ["genuine", "genuine", "genuine", "suspicious"]
    assert statuses[-1]["evidence"][-1]["code"] == "after_sale"
