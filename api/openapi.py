"""The OpenAPI document says every error an operation can answer, as `application/problem+json`.

The errors are derived from what each route depends on, so that a new route is documented by the same
rules as the others: a key (401, 403), path ids (404), a write (404 for a record it names, 409 for a
state or duplicate it conflicts with; 400 and 422 for a JSON body the edge refuses, read or not), a body
(400 when it cannot be parsed as its Content-Type says),
declared parameters (422), the public rate limit (429). A route declares what its dependencies cannot
show (503 for a search or font it needs, 422 for a query it reads itself) with
`responses=problems.responses(...)`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from api import problems
from api.deps import current_principal, public_rate_limit
from api.problems import DESCRIPTIONS, PROBLEM_JSON, PROBLEM_REF, Problem

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _calls(dependant: Any) -> set[Any]:
    out = {dependant.call}
    for sub in dependant.dependencies:
        out |= _calls(sub)
    return out


def _has_input(dependant: Any) -> bool:
    # A route that reads its query itself (search, the EPCIS query) declares its 422.
    if dependant.path_params or dependant.query_params or dependant.header_params or dependant.body_params:
        return True
    return any(_has_input(d) for d in dependant.dependencies)


def _path_params(dependant: Any) -> bool:
    return bool(dependant.path_params) or any(_path_params(d) for d in dependant.dependencies)


def _body(dependant: Any) -> bool:
    return bool(dependant.body_params) or any(_body(d) for d in dependant.dependencies)


def error_statuses(route: Any, method: str) -> set[int]:
    """The error statuses a route can answer, from its dependencies (and what it declares itself)."""
    calls = _calls(route.dependant)
    statuses = {int(s) for s in route.responses if str(s).isdigit() and int(s) >= 400}
    if _has_input(route.dependant):
        statuses.add(422)
    if _body(route.dependant):
        statuses.add(400)
    if current_principal in calls:
        statuses |= {401, 403}
    if _path_params(route.dependant):
        statuses.add(404)
    if method in WRITES:
        # The edge reads every JSON body a write is sent, whether the route takes one or not: too deep
        # is a 400, a lone surrogate a 422 (api.edge).
        statuses |= {400, 404, 409, 422}
    if public_rate_limit in calls:
        statuses.add(429)
    return statuses


def _problem_response(status: int, existing: dict[str, Any] | None) -> dict[str, Any]:
    content = (existing or {}).get("content") or {}
    if existing is not None and content and "HTTPValidationError" not in str(content):
        return existing  # declared by the route itself (a 503 of /readyz is its JSON report)
    response: dict[str, Any] = {
        "description": DESCRIPTIONS.get(status, "Error"),
        "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}},
    }
    if status == 429:
        response["headers"] = {
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer", "minimum": 1}}
        }
    return response


def document_errors(app: FastAPI, doc: dict[str, Any]) -> dict[str, Any]:
    """Add each operation's errors to the document, all as problem documents with one shared schema."""
    by_operation = {
        (route.path_format, method): route
        for route in problems.routes(app)
        if isinstance(getattr(route, "original_route", route), APIRoute) and route.include_in_schema
        for method in route.methods
    }
    for path, operations in doc.get("paths", {}).items():
        for method, operation in operations.items():
            route = by_operation.get((path, method.upper()))
            if route is None:
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(error_statuses(route, method.upper())):
                responses[str(status)] = _problem_response(status, responses.get(str(status)))
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    # FastAPI's own validation-error schemas describe a body this API never sends.
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    return doc


def install(app: FastAPI, document: Callable[[], str]) -> None:
    """`app.openapi()` answers `document()`'s JSON text, parsed once for the app (FastAPI caches it in
    app.openapi_schema): each app gets a copy of its own to change, made from text generated once."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = json.loads(document())
        return app.openapi_schema

    # FastAPI's documented way to extend the schema (mypy does not allow assigning to a method).
    app.openapi = openapi  # type: ignore[method-assign]
