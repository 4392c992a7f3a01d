"""The app's routes looked up by path instead of tried one by one.

Starlette's router tries every route in order and takes the first whose match is full. The platform has
about 340 routes, the pages last: a page's request tried some 300 of them before this index (matching
alone took 0.32 ms of CPU for /api/v1/me and 0.64 ms for a path no route matches, on the machine of
BENCHMARKS.md, "The suite, thirteenth pass"). A route's path is a literal prefix
followed by its parameters ("/api/v1/complaints/" then "{complaint_id}"), and a route can only match a
path that starts with that literal. `RouteIndex` files each route under the path segments of its literal
(a tree keyed by segment), walks the request's segments down that tree, and tries only the routes it
passes, in the router's order: the first full match among them is the router's first full match, since
no route it skipped could match at all.

Only that case is answered here. Anything else (no route matches fully: a 405 for a known path with
another method, the slash redirect, the low-priority routes, a 404, lifespan and websockets) goes to the
router's own `app`, unchanged. tests/api/test_route_index.py checks, route by route, that the index picks
the route the router picks."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send


def literal_prefix(route: BaseRoute) -> str:
    """The part of the route's path before its first parameter: every path it matches starts with it.
    "" (so tried for every path) for a route without a path format, such as a Host."""
    path_format = getattr(route, "path_format", None)
    if not isinstance(path_format, str) or not path_format.startswith("/"):
        return ""
    return path_format.split("{", 1)[0]


@dataclass
class _Node:
    """The routes whose literal prefix holds this node's segments whole, and no later segment whole."""

    entries: list[tuple[int, str, BaseRoute]] = field(default_factory=list)
    children: dict[str, _Node] = field(default_factory=dict)


def _build(routes: list[BaseRoute]) -> _Node:
    root = _Node()
    for position, route in enumerate(routes):
        literal = literal_prefix(route)
        # "/a/b/c" without parameters: its path is exactly the literal, all three segments whole.
        # "/a/b/{x}" or "/a/b-{x}": the last piece ("" or "b-") is only the start of a segment.
        pieces = literal.split("/")[1:] if literal else []
        whole = pieces if literal and literal == getattr(route, "path_format", None) else pieces[:-1]
        node = root
        for segment in whole:
            node = node.children.setdefault(segment, _Node())
        node.entries.append((position, literal, route))
    return root


class RouteIndex:
    """An ASGI app put in front of the router's own (`install`): a path's first full match, found through
    the tree of literal prefixes; anything else to the router."""

    def __init__(self, router: APIRouter, fallback: ASGIApp) -> None:
        self.router = router
        self.fallback = fallback
        self._root = _Node()
        self._built_for = -1

    def _tree(self) -> _Node:
        """The tree of the router's routes, made again when routes were added since (an app gains its
        routes before it serves, and a test may add one to an app it made; none is ever replaced)."""
        routes = self.router.routes
        if len(routes) != self._built_for:
            self._root, self._built_for = _build(list(routes)), len(routes)
        return self._root

    def candidates(self, path: str) -> list[BaseRoute]:
        """The routes that could match `path`, in the router's order."""
        node = self._tree()
        found = list(node.entries)
        for segment in path.split("/")[1:]:
            child = node.children.get(segment)
            if child is None:
                break
            node = child
            found.extend(node.entries)
        found.sort(key=lambda entry: entry[0])
        return [route for _, literal, route in found if path.startswith(literal)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for route in self.candidates(get_route_path(scope)):
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    # What the router does with its first full match (starlette.routing.Router.app;
                    # FastAPI's also applies the router's form limits and names the route to its
                    # telemetry: the app sets no form limits and turns no telemetry on, and the test
                    # of this module asserts the first).
                    scope.setdefault("router", self.router)
                    scope.update(child_scope)
                    await route.handle(scope, receive, send)
                    return
        await self.fallback(scope, receive, send)


def install(router: APIRouter) -> RouteIndex:
    """Route the router's requests through a `RouteIndex` (its middleware stack is its own `app` when it
    has no router middleware, as the app's has not)."""
    index = RouteIndex(router, router.middleware_stack)
    router.middleware_stack = index
    return index
