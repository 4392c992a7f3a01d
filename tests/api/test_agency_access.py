"""The cross-tenant matrix over AGENCIES (issue 25, item 8): two regulators of different agencies (the
bonded zone's, 330206, and Pudong's, 310115), every regulator write operation tried on a case of each
agency by the other's regulator and then by its own. Across agencies 0 actions succeed, each refused with
a 403 problem document that names both agencies and why; each succeeds in its own agency (so the refusal
changed nothing: the same action is still there to take). A transfer moves the right to act. An admin
acts anywhere.

test_access.py and test_body_access.py are the same matrix over enterprises (merchants' keys).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from itertools import count
from typing import Any

import pytest

from core.clock import utcnow
from core.identifiers import uscc_with_check
from core.security import Role, create_key
from core.workdays import CHINA_TZ
from tests.complaints.conftest import Cases
from tests.conftest import Keys, register
from tests.traceability.conftest import Flow

HERE, THERE = "330206", "310115"
_org = count(700_000_001)


def uscc_in(region: str) -> str:
    return uscc_with_check(f"91{region}{next(_org):09d}")


@dataclass
class Call:
    method: str
    path: str
    body: dict[str, Any] | None
    ok: int  # the status its own agency's regulator gets


@dataclass
class World:
    client: Any
    db: Any
    keys: Keys
    regulators: dict[str, str]  # agency -> its regulator's key

    def reg(self, agency: str) -> dict[str, str]:
        return Keys.header(self.regulators[agency])

    def merchant(self, agency: str) -> tuple[int, str]:
        """A fresh merchant registered in the agency's region, and its key."""
        ent = register(self.db, uscc=uscc_in(agency))
        with self.db.transaction() as s:
            return ent.id, create_key(s, Role.merchant, ent.id)

    def flow(self, agency: str) -> Flow:
        mid, key = self.merchant(agency)
        return Flow(
            self.client,
            dataclasses.replace(self.keys, merchant=key, merchant_id=mid, regulator=self.regulators[agency]),
        )

    def cases(self, agency: str) -> Cases:
        """Complaints handled by the agency, about the products of a merchant of its region."""
        c = Cases(self.client, dataclasses.replace(self.keys, regulator=self.regulators[agency]))
        c.flow = self.flow(agency)
        return c

    def post(self, path: str, body: dict | None, headers: dict[str, str], ok: int = 200) -> dict:
        r = self.client.post(path, json=body, headers=headers)
        assert r.status_code == ok, (path, r.text)
        return r.json()

    def record(self, agency: str, enterprise_id: int, kind: str, severity: str, days_ago: int = 0) -> dict:
        body = {
            "enterprise_id": enterprise_id,
            "kind": kind,
            "severity": severity,
            "title_zh": f"测试记录 {kind}",
            "reason": "核查发现",
            "occurred_at": (utcnow() - timedelta(days=days_ago)).isoformat(),
        }
        return self.post("/api/v1/credit/records", body, self.reg(agency), 201)

    def pledge(self, enterprise_id: int, key: str) -> dict:
        body = {"procedure": "warehouse_filing", "obligations_zh": "仓储场所符合保税监管要求", "days": 180}
        return self.post(f"/api/v1/enterprises/{enterprise_id}/credit/pledges", body, Keys.header(key), 201)

    def plan(self, agency: str, enterprise_id: int) -> dict:
        return self.post("/api/v1/credit/coaching", {"enterprise_id": enterprise_id}, self.reg(agency), 201)

    def task(self, agency: str, plan_id: int) -> dict:
        due = (utcnow().astimezone(CHINA_TZ).date() + timedelta(days=10)).isoformat()
        body = {"title_zh": "提交整改报告", "due_on": due}
        return self.post(f"/api/v1/credit/coaching/{plan_id}/tasks", body, self.reg(agency), 201)

    def complaint(self, agency: str) -> int:
        return self.cases(agency).file(region=agency).id


# --- each operation: builds a fresh case of the agency, returns the regulator's call on it ---------


