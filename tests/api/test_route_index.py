"""api.route_index picks, for every path, the route Starlette's router picks: the first route, in the
router's order, whose match is full; and it leaves every other answer (405, slash redirect, 404) to the
router."""

from __future__ import annotations

import re

import pytest
from starlette.routing import BaseRoute, Match

from api.app import create_app
from api.route_index import RouteIndex, literal_prefix
from core.settings import Settings
from tests.testclient import TestClient

# A value for a path parameter, the first its convertor's pattern takes.
VALUES = ("7", "x1", "0a0a0a0a-0000-4000-8000-000000000000", "1.5", "a/b")
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _app(tmp_path_factory: pytest.TempPathFactory):
    """An app that is never started: routing needs no database (its requests here touch none)."""
    var = tmp_path_factory.mktemp("route-index")
    return create_app(
        Settings(var_dir=var, database_url=f"sqlite:///{var / 'unused.db'}", code_secret="x", _env_file=None)
    )


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory):
    return _app(tmp_path_factory)


def _path(route: BaseRoute) -> str:
    convertors = getattr(route, "param_convertors", {})

    def value(m: re.Match[str]) -> str:
        pattern = convertors[m.group(1)].regex
        return next(v for v in VALUES if re.fullmatch(pattern, v))

    return re.sub(r"\{(\w+)\}", value, route.path_format)


def _scope(app, path: str, method: str) -> dict:
    return {"type": "http", "path": path, "root_path": "", "method": method, "headers": [], "app": app}


def _first_full_match(routes, app, path: str, method: str) -> BaseRoute | None:
    """The first of `routes`, in order, whose match is full: what Starlette's router does over all of the
    app's routes, and the index over its candidates."""
    return next((r for r in routes if r.matches(_scope(app, path, method))[0] is Match.FULL), None)


def test_the_index_picks_the_routers_route_for_every_path_and_method(app) -> None:
    index = app.router.middleware_stack
    assert isinstance(index, RouteIndex)
    # What FastAPI's router does on a match and the index does not: apply the router's form limits.
    assert not app.router.form_limits
    paths = {"/", "//", "/api", "/api/", "/api/v1", "/api/v1/", "/static", "/static/", "/nothing/at/all", ""}
    for route in app.router.routes:
        path = _path(route)
        # the route's own path, and near misses: a slash more or less, a segment more, one cut short
        paths |= {path, path + "/", path.rstrip("/"), path + "/x", path[:-1], path + "x"}
    assert len(app.router.routes) > 300 and len(paths) > 1_000
    picked = 0
    for path in sorted(paths):
        for method in METHODS:
            expected = _first_full_match(app.router.routes, app, path, method)
            assert _first_full_match(index.candidates(path), app, path, method) is expected, (method, path)
            picked += expected is not None
    assert picked > 400  # most routes' own paths found, not only misses


def test_literal_prefixes_stop_at_the_first_parameter(app) -> None:
    by_path = {getattr(r, "path_format", None): r for r in app.router.routes}
    assert literal_prefix(by_path["/healthz"]) == "/healthz"
    assert literal_prefix(by_path["/api/v1/complaints/{complaint_id}"]) == "/api/v1/complaints/"
    assert literal_prefix(by_path["/static/{path}"]) == "/static/"


def test_what_no_route_matches_fully_is_the_routers_answer(app) -> None:
    client = TestClient(app)
    assert client.delete("/healthz").status_code == 405  # a known path, another method
    slash = client.get("/healthz/", follow_redirects=False)
    assert slash.status_code == 307 and slash.headers["location"].endswith("/healthz")
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    assert client.get("/healthz").json() == {"status": "ok"}


def test_a_route_added_to_an_app_it_already_served_is_found(tmp_path_factory) -> None:
    app = _app(tmp_path_factory)
    client = TestClient(app)
    assert client.get("/added-later").status_code == 404

    @app.get("/added-later")
    def added() -> dict[str, bool]:
        return {"found": True}

    assert client.get("/added-later").json() == {"found": True}
