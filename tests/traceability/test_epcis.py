"""EPCIS 2.0 capture and query: the five event types, the capture job, fidelity, the REST resources;
every page and every event the platform records checked against GS1's official JSON schema."""

from datetime import timedelta
from urllib.parse import quote

from sqlmodel import select

from core.clock import utcnow
from tests.conftest import Keys
from traceability import epcis
from traceability.models import EpcisEvent

CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


def _item(code: dict) -> str:
    return f"https://id.gs1.org/01/{code['gtin']}/10/{code['lot']}/21/{code['serial']}"


def _urn(code: dict) -> str:
    g = code["gtin"]  # test GTINs are 0690…: a 7-digit company prefix
    return f"urn:epc:id:sgtin:{g[1:8]}.{g[0]}{g[8:13]}.{code['serial']}"


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


def _doc(*events, context=None) -> dict:
    return {
        "@context": context or [CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": utcnow().isoformat(),
        "epcisBody": {"eventList": list(events)},
    }


def _events(body: dict) -> list[dict]:
    return body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]


def _valid(body) -> None:
    """Valid against the official EPCIS 2.0 JSON schema, or the failures with their JSON paths."""
    problems = epcis.schema_problems(body)
    assert not problems, [(p.field, p.reason) for p in problems]


def _next(r) -> str | None:
    link = r.headers.get("Link")
    if not link:
        return None
    url, rel = link.split(";", 1)
    assert rel.strip() == 'rel="next"'
    return url.strip()[1:-1]


def _all_pages(client, url, headers, params=None) -> tuple[list[dict], int]:
    """Every event of a query, page after page through the Link header; each page schema-valid."""
    seen, pages = [], 0
    r = client.get(url, params=params, headers=headers)
    while True:
        assert r.status_code == 200, r.text
        _valid(r.json())
        seen += _events(r.json())
        pages += 1
        nxt = _next(r)
        if nxt is None:
            return seen, pages
        assert "nextPageToken=" in nxt and "nextPageToken" not in r.json()
        r = client.get(nxt, headers=headers)


def test_issuance_inspection_release_recall_record_schema_valid_events(flow, client, db):
    _, decl, codes = flow.released_codes(quantity=2)
    flow.ship(codes[0]["gtin"], codes[0]["lot"])
    r = client.post(
        f"/api/v1/declarations/{decl['id']}/lines/1/recall", json={"reason": "标签不符"}, headers=flow.r
    )
    assert r.status_code == 200, r.text
    r = client.get("/api/v1/epcis/events", params={"MATCH_anyEPC": codes[0]["uri"]}, headers=flow.m)
    assert r.status_code == 200
    _valid(r.json())
    events = _events(r.json())
    assert [e["bizStep"] for e in events] == [
        "inspecting",
        "accepting",
        "commissioning",
        "shipping",
        "holding",
    ]
    assert events[0]["disposition"] == "conformant" and events[-1]["disposition"] == "recalled"
    commissioning = events[2]
    assert commissioning["action"] == "ADD" and commissioning["quantityList"][0]["quantity"] == 2
    bt = commissioning["bizTransactionList"][0]
    assert (
        bt["type"] == "urn:crosstrust:btt:customsDeclaration"
        and decl["declaration_no"] in bt["bizTransaction"]
    )
    assert all(e["eventID"].startswith("ni:///sha-256;") for e in events)
    # Every event the platform recorded, on its own, is a valid EPCIS 2.0 event.
    with db.read_session() as s:
        rows = s.exec(select(EpcisEvent)).all()
    internal = [r for r in rows if r.event_type == "ObjectEvent" and r.biz_step != "shipping"]
    assert len(internal) == 4
    for row in rows:
        _valid({"@context": row.context or [CONTEXT], **epcis.as_sent(row)})


