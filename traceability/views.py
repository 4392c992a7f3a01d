"""The scan as JSON-ready dicts: the part that changes with every scan (code, verdict, scans) and the
lot's part, the same for every item of a lot (product, declaration, inspection, chain of custody)."""

from __future__ import annotations

from typing import Any

from traceability.codes import short_code
from traceability.facts import LotFacts
from traceability.verdict import VERDICT_LABELS, Outcome


def code_view(outcome: Outcome, resolver_base: str, uri: str | None = None) -> dict[str, Any]:
    """What changes with every scan: the code itself, the verdict and the scan history."""
    link = outcome.link
    zh, en = VERDICT_LABELS[outcome.verdict]
    return {
        "code": {
            "uri": uri or link.uri(resolver_base),
            "hri": link.hri(),
            "short": short_code(link.serial) if link.serial else None,
            "gtin": link.gtin,
            "lot": link.lot,
            "serial": link.serial,
            "expiry": link.expiry.isoformat() if link.expiry else None,
        },
        "verdict": {
            "status": outcome.verdict,
            "label_zh": zh,
            "label_en": en,
            "evidence": [e.as_dict() for e in outcome.evidence],
        },
        "scans": outcome.scans or None,
    }


# What the lot's facts in a scan describe: this item's lot (an issued code), a lot or product named
# without an item (no serial), or the genuine lot that a code not issued here claims to belong to.
FACTS_ABOUT = {"counterfeit": "genuine_lot", "unverified": "lot"}
GENUINE_LOT_NOTE = (
    "以下是该批次正品的信息，仅供与您手中商品比对，不代表这件商品是正品",
    "What the genuine goods of this lot are, for comparison only: it does not vouch for this item",
)


def lot_view(
    facts: LotFacts | None,
    product: dict | None,
    item_events: list[dict] | None = None,
    batch_id: int | None = None,
    verdict: str | None = None,
) -> dict[str, Any]:
    """What a scan shows about the lot: the same for every item of it (until the facts change).

    For a code not issued here (counterfeit) the lot's declaration, inspection and chain of custody are
    left out: shown under a forged code they would lend it the real goods' credibility. What the genuine
    goods look like comes under `genuine_lot`, labelled as the lot's."""
    about = FACTS_ABOUT.get(verdict or "", "item")
    if about == "genuine_lot":
        return {
            "facts_about": about,
            "product": product,
            "lot": facts.lot_info if facts else None,
            "declaration": None,
            "inspection": None,
            "chain_of_custody": [],
            "recall": facts.recall if facts else None,
            "genuine_lot": (
                {
                    "note_zh": GENUINE_LOT_NOTE[0],
                    "note_en": GENUINE_LOT_NOTE[1],
                    "product": product,
                    "lot": facts.lot_info if facts else None,
                }
                if product
                else None
            ),
        }
    timeline = facts.timeline_of(batch_id) if facts else []
    if item_events:
        timeline = sorted(timeline + item_events, key=lambda e: e["time"] or "")
    return {
        "facts_about": about,
        "product": product,
        "lot": facts.lot_info if facts else None,
        "declaration": facts.declaration if facts else None,
        "inspection": facts.inspection if facts else None,
        "chain_of_custody": timeline,
        "recall": facts.recall if facts else None,
        "genuine_lot": None,
    }


def view(outcome: Outcome, resolver_base: str) -> dict[str, Any]:
    """The scan as JSON: the same facts the page shows."""
    return code_view(outcome, resolver_base) | lot_view(
        outcome.facts, outcome.product, outcome.item_events, outcome.batch_id, outcome.verdict
    )
