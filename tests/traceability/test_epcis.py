"""EPCIS 2.0 capture and query."""

from datetime import timedelta

from core.clock import utcnow
from tests.conftest import Keys


def _item(code: dict) -> str:
    return f"https://id.gs1.org/01/{code['gtin']}/10/{code['lot']}/21/{code['serial']}"


def _event(step: str, epcs: list[str], minutes: int = 1, **over) -> dict:
    event = {
        "type": "ObjectEvent",
        "eventTime": (utcnow() + timedelta(minutes=minutes)).isoformat(),
        "eventTimeZoneOffset": "+08:00",
        "action": "OBSERVE",
        "bizStep": f"https://ref.gs1.org/cbv/BizStep-{step}",
        "disposition": "https://ref.gs1.org/cbv/Disp-in_progress",
        "epcList": epcs,
        "readPoint": {"id": "urn:crosstrust:loc:warehouse-3"},
    }
    event.update(over)
    return event


def _doc(*events) -> dict:
    return {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": utcnow().isoformat(),
        "epcisBody": {"eventList": list(events)},
    }


def test_issuance_inspection_and_release_record_standard_events(flow, client):
    _, decl, codes = flow.released_codes(quantity=2)
    r = client.get("/api/v1/epcis/events", params={"MATCH_anyEPC": codes[0]["uri"]}, headers=flow.m)
    assert r.status_code == 200
    events = r.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert [e["bizStep"] for e in events] == ["inspecting", "accepting", "commissioning"]
    assert events[0]["disposition"] == "conformant"
    commissioning = events[2]
    assert commissioning["action"] == "ADD" and commissioning["quantityList"][0]["quantity"] == 2
    bt = commissioning["bizTransactionList"][0]
    assert (
        bt["type"] == "urn:crosstrust:btt:customsDeclaration"
        and decl["declaration_no"] in bt["bizTransaction"]
    )
    assert all(e["eventID"].startswith("ni:///sha-256;") for e in events)