def test_capture_answers_a_job_and_deduplicates(flow, client):
    _, _, codes = flow.released_codes(quantity=3)
    doc = _doc(_event("storing", [_item(codes[0])]), _event("shipping", [_item(c) for c in codes], minutes=2))
    first = client.post("/api/v1/epcis/capture", json=doc, headers=flow.m)
    assert first.status_code == 202, first.text
    job = first.json()
    assert job["success"] and not job["running"] and job["errors"] == [] and job["captured"] == 2
    polled = client.get(first.headers["Location"], headers=flow.m)
    assert polled.status_code == 200 and polled.json() == job
    again = client.post("/api/v1/epcis/capture", json=doc, headers=flow.m).json()
    assert (again["captured"], again["duplicates"], again["eventIDs"]) == (0, 2, job["eventIDs"])
    found = client.get("/api/v1/epcis/events", params={"EQ_bizStep": "shipping"}, headers=flow.m).json()
    assert len(_events(found)) == 1
    jobs = client.get("/api/v1/epcis/capture", headers=flow.m).json()
    assert [j["captureID"] for j in jobs[:2]] == [again["captureID"], job["captureID"]]
    # Another merchant does not see the jobs; an unknown job is a 404 problem.
    other = Keys.header(flow.keys.other_merchant)
    assert client.get(first.headers["Location"], headers=other).status_code == 404
    assert client.get("/api/v1/epcis/capture", headers=other).json() == []


def test_query_parameters_and_paging_through_the_link_header(flow, client):
    _, _, codes = flow.released_codes(quantity=12)
    events = [_event("storing", [_item(c)], minutes=i + 1) for i, c in enumerate(codes)]
    assert client.post("/api/v1/epcis/capture", json=_doc(*events), headers=flow.m).json()["success"]
    seen, pages = _all_pages(
        client, "/api/v1/epcis/events", flow.m, {"EQ_bizStep": "storing", "perPage": "5"}
    )
    assert pages == 3 and len(seen) == 12 and len({e["eventID"] for e in seen}) == 12
    one = client.get("/api/v1/epcis/events", params={"MATCH_epc": codes[3]["uri"]}, headers=flow.m).json()
    assert [e["epcList"] for e in _events(one)] == [[_item(codes[3])]]
    window = {
        "GE_eventTime": events[4]["eventTime"],
        "LT_eventTime": events[7]["eventTime"],
        "EQ_bizStep": "https://ref.gs1.org/cbv/BizStep-storing|shipping",
    }
    got = client.get("/api/v1/epcis/events", params=window, headers=flow.m).json()
    assert len(_events(got)) == 3
    r = client.get(
        "/api/v1/epcis/events", params={"EQ_readPoint": "urn:crosstrust:loc:warehouse-3"}, headers=flow.m
    )
    assert len(_events(r.json())) == 12


def test_bad_documents_and_queries_say_where(flow, client):
    _, _, codes = flow.released_codes(quantity=1)
    bad = _doc(_event("storing", [_item(codes[0])]), _event("storing", [_item(codes[0])], bizStep="flying"))
    r = client.post("/api/v1/epcis/capture", json=bad, headers=flow.m)
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == "epcisBody.eventList.1.bizStep"
    r = client.post(
        "/api/v1/epcis/capture",
        json=_event("storing", [_item(codes[0])], disposition="shiny"),
        headers=flow.m,
    )
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "event.disposition"
    r = client.post(
        "/api/v1/epcis/capture",
        json=_event("storing", [_item(codes[0])], eventTime="2026-11-27T10:00:00"),
        headers=flow.m,
    )
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "event.eventTime"
    r = client.post(
        "/api/v1/epcis/capture", json=_event("storing", [_item(codes[0])], colour="red"), headers=flow.m
    )
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "event.colour"
    # Valid against the schema, wrong by GS1's rules (a check digit): the job says where, keeps nothing.
    wrong = _item(codes[0]).replace("/01/0", "/01/1", 1)
    both = _doc(_event("storing", [_item(codes[0])]), _event("storing", [wrong], minutes=2))
    job = client.post("/api/v1/epcis/capture", json=both, headers=flow.m).json()
    assert not job["success"] and job["captured"] == 0 and job["eventIDs"] == []
    assert job["errors"][0]["errors"][0]["field"] == "epcisBody.eventList.1.epcList.0"
    assert job["errors"][0]["type"] == "epcisException:ValidationException"
    found = client.get("/api/v1/epcis/events", params={"EQ_bizStep": "storing"}, headers=flow.m).json()
    assert _events(found) == []
    # A URI in the CBV's namespace that is no CBV term (the schema takes any URI) is refused too.
    job = client.post(
        "/api/v1/epcis/capture", json=_event("flying", [_item(codes[0])]), headers=flow.m
    ).json()
    assert not job["success"] and job["errors"][0]["errors"][0]["field"] == "event.bizStep"
    # ... unless the client asks to proceed: the good event is kept.
    job = client.post(
        "/api/v1/epcis/capture", json=both, headers=flow.m | {"GS1-Capture-Error-Behaviour": "proceed"}
    ).json()
    assert not job["success"] and job["captured"] == 1 and len(job["errors"]) == 1
    for params, field in (
        ({"EQ_colour": "red"}, "EQ_colour"),
        ({"nextPageToken": "eyJpZCI6IDk5fQ"}, "nextPageToken"),
        ({"perPage": "0"}, "perPage"),
        ({"EQ_bizStep": "flying"}, "EQ_bizStep"),
        ({"GE_eventTime": "yesterday"}, "GE_eventTime"),
        ({"MATCH_epc": wrong}, "MATCH_epc"),
    ):
        r = client.get("/api/v1/epcis/events", params=params, headers=flow.m)
        assert r.status_code == 400 and r.json()["errors"][0]["field"] == field, (params, r.text)
    r = client.post("/api/v1/epcis/capture", json=_doc(*[_event("storing", [])] * 1001), headers=flow.m)
    assert r.status_code == 413