def _declared(w: World, a: str) -> tuple[Flow, dict]:
    f = w.flow(a)
    return f, f.declare(f.product()["id"])


def op_inspect(w: World, a: str) -> Call:
    from api import seeding

    _, d = _declared(w, a)
    body = seeding.inspection_body(
        [{"result": "pass", "tests_performed": ["三聚氰胺"], "lab_report_ref": "L1"}]
    )
    return Call("POST", f"/api/v1/declarations/{d['id']}/inspection", body, 200)


def op_release(w: World, a: str) -> Call:
    f, d = _declared(w, a)
    f.inspect(d)
    return Call("POST", f"/api/v1/declarations/{d['id']}/release", {}, 200)


def op_reject(w: World, a: str) -> Call:
    _, d = _declared(w, a)
    return Call("POST", f"/api/v1/declarations/{d['id']}/reject", {"reason": "单证不符"}, 200)


def op_recall(w: World, a: str) -> Call:
    f, d = _declared(w, a)
    f.inspect(d)
    f.release(d)
    return Call("POST", f"/api/v1/declarations/{d['id']}/lines/1/recall", {"reason": "抽检不合格"}, 200)


def op_revoke_code(w: World, a: str) -> Call:
    _, _, codes = w.flow(a).released_codes(quantity=2)
    return Call("POST", f"/api/v1/codes/{codes[0]['serial']}/revoke", {"reason": "标签损毁"}, 200)


def op_add_record(w: World, a: str) -> Call:
    mid, _ = w.merchant(a)
    body = {"enterprise_id": mid, "kind": "administrative_penalty", "severity": "general", "title_zh": "处罚"}
    return Call("POST", "/api/v1/credit/records", body | {"reason": "核查发现"}, 201)


def op_decide_repair(w: World, a: str) -> Call:
    mid, key = w.merchant(a)
    old = w.record(a, mid, "administrative_penalty", "serious", days_ago=370)
    path = f"/api/v1/enterprises/{mid}/credit/records/{old['id']}/repairs"
    repair = w.post(path, {"evidence": "罚款缴纳凭证"}, Keys.header(key), 201)
    return Call(
        "POST", f"/api/v1/credit/repairs/{repair['id']}/decision", {"approve": True, "reason": "属实"}, 200
    )


def op_decide_objection(w: World, a: str) -> Call:
    mid, key = w.merchant(a)
    rec = w.record(a, mid, "inspection_failure", "minor")
    path = f"/api/v1/enterprises/{mid}/credit/records/{rec['id']}/objections"
    o = w.post(path, {"reason": "认定有误"}, Keys.header(key), 201)
    return Call(
        "POST", f"/api/v1/credit/objections/{o['id']}/decision", {"approve": False, "reason": "维持"}, 200
    )


def op_pledge_breach(w: World, a: str) -> Call:
    mid, key = w.merchant(a)
    p = w.pledge(mid, key)
    body = {"severity": "general", "reason": "抽查发现仓储不达标"}
    return Call("POST", f"/api/v1/credit/pledges/{p['id']}/breach", body, 200)


def op_tolerance(w: World, a: str) -> Call:
    mid, key = w.merchant(a)
    w.pledge(mid, key)
    slip = w.record(a, mid, "declaration_inaccuracy", "minor")
    assert slip["status"] == "tolerated", slip
    t = next(
        t
        for t in w.client.get(f"/api/v1/enterprises/{mid}/credit/tolerances", headers=w.reg(a)).json()
        if t["record_id"] == slip["id"]
    )
    w.post(
        f"/api/v1/enterprises/{mid}/credit/tolerances/{t['id']}/correction",
        {"correction": "已更正申报数据"},
        Keys.header(key),
    )
    return Call(
        "POST", f"/api/v1/credit/tolerances/{t['id']}/decision", {"approve": True, "reason": "整改到位"}, 200
    )


def op_open_plan(w: World, a: str) -> Call:
    mid, _ = w.merchant(a)
    return Call("POST", "/api/v1/credit/coaching", {"enterprise_id": mid, "note": "约谈辅导"}, 201)


