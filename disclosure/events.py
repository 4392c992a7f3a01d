"""The events disclosure emits: a record changed, for the search indexer."""

from __future__ import annotations

from core.events import EventPayload, contract


@contract("disclosure.changed")
class DisclosureChanged(EventPayload):
    id: int
    version: int
