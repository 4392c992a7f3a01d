"""Associate, products and lots (issue 24, item 4): a lab's results name the sampled goods by GTIN and batch
number. Each accepted record is linked to its enterprise's product of that GTIN and to the declared lot of
that number; a GTIN that only another enterprise registered is not linked but flagged, with whose product
it is on the trail; a record waiting for review is linked once a regulator links it; the trail page shows
the link. Both databases."""

# ruff: noqa: RUF001 - full-width punctuation is Chinese text

from __future__ import annotations

from sqlmodel import select

from api import seeding
from core.security import Role, create_key
from credit.models import CreditRecord
from intake import service as intake
from intake.models import IntakeRecord, ProductLink, RecordStatus
from tests.conftest import Keys, register
from tests.testclient import TestClient
from traceability.codes import gtin_with_check

from .helpers import PENALTY_HEADER, csv_bytes, deliver, source

LAB_HEADER = [
    "标称生产企业名称",
    "统一社会信用代码",
    "样品名称",
    "商品条码",
    "批号",
    "报告编号",
    "不合格项目",
    "检验结论",
    "检验日期",
]


def _lab(name: str, uscc: str, gtin: str, lot: str, report: str, result: str) -> list[str]:
    item = "菌落总数" if result == "不合格" else ""
    return [name, uscc, "婴幼儿配方奶粉", gtin, lot, report, item, result, "2026-11-02"]


def _products(db):  # noqa: ANN001, ANN202
    """Merchant A with product g1 and its declared lot L2611A; merchant B with product g2."""
    a, b = register(db, name_zh="宁波甬信跨境贸易有限公司"), register(db, name_zh="宁波海曙贸易有限公司")
    g1, g2 = gtin_with_check("690123450001"), gtin_with_check("690123450002")
    with db.transaction() as s:
        p1 = seeding.product(s, a.id, g1)
        seeding.product(s, b.id, g2)
        line = seeding.line_body(p1.id, "L2611A", 100)
        seeding.declare(s, a.id, "310520261000000777", [line])
    return a, b, g1, g2


def _sign_in(app, key: str) -> TestClient:  # noqa: ANN001
    client = TestClient(app, follow_redirects=False)
    client.get("/signin")
    r = client.post("/signin", data={"key": key, "csrftoken": client.cookies["csrftoken"]})
    assert r.status_code == 303, r.text
    return client


