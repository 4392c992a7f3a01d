"""GS1's EPCIS event hash (CBV 2.0 section 8.9): the reference implementation's own test vectors
(tests/data/gs1/event-hash, with its MIT licence), the hash stored beside each captured event, used as
the eventID of an event sent without one, and found by EQ_eventID and /events/{eventID}."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
import sqlalchemy as sa
from sqlmodel import select

from core.db import migrate, normalise_url
from tests.conftest import _pg_url, require_postgres
from tests.traceability.test_epcis import _doc, _event, _events, _item, _urn, _valid
from traceability import epcis
from traceability.event_hash import Unhashable, canonical_hash, canonical_hashes
from traceability.models import EpcisEvent

VECTORS = Path(__file__).parents[1] / "data" / "gs1" / "event-hash"
EXAMPLES = Path(__file__).parents[1] / "data" / "gs1" / "epcis" / "examples"


def _vectors() -> list[tuple[str, dict, str]]:
    out = []
    for path in sorted(VECTORS.glob("*.jsonld")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        expected = path.with_suffix(".hashes").read_text().split()
        events = doc["epcisBody"]["eventList"]
        assert len(events) == len(expected), path.name
        out += [(f"{path.stem}[{i}]", doc, h) for i, h in enumerate(expected)]
    return out


VECTOR_CASES = _vectors()


def test_the_vectors_are_there():
    assert len(VECTOR_CASES) == 14


@pytest.mark.parametrize(("name", "doc", "expected"), VECTOR_CASES, ids=[c[0] for c in VECTOR_CASES])
def test_reference_vectors(name, doc, expected):
    i = int(name.split("[")[1].rstrip("]"))
    event = doc["epcisBody"]["eventList"][i]
    assert canonical_hash(event, doc["@context"]) == expected


def test_the_same_event_in_another_form_hashes_the_same_and_a_change_does_not():
    doc = json.loads((VECTORS / "ReferenceEventHashAlgorithm.jsonld").read_text())
    event = doc["epcisBody"]["eventList"][0]
    expected = canonical_hash(event, doc["@context"])
    other = {
        **{k: v for k, v in reversed(event.items())},
        # Digital Links on another host, in another order; the step as a CBV URI; another offset.
        "epcList": [
            "https://example.com/00/040123450000003338?x=1",
            "https://id.gs1.org/00/040123450000001112",
            "https://id.gs1.org/00/040123450000002225",
        ],
        "bizStep": "https://ref.gs1.org/cbv/BizStep-departing",
        "eventTime": "2020-03-04T10:00:30Z",
        "eventID": "urn:uuid:7d1d4a3c-0b55-4bd5-9a1f-4c3c0c6a0b2f",
        "recordTime": "2024-01-01T00:00:00Z",
    }
    assert canonical_hash(other, doc["@context"]) == expected
    assert canonical_hash({**event, "action": "ADD"}, doc["@context"]) != expected
    assert canonical_hash({**event, "example:myField2": "1"}, doc["@context"]) != expected
    with pytest.raises(Unhashable):
        canonical_hashes(["not an event"])  # type: ignore[list-item]


def test_every_gs1_example_it_can_read_is_hashed_and_a_remote_context_is_never_fetched():
    hashed, unreadable = 0, []
    for path in sorted(EXAMPLES.rglob("*.jsonld")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        body = doc["epcisBody"]
        events = (
            body["queryResults"]["resultsBody"]["eventList"]
            if doc["type"] == "EPCISQueryDocument"
            else body["eventList"]
        )
        try:
            hashes = canonical_hashes(events, doc["@context"])
        except Unhashable:
            unreadable.append(path.name)
            continue
        assert all(h.startswith("ni:///sha-256;") and h.endswith("?ver=CBV2.0") for h in hashes)
        hashed += len(hashes)
    # What GS1's reference implementation (1.9.3) cannot read: the repository's own hash stands in.
    assert unreadable == [
        "Example-TransactionEvents-2020_07_03y.jsonld",
        "transformation_event_all_possible_fields.jsonld",
    ]
    assert hashed == 53
    # A context at an address of the sender's choosing is left out, not fetched (it would not resolve).
    event = {**_event("storing", ["urn:epc:id:sgtin:4012345.011111.1"]), "ex:x": "1"}
    assert canonical_hash(event, ["https://unreachable.invalid/ctx.jsonld", {"ex": "https://ex.example/"}])


def test_a_captured_event_keeps_the_hash_named_by_it_when_sent_without_an_eventID(flow, client, db):
    _, _, codes = flow.released_codes(quantity=2)
    sent = _event("storing", [_item(codes[0])])
    job = client.post("/api/v1/epcis/capture", json=_doc(sent), headers=flow.m).json()
    assert job["success"] and job["captured"] == 1
    expected = canonical_hash(sent, [epcis.CONTEXT])
    assert job["eventIDs"] == [expected]
    # The same event again with the item as an EPC URN (no lot): one event, as before.
    again = _doc({**sent, "epcList": [_urn(codes[0])]})
    job = client.post("/api/v1/epcis/capture", json=again, headers=flow.m).json()
    assert (job["captured"], job["duplicates"], job["eventIDs"]) == (0, 1, [expected])
    assert canonical_hash(again["epcisBody"]["eventList"][0], [epcis.CONTEXT]) == expected

    # An event sent with its own eventID keeps it; its hash finds it too.
    named = _event("shipping", [_item(codes[1])], eventID="urn:uuid:5b1f7e0e-6c3a-4f0e-9d63-0d1f4c3b2a11")
    assert client.post("/api/v1/epcis/capture", json=_doc(named), headers=flow.m).json()["success"]
    its_hash = canonical_hash(named, [epcis.CONTEXT])
    with db.read_session() as s:
        row = s.exec(select(EpcisEvent).where(EpcisEvent.event_id == named["eventID"])).one()
        assert row.canonical_hash == its_hash and row.event_hash != its_hash
    for value in (its_hash, named["eventID"]):
        r = client.get("/api/v1/epcis/events", params={"EQ_eventID": value}, headers=flow.m)
        assert r.status_code == 200
        _valid(r.json())
        assert [e["eventID"] for e in _events(r.json())] == [named["eventID"]]
    r = client.get(f"/api/v1/epcis/events/{quote(its_hash, safe='')}", headers=flow.m)
    assert r.status_code == 200 and [e["eventID"] for e in _events(r.json())] == [named["eventID"]]
    # Another merchant does not find it by its hash either.
    other = {"Authorization": f"Bearer {flow.keys.other_merchant}"}
    assert client.get(f"/api/v1/epcis/events/{quote(its_hash, safe='')}", headers=other).status_code == 404


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path) -> Iterator[str]:
    """A database of its own, no migration applied yet."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    admin = require_postgres()
    name = f"crosstrust_mig_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield _pg_url(admin, name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_migration_hashes_the_events_already_captured(empty_url):
    """0023 computes the hash of every event captured before it, from what was kept: the event as sent
    (or, before 0014, its normalised document); an event it cannot hash keeps none."""
    migrate(empty_url, "0022_export_attempts")
    doc = json.loads((VECTORS / "epcisDocWithVariousEventTypes.jsonld").read_text())
    events = doc["epcisBody"]["eventList"]
    expected = (VECTORS / "epcisDocWithVariousEventTypes.hashes").read_text().split()
    engine = sa.create_engine(normalise_url(empty_url))
    table = sa.table(
        "epcis_event",
        *(sa.column(c) for c in ("event_hash", "event_type", "event_time_zone_offset", "action")),
        sa.column("event_time", sa.DateTime(timezone=True)),
        sa.column("record_time", sa.DateTime(timezone=True)),
        sa.column("document", sa.JSON()),
        sa.column("original", sa.JSON()),
        sa.column("context", sa.JSON()),
    )
    now = datetime.now(UTC)
    rows = [
        {"original": events[0], "document": {}, "context": doc["@context"]},  # as sent (since 0014)
        {"original": None, "document": events[2], "context": None},  # before 0014: the document only
        {"original": {"type": "ObjectEvent", "bizTransactionList": "x"}, "document": {}, "context": None},
    ]
    with engine.begin() as conn:
        conn.execute(
            sa.insert(table),
            [
                {
                    **r,
                    "event_hash": f"h{i}",
                    "event_type": "ObjectEvent",
                    "event_time_zone_offset": "+01:00",
                    "action": "OBSERVE",
                    "event_time": now,
                    "record_time": now,
                }
                for i, r in enumerate(rows)
            ],
        )
    migrate(empty_url)
    with engine.connect() as conn:
        got = conn.execute(
            sa.text("SELECT event_hash, canonical_hash FROM epcis_event ORDER BY event_hash")
        ).all()
    engine.dispose()
    assert got == [("h0", expected[0]), ("h1", expected[2]), ("h2", None)]


