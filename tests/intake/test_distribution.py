"""Subscribing agencies receive intake's accepted records (issue 24, item 5), against a real HTTP receiver on
loopback (the operator's allowed network in the tests' settings), on both databases:

- each message is signed after Standard Webhooks and verifies with the secret shown once (by the spec's
  own library), and carries the record and its enterprise;
- a subscription not entitled to a record (another kind, another region) receives nothing;
- a receiver that fails twice gets the record on the third attempt, with the same webhook-id and the
  same body each time; one that always fails is shown as failed with its error;
- a correction is sent as `corrected` naming what it supersedes; a subscription that had the corrected
  record and is not entitled to its correction is sent `withdrawn`;
- a revoked subscription is sent nothing new, not even what it was owed;
- bad input is a 4xx problem naming the field; another agency's subscription is refused (403), an
  unknown one is 404."""

from __future__ import annotations

import random
import time

import pytest
from sqlalchemy import update
from standardwebhooks import Webhook

from api import wiring
from complaints.service import Kit
from core.clock import utcnow
from core.events import OutboxDelivery
from core.identifiers import uscc_with_check
from core.security import Role, create_key
from intake import service as intake
from tests.conftest import Keys, register

from .helpers import COURT_HEADER, PENALTY_HEADER, csv_bytes, deliver, source

SUBS = "/api/v1/intake/subscriptions"
COURT = "宁波市中级人民法院"


def _row(name: str, uscc: str, case: str, duty: str = "支付货款 5 万元") -> list[str]:
    return [name, uscc, case, COURT, duty, "2026-03-01"]


def _regulator(db, agency: str | None = None) -> dict[str, str]:  # noqa: ANN001
    with db.transaction() as s:
        return Keys.header(create_key(s, Role.regulator, agency=agency))


def _subscribe(client, headers: dict[str, str], url: str, kinds: list[str], regions=()) -> dict:  # noqa: ANN001
    body = {"name": "市场监管数据共享", "url": url, "kinds": kinds, "regions": list(regions)}
    r = client.post(SUBS, json=body, headers=headers)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["secret"].startswith("whsec_") and out["status"] == "active"
    return out


def _drain(dispatcher, until, seconds: float = 10.0) -> None:  # noqa: ANN001
    """Deliver until `until()` holds: a retry's backoff is short in the tests, not nothing."""
    deadline = time.monotonic() + seconds
    while True:
        dispatcher.drain()
        if until() or time.monotonic() > deadline:
            return
        time.sleep(0.02)