def test_lab_results_are_linked_to_their_products_and_lots(app, client, keys: Keys, db, dispatcher, tmp_path):
    a, b, g1, g2 = _products(db)
    dispatcher.drain()
    unknown = gtin_with_check("690999900001")
    rows = [
        _lab(a.name_zh, a.uscc, g1, "L2611A", "SP2611001", "不合格"),  # A's product, A's declared lot
        _lab(a.name_zh, a.uscc, g1, "L9999", "SP2611002", "合格"),  # A's product, a lot never declared
        _lab(a.name_zh, a.uscc, g2, "L2611A", "SP2611003", "不合格"),  # B's product named under A: flagged
        _lab(a.name_zh, a.uscc, unknown, "", "SP2611004", "合格"),  # no product on the platform
        _lab("甬信跨境贸易公司", "", g1, "L2611A", "SP2611005", "合格"),  # no USCC: waits for review
        _lab(a.name_zh, a.uscc, "", "", "SP2611006", "合格"),  # names no GTIN
    ]
    src = source(db, "lab-nb", "宁波市食品检验检测研究院")
    d = deliver(db, tmp_path, src, "lab_result", csv_bytes(LAB_HEADER, rows))
    assert (d.accepted, d.review, d.rejected) == (5, 1, 0)
    with db.read_session() as s:
        recs = {r.row_no: r for r in s.exec(select(IntakeRecord).where(IntakeRecord.delivery_id == d.id))}
        lot_line = recs[1].lot_line_id
        got = {
            n: (r.product_link, r.product_id is not None, r.lot_line_id is not None) for n, r in recs.items()
        }
    assert got == {
        1: (ProductLink.lot, True, True),
        2: (ProductLink.product, True, False),
        3: (ProductLink.other, False, False),
        4: (ProductLink.unknown, False, False),
        5: (ProductLink.waiting, False, False),
        6: ("", False, False),
    }
    with db.read_session() as s:
        assert recs[1].product_id == recs[2].product_id
        t1, t3 = intake.trail(s, recs[1].id), intake.trail(s, recs[3].id)  # type: ignore[arg-type]
    assert t1["names"]["product"]["gtin"] == g1.zfill(14) and t1["names"]["declared_lot"]["lot"] == "L2611A"
    assert t1["names"]["declared_lot"]["declaration_no"] == "310520261000000777"
    assert t3["names"]["product"] is None and t3["names"]["owners"] == [b.id]

    # A regulator links the waiting record to A: its product and lot are linked with it.
    r = client.post(
        f"/api/v1/intake/records/{recs[5].id}/settlement",
        json={"decision": "link", "uscc": a.uscc, "reason": "简称，检验报告载明统一社会信用代码"},
        headers=keys.header(keys.regulator),
    )
    assert r.status_code == 201, r.text
    dispatcher.drain()
    with db.read_session() as s:
        linked = s.get(IntakeRecord, recs[5].id)
        assert linked is not None and linked.status == RecordStatus.active
        assert (linked.product_link, linked.lot_line_id) == (ProductLink.lot, lot_line)
        # The failed sample of A's lot made A's credit record, as before (B's product named under A too).
        failed = s.exec(select(CreditRecord).where(CreditRecord.enterprise_id == a.id)).all()
        assert sorted(c.evidence_ref for c in failed) == sorted(
            [f"intake:{recs[1].id}", f"intake:{recs[3].id}"]
        )

    # The trail page shows the link: the product, the lot's declaration; the flagged one, whose GTIN it is.
    with db.transaction() as s:
        regulator = create_key(s, Role.regulator)
    console = _sign_in(app, regulator)
    page = console.get(f"/console/intake/records/{recs[1].id}")
    assert page.status_code == 200
    assert 'data-link="lot"' in page.text and "已关联商品与批次" in page.text
    assert "310520261000000777" in page.text and "婴幼儿配方奶粉 800克" in page.text
    page = console.get(f"/console/intake/records/{recs[3].id}")
    assert "商品条码属于其他企业" in page.text and f'href="/console/enterprises/{b.id}"' in page.text
    page = console.get(f"/console/intake/records/{recs[6].id}")
    assert page.status_code == 200 and 'data-field="names"' not in page.text


def test_the_trail_names_each_field_as_the_records_own_mapping_does(app, db, tmp_path):
    """A licence and a penalty both have a decision_no: a penalty's trail calls it 行政处罚决定书文号,
    not the licence's 行政许可决定文书号 (the mapping read first)."""
    ent = register(db, name_zh="宁波甬信跨境贸易有限公司")
    header = PENALTY_HEADER
    row = [ent.name_zh, ent.uscc, "甬市监罚〔2026〕12号", "2", "2026-10-09", "宁波市市场监督管理局"]
    deliver(db, tmp_path, source(db, "samr-nb", "宁波市市场监督管理局"), "penalty", csv_bytes(header, [row]))
    with db.read_session() as s:
        [rec] = s.exec(select(IntakeRecord)).all()
    with db.transaction() as s:
        regulator = create_key(s, Role.regulator)
    page = _sign_in(app, regulator).get(f"/console/intake/records/{rec.id}")
    assert page.status_code == 200
    label = page.text.split('<tr data-field="decision_no"><td>')[1].split("</td>")[0]
    assert label == "行政处罚决定书文号 Decision no"
    assert "行政许可决定文书号" not in page.text