def test_merchants_capture_and_see_only_their_own(flow, client, keys):
    _, _, codes = flow.released_codes(quantity=1)
    other = Keys.header(keys.other_merchant)
    r = client.post("/api/v1/epcis/capture", json=_event("storing", [_item(codes[0])]), headers=other)
    assert r.status_code == 403 and "belongs to another enterprise" in r.json()["detail"]
    assert r.json()["errors"][0]["field"] == "event.epcList.0"
    mine = _events(client.get("/api/v1/epcis/events", headers=flow.m).json())
    theirs = _events(client.get("/api/v1/epcis/events", headers=other).json())
    assert mine and theirs == []
    regulator = _events(client.get("/api/v1/epcis/events", headers=flow.r).json())
    assert len(regulator) == len(mine)
    assert client.get("/api/v1/epcis/events", headers=Keys.header(keys.insurer)).status_code == 403
    assert client.get("/api/v1/epcis/bizSteps", headers=other).json()["bizStep"] == []


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
    assert client.post("/api/v1/epcis/capture", json=agg, headers=flow.m).json()["success"]
    r = client.get(
        "/api/v1/epcis/events",
        params={"MATCH_anyEPC": codes[1]["uri"], "eventType": "AggregationEvent"},
        headers=flow.m,
    )
    assert len(_events(r.json())) == 1
    r = client.get("/api/v1/epcis/events", params={"MATCH_parentID": agg["parentID"]}, headers=flow.m)
    assert len(_events(r.json())) == 1
    no_parent = {k: v for k, v in agg.items() if k != "parentID"}
    job = client.post("/api/v1/epcis/capture", json=no_parent, headers=flow.m).json()
    assert not job["success"] and job["errors"][0]["errors"][0]["field"] == "event.parentID"


def _five(codes: list[dict], product_gtin: str, lot: str) -> list[dict]:
    """One event of each type about the merchant's own items, lots and GTIN, with the 2.0 extras."""
    when = (utcnow() + timedelta(minutes=5)).isoformat()
    common = {"eventTime": when, "eventTimeZoneOffset": "+08:00"}
    lot_class = f"https://id.gs1.org/01/{product_gtin}/10/{lot}"
    return [
        {
            **common,
            "type": "ObjectEvent",
            "action": "OBSERVE",
            "bizStep": "sensor_reporting",
            "epcList": [_urn(codes[0])],
            "persistentDisposition": {"set": ["completeness_verified"], "unset": ["completeness_inferred"]},
            "sensorElementList": [
                {
                    "sensorMetadata": {"time": when, "deviceID": "urn:epc:id:giai:4000001.111"},
                    "sensorReport": [{"type": "Temperature", "value": 4.5, "uom": "CEL"}],
                }
            ],
            "certificationInfo": "https://cert.example.org/haccp/2026-11",
            "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:6901234.00001"}],
            "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:6901234.00002.0"}],
        },
        {
            **common,
            "type": "AggregationEvent",
            "action": "ADD",
            "parentID": "urn:epc:id:sscc:6901234.0000000042",
            "childEPCs": [_item(codes[1])],
            "childQuantityList": [{"epcClass": lot_class, "quantity": 2}],
        },
        {
            **common,
            "type": "TransactionEvent",
            "action": "ADD",
            "epcList": [_item(codes[2])],
            "bizTransactionList": [
                {"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:6901234000017:PO-1"}
            ],
        },
        {
            **common,
            "type": "TransformationEvent",
            "inputEPCList": [_item(codes[3])],
            "inputQuantityList": [{"epcClass": lot_class, "quantity": 1.5, "uom": "KGM"}],
            "outputEPCList": [_item(codes[4])],
            "ilmd": {"ex:bestBefore": "2028-01-01"},
            "ex:line": "line 3",
        },
        {
            **common,
            "type": "AssociationEvent",
            "action": "ADD",
            "parentID": "urn:epc:id:grai:6901234.00001.77",
            "childEPCs": [_item(codes[4])],
        },
    ]


