"""The scan page's view: traceability's facts and verdict, plus the importing enterprise and, as their
domains land, its credit grade and insurance cover. Assembled here because it spans domains."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson

from core.db import Database
from credit import service as credit
from enterprises import service as enterprises
from traceability import views
from traceability.verdict import Outcome

# Each later domain registers one function enterprise_id -> dict | None (credit grade, insurance cover).
TrustProvider = Callable[[Database, int], dict[str, Any] | None]
TRUST_PROVIDERS: dict[str, TrustProvider] = {}


def credit_grade(db: Database, enterprise_id: int) -> dict[str, Any] | None:
    with db.read_session() as s:
        card = credit.grade_of(s, enterprise_id)
    if card is None:
        return None
    return {k: card[k] for k in ("grade", "grade_name_zh", "grade_name_en", "score", "list", "computed_at")}


TRUST_PROVIDERS["credit"] = credit_grade


class EnterpriseCards:
    """Enterprise cards for the scan page, cached briefly: they change rarely and every scan shows one."""

    def __init__(self, db: Database, ttl: float = 30.0) -> None:
        self.db = db
        self.ttl = ttl
        self._cards: dict[int, tuple[float, dict[str, Any] | None]] = {}

    def get(self, enterprise_id: int | None) -> dict[str, Any] | None:
        if enterprise_id is None:
            return None
        hit = self._cards.get(enterprise_id)
        if hit is not None and time.monotonic() - hit[0] < self.ttl:
            return hit[1]
        with self.db.read_session() as s:
            card = enterprises.public_profile(s, enterprise_id)
        if card is not None:
            for name, provider in TRUST_PROVIDERS.items():
                card[name] = provider(self.db, enterprise_id)
            card.setdefault("credit", None)
            card.setdefault("insurance", None)
        if len(self._cards) > 10_000:
            self._cards.clear()
        self._cards[enterprise_id] = (time.monotonic(), card)
        return card


def scan_view(outcome: Outcome, cards: EnterpriseCards, resolver_base: str) -> dict[str, Any]:
    body = views.view(outcome, resolver_base)
    body["enterprise"] = cards.get(outcome.enterprise_id)
    return body


class ScanJson:
    """The scan's JSON as bytes. The lot's part (product, declaration, inspection, chain of custody,
    importer) is the same for every item of a lot, so it is serialised once per version of the facts
    and spliced after the per-scan part (code, verdict, scans)."""

    def __init__(self, cards: EnterpriseCards, resolver_base: str, max_entries: int = 10_000) -> None:
        self.cards = cards
        self.base = resolver_base
        self.max_entries = max_entries
        self._fragments: dict[tuple[int, int], tuple[object, object, bytes]] = {}

    def render(self, outcome: Outcome, uri: str | None = None) -> bytes:
        card = self.cards.get(outcome.enterprise_id)
        head = orjson.dumps(views.code_view(outcome, self.base, uri))
        facts = outcome.facts
        if facts is None or outcome.item_events:
            tail = orjson.dumps(
                views.lot_view(facts, outcome.product, outcome.item_events) | {"enterprise": card}
            )
            return head[:-1] + b"," + tail[1:]
        key = (id(facts), id(card))
        hit = self._fragments.get(key)
        # The identity check guards against a reused id() of a freed object.
        if hit is None or hit[0] is not facts or hit[1] is not card:
            if len(self._fragments) >= self.max_entries:
                self._fragments.clear()
            fragment = orjson.dumps(views.lot_view(facts, outcome.product) | {"enterprise": card})
            hit = self._fragments[key] = (facts, card, fragment)
        return head[:-1] + b"," + hit[2][1:]
