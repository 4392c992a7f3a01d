"""GS1's own EPCIS 2.0 example documents (tests/data/gs1/epcis/examples, from gs1/EPCIS with its
licence): each one valid against the official schema is captured, comes back as it was sent, and
every query page that returns it is a valid EPCISQueryDocument.

They are captured with a regulator's key. The examples name GS1's example companies (4012345,
0614141, ...), which no enterprise of the platform owns; a merchant may record only what it owns
(traceability.ownership), and registering 30-odd foreign GTINs as its products would test the product
registry, not EPCIS. A regulator records about anything, which is what the platform gives for data
from outside. A merchant's capture of the new event types, with ownership, is tested in test_epcis.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from traceability import epcis

EXAMPLES = Path(__file__).parents[1] / "data" / "gs1" / "epcis" / "examples"
FILES = sorted(p for p in EXAMPLES.rglob("*.jsonld"))


def _events_of(doc: dict) -> list[dict]:
    body = doc["epcisBody"]
    if doc["type"] == "EPCISQueryDocument":
        return body["queryResults"]["resultsBody"]["eventList"]
    return body["eventList"]


def test_the_examples_are_all_there_and_valid():
    """The count the report quotes: every published example is valid against the schema."""
    assert len(FILES) == 47
    invalid = [p.name for p in FILES if epcis.schema_problems(json.loads(p.read_text()))]
    assert invalid == []
    assert sum(len(_events_of(json.loads(p.read_text()))) for p in FILES) == 56


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(EXAMPLES)) for p in FILES])
def test_every_valid_gs1_example_is_captured_and_comes_back_as_sent(path: Path, client, flow):
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert epcis.schema_problems(doc) == []
    sent = _events_of(doc)
    r = client.post("/api/v1/epcis/capture", json=doc, headers=flow.r)
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["success"], job["errors"]
    assert job["captured"] + job["duplicates"] == len(sent)
    for e, event_id in zip(sent, job["eventIDs"], strict=True):
        assert event_id == e.get("eventID", event_id)  # the sender's eventID kept
    # Read back through pages of one event each: every page valid, every event as it was sent.
    got, token = [], None
    while True:
        params = {"perPage": "1"} | ({"nextPageToken": token} if token else {})
        r = client.get("/api/v1/epcis/events", params=params, headers=flow.r)
        assert r.status_code == 200, r.text
        page = r.json()
        assert epcis.schema_problems(page) == [], epcis.schema_problems(page)
        got += page["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        if "Link" not in r.headers:
            break
        token = r.headers["Link"].split("nextPageToken=")[1].split(">")[0]
    # recordTime is the repository's to set (EPCIS 2.0 section 7.4.1): a sent one is replaced.
    distinct = {json.dumps({k: v for k, v in e.items() if k != "recordTime"}, sort_keys=True) for e in sent}
    assert len(got) == len(distinct) == job["captured"]
    context = page["@context"]
    merged = {k: v for c in context if isinstance(c, dict) for k, v in c.items()}
    for e in got:
        e.pop("recordTime")
        if json.dumps(e, sort_keys=True) not in distinct:
            # Only the eventID the repository gave an event that came without one may differ.
            assert e.pop("eventID").startswith("ni:///sha-256;")
            assert json.dumps(e, sort_keys=True) in distinct
    # Extensions are read under the context they were sent with.
    for item in doc["@context"] if isinstance(doc["@context"], list) else [doc["@context"]]:
        if isinstance(item, dict):
            assert all(merged.get(k) == v for k, v in item.items()), (item, context)
        else:
            assert item in context, (item, context)


def _content(event: dict) -> str:
    return json.dumps({k: v for k, v in event.items() if k not in ("eventID", "recordTime")}, sort_keys=True)


def test_the_examples_captured_into_one_repository_keep_their_eventIDs_and_fields(client, flow):
    """Every example captured into one repository, one after another, as a partner's repository
    would receive them: each event sent with an eventID comes back under it, with every field as
    sent (rdfs:comment too). GS1's examples hold the same event in other forms under other eventIDs
    (Example_9.6.1-with-comment adds a comment to 9.6.1's first event; the Digital Link 9.6.4 is the
    URN one's): each keeps its own. Only what no repository can do otherwise is told apart: an event
    sent again exactly (9.6.1's second event, under another eventID in with-comment) is a duplicate
    answered with the eventID it is stored under, and an eventID GS1 reused for other content
    (AssociationEvent-f's in Example-Type-sourceOrDestination..., SensorDataExample13's in 17) is
    refused naming it."""
    stored_as: dict[str, str] = {}  # content as sent -> the eventID it is stored under
    content_of: dict[str, list[dict]] = {}  # eventID -> the events stored under it
    expected: list[dict] = []
    resends, clashes = [], []
    for path in FILES:
        doc = json.loads(path.read_text(encoding="utf-8"))
        sent = _events_of(doc)
        r = client.post(
            "/api/v1/epcis/capture",
            json=doc,
            headers={**flow.r, "GS1-Capture-Error-Behaviour": "proceed"},
        )
        assert r.status_code == 202, r.text
        job = r.json()
        refused = {e["instance"]: e for e in job["errors"]}
        answered = iter(job["eventIDs"])
        where = (
            "epcisBody.queryResults.resultsBody.eventList"
            if doc["type"] == "EPCISQueryDocument"
            else "epcisBody.eventList"
        )
        for i, e in enumerate(sent):
            event_id = e.get("eventID")
            others = [o for o in content_of.get(event_id, []) if _content(o) != _content(e)]
            if (
                event_id
                and others
                and "errorDeclaration" not in e
                and any("errorDeclaration" not in o for o in others)
            ):
                problem = refused[f"{where}.{i}"]
                assert problem["status"] == 409 and problem["errors"][0]["field"] == f"{where}.{i}.eventID"
                clashes.append(path.name)
                continue
            got = next(answered)
            if _content(e) in stored_as and stored_as[_content(e)] != event_id:
                # Sent again under another eventID: the duplicate names the stored event.
                assert got == stored_as[_content(e)], (path.name, i)
                resends.append(path.name)
                continue
            if event_id:
                assert got == event_id, (path.name, i, got)
                expected.append(e)
            stored_as.setdefault(_content(e), got)
            content_of.setdefault(got, []).append(e)
        assert len(refused) == len([c for c in clashes if c == path.name]), job["errors"]
    assert resends == ["Example_9.6.1-with-comment.jsonld"]
    assert clashes == [
        "Example-Type-sourceOrDestination,measurement,bizTransaction.jsonld",
        "SensorDataExample17.jsonld",
    ]

    r = client.get("/api/v1/epcis/events", params={"perPage": "1000"}, headers=flow.r)
    assert r.status_code == 200 and "Link" not in r.headers
    back: dict[str, list[str]] = {}
    for e in r.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]:
        back.setdefault(e["eventID"], []).append(_content(e))
    for e in expected:
        assert _content(e) in back.get(e["eventID"], []), e["eventID"]
    commented = [e for e in expected if "rdfs:comment" in e]
    assert commented and all(_content(e) in back[e["eventID"]] for e in commented)
