"""The public credit report in a real browser: grade, reasons, records, and the PDF it links to."""

from datetime import timedelta

from core.clock import utcnow
from credit import service as credit
from tests.conftest import register


def test_credit_report_page_in_chromium(live_server, page, tmp_path):
    base, db, _ = live_server
    ent = register(db, name_zh="宁波北仑环球美妆贸易有限公司", name_en="Ningbo Beilun Global Beauty Trading")
    with db.transaction() as s:
        for n, (kind, severity, title) in enumerate(
            [
                ("administrative_penalty", "general", "进口化妆品中文标签不规范，警告并罚款"),
                ("complaint_upheld", "general", "消费者投诉商品与描述不符，投诉成立"),
                ("late_complaint_answer", "minor", "投诉超期未答复"),
            ]
        ):
            credit.add_record(
                s,
                enterprise_id=ent.id,
                kind=kind,
                severity=severity,
                occurred_at=utcnow() - timedelta(days=10 + n),
                title_zh=title,
                source_type="manual",
                source_key=f"e2e:{n}",
                actor="e2e",
                reason="测试",
            )
    page.goto(f"{base}/credit/{ent.uscc}")
    grade = page.locator("section.grade")
    assert grade.get_attribute("data-grade") == "C"
    # 850 - 80·2^(-10/120) - 30·2^(-11/120) - 5·2^(-12/45) ≈ 742.2
    assert abs(float(page.inner_text("[data-field=score]")) - 742.2) <= 0.1
    assert [r.get_attribute("data-reason") for r in page.locator("[data-table=reasons] tbody tr").all()] == [
        "administrative_penalty",
        "complaint_upheld",
        "late_complaint_answer",
    ]
    assert page.locator("[data-table=records] tbody tr").count() == 3
    assert "近 365 天投诉成立 1 件，超期答复 1 件" in page.inner_text("[data-field=complaints]")
    page.screenshot(path=str(tmp_path / "credit-report.png"), full_page=True)
    pdf = page.request.get(base + page.get_attribute("[data-link=pdf]", "href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF-")
