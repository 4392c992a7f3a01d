"""The API's edge: bad input is a 4xx problem naming the field (never a server error), an unexpected
error leaves the client's kept-alive connection usable, and the OpenAPI document and OPTIONS say what
each path answers."""

from __future__ import annotations

import http.client
import json
import re
from urllib.parse import urlsplit

import pytest

from core.clock import utcnow
from tests.conftest import Keys, serve

BIG = 2**63  # one past SQLite's largest integer
PG_BIG = 2**31  # one past PostgreSQL's INTEGER


def _field(r) -> str:
    assert r.headers["content-type"].startswith("application/problem+json"), r.text
    return ",".join(e["field"] for e in r.json().get("errors", []))


# --- item: bad input is a 4xx naming the field -------------------------------------------------------


@pytest.mark.parametrize("number", [BIG, 2**63 - 1, PG_BIG, 10**30])
def test_integers_past_the_columns_are_refused_by_name(client, keys: Keys, number: int):
    admin = Keys.header(keys.admin)
    for path, field in [
        (f"/api/v1/enterprises/{number}", "enterprise_id"),
        (f"/api/v1/enterprises/{keys.merchant_id}/declarations/{number}", "declaration_id"),
        (f"/api/v1/enterprises/{keys.merchant_id}/code-batches/{number}", "batch_id"),
        (f"/api/v1/disclosures/exports/{number}", "job_id"),
        (f"/api/v1/public/credit/draws/{number}", "draw_id"),
        (f"/api/v1/enterprises?offset={number}", "offset"),
        (f"/api/v1/declarations?offset={number}", "offset"),
    ]:
        r = client.get(path, headers=admin)
        assert r.status_code == 422 and _field(r) == field, (path, r.text)
    r = client.post(f"/api/v1/admin/outbox/deliveries/{number}/retry", headers=admin)
    assert r.status_code == 422 and _field(r) == "delivery_id"
    r = client.post(
        "/api/v1/admin/api-keys", json={"role": "merchant", "enterprise_id": number}, headers=admin
    )
    assert r.status_code == 422 and _field(r) == "enterprise_id"
    record = {"enterprise_id": number, "kind": "x", "severity": "minor", "title_zh": "x", "reason": "x"}
    r = client.post("/api/v1/credit/records", json=record, headers=Keys.header(keys.regulator))
    assert r.status_code == 422 and "enterprise_id" in _field(r)


def test_the_openapi_document_states_the_bounds(client):
    doc = client.get("/openapi.json").json()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            for param in op.get("parameters", []):
                schema = param["schema"]
                if schema.get("type") == "integer":
                    assert "maximum" in schema, (method, path, param["name"])


def test_explicit_null_for_a_required_field_is_refused(client, keys: Keys):
    path = f"/api/v1/enterprises/{keys.merchant_id}"
    me = Keys.header(keys.merchant)
    for name in ("name_zh", "name_en", "address", "contact_name", "contact_phone"):
        r = client.patch(path, json={name: None}, headers=me)
        assert r.status_code == 422 and _field(r) == name, r.text
    # The nullable ones may still be cleared.
    assert (
        client.patch(path, json={"customs_code": None, "contact_email": None}, headers=me).status_code == 200
    )


def test_a_product_for_an_enterprise_that_does_not_exist_is_a_404(client, keys: Keys):
    product = {
        "gtin": "6901234567892",
        "hs_code": "1901101000",
        "name_zh": "奶粉",
        "origin_country": "DE",
        "category": "infant_formula",
    }
    for key in (keys.admin, keys.regulator):
        r = client.post("/api/v1/enterprises/999999/products", json=product, headers=Keys.header(key))
        assert r.status_code == 404 and _field(r) == "enterprise_id", r.text


