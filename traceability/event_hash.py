"""GS1's EPCIS event hash (CBV 2.0 section 8.9, `ni:///sha-256;<hex>?ver=CBV2.0`): the identifier any
repository derives from an event's content, whatever its form (EPC URN or Digital Link, bare CBV term
or URI, field order). Computed with GS1's reference implementation (PyPI epcis-event-hash-generator,
pinned), whose own current test vectors the suite checks (tests/data/gs1/event-hash).

Its last release (1.9.3) puts the three lists of typed values (bizTransactionList, sourceList,
destinationList) out of the standard's order: it cannot match their items to its property order, so
they fall to the end, alphabetically (destinationList before sourceList), with their items unsorted
and their type and value in whatever order the sender wrote them. The reference repository has fixed
this since, without a release. Here those lists are taken out of what the implementation reads and put
back as items it can order (type, then value; items sorted), at their place in the standard's order:
the pre-hash is then the current reference's, which the vectors show. JSON's true is written `true`.

Known to differ still from the reference repository's current (unreleased) expectations, checked on its
ObjectEvent_all_possible_fields vector: it leaves certificationInfo out, writes sensor types under
https://ref.gs1.org/voc/ and moves extensions inside sensor elements to the end; 1.9.3, and so this
module, does not. Events with those fields hash as 1.9.3 hashes them.

The reference implementation is a prototype with module-level state and a JSON-LD document loader that
fetches any @context it does not ship. Here it runs one call at a time, and offline: the EPCIS 2.0
contexts it ships are the only remote contexts read; any other remote @context a sender names is left
out before hashing (the platform never fetches a URL a sender chooses), so an extension under such a
context hashes with its prefix unexpanded, as it would in a repository that could not fetch it.
"""

from __future__ import annotations

import copy
import functools
import logging
import threading
from typing import Any

from epcis_event_hash_generator import (
    PROP_ORDER,
    dl_normaliser,
    file_document_loader,
    json_to_py,
    json_xml_model_mismatch_correction,
)
from epcis_event_hash_generator import hash_generator as reference
from epcis_event_hash_generator.json_to_py import event_list_from_epcis_document_json
from pyld import jsonld
from pyld.jsonld import JsonLdError

