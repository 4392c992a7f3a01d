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