def test_a_label_offset_beyond_the_batch_is_refused(client, keys: Keys):
    from tests.traceability.conftest import Flow

    flow = Flow(client, keys)
    decl = flow.release(flow.inspect(flow.declare(flow.product()["id"])))
    batch = flow.issue(decl, quantity=3)
    base = f"/api/v1/enterprises/{keys.merchant_id}/code-batches/{batch['id']}"
    for export in ("labels.pdf", "qr.zip"):
        r = client.get(f"{base}/{export}?offset=3", headers=flow.m)
        assert r.status_code == 422 and _field(r) == "offset", r.text
    r = client.get(f"{base}/qr.zip?offset=2", headers=flow.m)
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1969-12-31", "2100-01-01"])
def test_search_dates_at_the_edge_of_the_calendar_are_refused(client, keys: Keys, day: str):
    for name in ("date_from", "date_to"):
        for path, headers in (
            ("/api/v1/public/disclosures/search", {}),
            ("/api/v1/disclosures/search", Keys.header(keys.regulator)),
            ("/api/v1/public/disclosures/export", {}),
        ):
            r = client.get(path, params={name: day}, headers=headers)
            assert r.status_code == 422 and _field(r) == name, (path, name, r.text)
    assert (
        client.get("/api/v1/public/disclosures/search", params={"date_from": "1970-01-01"}).status_code == 200
    )


def test_lone_surrogates_are_refused_by_field(client, keys: Keys):
    me = Keys.header(keys.merchant) | {"Content-Type": "application/json"}
    event = (
        '{"type": "ObjectEvent", "eventTime": "2026-11-20T10:00:00+08:00", "eventTimeZoneOffset": "+08:00",'
        ' "action": "OBSERVE", "bizStep": "shipping\\ud800", "epcList": []}'
    )
    r = client.post("/api/v1/epcis/capture", content=event, headers=me)
    assert r.status_code == 422 and _field(r) == "bizStep", r.text
    document = '{"type": "EPCISDocument", "epcisBody": {"eventList": [{"x": ["ok", "\\udc00"]}]}}'
    r = client.post(
        "/api/v1/epcis/capture", content=document, headers=me | {"Content-Type": "application/ld+json"}
    )
    assert r.status_code == 422 and _field(r) == "epcisBody.eventList.0.x.1", r.text
    r = client.patch(f"/api/v1/enterprises/{keys.merchant_id}", content='{"address": "\\udfff"}', headers=me)
    assert r.status_code == 422 and _field(r) == "address"
    # A surrogate pair is a character (U+1F600), and an escaped backslash is no escape at all.
    r = client.patch(
        f"/api/v1/enterprises/{keys.merchant_id}",
        content='{"address": "\\ud83d\\ude00 \\\\ud800"}',
        headers=me,
    )
    assert r.status_code == 200 and r.json()["address"] == "\U0001f600 \\ud800"


CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


def _lists(depth: int, leaf: str = '"x"') -> str:
    return "[" * depth + leaf + "]" * depth