def op_add_task(w: World, a: str) -> Call:
    mid, _ = w.merchant(a)
    plan = w.plan(a, mid)
    due = (utcnow().astimezone(CHINA_TZ).date() + timedelta(days=10)).isoformat()
    return Call(
        "POST", f"/api/v1/credit/coaching/{plan['id']}/tasks", {"title_zh": "整改", "due_on": due}, 201
    )


def op_confirm_task(w: World, a: str) -> Call:
    mid, key = w.merchant(a)
    task = w.task(a, w.plan(a, mid)["id"])
    w.post(
        f"/api/v1/enterprises/{mid}/credit/coaching/tasks/{task['id']}/report",
        {"report": "整改报告见附件"},
        Keys.header(key),
    )
    return Call(
        "POST",
        f"/api/v1/credit/coaching/tasks/{task['id']}/decision",
        {"approve": True, "reason": "属实"},
        200,
    )


def op_tipoff(w: World, a: str) -> Call:
    mid, _ = w.merchant(a)
    uscc = w.client.get(f"/api/v1/enterprises/{mid}", headers=w.reg(a)).json()["uscc"]
    report = {
        "uscc": uscc,
        "category": "false_advertising",
        "narrative": f"网店页面宣称奶粉可治疗过敏，属虚假宣传 {mid}",
        "evidence_url": "https://example.com/shot.png",
        "consent": True,
    }
    sent = w.post("/api/v1/public/tipoffs", report, {}, 201)
    body = {"effective": True, "severity": "general", "reason": "现场核查属实"}
    return Call("POST", f"/api/v1/credit/tipoffs/{sent['tipoff']['id']}/decision", body, 200)


def op_request_info(w: World, a: str) -> Call:
    cid = w.complaint(a)
    return Call("POST", f"/api/v1/complaints/{cid}/request-info", {"question": "请上传购买凭证"}, 200)


def op_escalate(w: World, a: str) -> Call:
    cid = w.complaint(a)
    return Call("POST", f"/api/v1/complaints/{cid}/escalation", {"reason": "主动调解"}, 200)


def _in_mediation(w: World, a: str) -> int:
    cid = w.complaint(a)
    w.post(f"/api/v1/complaints/{cid}/escalation", {"reason": "主动调解"}, w.reg(a))
    return cid


def op_mediation(w: World, a: str) -> Call:
    cid = _in_mediation(w, a)
    return Call("POST", f"/api/v1/complaints/{cid}/mediation", {"defect_confirmed": False}, 200)


def op_payment(w: World, a: str) -> Call:
    cid = _in_mediation(w, a)
    due = w.post(f"/api/v1/complaints/{cid}/mediation", {"defect_confirmed": True}, w.reg(a))
    assert due["status"] == "compensation_due", due
    body = {"amount_minor": 199000, "reference": "先行赔付-001"}
    return Call("POST", f"/api/v1/complaints/{cid}/payment", body, 200)


def op_close(w: World, a: str) -> Call:
    cid = w.complaint(a)
    return Call("POST", f"/api/v1/complaints/{cid}/close", {"outcome": "withdrawn"}, 200)


def op_transfer(w: World, a: str) -> Call:
    cid = w.complaint(a)
    return Call(
        "POST", f"/api/v1/complaints/{cid}/transfer", {"to_region": "440300", "reason": "经营地在深圳"}, 201
    )


def op_contact(w: World, a: str) -> Call:
    cid = w.complaint(a)
    return Call("GET", f"/api/v1/complaints/{cid}/contact", None, 200)


def op_receive_transfer(w: World, a: str) -> Call:
    code = w.cases(a).code()
    body = {
        "code": code["uri"],
        "category": "counterfeit",
        "narrative": "外地消费者来电反映：奶粉罐底批号与外箱不一致，怀疑假冒。",
        "wanted": "refund",
        "contact": "13912345678",
        "from_region": "440300",
        "source_ref": f"SZ12315-{next(_org)}",
        "reason": "移送至经营者所在地",
        "region": a,
    }
    return Call("POST", "/api/v1/complaint-transfers", body, 201)