def test_the_five_event_types_with_their_2_0_fields_come_back_as_sent(flow, client, keys):
    product, _, codes = flow.released_codes(quantity=5)
    events = _five(codes, product["gtin"], codes[0]["lot"])
    events[0]["eventID"] = "urn:uuid:2e3a5f7c-0b1d-4c6e-8f9a-0b1c2d3e4f50"
    context = [CONTEXT, {"ex": "https://example.org/ns/"}]
    doc = _doc(*events, context=context)
    _valid(doc)
    other = Keys.header(keys.other_merchant)
    # Another merchant may not record any of them: each identifier named by its JSON path.
    r = client.post("/api/v1/epcis/capture", json=doc, headers=other)
    assert r.status_code == 403
    fields = {e["field"] for e in r.json()["errors"]}
    for path in (
        "epcisBody.eventList.0.epcList.0",
        "epcisBody.eventList.1.childEPCs.0",
        "epcisBody.eventList.1.childQuantityList.0.epcClass",
        "epcisBody.eventList.2.epcList.0",
        "epcisBody.eventList.3.inputEPCList.0",
        "epcisBody.eventList.3.inputQuantityList.0.epcClass",
        "epcisBody.eventList.3.outputEPCList.0",
        "epcisBody.eventList.4.childEPCs.0",
    ):
        assert path in fields, (path, fields)
    job = client.post("/api/v1/epcis/capture", json=doc, headers=flow.m).json()
    assert job["success"] and job["captured"] == 5, job
    assert job["eventIDs"][0] == events[0]["eventID"]
    # The first recorder of the pallet (SSCC) and the sensor-bearing asset (GRAI) is their owner now.
    late = {**events[4], "eventTime": (utcnow() + timedelta(minutes=9)).isoformat()}
    r = client.post("/api/v1/epcis/capture", json=late, headers=other)
    assert r.status_code == 403 and "event.parentID" in {e["field"] for e in r.json()["errors"]}

    got, _ = _all_pages(client, "/api/v1/epcis/eventTypes/TransformationEvent/events", flow.m)
    assert len(got) == 1
    got, _ = _all_pages(client, "/api/v1/epcis/events", flow.m, {"GE_eventTime": events[0]["eventTime"]})
    assert len(got) == 5
    r = client.get("/api/v1/epcis/events", params={"GE_eventTime": events[0]["eventTime"]}, headers=flow.m)
    assert r.json()["@context"][-1]["ex"] == "https://example.org/ns/"
    for sent, back in zip(events, got, strict=True):
        assert back.pop("recordTime")
        if "eventID" not in sent:
            assert back.pop("eventID").startswith("ni:///sha-256;")
        assert back == sent  # identifiers in the sender's form (the URN stays a URN), extensions kept
    # Found by any form of an identifier, and by the 2.0 MATCH_ parameters.
    for params in (
        {"MATCH_epc": _item(codes[0])},
        {"MATCH_inputEPC": _urn(codes[3])},
        {"MATCH_outputEPC": _item(codes[4]), "eventType": "TransformationEvent"},
        {"MATCH_inputEPCClass": f"https://id.gs1.org/01/{product['gtin']}/10/{codes[0]['lot']}"},
        {"EQ_eventID": events[0]["eventID"]},
    ):
        r = client.get("/api/v1/epcis/events", params=params, headers=flow.m)
        assert len(_events(r.json())) == 1, params


