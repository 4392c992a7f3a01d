"""Why the fuzz's refused pass (tests/api/test_fuzz_refused.py) fuzzes each operation with one refused
role only: a route checks the caller's key and role before it validates its parameters, so every role
it refuses is answered 401 (no key) or 403 (a keyed role it does not allow) whatever the request. This
test sends, for every operation of the OpenAPI document and every role it refuses, a valid request and
malformed ones (bad path ids, out-of-range integers, a body that is not JSON, an oversized field), and
checks that each answer is that refusal as a problem document, never a server error. A route that starts
validating (or reading the database) before checking access fails here, naming the operation, the role
and the request, and the fuzz's one refused role would then no longer stand for the others.

The one exception: a body that is not JSON is refused by FastAPI before any dependency runs, so it is
answered 422 naming the body (`api.problems`), for every role. No check that reads a parameter itself
(`api.deps.scoped_enterprise` reads the enterprise id in the path) runs before the role's: a refused
role's malformed enterprise id is refused as any other request, and this test holds it to that. Each
malformed path id is shown invalid too: admin, which reaches every keyed operation, gets the 422 naming
it, which a refused role would get if the route validated before checking access.

For a public operation no role is refused: it ignores a key, so each key's answer has the status the
anonymous caller's has, for the same request (the fuzz then fuzzes it fully without a key, once with
one key).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.api.test_fuzz import REACHING, ROLES, _served
from tests.conftest import Keys, bank_key
from tests.testclient import TestClient

DOC = _served.openapi()
# As the fuzz: the label sheet PDF is excluded there, and its access check is qr.zip's.
OPERATIONS = [
    (method.upper(), path, op)
    for path, ops in DOC["paths"].items()
    if not path.endswith("/labels.pdf")
    for method, op in ops.items()
]
TOO_BIG = 2**63
BIG_TEXT = "字" * 20_000  # 60 kB of UTF-8 in one field


@dataclass
class Call:
    """One request: what it is (for the failure message), and its parts."""

    what: str
    path: dict[str, Any]
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    raw: bytes | None = None  # sent as is, as application/json
    files: dict[str, Any] | None = None
    exception_field: str | None = None  # the field a 422 may name instead of the refusal (the body)
    invalid: str | None = None  # the field that makes it invalid for a role that reaches the operation


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = DOC
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def example(schema: dict[str, Any]) -> Any:
    """A small valid instance of a JSON schema (deterministic: enough to pass a route's validation)."""
    schema = _resolve(schema)
    if "example" in schema:
        return schema["example"]
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [o for o in schema[key] if _resolve(o).get("type") != "null"] or schema[key]
            return example(options[0])
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {name: example(props[name]) for name in schema.get("required", []) if name in props}
    if kind == "array":
        return [example(schema.get("items", {})) for _ in range(schema.get("minItems", 0))]
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1), schema.get("exclusiveMinimum", 0) + 1)
    if kind == "boolean":
        return True
    if kind == "string":
        formats = {"date": "2026-01-01", "date-time": "2026-01-01T00:00:00Z", "uuid": "0" * 32}
        if schema.get("format") in formats:
            return formats[schema["format"]]
        return "a" * max(1, schema.get("minLength", 1))
    return None


def _is_integer(schema: dict[str, Any]) -> bool:
    schema = _resolve(schema)
    options = schema.get("anyOf", [schema])
    return any(_resolve(o).get("type") == "integer" for o in options)


