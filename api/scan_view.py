"""The scan page's view: traceability's facts and verdict, plus the importing enterprise and, as their
domains land, its credit grade and insurance cover. Assembled here because it spans domains."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from core.db import Database
from enterprises import service as enterprises
from traceability import scan

# Each later domain registers one function enterprise_id -> dict | None (credit grade, insurance cover).
TrustProvider = Callable[[Database, int], dict[str, Any] | None]
TRUST_PROVIDERS: dict[str, TrustProvider] = {}


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


def scan_view(outcome: scan.Outcome, cards: EnterpriseCards, resolver_base: str) -> dict[str, Any]:
    body = scan.view(outcome, resolver_base)
    body["enterprise"] = cards.get(outcome.enterprise_id)
    return body