def test_error_declarations_and_event_ids(flow, client):
    _, _, codes = flow.released_codes(quantity=1)
    event = _event("storing", [_item(codes[0])], eventID="urn:uuid:6a1f0f34-4d0e-4e36-9a55-7c2d1e9b0a11")
    assert client.post("/api/v1/epcis/capture", json=event, headers=flow.m).json()["success"]
    # The same eventID with other content is refused, naming the eventID.
    other = {**event, "bizStep": "shipping"}
    job = client.post("/api/v1/epcis/capture", json=other, headers=flow.m).json()
    assert not job["success"] and job["errors"][0]["status"] == 409
    assert job["errors"][0]["errors"][0]["field"] == "event.eventID"
    # An error declaration repeats it, and the event's resource shows both.
    declared = {
        **event,
        "errorDeclaration": {"declarationTime": utcnow().isoformat(), "reason": "incorrect_data"},
    }
    assert client.post("/api/v1/epcis/capture", json=declared, headers=flow.m).json()["success"]
    r = client.get(f"/api/v1/epcis/events/{quote(event['eventID'], safe='')}", headers=flow.m)
    assert r.status_code == 200
    _valid(r.json())
    assert [("errorDeclaration" in e) for e in _events(r.json())] == [False, True]
    assert client.get("/api/v1/epcis/events/urn:uuid:nothing", headers=flow.m).status_code == 404


def test_single_event_capture_and_the_top_level_resources(flow, client, keys):
    _, _, codes = flow.released_codes(quantity=2)
    event = {
        "@context": [CONTEXT],
        **_event("storing", [_urn(codes[0])], bizLocation={"id": "urn:crosstrust:loc:bay-7"}),
    }
    r = client.post("/api/v1/epcis/events", json=event, headers=flow.m)
    assert r.status_code == 201, r.text
    back = client.get(r.headers["Location"], headers=flow.m)
    assert _events(back.json())[0]["epcList"] == [_urn(codes[0])]
    r = client.post("/api/v1/epcis/events", json=_doc(event), headers=flow.m)
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "type"
    r = client.post(
        "/api/v1/epcis/events",
        json=_event("storing", [_item(codes[0])]),
        headers=Keys.header(keys.other_merchant),
    )
    assert r.status_code == 403

    assert client.get("/api/v1/epcis", headers=flow.m).json()[:3] == ["events", "eventTypes", "epcs"]
    types = client.get("/api/v1/epcis/eventTypes", headers=flow.m).json()
    assert types["type"] == "EventTypeItemList" and types["eventType"] == ["ObjectEvent"]
    steps = client.get("/api/v1/epcis/bizSteps", headers=flow.m).json()
    assert set(steps["bizStep"]) == {"accepting", "commissioning", "inspecting", "storing"}
    assert (
        "urn:crosstrust:loc:bay-7"
        in client.get("/api/v1/epcis/bizLocations", headers=flow.m).json()["bizLocation"]
    )
    assert client.get("/api/v1/epcis/readPoints", headers=flow.m).json()["type"] == "ReadPointItemList"
    assert "conformant" in client.get("/api/v1/epcis/dispositions", headers=flow.m).json()["disposition"]
    epcs = client.get("/api/v1/epcis/epcs", params={"perPage": "1"}, headers=flow.m)
    assert len(epcs.json()) == 1 and _next(epcs)
    rest = client.get(_next(epcs), headers=flow.m).json()
    # Identifiers are listed in the form they are indexed under: canonical Digital Links (the URN too).
    item = f"https://id.gs1.org/01/{codes[0]['gtin']}/21/{codes[0]['serial']}"
    assert epcs.json()[0] not in rest and item in epcs.json() + rest
    assert client.get(f"/api/v1/epcis/epcs/{quote(_urn(codes[0]), safe='')}", headers=flow.m).json() == [
        "events"
    ]
    for path, count in (
        (f"/api/v1/epcis/epcs/{quote(_item(codes[0]), safe='')}/events", 4),
        ("/api/v1/epcis/bizSteps/storing/events", 1),
        ("/api/v1/epcis/bizLocations/urn:crosstrust:loc:bay-7/events", 1),
        ("/api/v1/epcis/dispositions/conformant/events", 1),
        ("/api/v1/epcis/eventTypes/ObjectEvent/events", 4),
    ):
        got, _ = _all_pages(client, path, flow.m)
        assert len(got) == count, path
    assert client.get("/api/v1/epcis/bizSteps/flying/events", headers=flow.m).status_code == 400