def test_capture_a_document_and_deduplicate(flow, client):
    _, _, codes = flow.released_codes(quantity=3)
    doc = _doc(_event("storing", [_item(codes[0])]), _event("shipping", [_item(c) for c in codes], minutes=2))
    first = client.post("/api/v1/epcis/capture", json=doc, headers=flow.m)
    assert first.status_code == 201 and first.json()["captured"] == 2
    again = client.post("/api/v1/epcis/capture", json=doc, headers=flow.m)
    assert again.json() == {**first.json(), "captured": 0, "duplicates": 2}
    found = client.get("/api/v1/epcis/events", params={"EQ_bizStep": "shipping"}, headers=flow.m).json()
    assert len(found["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == 1


def test_query_parameters_and_deep_paging(flow, client):
    _, _, codes = flow.released_codes(quantity=12)
    events = [_event("storing", [_item(c)], minutes=i + 1) for i, c in enumerate(codes)]
    assert client.post("/api/v1/epcis/capture", json=_doc(*events), headers=flow.m).status_code == 201
    seen, token, pages = [], None, 0
    while True:
        params = {"EQ_bizStep": "storing", "perPage": "5"} | ({"nextPageToken": token} if token else {})
        r = client.get("/api/v1/epcis/events", params=params, headers=flow.m)
        body = r.json()
        seen += body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        pages += 1
        token = body.get("nextPageToken")
        if not token:
            break
        assert 'rel="next"' in r.headers["Link"]
    assert pages == 3 and len(seen) == 12 and len({e["eventID"] for e in seen}) == 12
    one = client.get("/api/v1/epcis/events", params={"MATCH_epc": codes[3]["uri"]}, headers=flow.m).json()
    assert [e["epcList"] for e in one["epcisBody"]["queryResults"]["resultsBody"]["eventList"]] == [
        [_item(codes[3])]
    ]
    window = {
        "GE_eventTime": events[4]["eventTime"],
        "LT_eventTime": events[7]["eventTime"],
        "EQ_bizStep": "storing",
    }
    got = client.get("/api/v1/epcis/events", params=window, headers=flow.m).json()
    assert len(got["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == 3


def test_bad_events_and_queries_say_why(flow, client):
    _, _, codes = flow.released_codes(quantity=1)
    bad = _doc(_event("storing", [_item(codes[0])]), _event("flying", [_item(codes[0])]))
    r = client.post("/api/v1/epcis/capture", json=bad, headers=flow.m)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "epcisBody.eventList.1.bizStep"
    r = client.post(
        "/api/v1/epcis/capture",
        json=_event("storing", [_item(codes[0])], disposition="shiny"),
        headers=flow.m,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "event.disposition"
    r = client.post(
        "/api/v1/epcis/capture",
        json=_event("storing", [_item(codes[0])], eventTime="2026-11-27T10:00:00"),
        headers=flow.m,
    )
    assert r.status_code == 422 and "time zone" in r.json()["detail"]
    wrong = _item(codes[0]).replace("/01/0", "/01/1", 1)
    r = client.post("/api/v1/epcis/capture", json=_event("storing", [wrong]), headers=flow.m)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "event.epcList.0"
    # nothing from the refused document was kept
    found = client.get("/api/v1/epcis/events", params={"EQ_bizStep": "storing"}, headers=flow.m).json()
    assert found["epcisBody"]["queryResults"]["resultsBody"]["eventList"] == []
    assert client.get("/api/v1/epcis/events", params={"EQ_colour": "red"}, headers=flow.m).status_code == 422
    r = client.get("/api/v1/epcis/events", params={"nextPageToken": "eyJpZCI6IDk5fQ"}, headers=flow.m)
    assert r.status_code == 422 and "page token" in r.json()["detail"]


def test_merchants_capture_and_see_only_their_own(flow, client, keys):
    _, _, codes = flow.released_codes(quantity=1)
    other = Keys.header(keys.other_merchant)
    r = client.post("/api/v1/epcis/capture", json=_event("storing", [_item(codes[0])]), headers=other)
    assert r.status_code == 403 and "belongs to another enterprise" in r.json()["detail"]
    assert r.json()["errors"][0]["field"] == "event.epcList.0"
    mine = client.get("/api/v1/epcis/events", headers=flow.m).json()["epcisBody"]["queryResults"][
        "resultsBody"
    ]
    theirs = client.get("/api/v1/epcis/events", headers=other).json()["epcisBody"]["queryResults"][
        "resultsBody"
    ]
    assert mine["eventList"] and theirs["eventList"] == []
    regulator = client.get("/api/v1/epcis/events", headers=flow.r).json()["epcisBody"]["queryResults"][
        "resultsBody"
    ]
    assert len(regulator["eventList"]) == len(mine["eventList"])
    assert client.get("/api/v1/epcis/events", headers=Keys.header(keys.insurer)).status_code == 403


def test_aggregation_events(flow, client):
    _, _, codes = flow.released_codes(quantity=2)
    agg = {
        "type": "AggregationEvent",
        "eventTime": (utcnow() + timedelta(minutes=3)).isoformat(),
        "eventTimeZoneOffset": "+08:00",
        "action": "ADD",
        "bizStep": "packing",
        "parentID": "https://id.gs1.org/00/069012340000000018",
        "childEPCs": [_item(c) for c in codes],
    }
    assert client.post("/api/v1/epcis/capture", json=agg, headers=flow.m).status_code == 201
    r = client.get(
        "/api/v1/epcis/events",
        params={"MATCH_anyEPC": codes[1]["uri"], "eventType": "AggregationEvent"},
        headers=flow.m,
    )
    assert len(r.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == 1
    no_parent = {**agg, "parentID": None}
    del no_parent["parentID"]
    r = client.post("/api/v1/epcis/capture", json=no_parent, headers=flow.m)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "event.parentID"
