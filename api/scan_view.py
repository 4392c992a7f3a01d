"""The scan page's view: traceability's facts and verdict, plus the importing enterprise and, as their
domains land, its credit grade and insurance cover. Assembled here because it spans domains."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson

from api import scan_guidance
from core.db import Database, WouldBlock
from credit import service as credit
from enterprises import service as enterprises
from insurance import claims as insurance_claims
from insurance import service as insurance
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


def insurance_cover(db: Database, enterprise_id: int) -> dict[str, Any] | None:
    """The merchant's quality-insurance cover (品质险) in force; read once per card, not per scan."""
    with db.read_session() as s:
        return insurance.enterprise_cover(s, enterprise_id)


TRUST_PROVIDERS["insurance"] = insurance_cover


class UnitClaims:
    """Approved and paid claims by serial, so a scan can show the claim on its unit without a query:
    claims are few next to codes, so the whole map is reloaded (one query) at most every `ttl` seconds.
    With `enabled` off (the scan benchmark's baseline) it answers None without reading."""

    def __init__(self, db: Database, ttl: float = 5.0, enabled: bool = True) -> None:
        self.db = db
        self.ttl = ttl
        self.enabled = enabled
        self._loaded_at = -1e9
        self._by_serial: dict[str, dict[str, Any]] = {}

    def get(self, serial: str | None, io: bool = True) -> dict[str, Any] | None:
        if not self.enabled or serial is None:
            return None
        if time.monotonic() - self._loaded_at > self.ttl:
            if not io:
                raise WouldBlock("unit claims")
            with self.db.read_session() as s:
                self._by_serial = insurance_claims.unit_claims(s)
            self._loaded_at = time.monotonic()
        return self._by_serial.get(serial)

    def invalidate(self) -> None:
        self._loaded_at = -1e9


class EnterpriseCards:
    """Enterprise cards for the scan page, cached briefly: they change rarely and every scan shows one."""

    def __init__(self, db: Database, ttl: float = 30.0, providers: set[str] | None = None) -> None:
        self.db = db
        self.ttl = ttl
        self.providers = providers  # None: all registered
        self._cards: dict[int, tuple[float, dict[str, Any] | None]] = {}

    def get(self, enterprise_id: int | None, io: bool = True) -> dict[str, Any] | None:
        if enterprise_id is None:
            return None
        hit = self._cards.get(enterprise_id)
        if hit is not None and time.monotonic() - hit[0] < self.ttl:
            return hit[1]
        if not io:
            raise WouldBlock("enterprise card")
        with self.db.read_session() as s:
            card = enterprises.public_profile(s, enterprise_id)
        if card is not None:
            for name, provider in TRUST_PROVIDERS.items():
                if self.providers is None or name in self.providers:
                    card[name] = provider(self.db, enterprise_id)
            card.setdefault("credit", None)
            card.setdefault("insurance", None)
        if len(self._cards) > 10_000:
            self._cards.clear()
        self._cards[enterprise_id] = (time.monotonic(), card)
        return card


def _lot_part(outcome: Outcome, card: dict[str, Any] | None) -> dict[str, Any]:
    """The lot's part of the scan with the importer. Under a code not issued here the importer's card
    (grade, insurance) would vouch for the item: only its name goes with the genuine lot's facts."""
    part = views.lot_view(
        outcome.facts, outcome.product, outcome.item_events, outcome.batch_id, outcome.verdict
    )
    if part["facts_about"] == "genuine_lot":
        if part["genuine_lot"] is not None and card is not None:
            part["genuine_lot"]["importer"] = {k: card.get(k) for k in ("uscc", "name_zh", "name_en")}
        card = None
    return part | {"enterprise": card}


def _code_part(
    outcome: Outcome, resolver_base: str, uri: str | None, card: dict[str, Any] | None
) -> dict[str, Any]:
    code = views.code_view(outcome, resolver_base, uri)
    code["guidance"] = (
        None
        if outcome.verdict == "genuine"
        else scan_guidance.guidance(
            outcome.verdict, [e.code for e in outcome.evidence], code["code"]["uri"], resolver_base, card
        )
    )
    return code


def scan_view(
    outcome: Outcome, cards: EnterpriseCards, resolver_base: str, claims: UnitClaims | None = None
) -> dict[str, Any]:
    card = cards.get(outcome.enterprise_id)
    body = _code_part(outcome, resolver_base, None, card) | _lot_part(outcome, card)
    body["insurance_claim"] = claims.get(outcome.link.serial) if claims else None
    return body


class ScanJson:
    """The scan's JSON as bytes. The lot's part (product, declaration, inspection, chain of custody,
    importer) is the same for every item of a lot and code batch, so it is serialised once per version of
    the facts and spliced after the per-scan part (code, verdict, guidance, scans)."""

    def __init__(
        self,
        cards: EnterpriseCards,
        resolver_base: str,
        max_entries: int = 10_000,
        claims: UnitClaims | None = None,
    ) -> None:
        self.cards = cards
        self.claims = claims
        self.base = resolver_base
        self.max_entries = max_entries
        self._fragments: dict[tuple[int, int, int | None, str], tuple[object, object, bytes]] = {}

    def render(self, outcome: Outcome, uri: str | None = None, io: bool = True) -> bytes:
        """With `io` false, WouldBlock where a card or the claims would be read (see Resolver.resolve)."""
        card = self.cards.get(outcome.enterprise_id, io)
        claim = self.claims.get(outcome.link.serial, io) if self.claims else None
        code = _code_part(outcome, self.base, uri, card)
        # The unit's own claim (先行赔付 or a consumer's) belongs with the per-scan part.
        code["insurance_claim"] = claim
        head = orjson.dumps(code)
        facts = outcome.facts
        if facts is None or outcome.item_events:
            tail = orjson.dumps(_lot_part(outcome, card))
            return head[:-1] + b"," + tail[1:]
        about = views.FACTS_ABOUT.get(outcome.verdict, "item")
        key = (id(facts), id(card), outcome.batch_id, about)
        hit = self._fragments.get(key)
        # The identity check guards against a reused id() of a freed object.
        if hit is None or hit[0] is not facts or hit[1] is not card:
            if len(self._fragments) >= self.max_entries:
                self._fragments.clear()
            fragment = orjson.dumps(_lot_part(outcome, card))
            hit = self._fragments[key] = (facts, card, fragment)
        return head[:-1] + b"," + hit[2][1:]
