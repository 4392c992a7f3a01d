"""The demo's credit: records that give the merchants their different grades."""

from __future__ import annotations

from sqlmodel import Session

from core.db import id_of
from enterprises.models import Enterprise

OTHER_GRADES: dict[int | None, str] = {
    1: "grade A importer",
    2: "black-listed importer (grade D)",
    3: "grade B importer",
}


def seed_credit(session: Session, merchants: list[Enterprise]) -> None:
    """Credit records beyond what the trade produces: one merchant with customs' advanced certification
    (grade A, red list), one with an administrative penalty for inaccurate labelling."""
    from datetime import timedelta

    from core.clock import utcnow
    from credit import service as credit

    now = utcnow()
    credit.add_record(
        session,
        enterprise_id=id_of(merchants[1]),
        kind="commendation",
        severity="serious",
        occurred_at=now - timedelta(days=40),
        title_zh="海关高级认证企业（AEO 高级认证）",
        title_en="Customs AEO advanced certification",
        evidence_ref="宁关企认〔2026〕12号",
        source_type="manual",
        source_key="demo:aeo:1",
        actor="system:demo",
        reason="演示数据：海关认证结果",
    )
    # The black list (失信惩戒): a serious-dishonesty record caps the grade at D whatever the points.
    credit.add_record(
        session,
        enterprise_id=id_of(merchants[2]),
        kind="serious_dishonesty",
        severity="serious",
        occurred_at=now - timedelta(days=30),
        title_zh="伪报贸易方式、虚假申报跨境电商零售进口商品，被认定为海关失信企业",
        title_en="Misdeclared the trade mode of cross-border retail imports: rated a dishonest enterprise by customs",
        evidence_ref="甬关信认〔2026〕7号",
        source_type="manual",
        source_key="demo:dishonesty:1",
        actor="system:demo",
        reason="演示数据：海关信用认定",
    )
    credit.add_record(
        session,
        enterprise_id=id_of(merchants[3]),
        kind="administrative_penalty",
        severity="general",
        occurred_at=now - timedelta(days=75),
        title_zh="进口化妆品中文标签不规范，警告并罚款 2 万元",
        title_en="Non-compliant Chinese labels on imported cosmetics: warning and a fine of 20,000 CNY",
        evidence_ref="甬保市监罚〔2026〕88号",
        source_type="manual",
        source_key="demo:penalty:1",
        actor="system:demo",
        reason="演示数据：行政处罚决定书",
    )
