"""Social supervision (社会共治) through the API on both databases: a member of the public reports a
merchant with evidence and consent and gets a pseudonym and a token once; follows the report with the
token; a regulator finds it effective: the merchant has a record of the methodology's kind and a lower
score, the reporter one effective report, and nothing shown names more than the pseudonym. The same
report again, a flood, no consent, bad fields and the wrong roles are refused naming the field."""

from __future__ import annotations

from sqlmodel import select

from credit import methodology
from credit.tipoff_models import Reporter
from tests.conftest import Keys, register

PUBLIC = "/api/v1/public/tipoffs"


def _uscc(db, enterprise_id: int) -> str:
    from enterprises.models import Enterprise

    with db.read_session() as s:
        return s.get(Enterprise, enterprise_id).uscc


def _report(uscc: str, narrative: str = "网店页面宣称奶粉可治疗过敏，属虚假宣传", **more) -> dict:
    return {
        "uscc": uscc,
        "category": "false_advertising",
        "narrative": narrative,
        "evidence_url": "https://example.com/shot.png",
        "consent": True,
        **more,
    }


def test_a_public_report_verified_lowers_the_merchant_and_credits_its_pseudonymous_reporter(client, db, keys):
    uscc = _uscc(db, keys.merchant_id)
    before = client.get(
        f"/api/v1/enterprises/{keys.merchant_id}/credit", headers=Keys.header(keys.merchant)
    ).json()
    r = client.post(PUBLIC, json=_report(uscc))
    assert r.status_code == 201, r.text
    sent = r.json()
    token, pseudonym = sent["reporter_token"], sent["reporter"]
    assert token and pseudonym.startswith("R-") and sent["tipoff"]["status"] == "received"

    # The same report again, from anyone, in other spacing: refused naming the narrative.
    again = client.post(PUBLIC, json=_report(uscc, narrative="网店页面宣称奶粉可治疗过敏， 属虚假宣传！"))
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "narrative"

    mine = client.get(f"{PUBLIC}/mine", headers={"X-Reporter-Token": token}).json()
    assert mine["reporter"] == pseudonym and [t["status"] for t in mine["tipoffs"]] == ["received"]
    bad = client.get(f"{PUBLIC}/mine", headers={"X-Reporter-Token": "nope"})
    assert bad.status_code == 401 and bad.json()["errors"][0]["field"] == "X-Reporter-Token"

    queue = client.get("/api/v1/credit/tipoffs?status=received", headers=Keys.header(keys.regulator)).json()
    assert [t["id"] for t in queue] == [sent["tipoff"]["id"]] and queue[0]["reporter"] == pseudonym
    decision = {"effective": True, "severity": "general", "reason": "现场核查属实，页面已截图存档"}
    path = f"/api/v1/credit/tipoffs/{sent['tipoff']['id']}/decision"
    assert client.post(path, json=decision, headers=Keys.header(keys.merchant)).status_code == 403
    r = client.post(path, json=decision, headers=Keys.header(keys.regulator))
    assert r.status_code == 200 and r.json()["status"] == "effective" and r.json()["record_id"], r.text
    assert client.post(path, json=decision, headers=Keys.header(keys.regulator)).status_code == 409

    after = client.get(
        f"/api/v1/enterprises/{keys.merchant_id}/credit", headers=Keys.header(keys.merchant)
    ).json()
    assert after["score"] == before["score"] - 40.0  # the methodology's general points for the kind
    assert [x["kind"] for x in after["reasons"]] == ["social_report_verified"]
    mine = client.get(f"{PUBLIC}/mine", headers={"X-Reporter-Token": token}).json()
    assert mine["effective"] == 1 and mine["tipoffs"][0]["status"] == "effective"
    with db.read_session() as s:
        (rep,) = s.exec(select(Reporter)).all()
        assert set(rep.model_dump()) == {"id", "pseudonym", "token_hash", "consented_at", "effective"}
        assert token not in rep.token_hash
    records = client.get(
        f"/api/v1/enterprises/{keys.merchant_id}/credit/records", headers=Keys.header(keys.merchant)
    )
    assert pseudonym not in records.text and token not in records.text


def test_floods_and_bad_reports_are_refused_naming_the_field(client, db, keys):
    uscc = _uscc(db, keys.merchant_id)
    first = client.post(PUBLIC, json=_report(uscc, narrative="第一份举报：商品没有中文标签")).json()
    token = first["reporter_token"]
    for n in range(1, methodology.current().trust.tipoffs_per_day):
        r = client.post(
            PUBLIC, json=_report(uscc, narrative=f"第{n + 1}份举报：不同的内容{n}", reporter_token=token)
        )
        assert r.status_code == 201 and r.json()["reporter_token"] is None, r.text
    flood = client.post(PUBLIC, json=_report(uscc, narrative="再来一份不同的举报内容", reporter_token=token))
    assert flood.status_code == 429, flood.text

    insurer = register(db, "insurer", name_zh="某保险公司")
    cases = [
        (_report(uscc, consent=False), 422, "consent"),
        (_report(uscc, evidence_url="javascript:alert(1)"), 422, "evidence_url"),
        (_report(uscc, narrative="太短"), 422, "narrative"),
        (_report(uscc, category="gossip"), 422, "category"),
        (_report("91330206000000000X"), 422, "uscc"),
        (_report(insurer.uscc), 422, "uscc"),
        (_report(uscc, reporter_token="not-a-token"), 401, "X-Reporter-Token"),
    ]
    for body, status, field in cases:
        r = client.post(PUBLIC, json=body)
        assert r.status_code == status, (body, r.text)
        assert field in [e["field"].split(".")[-1] for e in r.json()["errors"]], (body, r.text)
    r = client.post(
        "/api/v1/credit/tipoffs/2147483648/decision",
        json={"effective": False, "reason": "无"},
        headers=Keys.header(keys.regulator),
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"].endswith("tipoff_id")
    r = client.post(
        "/api/v1/credit/tipoffs/2147483647/decision",
        json={"effective": False, "reason": "查无"},
        headers=Keys.header(keys.regulator),
    )
    assert r.status_code == 404 and r.json()["errors"][0]["field"] == "tipoff_id"


def test_the_logs_keep_no_more_of_a_reporter_than_the_database(client, db, keys, caplog):
    """The reporter's token and words travel in a header and a body: the access log (and every other
    log line of the request) holds neither, nor anything the database does not."""
    import logging

    caplog.set_level(logging.DEBUG)
    uscc = _uscc(db, keys.merchant_id)
    sent = client.post(PUBLIC, json=_report(uscc, narrative="日志检查：商品没有中文标签且宣传夸大")).json()
    token = sent["reporter_token"]
    client.get(f"{PUBLIC}/mine", headers={"X-Reporter-Token": token})
    lines = "\n".join(r.getMessage() for r in caplog.records)
    assert any(r.name == "crosstrust.access" for r in caplog.records), "the access log wrote nothing"
    for secret in (token, "日志检查", "testclient"):
        assert secret not in lines, secret