def test_an_event_keeps_its_eventID_and_a_resend_under_another_is_the_stored_one(flow, client):
    """The sender's eventID names its event. The same event sent again, exactly, under another eventID
    is a duplicate answered with the stored eventID (200, not 201, from /events); the same event in
    another form, or with a comment the hash leaves out, named otherwise, is an event of its own."""
    _, _, codes = flow.released_codes(quantity=1)
    first = _event("storing", [_item(codes[0])], eventID="urn:uuid:0b7c6f0e-1d52-4a36-9a3c-5f1e2d3c4b01")
    r = client.post("/api/v1/epcis/events", json=first, headers=flow.m)
    assert r.status_code == 201 and r.json()["eventID"] == first["eventID"]
    stored = r.headers["Location"]

    resend = {**first, "eventID": "urn:uuid:0b7c6f0e-1d52-4a36-9a3c-5f1e2d3c4b02"}
    r = client.post("/api/v1/epcis/events", json=resend, headers=flow.m)
    assert r.status_code == 200, r.text
    assert r.headers["Location"] == stored and r.json()["eventID"] == first["eventID"]
    job = client.post("/api/v1/epcis/capture", json=_doc(resend), headers=flow.m).json()
    assert (job["success"], job["captured"], job["duplicates"]) == (True, 0, 1)
    assert job["eventIDs"] == [first["eventID"]]

    # With a comment, and in another form (its EPC URN), each under its own eventID: kept as sent.
    commented = {**resend, "rdfs:comment": "counted twice"}
    urn = {**first, "eventID": "urn:uuid:0b7c6f0e-1d52-4a36-9a3c-5f1e2d3c4b03", "epcList": [_urn(codes[0])]}
    context = [epcis.CONTEXT, {"rdfs": "http://www.w3.org/2000/01/rdf-schema#"}]
    job = client.post(
        "/api/v1/epcis/capture", json=_doc(commented, urn, context=context), headers=flow.m
    ).json()
    assert job["success"] and job["captured"] == 2
    assert job["eventIDs"] == [commented["eventID"], urn["eventID"]]
    for sent in (first, commented, urn):
        r = client.get(f"/api/v1/epcis/events/{quote(sent['eventID'], safe='')}", headers=flow.m)
        assert r.status_code == 200
        (back,) = _events(r.json())
        back.pop("recordTime")
        assert back == sent
    # Sent without an eventID, the comment makes it another event still: named by the repository's
    # hash, as GS1's hash (which leaves the comment out) names the first one already.
    plain = _event("storing", [_item(codes[0])], minutes=7)
    noted = {**plain, "rdfs:comment": "seen"}
    job = client.post(
        "/api/v1/epcis/capture", json=_doc(plain, noted, context=context), headers=flow.m
    ).json()
    assert job["success"] and job["captured"] == 2 and len(set(job["eventIDs"])) == 2
    assert job["eventIDs"][0] == canonical_hash(plain, context)
