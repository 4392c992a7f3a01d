"""Input refused at the edge, before any route sees it: JSON bodies nested too deeply, and JSON bodies
that carry a lone surrogate.

Depth: every JSON decoder and every function that walks a decoded value (the event hash, the schema
check, the surrogate search below) recurses once per level, so a body of a few kilobytes nesting lists
hundreds deep reaches Python's recursion limit deep inside a route, a server error. No document this
API takes nests beyond a dozen levels (GS1's richest EPCIS examples: 12), so a body that opens more than
`MAX_JSON_DEPTH` arrays and objects inside each other is refused from its bytes, before it is parsed.

Surrogates: JSON may escape a UTF-16 surrogate on its own (`"\ud800"`); Python decodes it into a string
that no database can store and no UTF-8 encoder can write, so it would surface as a server error deep
inside a capture. No character is a lone surrogate, so a body with one is invalid input, named by its
field.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem

MAX_JSON_DEPTH = 64

# A \uD800-\uDFFF escape; only a body that has one is decoded here (the common body costs one search).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")
_BODILESS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})

# A JSON string (escapes included), so that brackets inside strings are not counted.
_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},:]', re.DOTALL)
# Arrays and objects alike: an opening bracket becomes "(", a closing one ")".
_PARENS = bytes.maketrans(b"[{]}", b"(())")
_NOT_BRACKET_OR_QUOTE = bytes(sorted(set(range(256)) - set(b'[]{}"')))


def _nesting(body: bytes) -> bytes:
    """The body's brackets outside strings, as parentheses; the work is done in C, none per byte in
    Python (a 6 MB EPCIS document costs about a tenth of decoding it)."""
    if b"\\" in body:
        # Escaped backslashes first, then escaped quotes: the quotes left delimit the strings.
        body = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    # Brackets and quotes only; a string without brackets is then two quotes side by side, and
    # removing two adjacent quotes leaves every other character inside or outside a string as it was.
    marks = body.translate(None, _NOT_BRACKET_OR_QUOTE).replace(b'""', b"")
    if b'"' in marks:
        marks = b"".join(marks.split(b'"')[::2])
    return marks.translate(_PARENS)


def exceeds_depth(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a JSON text nests arrays and objects more than `limit` deep (or leaves more than `limit`
    open). Each pass removes the innermost pairs, one level, so a body `d` deep takes `d` passes."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    parens = _nesting(body)
    for _ in range(limit):
        shorter = parens.replace(b"()", b"")
        if len(shorter) == len(parens):
            break
        parens = shorter
    else:
        if b"()" in parens:
            return True
    return parens.count(b"(") > limit


def too_deep_at(body: bytes, limit: int = MAX_JSON_DEPTH) -> tuple[str, ...] | None:
    """Where in a JSON text an array or object opens deeper than `limit` (the path of the container it
    opens in), or None. A body with fewer brackets than the limit costs two counts."""
    if not exceeds_depth(body, limit):
        return None
    # The rare deep body: walk its tokens once more to name the place, keeping for each open container
    # where in it we are (an array's index, an object's key).
    slots: list[list[Any]] = []  # [is_object, index or key]
    last = b'""'
    for match in _TOKENS.finditer(body):
        token = match.group()
        first = token[0]
        if first == 0x22:  # "
            last = token
        elif first in (0x5B, 0x7B):  # [ {
            if len(slots) == limit:
                return tuple(str(slot) for _, slot in slots)
            slots.append([first == 0x7B, "" if first == 0x7B else 0])
        elif first in (0x5D, 0x7D):  # ] }
            if slots:
                slots.pop()
        elif slots and first == 0x3A and slots[-1][0]:  # : after an object's key
            slots[-1][1] = _key(last)
        elif slots and first == 0x2C and not slots[-1][0]:  # , between an array's items
            slots[-1][1] += 1
    return ("body",)  # unbalanced: deeper than the limit by its brackets alone


def _key(token: bytes) -> str:
    try:
        key = json.loads(token)
    except ValueError:
        key = token[1:-1].decode("utf-8", "replace")
    return key.encode("utf-8", "backslashreplace").decode()


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
    # FastAPI reads a body that names no Content-Type as JSON too.
    return True


def _refusal(scope: Scope, status: int, title: str, slug: str, field: str, reason: str) -> ASGIApp:
    return problem(
        status,
        title,
        f"{field}: {reason}",
        slug=slug,
        instance=scope["path"],
        errors=[{"field": field, "reason": reason}],
    )


def refusal(body: bytes, scope: Scope) -> ASGIApp | None:
    """The problem answer for a JSON body this edge refuses, or None to let the route see it."""
    deep = too_deep_at(body)
    if deep is not None:
        reason = f"nests arrays and objects more than {MAX_JSON_DEPTH} deep"
        field = ".".join(deep) or "body"
        return _refusal(scope, 400, "JSON nested too deeply", "json-too-deep", field, reason)
    if _SURROGATE_ESCAPE.search(body):
        try:
            where = lone_surrogate_at(json.loads(body))
        except ValueError:
            where = None  # not JSON: the route says so, with its own reason
        if where is not None:
            reason = "contains a lone UTF-16 surrogate (\\ud800-\\udfff), which is not a character"
            return _refusal(scope, 422, "Invalid input", "invalid-input", ".".join(where) or "body", reason)
    return None


class JsonEdge:
    """ASGI middleware: a JSON body nested too deeply is a 400 problem naming where; one with a lone
    surrogate is a 422 naming the field."""

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
        if message["type"] == "http.request":
            answer = refusal(body, scope)
            if answer is not None:
                await answer(scope, receive, send)
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
