"""The HTTP front door: an admin registers a source; the source sends a file and pushes a batch with its
own key; the same bytes again answer the first delivery; bad input is a problem naming the field."""

from __future__ import annotations

import csv
import io

from tests.conftest import Keys, register

from .helpers import COURT_HEADER, csv_bytes

COURT = "宁波市中级人民法院"


def _source(client, keys: Keys) -> str:
    r = client.post(
        "/api/v1/intake/sources", json={"code": "court-nb", "name_zh": COURT}, headers=keys.header(keys.admin)
    )
    assert r.status_code == 201, r.text
    return r.json()["key"]


def test_a_source_sends_a_file_and_pushes_a_batch(client, keys: Keys, db):
    r = client.post(
        "/api/v1/intake/sources", json={"code": "x", "name_zh": "x"}, headers=keys.header(keys.regulator)
    )
    assert r.status_code == 403
    key = _source(client, keys)
    ent = register(db)
    rows = [
        [ent.name_zh, ent.uscc, "(2026)浙02执1号", COURT, "", "2026-03-01"],
        ["=cmd|' /C calc'!A0", ent.uscc, "(2026)浙02执2号", COURT, "", "2026-03-01"],
    ]
    body = csv_bytes(COURT_HEADER, rows, "gbk")
    url = "/api/v1/intake/deliveries?kind=court_dishonest&filename=list.csv"
    r = client.post(url, content=body, headers={"X-Source-Key": key})
    # Checked and stored before the answer, imported after it: follow the Location.
    assert r.status_code == 202, r.text
    assert r.headers["location"] == f"/api/v1/intake/deliveries/{r.json()['id']}"
    assert r.json()["encoding"] == "gbk" and r.json()["repeated"] is False
    client.app.state.jobs.wait(60)
    d = client.get(r.headers["location"], headers={"X-Source-Key": key}).json()
    assert (d["status"], d["encoding"], d["accepted"], d["rejected"], d["repeated"]) == (
        "done",
        "gbk",
        1,
        1,
        False,
    )
    again = client.post(url, content=body, headers={"X-Source-Key": key})
    assert again.status_code == 200 and again.json()["id"] == d["id"] and again.json()["repeated"] is True
    r = client.get(f"/api/v1/intake/deliveries/{d['id']}/rejected.csv", headers={"X-Source-Key": key})
    assert r.status_code == 200
    [head, row] = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert head[:3] == ["行号 row", "字段 field", "原因 reason"] and row[:2] == ["2", "name"]
    assert row[3] == "'=cmd|' /C calc'!A0"  # formula-safe
    batch = {"kind": "court_dishonest", "rows": [dict(zip(COURT_HEADER, rows[0], strict=True))]}
    r = client.post("/api/v1/intake/batches", json=batch, headers={"X-Source-Key": key})
    assert r.status_code == 201 and r.json()["duplicates"] == 1 and r.json()["format"] == "jsonl"
    r = client.post("/api/v1/intake/batches", json=batch, headers={"X-Source-Key": key})
    assert r.status_code == 200 and r.json()["repeated"] is True


def test_bad_input_is_a_problem_naming_the_field(client, keys: Keys):
    key = _source(client, keys)
    r = client.post(
        "/api/v1/intake/batches",
        json={"kind": "court_dishonest", "rows": [{}]},
        headers={"X-Source-Key": "cts_bad_bad"},
    )
    assert r.status_code == 401
    bad = {"kind": "court_dishonest", "rows": [{"名称": "x"}]}
    r = client.post("/api/v1/intake/batches", json=bad, headers={"X-Source-Key": key})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert "mapping.name" in r.text and "names no column" in r.text
    url = "/api/v1/intake/deliveries?kind=court_dishonest&filename=list.csv&encoding=utf-8"
    r = client.post(
        url,
        content=csv_bytes(COURT_HEADER, [["公司", "", "案", COURT, "", "2026-03-01"]], "gbk"),
        headers={"X-Source-Key": key},
    )
    assert r.status_code == 422 and "encoding" in r.text
    r = client.post(
        "/api/v1/intake/deliveries?kind=court_dishonest&filename=a.xlsx",
        content=b"PK\x03\x04junk",
        headers={"X-Source-Key": key},
    )
    assert r.status_code == 422 and '"file"' in r.text