def op_register(w: World, a: str) -> Call:
    return Call("POST", "/api/v1/enterprises", {"uscc": uscc_in(a), "name_zh": "新登记企业"}, 201)


def op_update_enterprise(w: World, a: str) -> Call:
    mid, _ = w.merchant(a)
    return Call("PATCH", f"/api/v1/enterprises/{mid}", {"contact_name": "王经理"}, 200)


def op_change_status(w: World, a: str) -> Call:
    mid, _ = w.merchant(a)
    body = {"status": "suspended", "reason": "涉嫌严重违法"}
    return Call("POST", f"/api/v1/enterprises/{mid}/status", body, 200)


def op_merchant_path(w: World, a: str) -> Call:
    """A regulator writing on an enterprise's own paths (here: a product) acts for it."""
    from api import seeding
    from tests.traceability.conftest import new_gtin

    mid, _ = w.merchant(a)
    return Call("POST", f"/api/v1/enterprises/{mid}/products", seeding.product_body(new_gtin()), 201)


def op_assign_gtin(w: World, a: str) -> Call:
    """A GTIN registered to a merchant of the agency, transferred to another of its merchants."""
    product = w.flow(a).product()
    mid, _ = w.merchant(a)
    body = {"enterprise_id": mid, "reason": "品牌授权变更"}
    return Call("PUT", f"/api/v1/gtins/{product['gtin']}/owner", body, 200)


def op_record_event(w: World, a: str) -> Call:
    """An EPCIS event about an item of a merchant of the agency (an inspection's observation of it)."""
    _, _, codes = w.flow(a).released_codes(quantity=1)
    event = {
        "type": "ObjectEvent",
        "eventTime": (utcnow() + timedelta(minutes=1)).isoformat(),
        "eventTimeZoneOffset": "+08:00",
        "action": "OBSERVE",
        "bizStep": "inspecting",
        "disposition": "in_progress",
        "epcList": [codes[0]["uri"]],
    }
    return Call("POST", "/api/v1/epcis/capture", event, 202)


OPERATIONS: dict[str, Callable[[World, str], Call]] = {
    name.removeprefix("op_"): fn for name, fn in dict(globals()).items() if name.startswith("op_")
}


@pytest.fixture
def world(client, db, keys: Keys) -> World:
    with db.transaction() as s:
        there = create_key(s, Role.regulator, agency=THERE)
    return World(client, db, keys, {HERE: keys.regulator, THERE: there})


def test_every_regulator_write_is_refused_across_agencies_and_succeeds_in_its_own(world: World):
    assert len(OPERATIONS) >= 28
    across_succeeded: list[tuple[str, str, int]] = []
    own_failed: list[tuple[str, str, int, str]] = []
    for name, build in OPERATIONS.items():
        for owner, stranger in ((HERE, THERE), (THERE, HERE)):
            call = build(world, owner)
            r = world.client.request(call.method, call.path, json=call.body, headers=world.reg(stranger))
            if r.status_code < 400:
                across_succeeded.append((name, owner, r.status_code))
            else:
                assert r.status_code == 403, (name, owner, r.text)
                assert r.headers["content-type"].startswith("application/problem+json")
                problem = r.json()
                assert problem["case_agency"] == owner and problem["your_agency"] == stranger, problem
                assert f"({owner})" in problem["detail"] and f"({stranger})" in problem["detail"]
                assert "read-only" in problem["detail"], problem
            own = world.client.request(call.method, call.path, json=call.body, headers=world.reg(owner))
            if own.status_code != call.ok:
                own_failed.append((name, owner, own.status_code, own.text[:300]))
    assert across_succeeded == []
    assert own_failed == []


def test_an_admin_acts_in_any_agency(world: World):
    admin = Keys.header(world.keys.admin)
    for name in ("release", "close", "add_record", "tipoff"):
        call = OPERATIONS[name](world, THERE)
        r = world.client.request(call.method, call.path, json=call.body, headers=admin)
        assert r.status_code == call.ok, (name, r.text)


