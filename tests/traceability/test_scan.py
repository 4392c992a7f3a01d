"""The scan: page, JSON, linkset, verdicts with evidence, and what is recorded."""

from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from core.clock import clock, utcnow
from traceability.models import ScanRecord

BASE = "http://127.0.0.1:8000"
JSON = {"Accept": "application/json"}


def _path(code: dict) -> str:
    return code["uri"].removeprefix(BASE)


@pytest.fixture
def shipped(flow):
    product, decl, codes = flow.released_codes(quantity=5)
    flow.ship(codes[0]["gtin"], codes[0]["lot"])
    return product, decl, codes


def test_page_is_chinese_by_default_and_english_on_request(client, shipped):
    _, decl, codes = shipped
    page = client.get(_path(codes[0]))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert (
        "正品验证通过" in page.text
        and "爱他美婴幼儿配方奶粉3段" in page.text
        and decl["declaration_no"] in page.text
    )
    assert "德国" in page.text  # origin country in Chinese
    en = client.get(_path(codes[0]) + "&lang=en")
    assert "Genuine" in en.text and "Germany" in en.text and "Aptamil Infant Formula" in en.text
    en2 = client.get(_path(codes[0]), headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "Chain of custody" in en2.text


def test_linkset_and_link_header(client, shipped):
    _, _, codes = shipped
    uri = codes[0]["uri"]
    for r in (
        client.get(_path(codes[0]), headers={"Accept": "application/linkset+json"}),
        client.get(_path(codes[0]) + "&linkType=linkset"),
    ):
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/linkset+json")
        links = r.json()["linkset"][0]
        assert links["anchor"] == uri
        for t in ("pip", "epcis", "certificationInfo", "verificationService", "recallStatus"):
            assert links[f"https://gs1.org/voc/{t}"][0]["href"]
    assert 'rel="linkset"' in r.headers["Link"]
    recall = client.get(_path(codes[0]) + "&linkType=gs1:recallStatus").json()
    assert recall["recalled"] is False
    verify = client.get(_path(codes[0]) + "&linkType=gs1:verificationService").json()
    assert verify["verdict"]["status"] == "genuine"
    desc = client.get("/.well-known/gs1resolver").json()
    assert desc["resolverRoot"] == BASE and desc["supportedPrimaryKeys"] == ["01"]


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


def test_a_forged_code_costs_no_database_read(client, shipped, app):
    _, _, codes = shipped
    code = codes[0]
    forged = _path(code).replace(code["serial"], "1" + "A" * 19)
    client.get(forged, headers=JSON)  # warms the lot cache
    statements = []
    engine = app.state.db.read_engine
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get(forged, headers=JSON).json()["verdict"]["status"] == "counterfeit"
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert [s for s in statements if s.lstrip().upper().startswith("SELECT")] == []


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


@pytest.mark.parametrize(
    "path,field",
    [
        ("/01/06901234567892/21/X/10/L", "path"),
        ("/01/06901234567891/10/L/21/X", "gtin"),
        ("/01/0690123456789/10/L", "gtin"),
    ],
)
def test_malformed_links_are_4xx_naming_the_part(client, path, field):
    r = client.get(path)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == field


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


def test_scanned_before_leaving_the_bonded_warehouse_is_suspicious(client, flow):
    _, _, codes = flow.released_codes(quantity=2)  # never shipped
    s = client.get(_path(codes[0]), headers=JSON).json()
    assert s["verdict"]["status"] == "suspicious"
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
    from fastapi.testclient import TestClient

    _, _, codes = shipped
    with db.read_session() as s:
        before = len(s.exec(select(ScanRecord)).all())
    with TestClient(app) as second:
        for _ in range(50):
            second.get(_path(codes[0]), headers=JSON)
    # the context's exit ran the app's shutdown, which drains the writer
    with db.read_session() as s:
        assert len(s.exec(select(ScanRecord)).all()) == before + 50


def test_a_qr_image_decodes_to_its_code_and_resolves(client, shipped, flow):
    import io
    import zipfile

    import zxingcpp
    from PIL import Image

    _, _, codes = shipped
    batch_url = f"/api/v1/enterprises/{flow.keys.merchant_id}/code-batches/1"
    r = client.get(batch_url + "/qr.zip", params={"limit": 2}, headers=flow.m)
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        names = zf.namelist()
        image = Image.open(io.BytesIO(zf.read(names[0])))
    decoded = [b.text for b in zxingcpp.read_barcodes(image)]
    assert decoded == [codes[0]["uri"]]
    s = client.get(_path({"uri": decoded[0]}), headers=JSON).json()
    assert s["verdict"]["status"] == "genuine" and s["code"]["serial"] == codes[0]["serial"]
    pdf = client.get(batch_url + "/labels.pdf", params={"limit": 5}, headers=flow.m)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    unfinished = client.get(
        f"/api/v1/enterprises/{flow.keys.merchant_id}/code-batches/999/qr.zip", headers=flow.m
    )
    assert unfinished.status_code == 404


def test_the_json_fast_path_answers_like_the_routed_scan(client, shipped, app):
    _, _, codes = shipped
    r = client.get(_path(codes[2]), headers=JSON)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.headers["Vary"] == "Accept, Accept-Language"
    assert r.headers["Link"].startswith(f"<{codes[2]['uri']}&linkType=linkset>")
    assert r.json()["verdict"]["status"] == "genuine" and r.json()["code"]["serial"] == codes[2]["serial"]
    assert app.state.metrics.registry.get_sample_value("crosstrust_scans_total", {"verdict": "genuine"}) >= 1
    # A query string that needs decoding reads as Starlette reads it.
    placed = client.get(_path(codes[2]) + "&city=%E5%AE%81%E6%B3%A2", headers=JSON)
    assert placed.status_code == 200
    app.state.resolver.writer.flush()
    with app.state.db.read_session() as s:
        assert s.exec(select(ScanRecord).order_by(ScanRecord.id.desc())).first().place == "宁波"


@pytest.mark.parametrize(
    "raw", [b"", b"17=281130", b"17=281130&city=a&17=290101", b"a&b=&=c&&d=1=2", b"x=%41+b"]
)
def test_the_fast_path_reads_a_query_string_as_starlette_does(raw):
    from starlette.datastructures import QueryParams

    from api.routers.resolver import _query

    assert _query(raw) == dict(QueryParams(raw))


def test_only_a_recognised_city_is_shown_to_later_scanners(client, shipped, app, db):
    from sqlalchemy import update

    from traceability.models import TraceCode

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
            s.exec(update(TraceCode).values(first_scan_at=None, first_scan_place=""))
    # A free-text place stored before this rule is not shown either.
    with db.transaction() as s:
        s.exec(
            update(TraceCode)
            .where(TraceCode.serial == codes[3]["serial"])
            .values(first_scan_at=utcnow(), first_scan_place="张三家")
        )
    assert client.get(_path(codes[3]), headers=JSON).json()["scans"]["first_place"] == ""
