"""A new subscription catches up (issue 24, item 5): asked for the records accepted since a day, it is sent
the active records it is entitled to that were accepted before it existed, a chunk an outbox event, each
once (records fanned out while it catches up are not owed twice); without `since` it is sent only what
comes after. A day that has not come yet is refused naming `since`. The shell does the same
(`crosstrust intake subscribe/subscriptions/unsubscribe`). Real receivers on loopback, both databases."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count

from sqlmodel import func, select

from core.clock import clock, utcnow
from core.identifiers import uscc_with_check
from core.workdays import CHINA_TZ
from intake import distribution
from intake.dist_models import IntakeDispatch
from tests.conftest import Keys, register

from .helpers import COURT_HEADER, csv_bytes, deliver, source
from .test_distribution import SUBS, _deliveries, _drain, _regulator, _row


def today() -> date:
    """China's date now (the rule's), read when a test uses it: a constant read at collection went stale
    when China's midnight (16:00 UTC) fell between the collection and the test."""
    return utcnow().astimezone(CHINA_TZ).date()


_org = count(880_000_000)


def _sub(client, headers, url: str, kinds: list[str], regions=(), since=None) -> dict:  # noqa: ANN001
    body = {"name": "补发订阅", "url": url, "kinds": kinds, "regions": list(regions)}
    if since is not None:
        body["since"] = since
    r = client.post(SUBS, json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def _court_rows(db, n: int, region: str = "330206") -> list[list[str]]:  # noqa: ANN001
    rows = []
    for _ in range(n):
        org = next(_org)
        ent = register(db, uscc=uscc_with_check(f"91{region}{org:09d}"))
        rows.append(_row(ent.name_zh, ent.uscc, f"(2026)浙02执{org}号"))
    return rows


def test_a_new_subscription_is_sent_the_older_records_it_asks_for_once_each(
    client, keys: Keys, db, dispatcher, tmp_path, receivers, monkeypatch
):
    monkeypatch.setattr(distribution, "CATCH_UP_CHUNK", 2)  # five records: three chunks, three events
    catching, fresh, pudong, _ = receivers
    dispatcher.drain()
    src = source(db)
    here, there = _court_rows(db, 5), _court_rows(db, 1, "310115")
    deliver(db, tmp_path, src, "court_dishonest", csv_bytes(COURT_HEADER, here + there))
    dispatcher.drain()
    reg = keys.header(keys.regulator)
    since = _sub(client, reg, catching.url, ["court_dishonest"], ["330206"], since=str(today()))
    assert since["since"] is not None
    only_new = _sub(client, reg, fresh.url, ["court_dishonest"])
    sh = _regulator(db, "310115")
    _sub(client, sh, pudong.url, ["penalty"], since=str(today() - timedelta(days=30)))  # another kind
    # A record accepted while the catch-up is under way: fanned out, and not owed twice.
    later = _court_rows(db, 1)
    deliver(db, tmp_path, src, "court_dishonest", csv_bytes(COURT_HEADER, later), filename="later.csv")
    _drain(dispatcher, lambda: len(catching.taken()) >= 6)
    got = sorted(body["data"]["record_id"] for _, body in catching.taken())
    assert len(got) == 6 and len(set(got)) == 6, got  # five older ones of its region and the later one
    assert {body["type"] for _, body in catching.taken()} == {"intake.record.accepted"}
    assert len(fresh.taken()) == 1  # no catch-up asked: only the later record
    assert pudong.taken() == []
    with db.read_session() as s:
        owed = s.exec(select(func.count()).select_from(IntakeDispatch)).one()
    assert owed == 6 + 1
    assert len(_deliveries(client, reg, since)) == 6 and len(_deliveries(client, reg, only_new)) == 1


def test_a_catch_up_from_a_day_to_come_is_refused_naming_since(client, keys: Keys, receivers):
    reg = keys.header(keys.regulator)
    body = {"name": "x", "url": receivers[0].url, "kinds": ["court_dishonest"]}
    # No midnight between the day read here and the service's (the db fixture resets the clock).
    clock.freeze(utcnow())
    for since, status in ((str(today() + timedelta(days=1)), 422), ("1999-12-31", 422), ("2026-13-01", 422)):
        r = client.post(SUBS, json={**body, "since": since}, headers=reg)
        assert r.status_code == status, (since, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in r.json()["errors"]] == ["since"], r.json()
    assert client.get(SUBS, headers=reg).json() == []


def _subscribe_cli(cli, name: str, url: str, since: str):  # noqa: ANN001, ANN202 - the CLI runner, its result
    """`crosstrust intake subscribe` for the bonded zone's agency, to the courts' lists, since a day."""
    args = ("--agency", "330206", "--kind", "court_dishonest", "--since", since)
    return cli("intake", "subscribe", name, url, *args)


def test_the_shell_subscribes_lists_and_revokes(
    cli, db, dispatcher, tmp_path, receivers, settings, monkeypatch
):
    monkeypatch.setenv("CROSSTRUST_WEBHOOK_ALLOWED_NETWORKS", settings.webhook_allowed_networks)  # loopback
    rx = receivers[0]
    src = source(db)
    deliver(db, tmp_path, src, "court_dishonest", csv_bytes(COURT_HEADER, _court_rows(db, 2)))
    dispatcher.drain()
    made = _subscribe_cli(cli, "宁波数据共享", rx.url, str(today()))
    assert made.exit_code == 0, made.output
    assert "signing secret (shown once): whsec_" in made.output
    sub_id = int(made.output.split()[1])
    _drain(dispatcher, lambda: len(rx.taken()) >= 2)
    assert len(rx.taken()) == 2
    listed = cli("intake", "subscriptions", "--agency", "330206")
    assert f"subscription {sub_id} active" in listed.output
    other = cli("intake", "unsubscribe", sub_id, "--agency", "310115")
    assert other.exit_code == 1 and "read-only" in other.output
    gone = cli("intake", "unsubscribe", sub_id, "--agency", "330206")
    assert gone.exit_code == 0 and f"subscription {sub_id} revoked" in gone.output
    bad = _subscribe_cli(cli, "x", rx.url, "2099-01-01")
    assert bad.exit_code == 1 and "since" in bad.output
    unknown = cli("intake", "subscriptions", "--agency", "999999")
    assert unknown.exit_code == 1 and "--agency" in unknown.output