def test_a_transfer_moves_the_right_to_act(world: World):
    cid = world.complaint(HERE)
    question = {"question": "请上传购买凭证"}
    ask = f"/api/v1/complaints/{cid}/request-info"
    assert world.client.post(ask, json=question, headers=world.reg(THERE)).status_code == 403
    # the other agency reads it all the same
    seen = world.client.get(f"/api/v1/complaints/{cid}", headers=world.reg(THERE))
    assert seen.status_code == 200 and seen.json()["region"] == HERE
    world.post(
        f"/api/v1/complaints/{cid}/transfer",
        {"to_region": THERE, "reason": "经营地在浦东"},
        world.reg(HERE),
        201,
    )
    refused = world.client.post(ask, json=question, headers=world.reg(HERE))
    assert refused.status_code == 403 and refused.json()["case_agency"] == THERE
    assert world.client.post(ask, json=question, headers=world.reg(THERE)).status_code == 200
    # and back again only by the agency that now holds it
    back = {"to_region": HERE, "reason": "退回"}
    assert (
        world.client.post(
            f"/api/v1/complaints/{cid}/transfer", json=back, headers=world.reg(HERE)
        ).status_code
        == 403
    )


def test_a_regulators_draw_is_over_its_own_agencys_declarations(world: World):
    _, here_decl = _declared(world, HERE)
    _, there_decl = _declared(world, THERE)
    inspectors = {"inspectors": ["张三", "李四"], "seed": "ab" * 16}
    drawn = {}
    for agency in (HERE, THERE):
        d = world.post("/api/v1/credit/draws", inspectors, world.reg(agency), 201)
        drawn[agency] = {c["declaration_no"] for c in d["inputs"]["candidates"]}
        assert d["inputs"]["agency"] == agency
    assert drawn[HERE] == {here_decl["declaration_no"]} and drawn[THERE] == {there_decl["declaration_no"]}
    both = world.post("/api/v1/credit/draws", inspectors, Keys.header(world.keys.admin), 201)
    assert {c["declaration_no"] for c in both["inputs"]["candidates"]} == drawn[HERE] | drawn[THERE]


def test_a_regulator_key_names_a_known_agency(client, keys: Keys):
    admin = Keys.header(keys.admin)
    r = client.post("/api/v1/admin/api-keys", json={"role": "regulator", "agency": "999999"}, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "agency", r.text
    r = client.post(
        "/api/v1/admin/api-keys",
        json={"role": "merchant", "enterprise_id": keys.merchant_id, "agency": HERE},
        headers=admin,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "agency", r.text
    made = client.post("/api/v1/admin/api-keys", json={"role": "regulator", "agency": THERE}, headers=admin)
    assert made.status_code == 201 and made.json()["agency"] == THERE
    default = client.post("/api/v1/admin/api-keys", json={"role": "regulator"}, headers=admin)
    assert default.status_code == 201 and default.json()["agency"] == HERE


def test_a_gtin_is_not_taken_from_another_agencys_merchant(world: World):
    product = world.flow(HERE).product()
    mine, _ = world.merchant(THERE)
    body = {"enterprise_id": mine, "reason": "品牌授权变更"}
    path = f"/api/v1/gtins/{product['gtin']}/owner"
    taken = world.client.put(path, json=body, headers=world.reg(THERE))
    assert taken.status_code == 403 and taken.json()["case_agency"] == HERE, taken.text
    assert world.client.put(path, json=body, headers=world.reg(HERE)).status_code == 403  # nor given to one
    assert world.client.put(path, json=body, headers=Keys.header(world.keys.admin)).status_code == 200


def test_a_complaint_goes_to_the_merchants_agency_unless_the_consumer_chooses_one(world: World):
    for agency in (HERE, THERE):
        filed = world.cases(agency).file()
        seen = world.client.get(f"/api/v1/complaints/{filed.id}", headers=world.reg(agency))
        assert seen.status_code == 200 and seen.json()["region"] == agency, seen.text
    chosen = world.cases(THERE).file(region=HERE)
    seen = world.client.get(f"/api/v1/complaints/{chosen.id}", headers=world.reg(HERE))
    assert seen.json()["region"] == HERE