def _deep_capture(lists: int, serial_uri: str) -> str:
    """An EPCIS document whose one event has an extension of `lists` nested lists: the document, its
    body, the event list and the event hold it, so the body nests `4 + lists` deep."""
    when = utcnow().isoformat()
    event = json.dumps(
        {
            "type": "ObjectEvent",
            "eventTime": when,
            "eventTimeZoneOffset": "+08:00",
            "action": "OBSERVE",
            "bizStep": "https://ref.gs1.org/cbv/BizStep-storing",
            "epcList": [serial_uri],
            "ex:deep": "DEEP",
        }
    ).replace('"DEEP"', _lists(lists))
    document = {
        "@context": [CONTEXT, {"ex": "https://example.org/ns/"}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": when,
        "epcisBody": {"eventList": ["EVENT"]},
    }
    return json.dumps(document).replace('"EVENT"', event)


def _too_deep(r, field: str) -> None:
    assert r.status_code == 400, r.text
    assert r.json()["type"].endswith("/json-too-deep") and _field(r) == field, r.text
    assert "more than 64 deep" in r.json()["detail"]


def test_json_nested_too_deeply_is_a_400_naming_where(client, keys: Keys):
    """Issue 19: an extension nesting lists 500 or 900 deep was a 500 (RecursionError in the event hash)."""
    from tests.traceability.conftest import Flow

    flow = Flow(client, keys)
    _, _, codes = flow.released_codes(quantity=1)
    item = f"https://id.gs1.org/01/{codes[0]['gtin']}/10/{codes[0]['lot']}/21/{codes[0]['serial']}"
    me = flow.m | {"Content-Type": "application/ld+json"}
    where = "epcisBody.eventList.0.ex:deep"
    for lists in (500, 900, 61):
        r = client.post("/api/v1/epcis/capture", content=_deep_capture(lists, item), headers=me)
        _too_deep(r, where + ".0" * 60)
    # At the limit (64 deep) the document is captured as before.
    r = client.post("/api/v1/epcis/capture", content=_deep_capture(60, item), headers=me)
    assert r.status_code == 202 and r.json()["success"], r.text
    # Brackets inside strings, escaped quotes included, are not nesting.
    text = json.dumps("[{" * 200 + '\\"' + "[" * 100)
    r = client.patch(
        f"/api/v1/enterprises/{keys.merchant_id}", content='{"address": ' + text + "}", headers=me
    )
    assert r.status_code == 422 and _field(r) == "address", r.text  # too long, not too deep
    # A lone surrogate inside a deep body was a 500 too (the surrogate check decoded it first).
    r = client.post("/api/v1/epcis/capture", content=_lists(990, '"\\ud800"'), headers=me)
    _too_deep(r, ".".join(["0"] * 64))


def _depth(value) -> int:
    if isinstance(value, dict | list):
        items = value.values() if isinstance(value, dict) else value
        return 1 + max((_depth(v) for v in items), default=0)
    return 0


def test_the_depth_is_read_from_the_bytes_as_a_parser_would():
    from pathlib import Path

    from api.edge import exceeds_depth

    tricky = ["[", "]]]", "{[", '\\"[', "\\", '\\\\"{{', '"', "\u005b", "中文[", ""]
    samples: list = [tricky, {k: [k, {"x": k}] for k in tricky}, [[[]], {}], {"a": [[[["]"]]]]}]
    samples += [json.loads(p.read_text()) for p in Path("/work/shared/gs1/epcis/JSON").rglob("*.jsonld")]
    assert len(samples) > 20
    for value in samples:
        for indent in (None, 2):
            body = json.dumps(value, indent=indent, ensure_ascii=indent is None).encode()
            depth = _depth(value)
            assert not exceeds_depth(body, depth), body[:200]
            assert exceeds_depth(body, depth - 1), body[:200]


def test_every_operation_that_takes_json_refuses_it_too_deep(client):
    doc = client.get("/openapi.json").json()
    body = '{"a": ' + _lists(64) + "}"
    taking_json = 0
    for template, ops in doc["paths"].items():
        for method, op in ops.items():
            content = op.get("requestBody", {}).get("content", {})
            if not any(t == "application/json" or t.endswith("+json") for t in content):
                continue
            taking_json += 1
            for headers in ({"Content-Type": "application/json"}, {}):  # FastAPI reads JSON without one
                r = client.request(method, _concrete(template), content=body, headers=headers)
                _too_deep(r, "a" + ".0" * 63)
                assert "400" in op["responses"], (method, template)
    assert taking_json > 30


def test_every_write_refuses_a_bad_json_body_as_documented_whether_it_reads_one_or_not(client):
    """The edge reads the JSON body of every write, so every write may answer its 400 (too deep) and its
    422 (a lone surrogate); a write that takes no body (a sweep, a revoke) listed neither."""
    doc = client.get("/openapi.json").json()
    deep, surrogate = '{"a": ' + _lists(64) + "}", '{"a": ["\\udc00"]}'
    for template, ops in doc["paths"].items():
        for method, op in ops.items():
            if method not in ("post", "put", "patch"):
                continue
            where = (method, template)
            r = client.request(
                method, _concrete(template), content=deep, headers={"Content-Type": "application/json"}
            )
            _too_deep(r, "a" + ".0" * 63)
            r = client.request(
                method, _concrete(template), content=surrogate, headers={"Content-Type": "application/json"}
            )
            assert r.status_code == 422 and _field(r) == "a.0", (where, r.text)
            assert {"400", "422"} <= set(op["responses"]), where


def test_a_database_constraint_a_user_reaches_is_a_409_naming_the_column(app, client, db):
    from sqlalchemy import text

    @app.post("/test-constraint")
    def violate():
        with db.transaction() as s:
            s.execute(
                text(
                    "INSERT INTO api_key (prefix, key_hash, role, label, created_at) VALUES (NULL, 'x', 'admin', '', CURRENT_TIMESTAMP)"
                )
            )

    r = client.post("/test-constraint")
    assert r.status_code == 409 and _field(r) == "prefix", r.text


# --- item: an unexpected error does not break the kept-alive connection ------------------------------


def test_an_unexpected_error_leaves_the_kept_alive_connection_usable(app):
    @app.api_route("/test-boom", methods=["GET", "POST"])
    def boom():
        raise RuntimeError("secret internals")

    def scan_fails(*_args, **_kwargs):
        raise RuntimeError("secret internals")

    app.state.resolver.resolve = scan_fails  # the scan's own fast path, ahead of routing
    with serve(app) as base:
        # 30 s: on a loaded CI machine the first answer once took over 10
        conn = http.client.HTTPConnection(urlsplit(base).netloc, timeout=30)
        for method, path, body, headers in (
            ("GET", "/test-boom", None, {}),
            ("POST", "/test-boom", b'{"a": 1}', {"Content-Type": "application/json"}),
            ("GET", "/01/09506000134352/21/ABC", None, {"Accept": "application/json"}),
        ):
            conn.request(method, path, body=body, headers=headers)
            r = conn.getresponse()
            payload = r.read()
            assert r.status == 500 and r.getheader("Content-Type") == "application/problem+json"
            assert json.loads(payload)["status"] == 500 and b"secret internals" not in payload
            # The server says it closes, so the client opens anew instead of writing into a reset.
            assert r.getheader("Connection") == "close"
            conn.request("GET", "/healthz")
            ok = conn.getresponse()
            assert ok.status == 200 and json.loads(ok.read()) == {"status": "ok"}
            # ... and the new connection is kept alive as usual.
            conn.request("GET", "/healthz")
            again = conn.getresponse()
            assert again.status == 200 and again.getheader("Connection") != "close"
            again.read()
        conn.close()


# --- item: the document and OPTIONS say what each path answers ---------------------------------------


def _concrete(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", template)


def test_options_and_405_name_exactly_the_methods_of_the_path(client):
    doc = client.get("/openapi.json").json()
    for template, ops in doc["paths"].items():
        documented = {m.upper() for m in ops} | {"OPTIONS"}
        r = client.options(_concrete(template))
        assert r.status_code == 204, (template, r.status_code, r.text)
        assert set(r.headers["allow"].split(", ")) == documented, (template, r.headers["allow"])
        if "PUT" not in documented:
            r = client.put(_concrete(template))
            assert r.status_code == 405 and set(r.headers["allow"].split(", ")) == documented, template
            assert r.headers["content-type"].startswith("application/problem+json")
    assert client.options("/api/v1/no-such-thing").status_code == 404


def test_every_operation_documents_its_errors_as_problem_documents(client):
    doc = client.get("/openapi.json").json()
    assert "Problem" in doc["components"]["schemas"]
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    public_paths = ("/api/v1/public/", "/01/")
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            responses = op["responses"]
            where = f"{method.upper()} {path}"
            if op.get("security"):
                assert {"401", "403"} <= set(responses), where
            if "{" in path:
                assert "404" in responses or "422" in responses, where
            if "{" in path and "_id}" in path:
                assert "404" in responses, where
            if op.get("parameters") or op.get("requestBody"):
                assert "422" in responses, where
            if path.startswith(public_paths):
                assert "429" in responses, where
            if method in ("post", "patch", "put", "delete"):
                assert "409" in responses, where
            for status, response in responses.items():
                if int(status) >= 400 and where != "GET /readyz":
                    content = dict(response["content"])
                    if path.startswith(("/01/", "/scan/01/")) and status == "400":
                        # A person's browser gets the help page for a code it cannot read (issue 14).
                        assert content.pop("text/html", {"schema": {}}) == {"schema": {}}, (where, status)
                    assert content == {
                        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                    }, (where, status)


def test_a_registered_merchant_path_documents_auth_errors(client, keys: Keys):
    """The document's promise holds: what it says a request can answer, it does answer."""
    doc = client.get("/openapi.json").json()
    op = doc["paths"]["/api/v1/enterprises/{enterprise_id}/products"]["get"]
    for status, headers in (("401", {}), ("403", Keys.header(keys.other_merchant))):
        r = client.get(f"/api/v1/enterprises/{keys.merchant_id}/products", headers=headers)
        assert str(r.status_code) == status and status in op["responses"]


def test_repeated_writes_answer_statuses_the_document_lists(app, keys: Keys):
    """Issue 19, item 4: a repeated grant answered 200 where the document listed 201 only. Every answer
    here is checked against the document (tests/api/documented.py), as the fuzz's status_code_conformance
    checks its own, on the repeats that generated input does not reach."""
    from api import seeding
    from tests.api.documented import Documented
    from tests.testclient import TestClient
    from tests.traceability.conftest import Flow, declaration_no

    documented = Documented(app.openapi())
    with documented.watch(TestClient(app)) as client:
        flow = Flow(client, keys)
        product, decl, codes = flow.released_codes(quantity=2)
        base = f"/api/v1/enterprises/{keys.merchant_id}"
        grant = {"gtin": product["gtin"], "grantee_enterprise_id": keys.other_merchant_id}
        statuses = [client.post(f"{base}/gtin-grants", json=grant, headers=flow.m).status_code for _ in "12"]
        assert statuses == [201, 200]
        again = flow.product()
        body = seeding.declaration_body(declaration_no(), [seeding.line_body(again["id"], "L1", 1)])
        replay = flow.m | {"Idempotency-Key": "declare-once"}
        first, second = (client.post(f"{base}/declarations", json=body, headers=replay) for _ in "12")
        assert (first.status_code, second.status_code) == (201, 200) and first.json()["id"] == second.json()[
            "id"
        ]
        assert second.headers["Idempotent-Replayed"] == "true"
        shipment = {"gtin": codes[0]["gtin"], "lot": codes[0]["lot"]}
        statuses = [client.post(f"{base}/shipments", json=shipment, headers=flow.m).status_code for _ in "12"]
        assert statuses == [201, 200]
    documented.assert_none()


def test_a_document_too_large_for_a_capture_sent_to_the_single_event_capture_is_a_documented_400(app, keys):
    """POST /epcis/events answered 413 (a capture's limit), which its document does not list: a document
    there is refused as a document first."""
    from tests.api.documented import Documented
    from tests.testclient import TestClient

    documented = Documented(app.openapi())
    event = {"type": "ObjectEvent", "eventTime": "2026-11-20T10:00:00+08:00", "eventTimeZoneOffset": "+08:00"}
    document = {"type": "EPCISDocument", "epcisBody": {"eventList": [event] * 1001}}
    with documented.watch(TestClient(app)) as client:
        r = client.post("/api/v1/epcis/events", json=document, headers=Keys.header(keys.merchant))
        assert r.status_code == 400 and _field(r) == "type", r.text
        r = client.post("/api/v1/epcis/capture", json=document, headers=Keys.header(keys.merchant))
        assert r.status_code == 413, r.text
    documented.assert_none()