GS1_CONTEXTS = frozenset(
    {
        "https://gs1.github.io/EPCIS/epcis-context.jsonld",
        "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    }
)
DEFAULT_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
_shipped = file_document_loader.file_document_loader()
_lock = threading.Lock()


@functools.cache
def _gs1_context(url: str) -> dict:
    return _shipped(url, {})


def _offline_loader(url: str, options: dict | None = None) -> dict:
    if url not in GS1_CONTEXTS:
        raise JsonLdError(
            f"{url} is not fetched", "jsonld.LoadDocumentError", code="loading remote context failed"
        )
    return copy.deepcopy(_gs1_context(url))


# Importing the package set pyld's loader to one that falls back to the internet; replace it.
jsonld.set_document_loader(_offline_loader)

# It logs through the `logging` module's functions, which configure the root logger on first use when
# nothing has yet (at WARNING), so that the server's own logging set-up would then do nothing and the
# access log would be lost. Its modules log to a logger of their own instead, switched off: what it
# says is for debugging it, and may quote the event; an event it cannot read is Unhashable here.
_quiet = logging.getLogger("epcis_event_hash_generator")
_quiet.disabled = True
for _module in (
    reference,
    json_to_py,
    dl_normaliser,
    file_document_loader,
    json_xml_model_mismatch_correction,
):
    _module.logging = _quiet


# The typed lists: each item's value key, and the CBV prefix of a bare type (CBV 2.0: BTT-, SDT-).
TYPED_LISTS = {
    "bizTransactionList": ("bizTransaction", "BTT-"),
    "sourceList": ("source", "SDT-"),
    "destinationList": ("destination", "SDT-"),
}
ORDER = [
    (name, [("", [("type", None), (TYPED_LISTS[name][0], None)])]) if name in TYPED_LISTS else (name, sub)
    for name, sub in PROP_ORDER
]
CBV = "https://ref.gs1.org/cbv/"


class Unhashable(ValueError):
    """An event the reference implementation cannot read."""


def _context(*contexts: Any) -> list[Any]:
    """The remote contexts it ships and every inline context, in order, the GS1 context first."""
    out: list[Any] = [DEFAULT_CONTEXT]
    for context in contexts:
        items = context if isinstance(context, list) else [context]
        for item in items:
            inline = isinstance(item, dict)
            if (inline or (isinstance(item, str) and item in GS1_CONTEXTS)) and item not in out:
                out.append(item)
    return out


def canonical_hashes(
    events: list[dict[str, Any]], context: Any = None, contexts: list[Any] | None = None
) -> list[str]:
    """The EPCIS event hash of each event, in order, each read under `context` (the document's
    @context), or `contexts[i]` (each event's own), and its own @context if it has one; Unhashable if
    any cannot be read. Events read under the same context are hashed in one call."""
    if not events:
        return []
    groups: dict[str, list[int]] = {}
    prepared: list[tuple[list[Any], dict[str, Any]]] = []
    for i, event in enumerate(events):
        if not isinstance(event, dict):
            raise Unhashable("an event is a JSON object")
        ctx = _context(contexts[i] if contexts is not None else context, event.get("@context"))
        body = _json_literals({k: v for k, v in event.items() if k != "@context"})
        prepared.append((ctx, body))
        groups.setdefault(repr(ctx), []).append(i)
    out: list[str | None] = [None] * len(events)
    for indexes in groups.values():
        ctx = prepared[indexes[0]][0]
        bodies = [prepared[i][1] for i in indexes]
        doc = {
            "@context": copy.deepcopy(ctx),
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2000-01-01T00:00:00Z",
            "epcisBody": {
                "eventList": [
                    {k: v for k, v in copy.deepcopy(b).items() if k not in TYPED_LISTS} for b in bodies
                ]
            },
        }
        with _lock:  # the implementation keeps what it parses in module globals
            try:
                json_to_py._namespaces = {}  # one sender's prefixes are not another's
                parsed = event_list_from_epcis_document_json(doc)[2]
                if len(parsed) != len(bodies):
                    raise Unhashable("the reference implementation could not read every event")
                hashes = [_hash(py, body) for py, body in zip(parsed, bodies, strict=True)]
            except Unhashable:
                raise
            except Exception as exc:  # noqa: BLE001 - whatever the prototype raises: not hashable
                raise Unhashable(f"{type(exc).__name__}: {exc}") from None
        for i, h in zip(indexes, hashes, strict=True):
            out[i] = h
    return [h for h in out if h is not None]


def _json_literals(value: Any) -> Any:
    """JSON's true and false as JSON writes them: the implementation would write Python's True."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return {k: _json_literals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_literals(v) for v in value]
    return value


def _typed(value: Any, prefix: str) -> str:
    """A bare CBV type (`po`) as its Web URI; a URN or URI as the reference canonicalises it."""
    if not isinstance(value, str):
        raise Unhashable(f"a type is a string, not {value!r}")
    value = value.strip()
    if value.startswith("cbv:"):
        return CBV + value[4:]
    return value if ":" in value else CBV + prefix + value


def _hash(py: tuple, event: dict[str, Any]) -> str:
    return reference.calculate_hashes_from_pre_hashes([_pre_hash(py, event)])[0]


def _pre_hash(py: tuple, event: dict[str, Any]) -> str:
    name, value, children = py
    children = list(children)
    for key, (item_key, prefix) in TYPED_LISTS.items():
        items = event.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            raise Unhashable(f"{key} is a list")
        entries = []
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get(item_key), str):
                raise Unhashable(f"each {key} entry has a {item_key}")
            kids: list[tuple[str, str, list[Any]]] = (
                [("type", _typed(item["type"], prefix), [])] if "type" in item else []
            )
            entries.append(("", "", [*kids, (item_key, item[item_key], [])]))
        children.append((key, "", entries))
    return (
        "eventType="
        + name
        + reference._recurse_through_children_in_order(children, ORDER)
        + reference._gather_elements_not_in_order(children, ORDER)
    )


def canonical_hash(event: dict[str, Any], context: Any = None) -> str:
    """The EPCIS event hash of one event (see canonical_hashes)."""
    return canonical_hashes([event], context)[0]
