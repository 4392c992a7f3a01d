"""Service tests of the verdict alone: `verdict.judge` on a code row and a lot's facts, no database.

Small factories build the inputs; each test changes one thing and reads the verdict and its evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from traceability.codes import DigitalLink
from traceability.facts import LotFacts
from traceability.places import CITY_COORDS, Client
from traceability.verdict import CodeRow, ScanPolicy, judge

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
LINK = DigitalLink(gtin="06901234567892", lot="L1", serial="1ABC")


def code_row(**over) -> CodeRow:
    row = {
        "id": 1,
        "line_id": 7,
        "batch_id": 2,
        "status": "issued",
        "status_reason": None,
        "last_biz_step": None,
        "last_event_at": None,
        "sold_at": None,
        "scan_count": 0,
        "first_scan_at": None,
        "first_scan_place": "",
        "last_scan_at": None,
        "last_scan_lat": None,
        "last_scan_lon": None,
        "batch_status": "done",
    }
    return CodeRow(**(row | over))


def lot_facts(**over) -> LotFacts:
    facts = {
        "line_id": 7,
        "enterprise_id": 3,
        "gtin": LINK.gtin,
        "lot": "L1",
        "product": {"gtin": LINK.gtin},
        "lot_info": {},
        "declaration": {},
        "inspection": {},
        "recall": None,
        "timeline": [],
        "left_warehouse_at": NOW - timedelta(days=1),
    }
    return LotFacts(**(facts | over))


def no_clients(*_args) -> int:
    raise AssertionError("asked for the devices of a code that was never sold")


def verdict(row: CodeRow | None = None, facts: LotFacts | None = None, client: Client | None = None, **kw):
    outcome = judge(
        LINK,
        row or code_row(),
        facts or lot_facts(),
        client or Client("hash-a", "上海", *CITY_COORDS["上海"]),
        kw.get("now", NOW),
        kw.get("policy", ScanPolicy()),
        kw.get("clients_since", no_clients),
    )
    return outcome.verdict, [e.code for e in outcome.evidence], outcome


def test_an_issued_code_of_a_shipped_lot_is_genuine_and_counts_this_scan():
    status, evidence, outcome = verdict()
    assert (status, evidence) == ("genuine", ["issued"])
    assert outcome.scans == {"count": 1, "first_at": NOW.isoformat(), "first_place": "上海"}
    assert outcome.code_id == 1 and outcome.enterprise_id == 3


def test_revoked_wins_over_recalled_and_both_are_shown():
    status, evidence, _ = verdict(
        code_row(status="revoked", status_reason="label misprint"), lot_facts(recall={"reason": "melamine"})
    )
    assert (status, evidence) == ("revoked", ["issued", "revoked", "recalled"])
    assert verdict(facts=lot_facts(recall={"reason": "melamine"}))[:2] == ("recalled", ["issued", "recalled"])


def test_suspicions_do_not_hide_a_recall():
    status, evidence, _ = verdict(code_row(scan_count=20), lot_facts(recall={"reason": "x"}))
    assert (status, evidence) == ("recalled", ["issued", "recalled", "over_scanned"])


@pytest.mark.parametrize("count,expected", [(19, "genuine"), (20, "suspicious")])
def test_more_scans_than_the_policy_allows_is_suspicious(count, expected):
    assert verdict(code_row(scan_count=count))[0] == expected


def test_travel_faster_than_an_airliner_is_suspicious_and_a_slow_one_is_not():
    far = code_row(
        last_scan_at=(NOW - timedelta(minutes=30)).isoformat(), last_scan_lat=43.83, last_scan_lon=87.62
    )
    assert verdict(far)[1] == ["issued", "impossible_travel"]
    days_ago = code_row(last_scan_at=NOW - timedelta(days=2), last_scan_lat=43.83, last_scan_lon=87.62)
    assert verdict(days_ago)[:2] == ("genuine", ["issued"])
    # No coordinates from this scan: nothing to compare.
    assert verdict(far, client=Client("hash-a"))[:2] == ("genuine", ["issued"])


def test_an_item_still_in_the_bonded_warehouse_is_not_yet_shipped_unless_its_own_event_says_it_left():
    in_warehouse = lot_facts(left_warehouse_at=None)
    assert verdict(facts=in_warehouse)[:2] == ("not_shipped", ["issued", "before_release"])
    assert verdict(code_row(last_biz_step="shipping"), in_warehouse)[:2] == ("genuine", ["issued"])


def test_not_yet_shipped_gives_way_to_a_real_suspicion_and_to_a_recall():
    in_warehouse = lot_facts(left_warehouse_at=None)
    assert verdict(code_row(scan_count=20), in_warehouse)[:2] == (
        "suspicious",
        ["issued", "over_scanned", "before_release"],
    )
    recalled = lot_facts(left_warehouse_at=None, recall={"reason": "x"})
    assert verdict(facts=recalled)[:2] == ("recalled", ["issued", "recalled", "before_release"])


def test_the_outcome_carries_the_items_code_batch():
    assert verdict(code_row(batch_id=9))[2].batch_id == 9


def test_a_decommissioned_code_is_suspicious():
    assert verdict(code_row(last_biz_step="decommissioning"))[1] == ["issued", "decommissioned"]


def test_a_sold_item_scanned_from_many_devices_is_suspicious():
    sold = code_row(sold_at=(NOW - timedelta(hours=1)).isoformat())
    asked = []

    def devices(n: int):
        def clients_since(code_id, since, current):
            asked.append((code_id, since, current))
            return n

        return clients_since

    assert verdict(sold, clients_since=devices(3))[:2] == ("genuine", ["issued"])
    assert verdict(sold, clients_since=devices(4))[1] == ["issued", "after_sale"]
    assert asked[0] == (1, sold.sold_at, "hash-a")


def test_the_first_scan_shown_is_the_stored_one_and_only_a_recognised_city():
    first = NOW - timedelta(days=3)
    _, _, outcome = verdict(code_row(scan_count=4, first_scan_at=first.isoformat(), first_scan_place="杭州"))
    assert outcome.scans == {"count": 5, "first_at": first.isoformat(), "first_place": "杭州"}
    _, _, outcome = verdict(code_row(first_scan_at=first, first_scan_place="张三家"))
    assert outcome.scans["first_place"] == ""
