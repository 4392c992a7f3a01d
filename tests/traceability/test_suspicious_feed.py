"""The suspicious-scan feed (traceability.suspicious, GET /api/v1/scans/suspicious): the scans the
resolver judged suspicious, newest first, each with the evidence read back from the kept records; paged;
for regulators only; nothing of the consumer beyond a city and a time."""

from __future__ import annotations

from tests.conftest import Keys
from tests.traceability.scans import JSON
from tests.traceability.scans import scan_path as _path
from traceability import suspicious
from traceability.verdict import ScanPolicy

FEED = "/api/v1/scans/suspicious"


def _scan(client, app, code: dict, city: str) -> str:
    verdict = client.get(_path(code) + f"&city={city}", headers=JSON).json()["verdict"]["status"]
    app.state.resolver.writer.flush()  # the next scan is judged on what this one left on the code
    return verdict


def test_the_feed_shows_each_suspicious_scan_with_its_evidence_newest_first(client, shipped, app, keys: Keys):
    _, _, codes = shipped
    app.state.resolver.policy = ScanPolicy(max_scans=3)
    over = [_scan(client, app, codes[1], "上海") for _ in range(5)]
    assert over == ["genuine", "genuine", "genuine", "suspicious", "suspicious"]
    assert [_scan(client, app, codes[2], c) for c in ("宁波", "乌鲁木齐")] == ["genuine", "suspicious"]

    r = client.get(FEED, headers=Keys.header(keys.regulator))
    assert r.status_code == 200, r.text
    body = r.json()
    scans = body["scans"]
    assert [x["id"] for x in scans] == sorted((x["id"] for x in scans), reverse=True)
    assert [(x["serial"], x["nth_scan"]) for x in scans] == [
        (codes[2]["serial"], 2),
        (codes[1]["serial"], 5),
        (codes[1]["serial"], 4),
    ]
    travel = scans[0]["evidence"]
    assert [e["code"] for e in travel] == ["impossible_travel"]
    assert (travel[0]["from_place"], scans[0]["place"]) == ("宁波", "乌鲁木齐")
    assert travel[0]["km"] > 2000 and travel[0]["minutes"] <= 1
    assert [(e["code"], e["count"], e["limit"]) for e in scans[1]["evidence"]] == [("over_scanned", 5, 3)]
    assert scans[1]["product_name_zh"] and scans[1]["enterprise_id"] == keys.merchant_id
    # What is kept of a consumer, no more: a city and a time, not coordinates or a device hash.
    assert not {"lat", "lon", "client_hash"} & set(scans[0]) and "lat" not in str(travel)
    assert body["next_before"] is None

    # Paged by the last id seen: one at a time, the same scans, none twice.
    seen, before = [], None
    while True:
        params = {"limit": 1} | ({"before": before} if before else {})
        page = client.get(FEED, params=params, headers=Keys.header(keys.regulator)).json()
        seen += [x["id"] for x in page["scans"]]
        before = page["next_before"]
        if before is None:
            break
    assert seen == [x["id"] for x in scans]


def test_the_nth_scan_survives_the_pruning_of_older_records(client, shipped, app, db):
    """The count lives on the code: with the first scans' records pruned, the 4th scan is still the 4th."""
    from traceability.retention import prune_scan_records

    _, _, codes = shipped
    policy = ScanPolicy(max_scans=3)
    app.state.resolver.policy = policy
    for _ in range(4):
        _scan(client, app, codes[3], "上海")
    with db.read_session() as s:
        feed, _ = suspicious.suspicious_scans(s, policy)
    assert [x["nth_scan"] for x in feed] == [4]
    assert prune_scan_records(db, feed[0]["scanned_at"]) == 3  # the retention job, on the first three
    with db.read_session() as s:
        again, _ = suspicious.suspicious_scans(s, policy)
    assert [(x["id"], x["nth_scan"]) for x in again] == [(feed[0]["id"], 4)]
    assert [e["code"] for e in again[0]["evidence"]] == ["over_scanned"]


def test_the_feed_is_for_regulators_and_names_a_bad_parameter(client, keys: Keys):
    assert client.get(FEED).status_code == 401
    assert client.get(FEED, headers=Keys.header(keys.merchant)).status_code == 403
    assert client.get(FEED, headers=Keys.header(keys.admin)).status_code == 200
    for params, field in (({"before": "x"}, "before"), ({"limit": 0}, "limit"), ({"limit": 10_000}, "limit")):
        r = client.get(FEED, params=params, headers=Keys.header(keys.regulator))
        assert r.status_code == 422 and field in r.text, (params, r.text)