def calls(op: dict[str, Any]) -> Iterator[Call]:
    """The valid request, then the malformed ones."""
    params = op.get("parameters", [])
    path = {p["name"]: example(p["schema"]) for p in params if p["in"] == "path"}
    query = {p["name"]: example(p["schema"]) for p in params if p["in"] == "query" and p.get("required")}
    headers = {
        p["name"]: str(example(p["schema"])) for p in params if p["in"] == "header" and p.get("required")
    }
    content = op.get("requestBody", {}).get("content", {})
    body = example(content["application/json"]["schema"]) if "application/json" in content else None
    files = None
    if "multipart/form-data" in content:
        form = _resolve(content["multipart/form-data"]["schema"])
        files = {name: (None, str(example(form["properties"][name]))) for name in form.get("required", [])}
    valid = Call("a valid request", path, query, headers, body, files=files)
    yield valid
    for p in params:
        name, schema = p["name"], p["schema"]
        bad_values: tuple[Any, ...] = ()
        if p["in"] == "path":
            bad_values = ("abc", "0", "-1", str(TOO_BIG)) if _is_integer(schema) else ("x" * 300,)
        elif p["in"] == "query" and _is_integer(schema):
            bad_values = (TOO_BIG, -1)
        for bad in bad_values:
            where = {"path": dict(path), "query": dict(query)}
            where[p["in"]][name] = bad
            yield Call(
                f"{p['in']} {name}={str(bad)[:20]}",
                where["path"],
                where["query"],
                headers,
                body,
                files=files,
                invalid=name if bad == "abc" else None,
            )
    if body is not None:
        yield Call(
            "a body that is not JSON",
            path,
            query,
            headers,
            raw=b"{not json",
            exception_field="body",
            invalid="body",
        )
        fields = _resolve(content["application/json"]["schema"]).get("properties", {})
        if isinstance(body, dict) and fields:
            name = next(iter(fields))
            yield Call(f"body {name} of 60 kB", path, query, headers, {**body, name: BIG_TEXT})


def send(client: TestClient, method: str, template: str, call: Call, headers: dict[str, str]):  # noqa: ANN201
    url = template.format(**{k: str(v) for k, v in call.path.items()})
    merged = {**call.headers, **headers}
    if call.raw is not None:
        merged["Content-Type"] = "application/json"
        return client.request(method, url, params=call.query, headers=merged, content=call.raw)
    if call.files is not None:
        return client.request(method, url, params=call.query, headers=merged, files=call.files)
    if call.body is not None:
        return client.request(method, url, params=call.query, headers=merged, json=call.body)
    return client.request(method, url, params=call.query, headers=merged)


def _problem(response) -> dict[str, Any] | None:  # noqa: ANN001
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        return None
    document = response.json()
    return document if document.get("status") == response.status_code else None


def refusal_mismatch(response, role: str, call: Call) -> str | None:  # noqa: ANN001
    """None when the answer is the refusal (or the documented exception), else what it was."""
    refused = 401 if role == "anonymous" else 403
    status, document = response.status_code, _problem(response)
    if status >= 500 or document is None:
        return f"{status} {response.text[:200]}"
    if status == refused:
        return None
    named = {e.get("field", "") for e in document.get("errors") or []}
    if status == 422 and call.exception_field is not None and call.exception_field in named:
        return None
    return f"{status} {json.dumps(document, ensure_ascii=False)[:300]}"


def test_every_refused_role_is_refused_whatever_the_input(client: TestClient, keys: Keys, db) -> None:
    """Every operation × every role it refuses: the refusal for a valid request and malformed ones; for a
    public operation, each key answered as no key is."""
    headers = {
        "anonymous": {},
        "bank": Keys.header(bank_key(db)[1]),
        "merchant": Keys.header(keys.merchant),
        "regulator": Keys.header(keys.regulator),
        "admin": Keys.header(keys.admin),
    }
    wrong: list[str] = []
    checked = invalid = 0
    for method, template, op in OPERATIONS:
        label = f"{method} {template}"
        reaching = REACHING[label]
        for call in calls(op):
            if reaching == ("anonymous",):
                expected = send(client, method, template, call, {}).status_code
                for role in ROLES[1:]:
                    got = send(client, method, template, call, headers[role])
                    checked += 1
                    if got.status_code != expected or got.status_code >= 500:
                        wrong.append(f"{label} {role} {call.what}: {got.status_code}, no key {expected}")
                continue
            if call.invalid and "admin" in reaching:
                # The request is invalid indeed: a role that reaches the operation gets the 422 naming the
                # field, which a refused role would get too if the route validated before checking access.
                invalid += 1
                got = send(client, method, template, call, headers["admin"])
                if got.status_code != 422 or call.invalid not in {
                    e["field"] for e in got.json().get("errors") or []
                }:
                    wrong.append(f"{label} admin {call.what}: {got.status_code}, not the 422 naming it")
            for role in (r for r in ROLES if r not in reaching):
                checked += 1
                mismatch = refusal_mismatch(send(client, method, template, call, headers[role]), role, call)
                if mismatch:
                    wrong.append(f"{label} {role} {call.what}: {mismatch}")
    assert checked > 1000 and invalid > 100, (checked, invalid)
    assert not wrong, "\n".join(wrong)
