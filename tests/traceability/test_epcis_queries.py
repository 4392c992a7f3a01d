"""EPCIS 2.0 named queries and subscriptions (REST binding): create, list, read, run and delete a
named query; stream subscriptions delivered to a real HTTP receiver on localhost. Every result page
and every delivery is checked against GS1's official schema; queries belong to their owner."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import select

from core.clock import clock, utcnow
from core.events import DeliveryStatus, OutboxDelivery, OutboxEvent
from tests.conftest import Keys
from tests.receiver import serve_in_thread
from tests.traceability.test_epcis import _all_pages, _doc, _event, _item, _valid
from traceability import epcis, epcis_queries
from traceability.models import EpcisSubscription

Q = "/api/v1/epcis/queries"


class Receiver:
    """A subscriber's webhook endpoint on localhost, keeping each request's path and body."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.status = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["content-length"]))
                outer.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(outer.status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        serve_in_thread(self.server)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/epcis/callback"

    def documents(self) -> list[dict]:
        return [json.loads(body) for _, _, body in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


def _create(client, headers, name, query) -> dict:
    r = client.post(Q, json={"name": name, "query": query}, headers=headers)
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"{Q}/{name}"
    return r.json()


def test_a_named_query_is_created_listed_run_page_by_page_and_deleted(flow, client):
    _, _, codes = flow.released_codes(quantity=5)
    events = [_event("storing", [_item(c)], minutes=i + 1) for i, c in enumerate(codes)]
    events.append(_event("shipping", [_item(codes[0])], minutes=9))
    assert client.post("/api/v1/epcis/capture", json=_doc(*events), headers=flow.m).json()["success"]

    query = {
        "EQ_bizStep": ["storing", "https://ref.gs1.org/cbv/BizStep-receiving"],
        "eventType": "ObjectEvent",
    }
    made = _create(client, flow.m, "stored-goods", query)
    assert made["name"] == "stored-goods" and made["query"] == query
    r = client.get(f"{Q}/stored-goods", headers=flow.m)
    assert r.status_code == 200 and r.json()["query"] == query

    # The same name again is a conflict; a bad query is a 400 naming the parameter.
    r = client.post(Q, json={"name": "stored-goods", "query": {}}, headers=flow.m)
    assert r.status_code == 409 and r.json()["errors"][0]["field"] == "name"
    for bad, field in (
        ({"EQ_action": "JUMP"}, "query.EQ_action"),
        ({"EQ_bizStep": ["flying"]}, "query.EQ_bizStep"),
        ({"GE_eventTime": "yesterday"}, "query.GE_eventTime"),
        ({"MATCH_epc": ["https://id.gs1.org/01/12345678901234/21/1"]}, "query.MATCH_epc"),
        ({"EQ_colour": "red"}, "query.EQ_colour"),
        ({"perPage": "5"}, "query.perPage"),
        ({"EQ_bizStep": [1, 2]}, "query.EQ_bizStep"),
    ):
        r = client.post(Q, json={"name": "bad", "query": bad}, headers=flow.m)
        assert r.status_code == 400, (bad, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["field"] == field, (bad, r.json())
    for body, field in (
        ({"query": {}}, "name"),
        ({"name": "a/b", "query": {}}, "name"),
        ({"name": "x"}, "query"),
    ):
        r = client.post(Q, json=body, headers=flow.m)
        assert r.status_code == 400 and r.json()["errors"][0]["field"] == field

    # Run it: the storing events only, one per page, every page a valid EPCISQueryDocument.
    seen, pages = _all_pages(client, f"{Q}/stored-goods/events", flow.m, {"perPage": "2"})
    assert (
        pages == 3
        and len(seen) == 5
        and {e["bizStep"] for e in seen} == {"https://ref.gs1.org/cbv/BizStep-storing"}
    )
    page = client.get(f"{Q}/stored-goods/events", headers=flow.m).json()
    assert page["epcisBody"]["queryResults"]["queryName"] == "stored-goods"
    r = client.get(f"{Q}/stored-goods/events", params={"EQ_bizStep": "shipping"}, headers=flow.m)
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "EQ_bizStep"

    # Listed, paged like the rest.
    _create(client, flow.m, "shipped", {"EQ_bizStep": "shipping"})
    _create(client, flow.m, "everything", {})
    r = client.get(Q, params={"perPage": "2"}, headers=flow.m)
    assert [q["name"] for q in r.json()] == ["stored-goods", "shipped"]
    nxt = r.headers["Link"].split(";")[0].strip("<>")
    assert [q["name"] for q in client.get(nxt, headers=flow.m).json()] == ["everything"]
    everything, _ = _all_pages(client, f"{Q}/everything/events", flow.m)
    assert len(everything) > len(seen)  # the issuance events too

    assert client.delete(f"{Q}/shipped", headers=flow.m).status_code == 204
    r = client.get(f"{Q}/shipped", headers=flow.m)
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    assert client.get(f"{Q}/shipped/events", headers=flow.m).status_code == 404
    assert client.delete(f"{Q}/shipped", headers=flow.m).status_code == 404


def test_a_query_is_its_owners_and_answers_with_the_callers_scope(flow, client, receiver):
    _, _, codes = flow.released_codes(quantity=2)
    mine = _event("shipping", [_item(codes[0])])
    assert client.post("/api/v1/epcis/capture", json=_doc(mine), headers=flow.m).json()["success"]
    # An event the merchant may not see (recorded by a regulator, about another company's goods).
    foreign = _event("shipping", ["urn:epc:id:sgtin:4012345.011111.77"], minutes=2)
    assert client.post("/api/v1/epcis/capture", json=_doc(foreign), headers=flow.r).json()["success"]

    _create(client, flow.m, "shipments", {"EQ_bizStep": "shipping"})
    got, _ = _all_pages(client, f"{Q}/shipments/events", flow.m)
    assert [e["epcList"] for e in got] == [[_item(codes[0])]]
    # The regulator's query of the same name is another query, and sees both.
    _create(client, flow.r, "shipments", {"EQ_bizStep": "shipping"})
    got, _ = _all_pages(client, f"{Q}/shipments/events", flow.r)
    assert len(got) == 2

    other = Keys.header(flow.keys.other_merchant)
    assert client.get(Q, headers=other).json() == []
    sub = {"dest": receiver.url, "secret": "s3cret", "stream": True}
    for method, path, body in (
        ("GET", f"{Q}/shipments", None),
        ("GET", f"{Q}/shipments/events", None),
        ("DELETE", f"{Q}/shipments", None),
        ("GET", f"{Q}/shipments/subscriptions", None),
        ("POST", f"{Q}/shipments/subscriptions", sub),
    ):
        r = client.request(method, path, json=body, headers=other)
        assert r.status_code == 404, (method, path, r.text)
    made = client.post(f"{Q}/shipments/subscriptions", json=sub, headers=flow.m).json()
    one = f"{Q}/shipments/subscriptions/{made['subscriptionID']}"
    assert client.get(one, headers=other).status_code == 404
    assert client.delete(one, headers=other).status_code == 404
    assert client.get(one, headers=flow.m).status_code == 200
    # The other merchant's own query of that name does not reach the merchant's.
    _create(client, other, "shipments", {})
    assert (
        client.get(f"{Q}/shipments/events", headers=other).json()["epcisBody"]["queryResults"]["resultsBody"][
            "eventList"
        ]
        == []
    )
    assert client.get(Q, headers=Keys.header(flow.keys.insurer)).status_code == 403


def test_a_stream_subscription_delivers_new_matching_events_to_its_webhook(
    flow, client, receiver, dispatcher, db
):
    _, _, codes = flow.released_codes(quantity=3)
    dispatcher.drain()
    _create(client, flow.m, "shipments", {"EQ_bizStep": ["shipping"]})
    _create(client, flow.r, "all-shipments", {"EQ_bizStep": ["shipping"]})
    body = {"dest": receiver.url, "secret": "0435ojtojt02", "stream": True}
    r = client.post(f"{Q}/shipments/subscriptions", json=body, headers=flow.m)
    assert r.status_code == 201, r.text
    sub = r.json()
    assert r.headers["Location"] == f"{Q}/shipments/subscriptions/{sub['subscriptionID']}"
    assert sub["dest"] == receiver.url and sub["stream"] is True and "secret" not in sub
    assert client.get(r.headers["Location"], headers=flow.m).json() == sub
    listed = client.get(f"{Q}/shipments/subscriptions", headers=flow.m).json()
    assert listed == [sub]
    regulators = client.post(f"{Q}/all-shipments/subscriptions", json=body, headers=flow.r).json()
    # The secret is kept encrypted: a copy of the database does not give it away.
    with db.read_session() as s:
        stored = s.exec(select(EpcisSubscription)).all()
    assert len(stored) == 2 and all("0435ojtojt02" not in row.secret_cipher for row in stored)
    assert stored[0].secret_cipher != stored[1].secret_cipher  # a fresh nonce each

    # One capture with a matching and a non-matching event; one of another party's, matching.
    doc = _doc(_event("shipping", [_item(codes[0])]), _event("storing", [_item(codes[1])], minutes=2))
    job = client.post("/api/v1/epcis/capture", json=doc, headers=flow.m).json()
    assert job["success"]
    foreign = _event("shipping", ["urn:epc:id:sgtin:4012345.011111.78"], minutes=3)
    assert client.post("/api/v1/epcis/capture", json=_doc(foreign), headers=flow.r).json()["success"]
    dispatcher.drain()

    by_sub: dict[str, list[dict]] = {}
    for path, headers, raw in receiver.received:
        assert parse_qs(urlsplit(path).query) == {"secret": ["0435ojtojt02"]}
        assert headers["content-type"] == "application/ld+json"
        doc = json.loads(raw)
        _valid(doc)
        results = doc["epcisBody"]["queryResults"]
        by_sub.setdefault(results["subscriptionID"], []).extend(results["resultsBody"]["eventList"])
    merchant_got = by_sub[sub["subscriptionID"]]
    assert [e["epcList"] for e in merchant_got] == [[_item(codes[0])]]
    assert merchant_got[0]["eventID"] == job["eventIDs"][0]
    regulator_got = by_sub[regulators["subscriptionID"]]
    assert sorted(e["epcList"][0] for e in regulator_got) == sorted(
        [_item(codes[0]), "urn:epc:id:sgtin:4012345.011111.78"]
    )

    # The receiver is down: the delivery waits and is retried; its error does not show the secret.
    receiver.status = 503
    receiver.received.clear()
    later = _event("shipping", [_item(codes[2])], minutes=4)
    assert client.post("/api/v1/epcis/capture", json=_doc(later), headers=flow.m).json()["success"]
    dispatcher.run_once()
    with db.read_session() as s:
        row = s.exec(
            select(OutboxDelivery).where(
                OutboxDelivery.subscriber == "traceability.epcis_subscriptions",
                OutboxDelivery.status == DeliveryStatus.pending,
            )
        ).one()
    assert row.attempts == 1 and "503" in row.last_error and "0435ojtojt02" not in row.last_error
    receiver.status = 200
    time.sleep(0.05)
    dispatcher.drain()
    with db.read_session() as s:
        assert s.get(OutboxDelivery, row.id).status == DeliveryStatus.done
    assert any(
        [e["epcList"] for e in d["epcisBody"]["queryResults"]["resultsBody"]["eventList"]]
        == [[_item(codes[2])]]
        for d in receiver.documents()
    )

    # Unsubscribed (and the regulator's query deleted with its subscription): nothing more is sent, and
    # a capture no one subscribes to writes no announcement.
    assert (
        client.delete(f"{Q}/shipments/subscriptions/{sub['subscriptionID']}", headers=flow.m).status_code
        == 204
    )
    assert client.get(f"{Q}/shipments/subscriptions", headers=flow.m).json() == []
    assert client.delete(f"{Q}/all-shipments", headers=flow.r).status_code == 204
    with db.read_session() as s:
        before = len(s.exec(select(OutboxEvent).where(OutboxEvent.type == "epcis.events_captured")).all())
    receiver.received.clear()
    last = _event("shipping", [_item(codes[1])], minutes=5)
    assert client.post("/api/v1/epcis/capture", json=_doc(last), headers=flow.m).json()["success"]
    dispatcher.drain()
    assert receiver.received == []
    with db.read_session() as s:
        after = len(s.exec(select(OutboxEvent).where(OutboxEvent.type == "epcis.events_captured")).all())
    assert after == before


def test_a_subscription_says_what_is_wrong_with_it(flow, client, receiver):
    _create(client, flow.m, "q", {})
    url = f"{Q}/q/subscriptions"
    good = {"dest": receiver.url, "secret": "x", "stream": True}
    for body, status, field in (
        ({**good, "stream": None}, 400, "stream"),
        ({"dest": receiver.url, "secret": "x"}, 400, "stream"),
        ({**good, "secret": ""}, 400, "secret"),
        ({"dest": receiver.url, "stream": True}, 400, "signatureToken"),
        ({**good, "signatureToken": ""}, 400, "signatureToken"),
        ({**good, "signatureToken": 42}, 400, "signatureToken"),
        ({**good, "reportIfEmpty": "yes"}, 400, "reportIfEmpty"),
        ({**good, "subscriptionID": "mine"}, 400, "subscriptionID"),
        ({**good, "epcFormat": "Always_EPC_URN"}, 400, "epcFormat"),
        ({**good, "initialRecordTime": "soon"}, 400, "initialRecordTime"),
        ({"dest": receiver.url, "secret": "x", "schedule": {"hours": "1"}}, 400, "schedule.hours"),
        ({"dest": receiver.url, "secret": "x", "schedule": {"hour": 1}}, 400, "schedule.hour"),
        ({"dest": receiver.url, "secret": "x", "schedule": "daily"}, 400, "schedule"),
        ({**good, "dest": "http://169.254.169.254/latest/meta-data/"}, 400, "dest"),
        ({**good, "dest": "ftp://example.com/x"}, 400, "dest"),
        ({**good, "colour": "red"}, 400, "colour"),
        ({**good, "schedule": {"hour": "1"}}, 400, "stream"),
        ({"dest": receiver.url, "secret": "x", "schedule": {"hour": "1", "minute": "5"}}, 501, "schedule"),
    ):
        r = client.post(url, json=body, headers=flow.m)
        assert r.status_code == status, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["field"] == field, (body, r.json())
    assert client.post(f"{Q}/nothing/subscriptions", json=good, headers=flow.m).status_code == 404
    assert client.get(f"{Q}/q/subscriptions/nope", headers=flow.m).status_code == 404
    assert client.post(url, json=good, headers=flow.m).status_code == 201


def test_every_paged_answer_says_when_its_next_page_token_expires(flow, client, receiver):
    """GS1-Next-Page-Token-Expires beside each Link rel="next" (the binding's paged answers): an RFC 3339
    time in the future, after which that token is refused (400 naming it), and none on a last page."""
    _, _, codes = flow.released_codes(quantity=2)
    for c in codes:
        doc = _doc(_event("storing", [_item(c)]), _event("shipping", [_item(c)], minutes=2))
        assert client.post("/api/v1/epcis/capture", json=doc, headers=flow.m).json()["success"]
    for name in ("a", "b"):
        _create(client, flow.m, name, {})
        body = {"dest": receiver.url, "secret": "s", "stream": True}
        for _ in range(2):
            assert client.post(f"{Q}/{name}/subscriptions", json=body, headers=flow.m).status_code == 201
    paged = [
        "/api/v1/epcis/events",
        "/api/v1/epcis/capture",
        Q,
        f"{Q}/a/events",
        f"{Q}/a/subscriptions",
        "/api/v1/epcis/bizSteps",
        "/api/v1/epcis/eventTypes/ObjectEvent/events",
    ]
    for url in paged:
        r = client.get(url, params={"perPage": "1"}, headers=flow.m)
        assert r.status_code == 200 and "Link" in r.headers, (url, r.text)
        value = r.headers["GS1-Next-Page-Token-Expires"]
        expires = datetime.fromisoformat(value.replace("Z", "+00:00"))
        assert expires.tzinfo is not None and expires > utcnow(), (url, value)
        assert value.endswith("Z") and expires <= utcnow() + epcis.PAGE_TOKEN_TTL
        # The next page is there until then.
        nxt = r.headers["Link"].split(";")[0].strip("<>")
        assert client.get(nxt, headers=flow.m).status_code == 200, url
        last = client.get(url, params={"perPage": "1000"}, headers=flow.m)
        assert "Link" not in last.headers and "GS1-Next-Page-Token-Expires" not in last.headers
        clock.freeze(expires)
        r = client.get(nxt, headers=flow.m)
        clock.reset()
        assert r.status_code == 400, (url, r.text)
        assert r.json()["errors"][0]["field"] == "nextPageToken"


# The binding's own stream subscription (REST Bindings/openapi.yaml, POST /queries/{queryName}/subscriptions,
# gs1/EPCIS 2b888be), with its dest pointed at the test's receiver.
BINDING_EXAMPLE = {
    "dest": "https://client.example.com/queryCallback",
    "signatureToken": "13df38d8275b13f05704629e5f1cf3d45d6132d5",
    "stream": True,
}


def test_the_bindings_own_subscription_is_accepted_and_its_deliveries_signed(
    flow, client, receiver, dispatcher, db
):
    """The binding's example body (dest, signatureToken, stream: true) subscribes: the token is kept
    sealed, never answered, and keys each delivery's GS1-Signature (HMAC-SHA256 of the body, which
    the receiver checks). reportIfEmpty goes with stream too: that subscription is also told, with an
    empty result, of a capture of its owner's that matched nothing; not of another party's."""
    _, _, codes = flow.released_codes(quantity=2)
    dispatcher.drain()
    _create(client, flow.m, "shipments", {"EQ_bizStep": ["shipping"]})
    token = BINDING_EXAMPLE["signatureToken"]
    body = {**BINDING_EXAMPLE, "dest": receiver.url}
    r = client.post(f"{Q}/shipments/subscriptions", json=body, headers=flow.m)
    assert r.status_code == 201, r.text
    signed = r.json()
    assert signed["dest"] == receiver.url and signed["stream"] is True and signed["reportIfEmpty"] is False
    assert "signatureToken" not in signed and "secret" not in signed
    empty_too = {**body, "reportIfEmpty": True}
    r = client.post(f"{Q}/shipments/subscriptions", json=empty_too, headers=flow.m)
    assert r.status_code == 201, r.text
    reporting = r.json()
    assert reporting["reportIfEmpty"] is True
    assert client.get(r.headers["Location"], headers=flow.m).json() == reporting
    with db.read_session() as s:
        stored = s.exec(select(EpcisSubscription)).all()
    assert all(row.secret_cipher is None and token not in row.signature_token_cipher for row in stored)

    def deliveries() -> dict[str, list[list[dict]]]:
        by_sub: dict[str, list[list[dict]]] = {}
        for path, headers, raw in receiver.received:
            assert urlsplit(path).query == ""  # no secret was given: none is sent
            expected = "sha256=" + hmac.new(token.encode(), raw, hashlib.sha256).hexdigest()
            assert hmac.compare_digest(headers["gs1-signature"], expected)
            doc = json.loads(raw)
            _valid(doc)
            results = doc["epcisBody"]["queryResults"]
            by_sub.setdefault(results["subscriptionID"], []).append(results["resultsBody"]["eventList"])
        return by_sub

    shipped = _event("shipping", [_item(codes[0])])
    assert client.post("/api/v1/epcis/capture", json=_doc(shipped), headers=flow.m).json()["success"]
    dispatcher.drain()
    got = deliveries()
    assert [[e["epcList"] for e in events] for events in got[signed["subscriptionID"]]] == [
        [[_item(codes[0])]]
    ]
    assert got[reporting["subscriptionID"]] == got[signed["subscriptionID"]]

    # Nothing matches: only the reportIfEmpty subscription hears of it, with an empty result.
    receiver.received.clear()
    stored_goods = _event("storing", [_item(codes[1])], minutes=2)
    assert client.post("/api/v1/epcis/capture", json=_doc(stored_goods), headers=flow.m).json()["success"]
    dispatcher.drain()
    assert deliveries() == {reporting["subscriptionID"]: [[]]}
    # Another party's capture is not the owner's to hear of, even as an empty report.
    receiver.received.clear()
    foreign = _event("storing", ["urn:epc:id:sgtin:4012345.011111.79"], minutes=3)
    assert client.post("/api/v1/epcis/capture", json=_doc(foreign), headers=flow.r).json()["success"]
    dispatcher.drain()
    assert receiver.received == []


def test_an_initial_record_time_in_the_past_sends_what_was_recorded_since_first(
    flow, client, receiver, dispatcher, monkeypatch
):
    """initialRecordTime (the binding: it applies the first time a subscriber receives events): the
    matching events recorded since then, in the owner's scope, are sent first, in documents of at most
    BACKFILL_BATCH events; then new ones as they are captured. A time to come is taken too."""
    monkeypatch.setattr(epcis_queries, "BACKFILL_BATCH", 2)
    _, _, codes = flow.released_codes(quantity=4)
    start = utcnow()
    clock.freeze(start + timedelta(minutes=1))
    early = [_event("shipping", [_item(c)], minutes=i) for i, c in enumerate(codes[:3])]
    assert client.post("/api/v1/epcis/capture", json=_doc(*early), headers=flow.m).json()["success"]
    foreign = _event("shipping", ["urn:epc:id:sgtin:4012345.011111.80"])
    assert client.post("/api/v1/epcis/capture", json=_doc(foreign), headers=flow.r).json()["success"]
    dispatcher.drain()
    clock.freeze(start + timedelta(minutes=2))
    _create(client, flow.m, "shipments", {"EQ_bizStep": ["shipping"]})
    body = {**BINDING_EXAMPLE, "dest": receiver.url, "initialRecordTime": _stamp(start)}
    r = client.post(f"{Q}/shipments/subscriptions", json=body, headers=flow.m)
    assert r.status_code == 201, r.text
    assert r.json()["initialRecordTime"] == _stamp(start)
    dispatcher.drain()
    documents = receiver.documents()
    for d in documents:
        _valid(d)
    sent = [
        [e["epcList"][0] for e in d["epcisBody"]["queryResults"]["resultsBody"]["eventList"]]
        for d in documents
    ]
    assert sent == [[_item(codes[0]), _item(codes[1])], [_item(codes[2])]]
    receiver.received.clear()
    clock.freeze(start + timedelta(minutes=3))
    later = _event("shipping", [_item(codes[3])], minutes=5)
    assert client.post("/api/v1/epcis/capture", json=_doc(later), headers=flow.m).json()["success"]
    dispatcher.drain()
    assert [[e["epcList"] for e in events] for events in _delivered(receiver)] == [[[_item(codes[3])]]]
    # Events recorded before it are not sent; a time to come is taken as it is.
    soon = _stamp(utcnow() + timedelta(hours=1))
    r = client.post(f"{Q}/shipments/subscriptions", json={**body, "initialRecordTime": soon}, headers=flow.m)
    assert r.status_code == 201 and r.json()["initialRecordTime"] == soon
    clock.reset()


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _delivered(receiver) -> list[list[dict]]:
    return [d["epcisBody"]["queryResults"]["resultsBody"]["eventList"] for d in receiver.documents()]
