"""Pledges, tolerance, joint measures and repair with coaching, each walked end to end through the API:
who may act, the grade before and after with the methodology's rule named, and bad input refused with the
field named."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from core import audit
from core.clock import clock, utcnow
from core.workdays import CHINA_TZ
from tests.conftest import Keys

PLEDGE = {
    "procedure": "warehouse_filing",
    "obligations_zh": "仓储场所符合保税监管要求，如有不实愿承担责任",
    "days": 180,
}


def card(client, keys: Keys, merchant: int | None = None) -> dict:
    eid = merchant or keys.merchant_id
    r = client.get(f"/api/v1/enterprises/{eid}/credit", headers=Keys.header(keys.regulator))
    assert r.status_code == 200, r.text
    return r.json()


def record(
    client, keys: Keys, kind: str, severity: str, days_ago: float = 0, merchant: int | None = None
) -> dict:
    body = {
        "enterprise_id": merchant or keys.merchant_id,
        "kind": kind,
        "severity": severity,
        "title_zh": f"测试记录 {kind}",
        "reason": "核查发现",
        "occurred_at": (utcnow() - timedelta(days=days_ago)).isoformat(),
    }
    r = client.post("/api/v1/credit/records", json=body, headers=Keys.header(keys.regulator))
    assert r.status_code == 201, r.text
    return r.json()


def verifies(db, signature: str, message: bytes) -> bool:
    key: Ed25519PublicKey = audit.keys_of(db).public_key
    try:
        key.verify(base64.b64decode(signature), message)
    except Exception:  # noqa: BLE001 - InvalidSignature: the check fails
        return False
    return True


def test_a_pledge_is_published_sealed_and_a_broken_one_lowers_the_grade_and_bars_pledging(
    client, db, keys: Keys, dispatcher
):
    m, other, reg = Keys.header(keys.merchant), Keys.header(keys.other_merchant), Keys.header(keys.regulator)
    base = f"/api/v1/enterprises/{keys.merchant_id}/credit/pledges"
    # bad input names the field; another merchant may not pledge for this one
    unknown = client.post(base, json=PLEDGE | {"procedure": "moon_landing"}, headers=m)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "procedure"
    too_long = client.post(base, json=PLEDGE | {"days": 99999}, headers=m)
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"].endswith("days")
    over_max = client.post(base, json=PLEDGE | {"days": 400}, headers=m)
    assert over_max.status_code == 422 and over_max.json()["errors"][0]["field"] == "days"
    assert client.post(base, json=PLEDGE, headers=other).status_code == 403
    assert client.post(base, json=PLEDGE, headers=reg).status_code == 403  # a regulator does not pledge

    made = client.post(base, json=PLEDGE, headers=m)
    assert made.status_code == 201, made.text
    pledge = made.json()
    assert pledge["status"] == "active" and pledge["effect"] is None
    assert client.post(base, json=PLEDGE, headers=m).status_code == 409  # one in force per procedure
    # published, with a seal anyone can check against the platform's key
    uscc = card(client, keys)["enterprise"]["uscc"]
    published = client.get(f"/api/v1/public/credit/pledges/{uscc}").json()
    assert [p["id"] for p in published] == [pledge["id"]] and "signed_by" not in published[0]
    from credit.pledges import statement
    from credit.trust_models import Pledge

    with db.read_session() as s:
        row = s.get(Pledge, pledge["id"])
        body = statement(row, "测试跨境贸易有限公司", uscc)
    assert verifies(db, pledge["seal"], body) and not verifies(db, pledge["seal"], body + b" ")

    before = card(client, keys)
    assert (before["grade"], before["score"]) == ("B", 850.0)
    breach_url = f"/api/v1/credit/pledges/{pledge['id']}/breach"
    found = {"severity": "serious", "reason": "抽查发现仓储温控不达标"}
    assert client.post(breach_url, json=found, headers=m).status_code == 403
    assert client.post(breach_url, json=found | {"severity": "cosmic"}, headers=reg).status_code == 422
    broken = client.post(breach_url, json=found, headers=reg)
    assert broken.status_code == 200, broken.text
    b = broken.json()
    assert b["status"] == "broken" and (b["grade_before"], b["grade_after"]) == ("B", "C")
    rules = [r["rule"] for r in b["effect"]["reasons"]]
    assert rules == ["kinds.pledge_broken.points.serious", "pledges.bar_days.serious"]
    assert b["effect"]["reasons"][0]["points"] == -250
    after = card(client, keys)
    assert (after["grade"], after["score"]) == ("C", 600.0)
    assert [r["kind"] for r in after["reasons"]] == ["pledge_broken"]
    assert client.post(breach_url, json=found, headers=reg).status_code == 409  # once
    barred = client.post(base, json=PLEDGE | {"procedure": "quality_filing"}, headers=m)
    assert barred.status_code == 409 and barred.json()["errors"][0]["field"] == "procedure"
    assert barred.json()["rule"] == "pledges.bar_days"
    assert b["bars_until"][:10] in barred.json()["detail"]
    # the bar ends after the methodology's days
    clock.advance(timedelta(days=366))
    assert client.post(base, json=PLEDGE | {"procedure": "quality_filing"}, headers=m).status_code == 201


def _pledge(client, keys: Keys, merchant: int, key: str) -> None:
    r = client.post(f"/api/v1/enterprises/{merchant}/credit/pledges", json=PLEDGE, headers=Keys.header(key))
    assert r.status_code == 201, r.text


def test_a_first_minor_breach_corrected_in_time_leaves_no_mark_and_one_not_corrected_counts_from_the_breach(
    client, db, keys: Keys, dispatcher
):
    m, reg = Keys.header(keys.merchant), Keys.header(keys.regulator)
    record(client, keys, "administrative_penalty", "general")  # 770
    record(client, keys, "inspection_failure", "minor")  # 750: B, at the edge
    assert card(client, keys)["score"] == 750.0
    # without a pledge a first minor declaration error counts at once
    other = keys.other_merchant_id
    unpledged = record(client, keys, "declaration_inaccuracy", "minor", merchant=other)
    assert unpledged["status"] == "active" and card(client, keys, other)["score"] == 840.0

    _pledge(client, keys, keys.merchant_id, keys.merchant)
    slip = record(client, keys, "declaration_inaccuracy", "minor")
    assert slip["status"] == "tolerated"
    held = card(client, keys)
    assert (held["grade"], held["score"]) == ("B", 750.0)  # no mark
    open_ = client.get("/api/v1/credit/tolerances", headers=reg).json()
    assert [t["record_id"] for t in open_] == [slip["id"]]
    t = open_[0]
    assert t["status"] == "open" and t["correct_by"] > t["opened_at"]
    # the grade before and after, with the methodology's rule named
    assert (t["grade_counted"], t["grade_tolerated"]) == ("C", "B")
    assert (t["score_counted"], t["score_tolerated"]) == (740.0, 750.0)
    assert t["effect"]["reasons"][0]["rule"] == "tolerance.rules.first_minor_declaration"
    assert client.get("/api/v1/credit/tolerances", headers=m).status_code == 403

    # a second one of the kind is not a first: it counts
    second = record(client, keys, "declaration_inaccuracy", "minor")
    assert second["status"] == "active" and card(client, keys)["grade"] == "C"
    corr = f"/api/v1/enterprises/{keys.merchant_id}/credit/tolerances/{t['id']}/correction"
    other_path = f"/api/v1/enterprises/{other}/credit/tolerances/{t['id']}/correction"
    assert client.post(other_path, json={"correction": "x"}, headers=m).status_code == 403
    assert (
        client.post(
            other_path, json={"correction": "x"}, headers=Keys.header(keys.other_merchant)
        ).status_code
        == 404
    )
    assert client.post(corr, json={"correction": ""}, headers=m).status_code == 422
    sent = client.post(corr, json={"correction": "已更正申报数据并建立复核制度"}, headers=m)
    assert sent.status_code == 200 and sent.json()["status"] == "submitted"
    decision = f"/api/v1/credit/tolerances/{t['id']}/decision"
    assert client.post(decision, json={"approve": True, "reason": "x"}, headers=m).status_code == 403
    ok = client.post(decision, json={"approve": True, "reason": "整改到位"}, headers=reg)
    assert ok.status_code == 200 and ok.json()["status"] == "corrected"
    assert client.post(decision, json={"approve": True, "reason": "again"}, headers=reg).status_code == 409
    kept = next(r for r in card(client, keys)["records"] if r["id"] == slip["id"])
    assert kept["status"] == "tolerated" and kept["points_now"] == 0.0  # the history keeps it, and why
    assert client.get("/api/v1/credit/tolerances", headers=reg).json() == []
    uscc = card(client, keys)["enterprise"]["uscc"]
    assert slip["id"] not in {r["id"] for r in client.get(f"/api/v1/public/credit/{uscc}").json()["records"]}

    # the other merchant pledges, slips once more in a new kind, and does not correct
    _pledge(client, keys, other, keys.other_merchant)
    late = record(client, keys, "late_complaint_answer", "minor", merchant=other)
    assert late["status"] == "tolerated" and card(client, keys, other)["score"] == 840.0
    clock.advance(timedelta(days=11))
    swept = client.post("/api/v1/credit/tolerances/sweep", headers=reg)
    assert swept.status_code == 200 and swept.json() == {"lapsed": 1}
    lapsed = client.get(f"/api/v1/enterprises/{other}/credit/tolerances", headers=reg).json()[0]
    assert lapsed["status"] == "lapsed" and lapsed["effect"]["reasons"][0]["counts"] is True
    counted = next(r for r in card(client, keys, other)["records"] if r["id"] == late["id"])
    # counted from the day of the breach: eleven days of decay already (5 x 0.5^(11/45))
    assert counted["status"] == "active" and counted["points_now"] == round(-5 * 0.5 ** (11 / 45), 1)


def test_joint_measures_follow_the_black_list_applied_here_and_sent_signed_to_departments(
    client, db, keys: Keys, dispatcher
):
    m, reg = Keys.header(keys.merchant), Keys.header(keys.regulator)
    dispatcher.drain()
    measures_url = f"/api/v1/enterprises/{keys.merchant_id}/credit/measures"
    assert client.get(measures_url, headers=m).json() == []
    assert (
        client.get(f"/api/v1/enterprises/{keys.other_merchant_id}/credit/measures", headers=m).status_code
        == 403
    )
    bad = record(client, keys, "serious_dishonesty", "general")
    dispatcher.drain()
    applied = {x["code"]: x for x in client.get(measures_url, headers=m).json()}
    assert set(applied) == {
        "black_more_inspections",
        "black_no_pledges",
        "black_publication",
        "black_tax_credit",
    }
    assert applied["black_more_inspections"]["how"] == {"inspection_rate": 1.0}
    assert applied["black_no_pledges"]["own"] and not applied["black_publication"]["own"]
    assert applied["black_publication"]["reason_zh"].startswith("列入黑名单（信用等级 D")
    assert "严重失信" in applied["black_publication"]["reason_zh"]
    notice = applied["black_tax_credit"]["notice"]
    assert notice["delivered_at"] is not None and notice["action"] == "apply"
    raw = json.dumps(notice["body"], sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    assert verifies(db, notice["signature"], raw)
    assert notice["body"]["legal_basis"] == "《纳税信用管理办法》"
    # CrossTrust's own: no pledges on the black list, with the measure named
    refused = client.post(f"/api/v1/enterprises/{keys.merchant_id}/credit/pledges", json=PLEDGE, headers=m)
    assert refused.status_code == 409 and refused.json()["rule"] == "measures.black_no_pledges"
    sent = client.get("/api/v1/credit/measures/notices", headers=reg).json()
    assert sorted(n["measure"] for n in sent) == ["black_publication", "black_tax_credit"]
    assert client.get("/api/v1/credit/measures/notices", headers=m).status_code == 403
    uscc = card(client, keys)["enterprise"]["uscc"]
    public = client.get(f"/api/v1/public/credit/measures/{uscc}").json()
    assert {x["code"] for x in public} == set(applied) and all("notice" not in x for x in public)
    # delivered twice: still one notice each
    dispatcher.drain()
    assert len(client.get("/api/v1/credit/measures/notices", headers=reg).json()) == 2

    # the record was wrong: withdrawn, off the list, the departments' measures lifted
    objection = client.post(
        f"/api/v1/enterprises/{keys.merchant_id}/credit/records/{bad['id']}/objections",
        json={"reason": "认定有误"},
        headers=m,
    ).json()
    client.post(
        f"/api/v1/credit/objections/{objection['id']}/decision",
        json={"approve": True, "reason": "撤销"},
        headers=reg,
    ).raise_for_status()
    dispatcher.drain()
    assert client.get(measures_url, headers=m).json() == []
    actions = sorted(
        (n["measure"], n["action"]) for n in client.get("/api/v1/credit/measures/notices", headers=reg).json()
    )
    assert actions == [
        ("black_publication", "apply"),
        ("black_publication", "lift"),
        ("black_tax_credit", "apply"),
        ("black_tax_credit", "lift"),
    ]


def test_repair_with_coaching_from_diagnosis_to_the_grade_restored(client, db, keys: Keys, dispatcher):
    m, reg = Keys.header(keys.merchant), Keys.header(keys.regulator)
    old = record(client, keys, "administrative_penalty", "serious", days_ago=370)  # repairable now
    record(client, keys, "inspection_failure", "general")
    start = card(client, keys)
    assert start["grade"] == "C"
    diag = client.get(f"/api/v1/enterprises/{keys.merchant_id}/credit/diagnosis", headers=m).json()
    item = next(i for i in diag["records"] if i["record"]["id"] == old["id"])
    assert item["state"] == "repairable" and item["grade_if_repaired"] == "B" and item["raises_grade"]
    assert item["fix_zh"].startswith("履行处罚决定")
    assert (
        client.get(
            f"/api/v1/enterprises/{keys.merchant_id}/credit/diagnosis",
            headers=Keys.header(keys.other_merchant),
        ).status_code
        == 403
    )

    assert (
        client.post(
            "/api/v1/credit/coaching", json={"enterprise_id": keys.merchant_id}, headers=m
        ).status_code
        == 403
    )
    assert (
        client.post("/api/v1/credit/coaching", json={"enterprise_id": 2**31}, headers=reg).status_code == 422
    )
    opened = client.post(
        "/api/v1/credit/coaching", json={"enterprise_id": keys.merchant_id, "note": "约谈辅导"}, headers=reg
    )
    assert opened.status_code == 201, opened.text
    plan = opened.json()
    assert (plan["grade_at_start"], plan["target_grade"], plan["status"]) == ("C", "B", "open")
    assert (
        client.post(
            "/api/v1/credit/coaching", json={"enterprise_id": keys.merchant_id}, headers=reg
        ).status_code
        == 409
    )
    today = utcnow().astimezone(CHINA_TZ).date()
    tasks = f"/api/v1/credit/coaching/{plan['id']}/tasks"
    task = {
        "title_zh": "履行处罚决定并提交整改报告",
        "record_id": old["id"],
        "due_on": (today + timedelta(days=10)).isoformat(),
    }
    far = client.post(tasks, json=task | {"due_on": (today + timedelta(days=200)).isoformat()}, headers=reg)
    assert far.status_code == 422 and far.json()["errors"][0]["field"] == "due_on"
    foreign = record(client, keys, "recall", "minor", merchant=keys.other_merchant_id)
    assert client.post(tasks, json=task | {"record_id": foreign["id"]}, headers=reg).status_code == 404
    assert client.post(tasks, json=task | {"due_on": "2026-02-30"}, headers=reg).status_code == 422
    set_ = client.post(tasks, json=task, headers=reg)
    assert set_.status_code == 201, set_.text
    t = set_.json()
    report = f"/api/v1/enterprises/{keys.merchant_id}/credit/coaching/tasks/{t['id']}/report"
    assert (
        client.post(
            f"/api/v1/enterprises/{keys.other_merchant_id}/credit/coaching/tasks/{t['id']}/report",
            json={"report": "x"},
            headers=Keys.header(keys.other_merchant),
        ).status_code
        == 404
    )
    assert (
        client.post(report, json={"report": "已缴纳罚款，整改报告见附件"}, headers=m).json()["status"]
        == "reported"
    )
    confirm = client.post(
        f"/api/v1/credit/coaching/tasks/{t['id']}/decision",
        json={"approve": True, "reason": "属实"},
        headers=reg,
    )
    assert confirm.status_code == 200 and confirm.json()["status"] == "done"

    # the repair the task led to, and the grade it restores
    applied = client.post(
        f"/api/v1/enterprises/{keys.merchant_id}/credit/records/{old['id']}/repairs",
        json={"evidence": "罚款缴纳凭证"},
        headers=m,
    ).json()
    client.post(
        f"/api/v1/credit/repairs/{applied['id']}/decision",
        json={"approve": True, "reason": "整改到位"},
        headers=reg,
    ).raise_for_status()
    dispatcher.drain()
    mine = client.get(f"/api/v1/enterprises/{keys.merchant_id}/credit/coaching", headers=m).json()
    assert len(mine) == 1
    assert (mine[0]["status"], mine[0]["grade_now"]) == ("restored", "B")
    assert mine[0]["tasks"][0]["repair"] == "approved" and mine[0]["restored_at"]
    assert client.get(f"/api/v1/credit/coaching/{plan['id']}", headers=m).status_code == 403


def test_the_nightly_job_lapses_an_uncorrected_tolerance_before_it_recomputes(client, db, keys: Keys):
    from credit import scheduled

    _pledge(client, keys, keys.merchant_id, keys.merchant)
    slip = record(client, keys, "declaration_inaccuracy", "minor")
    assert slip["status"] == "tolerated"
    assert scheduled.nightly(db)["tolerances_lapsed"] == 0  # within its deadline
    clock.advance(timedelta(days=16))
    assert scheduled.nightly(db)["tolerances_lapsed"] == 1
    counted = next(r for r in card(client, keys)["records"] if r["id"] == slip["id"])
    assert counted["status"] == "active" and counted["points_now"] == round(-10 * 0.5 ** (16 / 45), 1)
    assert scheduled.nightly(db)["tolerances_lapsed"] == 0  # once
