"""Pledges and tolerances become disclosure records, walked through the API on both databases and both
search backends: a pledge made is regulatory information, public, kept up to date when it is broken, and
the breach is reward-and-punishment information with the bar on pledging; a tolerance is regulatory
information seen by regulators while open, submitted or corrected, and public once it lapses. Titles and
bodies are words (the methodology's names), never codes; a repeated delivery changes nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from core.clock import clock, utcnow
from core.events import Event, OutboxEvent
from disclosure import handlers
from disclosure.models import DisclosureRecord
from tests.conftest import Keys
from tests.credit.test_trust_api import PLEDGE

CODES = ("warehouse_filing", "first_minor_declaration", "first_late_answer", "declaration_inaccuracy")


def _search(client, headers=None, **params) -> list[dict]:
    url = "/api/v1/disclosures/search" if headers else "/api/v1/public/disclosures/search"
    r = client.get(url, params=params, headers=headers or {})
    assert r.status_code == 200, r.text
    hits = r.json()["hits"]
    for h in hits:  # words, not codes
        shown = h["title_zh"] + h["title_en"] + h["body_zh"] + h["body_en"]
        assert not any(code in shown for code in CODES), shown
    return hits


def record(client, keys: Keys, kind: str, severity: str, merchant: int | None = None) -> dict:
    body = {
        "enterprise_id": merchant or keys.merchant_id,
        "kind": kind,
        "severity": severity,
        "title_zh": "申报商品数量填报差错",
        "reason": "核查发现",
        "occurred_at": utcnow().isoformat(),
    }
    r = client.post("/api/v1/credit/records", json=body, headers=Keys.header(keys.regulator))
    assert r.status_code == 201, r.text
    return r.json()


def _titles(hits: list[dict], uscc: str) -> list[str]:
    return sorted(h["title_zh"] for h in hits if h["uscc"] == uscc)


def test_pledges_and_tolerances_are_disclosed_in_their_categories(client, db, dispatcher, keys: Keys):
    m, reg = Keys.header(keys.merchant), Keys.header(keys.regulator)
    uscc = client.get(f"/api/v1/enterprises/{keys.merchant_id}", headers=m).json()["uscc"]
    made = client.post(f"/api/v1/enterprises/{keys.merchant_id}/credit/pledges", json=PLEDGE, headers=m)
    assert made.status_code == 201, made.text
    pledge = made.json()
    dispatcher.drain()
    (hit,) = [h for h in _search(client, q="信用承诺", category="regulatory") if h["uscc"] == uscc]
    assert hit["title_zh"].startswith("信用承诺（履约中）") and "保税仓储企业备案" in hit["title_zh"]
    assert "Bonded-warehouse filing" in hit["title_en"] and PLEDGE["obligations_zh"] in hit["body_zh"]
    assert _titles(_search(client, q="Bonded-warehouse filing"), uscc) == [hit["title_zh"]]

    # A first minor declaration error under the pledge: tolerated, seen by regulators only.
    slip = record(client, keys, "declaration_inaccuracy", "minor")
    assert slip["status"] == "tolerated"
    dispatcher.drain()
    assert _titles(_search(client, q="容错纠错"), uscc) == []
    (seen,) = [h for h in _search(client, reg, q="容错纠错", category="regulatory") if h["uscc"] == uscc]
    assert seen["title_zh"].startswith("容错纠错（容错整改中）") and "首次轻微申报差错" in seen["title_zh"]
    assert "First minor declaration error" in seen["title_en"] and seen["visibility"] == "regulator"
    (t,) = client.get("/api/v1/credit/tolerances", headers=reg).json()
    correction = f"/api/v1/enterprises/{keys.merchant_id}/credit/tolerances/{t['id']}/correction"
    assert client.post(correction, json={"correction": "已更正申报数据"}, headers=m).status_code == 200
    decided = client.post(
        f"/api/v1/credit/tolerances/{t['id']}/decision",
        json={"approve": True, "reason": "整改到位"},
        headers=reg,
    )
    assert decided.status_code == 200, decided.text
    dispatcher.drain()
    assert _titles(_search(client, reg, q="容错纠错"), uscc) == [
        "容错纠错（整改到位，不计入信用评价）：" + seen["title_zh"].split("：", 1)[1]
    ]
    assert _titles(_search(client, q="容错纠错"), uscc) == []

    # The pledge found broken: its record says so, and the breach is reward-and-punishment information.
    broken = client.post(
        f"/api/v1/credit/pledges/{pledge['id']}/breach",
        json={"severity": "serious", "reason": "抽查发现仓储温控不达标"},
        headers=reg,
    )
    assert broken.status_code == 200, broken.text
    dispatcher.drain()
    regulatory = _titles(_search(client, q="信用承诺", category="regulatory"), uscc)
    assert len(regulatory) == 1 and regulatory[0].startswith("信用承诺（已违诺）")
    (breach,) = [
        h for h in _search(client, q="违背信用承诺 温控", category="reward_punishment") if h["uscc"] == uscc
    ]
    assert (
        breach["title_zh"].startswith("违背信用承诺（严重）")
        and "抽查发现仓储温控不达标" in breach["body_zh"]
    )
    assert (
        broken.json()["bars_until"][:4] in breach["body_zh"]
        and "Broken credit pledge (serious)" in breach["title_en"]
    )

    # The other merchant's tolerance lapses: public from then on, as the record now counts.
    other = keys.other_merchant_id
    other_uscc = client.get(f"/api/v1/enterprises/{other}", headers=reg).json()["uscc"]
    assert (
        client.post(
            f"/api/v1/enterprises/{other}/credit/pledges",
            json=PLEDGE,
            headers=Keys.header(keys.other_merchant),
        ).status_code
        == 201
    )
    assert record(client, keys, "late_complaint_answer", "minor", merchant=other)["status"] == "tolerated"
    clock.advance(timedelta(days=11))
    assert client.post("/api/v1/credit/tolerances/sweep", headers=reg).json() == {"lapsed": 1}
    dispatcher.drain()
    (lapsed,) = [h for h in _search(client, q="容错纠错", category="regulatory") if h["uscc"] == other_uscc]
    assert lapsed["title_zh"].startswith("容错纠错（逾期未整改") and "首次投诉超期答复" in lapsed["title_zh"]
    assert lapsed["visibility"] == "public" and "not corrected in time" in lapsed["title_en"]

    # Delivered again, in any order, every event changes nothing: the builders read the current state.
    def state() -> dict[str, int]:
        with db.read_session() as s:
            return {r.record_key: r.version for r in s.exec(select(DisclosureRecord))}

    before = state()
    assert {k.rsplit(":", 1)[0] for k in before} >= {
        "regulatory:pledge",
        "reward_punishment:pledge_broken",
        "regulatory:tolerance",
    }
    by_type = {
        "credit.pledge_changed": handlers.credit_pledge,
        "credit.tolerance_changed": handlers.credit_tolerance,
    }
    with db.transaction() as s:
        rows = s.exec(select(OutboxEvent).where(col(OutboxEvent.type).in_(by_type))).all()
        assert len(rows) >= 7
        for row in reversed(rows):
            event = Event(
                row.id, row.type, row.aggregate_type, row.aggregate_id, row.actor, row.payload, row.created_at
            )
            by_type[row.type](s, event)
    assert state() == before
