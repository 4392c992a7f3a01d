"""The resolver over HTTP: the page in both languages, the linkset and link types, malformed links,
the QR image, and the JSON fast path against the routed scan."""

from __future__ import annotations

import pytest
from sqlmodel import select

from tests.traceability.scans import BASE, JSON
from tests.traceability.scans import scan_path as _path
from traceability.models import ScanRecord


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
        # The anchor is the item's identifier: the URI without its data attribute (?17= the expiry).
        assert links["anchor"] == uri.partition("?")[0]
        for t in ("pip", "epcis", "certificationInfo", "verificationService", "recallStatus"):
            assert links[f"https://gs1.org/voc/{t}"][0]["href"]
    assert 'rel="linkset"' in r.headers["Link"]
    recall = client.get(_path(codes[0]) + "&linkType=gs1:recallStatus").json()
    assert recall["recalled"] is False
    verify = client.get(_path(codes[0]) + "&linkType=gs1:verificationService").json()
    assert verify["verdict"]["status"] == "genuine"
    desc = client.get("/.well-known/gs1resolver").json()
    assert desc["resolverRoot"] == BASE and desc["supportedPrimaryKeys"] == ["01"]


@pytest.mark.parametrize(
    "path,field",
    [
        ("/01/06901234567892/21/X/10/L", "path"),
        ("/01/06901234567891/10/L/21/X", "gtin"),
        ("/01/06901234567/10/L", "gtin"),
    ],
)
def test_malformed_links_are_400_naming_the_part(client, path, field):
    """A resolver answers a link that is not a valid GS1 Digital Link with 400 (GS1-Conformant Resolver
    1.1); the rest of the API keeps 422 for invalid input."""
    r = client.get(path)
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == field


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


def _behind_the_fast_path(app):
    """The app as the routed scan sees it: everything inside `ScanFastPath`, which a plain JSON scan
    never reaches while the fast path is in front."""
    from api.scan_fast import ScanFastPath

    layer = app.middleware_stack
    while not isinstance(layer, ScanFastPath):
        layer = layer.app
    inner = layer.app

    async def routed(scope, receive, send):
        scope["app"] = app  # what Starlette sets before its middleware
        await inner(scope, receive, send)

    return routed


def test_the_json_fast_path_answers_like_the_routed_scan(client, shipped, app):
    from tests.testclient import TestClient

    _, _, codes = shipped

    def routed_requests() -> float:
        labels = {"method": "GET", "route": "/01/{rest:path}", "status": "200"}
        return app.state.metrics.registry.get_sample_value("crosstrust_http_requests_total", labels) or 0

    path = _path(codes[2]) + "&city=宁波"
    client.get(path, headers=JSON)  # the first scan: later answers show its time and place
    app.state.resolver.writer.flush()
    r = client.get(path, headers=JSON)
    assert routed_requests() == 0  # answered by the fast path, ahead of routing
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.headers["Vary"] == "Accept, Accept-Language"
    assert r.headers["Link"].startswith(f"<{codes[2]['uri'].partition('?')[0]}?linkType=linkset>")
    assert r.json()["verdict"]["status"] == "genuine" and r.json()["code"]["serial"] == codes[2]["serial"]
    assert app.state.metrics.registry.get_sample_value("crosstrust_scans_total", {"verdict": "genuine"}) >= 1
    app.state.resolver.writer.flush()
    routed = TestClient(_behind_the_fast_path(app)).get(path, headers=JSON)
    assert routed_requests() == 1  # this one went through the router
    assert routed.status_code == 200
    assert {k: routed.headers[k] for k in ("content-type", "link", "vary")} == {
        k: r.headers[k] for k in ("content-type", "link", "vary")
    }
    fast_body, routed_body = r.json(), routed.json()
    assert (fast_body["scans"]["count"], routed_body["scans"]["count"]) == (2, 3)
    fast_body["scans"].pop("count"), routed_body["scans"].pop("count")
    assert fast_body["scans"]["first_place"] == "宁波"
    assert routed_body == fast_body
    # A query string that needs decoding reads as Starlette reads it.
    placed = client.get(_path(codes[3]) + "&city=%E5%AE%81%E6%B3%A2", headers=JSON)
    assert placed.status_code == 200
    app.state.resolver.writer.flush()
    with app.state.db.read_session() as s:
        assert s.exec(select(ScanRecord).order_by(ScanRecord.id.desc())).first().place == "宁波"


@pytest.mark.parametrize(
    "raw", [b"", b"17=281130", b"17=281130&city=a&17=290101", b"a&b=&=c&&d=1=2", b"x=%41+b"]
)
def test_the_fast_path_reads_a_query_string_as_starlette_does(raw):
    from starlette.datastructures import QueryParams

    from api.scan_fast import query_of as _query

    params, ais = _query(raw)
    assert params == dict(QueryParams(raw))
    # And its AIs in order, a repeat kept, for GS1's rules to refuse it.
    assert ais == [(k, v) for k, v in QueryParams(raw).multi_items() if k.isdigit()]