def _deliveries(client, headers: dict[str, str], sub: dict) -> list[dict]:  # noqa: ANN001
    r = client.get(f"{SUBS}/{sub['id']}/deliveries", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_entitled_subscriptions_receive_signed_records_and_others_nothing(
    client, keys: Keys, db, dispatcher, tmp_path, receivers
):
    court_rx, licence_rx, shanghai_rx, _ = receivers
    ent = register(db, name_zh="宁波甬信跨境贸易有限公司")
    dispatcher.drain()
    reg, sh = keys.header(keys.regulator), _regulator(db, "310000")
    court = _subscribe(client, reg, court_rx.url, ["court_dishonest", "penalty"])
    _subscribe(client, reg, licence_rx.url, ["licence"])
    _subscribe(client, sh, shanghai_rx.url, ["court_dishonest"], ["310000"])
    src = source(db)
    deliver(
        db,
        tmp_path,
        src,
        "court_dishonest",
        csv_bytes(COURT_HEADER, [_row(ent.name_zh, ent.uscc, "(2026)浙02执1号")]),
    )
    _drain(dispatcher, lambda: bool(court_rx.received))
    [(headers, body)] = court_rx.taken()
    raw = court_rx.received[0][1]
    Webhook(court["secret"]).verify(raw, headers)  # raises when the signature does not verify
    with pytest.raises(Exception, match="signature"):
        Webhook("whsec_" + "QUJD" * 8).verify(raw, headers)
    assert headers["webhook-id"].startswith(f"msg_intake_{court['id']}_")
    assert body["type"] == "intake.record.accepted"
    data = body["data"]
    assert data["kind"] == "court_dishonest" and data["row_no"] == 1
    assert data["enterprise"] == {"id": ent.id, "uscc": ent.uscc, "name_zh": ent.name_zh}
    assert data["fields"]["case_no"] == "(2026)浙02执1号" and data["source"]["code"] == "court-nb"
    # Not entitled: another kind, another region.
    assert licence_rx.received == [] and shanghai_rx.received == []
    [shown] = _deliveries(client, reg, court)
    assert (shown["state"], shown["attempts"], shown["message"]) == ("delivered", 1, "accepted")
    assert shown["webhook_id"] == headers["webhook-id"] and shown["record_id"] == data["record_id"]
    # A Shanghai enterprise's record reaches the Shanghai subscription, and the Beilun one (all regions).
    sh_ent = register(
        db, uscc=uscc_with_check(f"91310115{random.randrange(10**9):09d}"), name_zh="上海某贸易有限公司"
    )
    dispatcher.drain()
    deliver(
        db,
        tmp_path,
        src,
        "court_dishonest",
        csv_bytes(COURT_HEADER, [_row(sh_ent.name_zh, sh_ent.uscc, "(2026)沪01执9号")]),
        "b.csv",
    )
    _drain(dispatcher, lambda: bool(shanghai_rx.received) and len(court_rx.received) == 2)
    assert [b["data"]["enterprise"]["uscc"] for _, b in shanghai_rx.taken()] == [sh_ent.uscc]
    assert len(court_rx.taken()) == 2 and licence_rx.received == []


def test_a_failing_receiver_gets_the_record_once_after_retries_and_a_dead_one_is_shown_failed(
    client, keys: Keys, db, dispatcher, tmp_path, receivers
):
    flaky, dead, _, _ = receivers
    flaky.statuses = [503, 500]
    dead.statuses = [500] * 10
    ent = register(db)
    dispatcher.drain()
    reg = keys.header(keys.regulator)
    sub = _subscribe(client, reg, flaky.url, ["court_dishonest"], ["330200"])  # Ningbo covers Beilun
    gone = _subscribe(client, reg, dead.url, ["court_dishonest"])
    deliver(
        db,
        tmp_path,
        source(db),
        "court_dishonest",
        csv_bytes(COURT_HEADER, [_row(ent.name_zh, ent.uscc, "(2026)浙02执2号")]),
    )
    _drain(dispatcher, lambda: len(flaky.received) == 3 and len(dead.received) == 3)
    assert [status for _, _, status in flaky.received] == [503, 500, 204]
    assert len({h["webhook-id"] for h, _, _ in flaky.received}) == 1  # the same id on every attempt
    assert len({b for _, b, _ in flaky.received}) == 1  # and the same body
    [(headers, body)] = flaky.taken()  # taken exactly once
    Webhook(sub["secret"]).verify(flaky.received[-1][1], headers)
    [shown] = _deliveries(client, reg, sub)
    assert (shown["state"], shown["attempts"], shown["last_error"]) == ("delivered", 3, "")
    [failed] = _deliveries(client, reg, gone)
    assert failed["state"] == "failed" and failed["attempts"] == 3 and "500" in failed["last_error"]
    assert len(dead.received) == 3  # the outbox gave up after its last attempt


def test_a_correction_supersedes_and_is_withdrawn_where_not_entitled(
    client, keys: Keys, db, dispatcher, tmp_path, receivers
):
    beilun_rx, any_rx, _, _ = receivers
    ent = register(db, name_zh="宁波甬信跨境贸易有限公司")
    sh_ent = register(
        db, uscc=uscc_with_check(f"91310115{random.randrange(10**9):09d}"), name_zh="上海某贸易有限公司"
    )
    dispatcher.drain()
    reg = keys.header(keys.regulator)
    beilun = _subscribe(client, reg, beilun_rx.url, ["court_dishonest"], ["330206"])
    anywhere = _subscribe(client, reg, any_rx.url, ["court_dishonest"])
    src = source(db)
    deliver(
        db,
        tmp_path,
        src,
        "court_dishonest",
        csv_bytes(COURT_HEADER, [_row(ent.name_zh, ent.uscc, "(2026)浙02执3号")]),
    )
    _drain(dispatcher, lambda: bool(beilun_rx.received) and bool(any_rx.received))
    first = beilun_rx.taken()[0][1]["data"]["record_id"]
    # The court corrects its row: the case names the Shanghai enterprise.
    deliver(
        db,
        tmp_path,
        src,
        "court_dishonest",
        csv_bytes(COURT_HEADER, [_row(sh_ent.name_zh, sh_ent.uscc, "(2026)浙02执3号")]),
        "fix.csv",
    )
    _drain(dispatcher, lambda: len(beilun_rx.received) == 2 and len(any_rx.received) == 2)
    (h1, accepted), (h2, corrected) = any_rx.taken()
    assert corrected["type"] == "intake.record.corrected" and h1["webhook-id"] != h2["webhook-id"]
    assert corrected["data"]["supersedes_record_id"] == first == accepted["data"]["record_id"]
    assert corrected["data"]["enterprise"]["uscc"] == sh_ent.uscc
    (_, _), (hw, withdrawn) = beilun_rx.taken()
    assert withdrawn["type"] == "intake.record.withdrawn"
    assert withdrawn["data"] == {
        "record_id": first,
        "kind": "court_dishonest",
        "superseded_by_record_id": corrected["data"]["record_id"],
    }
    assert hw["webhook-id"] == f"msg_intake_{beilun['id']}_{first}_withdrawn"
    Webhook(beilun["secret"]).verify(beilun_rx.received[1][1], hw)
    assert [d["message"] for d in _deliveries(client, reg, beilun)] == ["withdrawn", "accepted"]
    assert [d["message"] for d in _deliveries(client, reg, anywhere)] == ["corrected", "accepted"]


def test_a_revoked_subscription_gets_nothing_new(
    client, keys: Keys, db, search_backend, settings, tmp_path, receivers
):
    rx, _, _, _ = receivers
    rx.statuses = [503]
    # Retries a minute apart: the revocation comes between the first attempt and the retry.
    slow = wiring.dispatcher(db, search_backend, Kit.from_settings(settings), max_attempts=3, backoff_base=60)
    ent = register(db)
    slow.drain()
    reg = keys.header(keys.regulator)
    sub = _subscribe(client, reg, rx.url, ["court_dishonest"])
    src = source(db)
    deliver(
        db,
        tmp_path,
        src,
        "court_dishonest",
        csv_bytes(COURT_HEADER, [_row(ent.name_zh, ent.uscc, "(2026)浙02执4号")]),
    )
    slow.drain()
    assert [s for _, _, s in rx.received] == [503]
    [waiting] = _deliveries(client, reg, sub)
    assert (waiting["state"], waiting["attempts"]) == ("pending", 1) and "503" in waiting["last_error"]
    r = client.post(f"{SUBS}/{sub['id']}/revocation", headers=reg)
    assert r.status_code == 200 and r.json()["status"] == "revoked" and r.json()["revoked_by"]
    again = client.post(f"{SUBS}/{sub['id']}/revocation", headers=reg)
    assert again.status_code == 200 and again.json()["revoked_at"] == r.json()["revoked_at"]
    deliver(
        db,
        tmp_path,
        src,
        "court_dishonest",
        csv_bytes(COURT_HEADER, [_row(ent.name_zh, ent.uscc, "(2026)浙02执5号")]),
        "2.csv",
    )
    with db.transaction() as s:  # the retry falls due now
        s.execute(update(OutboxDelivery).values(next_attempt_at=utcnow()))
    slow.drain()
    assert len(rx.received) == 1  # neither the retry of what was owed nor the new record
    [shown] = _deliveries(client, reg, sub)
    assert (shown["state"], shown["attempts"]) == ("skipped", 2)
    assert client.get(SUBS, headers=reg).json()[0]["status"] == "revoked"


def test_bad_input_and_other_agencies_are_refused(client, keys: Keys, db, receivers):
    rx = receivers[0]
    reg = keys.header(keys.regulator)
    good = {"name": "共享", "url": rx.url, "kinds": ["penalty"]}
    cases = [
        ({**good, "url": "ftp://example.com/x"}, "url"),
        ({**good, "url": "http://10.1.2.3/hook"}, "url"),
        ({**good, "url": "http://localhost:9/hook"}, "url"),
        ({**good, "url": "x" * 2001}, "url"),
        ({**good, "kinds": []}, "kinds"),
        ({**good, "kinds": ["bank"]}, "kinds.0"),
        ({**good, "kinds": ["penalty"] * 21}, "kinds"),
        ({**good, "regions": ["999999"]}, "regions.0"),
        ({**good, "regions": ["33020"]}, "regions.0"),
        ({**good, "name": ""}, "name"),
        ({**good, "name": "   "}, "name"),
        ({**good, "name": "名" * 101}, "name"),
        ({k: v for k, v in good.items() if k != "url"}, "url"),
    ]
    for body, field in cases:
        r = client.post(SUBS, json=body, headers=reg)
        assert r.status_code == 422, (body, r.text)
        problem = r.json()
        assert r.headers["content-type"].startswith("application/problem+json")
        assert problem["errors"][0]["field"].endswith(field), (field, problem)
    for key in (keys.merchant, keys.admin):
        assert client.post(SUBS, json=good, headers=keys.header(key)).status_code == 403
        assert client.get(SUBS, headers=keys.header(key)).status_code == 403
    assert client.post(SUBS, json=good).status_code == 401
    sub = _subscribe(client, reg, rx.url, ["penalty"])
    sh = _regulator(db, "310000")
    for path in (f"{SUBS}/{sub['id']}", f"{SUBS}/{sub['id']}/deliveries"):
        assert client.get(path, headers=sh).status_code == 403
        assert client.get(path, headers=reg).status_code == 200
    assert client.post(f"{SUBS}/{sub['id']}/revocation", headers=sh).status_code == 403
    assert client.get(SUBS, headers=sh).json() == []  # another agency's subscriptions are not listed
    assert client.get(f"{SUBS}/99999", headers=reg).status_code == 404
    assert client.post(f"{SUBS}/99999/revocation", headers=reg).status_code == 404
    for bad in ("0", str(2**31), "x"):
        assert client.get(f"{SUBS}/{bad}", headers=reg).status_code == 422
    r = client.get(f"{SUBS}/{sub['id']}/deliveries", params={"limit": 501}, headers=reg)
    assert r.status_code == 422 and r.json()["errors"][0]["field"].endswith("limit")
    assert client.get(f"{SUBS}/{sub['id']}", headers=reg).json()["status"] == "active"
    assert "secret" not in client.get(f"{SUBS}/{sub['id']}", headers=reg).json()


def test_a_settled_conflicts_losing_record_is_withdrawn_from_the_agencies_that_had_it(
    client, keys: Keys, db, dispatcher, tmp_path, receivers
):
    rx = receivers[0]
    ent = register(db, name_zh="宁波甬信跨境贸易有限公司")
    dispatcher.drain()
    reg = keys.header(keys.regulator)
    sub = _subscribe(client, reg, rx.url, ["penalty"])
    header = PENALTY_HEADER
    no, authority = "甬市监罚〔2026〕31号", "宁波市市场监督管理局"
    samr, zj = source(db, "samr-nb", authority), source(db, "credit-zj", "信用浙江")
    deliver(
        db,
        tmp_path,
        samr,
        "penalty",
        csv_bytes(header, [[ent.name_zh, ent.uscc, no, "2", "2026-10-09", authority]]),
    )
    deliver(
        db,
        tmp_path,
        zj,
        "penalty",
        csv_bytes(header, [[ent.name_zh, ent.uscc, no, "9", "2026-10-09", authority]]),
        "zj.csv",
    )
    _drain(dispatcher, lambda: len(rx.received) == 2)
    first, second = (b["data"]["record_id"] for _, b in rx.taken())
    with db.read_session() as s:
        [conflict] = [
            {"id": c.id, "record_id": c.record_id, "other_id": c.other_id} for c in intake.conflicts(s)
        ]
    assert (conflict["record_id"], conflict["other_id"]) == (second, first)
    r = client.post(
        f"/api/v1/intake/conflicts/{conflict['id']}/settlement",
        json={"holds": "new", "reason": "处罚决定书原件载明罚款 9 万元"},
        headers=reg,
    )
    assert r.status_code == 201, r.text
    _drain(dispatcher, lambda: len(rx.received) == 3)
    (_, _), (_, _), (hw, withdrawn) = rx.taken()
    loser = conflict["other_id"]
    assert withdrawn["type"] == "intake.record.withdrawn"
    assert withdrawn["data"] == {
        "record_id": loser,
        "kind": "penalty",
        "superseded_by_record_id": conflict["record_id"],
    }
    Webhook(sub["secret"]).verify(rx.received[2][1], hw)
    dispatcher.drain()
    assert len(rx.received) == 3  # withdrawn once
