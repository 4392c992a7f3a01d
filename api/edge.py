"""Input refused at the edge, before any route sees it: JSON bodies that carry a lone surrogate.

JSON may escape a UTF-16 surrogate on its own (`"\ud800"`); Python decodes it into a string that no
database can store and no UTF-8 encoder can write, so it would surface as a server error deep inside
a capture. No character is a lone surrogate, so a body with one is invalid input, named by its field.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem

# A \uD800-\uDFFF escape; only a body that has one is decoded here (the common body costs one search).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")
_BODILESS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})


def lone_surrogate_at(value: Any, path: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """Where in a decoded JSON value a string (or a key) holds a lone surrogate, or None."""
    if isinstance(value, str):
        return path if _SURROGATE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if _SURROGATE.search(key):
                return (*path, key.encode("utf-8", "backslashreplace").decode())
            found = lone_surrogate_at(item, (*path, key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = lone_surrogate_at(item, (*path, str(index)))
            if found is not None:
                return found
    return None


def _is_json(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            media = value.split(b";")[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


class RejectLoneSurrogates:
    """ASGI middleware: a JSON body with a lone surrogate is a 422 problem naming the field."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _BODILESS or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        message: Message = {"type": "http.request", "body": b"", "more_body": True}
        while message.get("more_body"):
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away; let the app see that
            chunks.append(message.get("body", b""))
        body = b"".join(chunks)
        if message["type"] == "http.request" and _SURROGATE_ESCAPE.search(body):
            try:
                where = lone_surrogate_at(json.loads(body))
            except ValueError:
                where = None  # not JSON: the route says so, with its own reason
            if where is not None:
                field = ".".join(where) or "body"
                reason = "contains a lone UTF-16 surrogate (\\ud800-\\udfff), which is not a character"
                await problem(
                    422,
                    "Invalid input",
                    f"{field}: {reason}",
                    slug="invalid-input",
                    instance=scope["path"],
                    errors=[{"field": field, "reason": reason}],
                )(scope, receive, send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                if message["type"] != "http.request":
                    return message
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
