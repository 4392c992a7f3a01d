"""Realistic demo data for `make run`: enterprises with valid USCCs, and one API key per role.

The enterprises are fictional (their codes are well-formed but not anyone's); names follow the
Ningbo bonded zone's cross-border e-commerce trade.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, func, select

from api import seeding
from core.files import open_private, private_dir
from core.identifiers import uscc_with_check
from core.security import SYSTEM, Role, create_key
from enterprises import service as enterprises
from enterprises.models import Enterprise
from enterprises.schemas import EnterpriseCreate

_ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def org_code(rng: random.Random) -> str:
    """A GB 11714 organisation code (8 characters and its check character)."""
    body = "".join(rng.choice("0123456789") for _ in range(2)) + "".join(
        rng.choice(_ORG_ALPHABET) for _ in range(6)
    )
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in body]
    check = 11 - sum(v * w for v, w in zip(values, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)) % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def demo_uscc(rng: random.Random, authority: str = "9", kind: str = "1", division: str = "330206") -> str:
    # 330206 is Ningbo's Beilun district, home of the bonded zone.
    return uscc_with_check(authority + kind + division + org_code(rng))


@dataclass(frozen=True)
class DemoEnterprise:
    name_zh: str
    name_en: str
    kind: str
    customs_code: str | None
    authority: str = "9"
    org_kind: str = "1"


DEMO_ENTERPRISES = [
    DemoEnterprise(
        "宁波保税区优选跨境供应链有限公司",
        "Ningbo Bonded Zone Youxuan Cross-border Supply Chain Co., Ltd.",
        "merchant",
        "3105960001",
    ),
    DemoEnterprise(
        "宁波甬澳母婴用品进出口有限公司",
        "Ningbo Yong-Ao Maternal & Baby Products Import & Export Co., Ltd.",
        "merchant",
        "3105960002",
    ),
    DemoEnterprise(
        "浙江海泰健康科技有限公司", "Zhejiang Haitai Health Technology Co., Ltd.", "merchant", "3105960003"
    ),
    DemoEnterprise(
        "宁波北仑环球美妆贸易有限公司",
        "Ningbo Beilun Global Beauty Trading Co., Ltd.",
        "merchant",
        "3105960004",
    ),
    DemoEnterprise(
        "甬安财产保险股份有限公司宁波分公司",
        "Yong'an Property Insurance Co., Ltd. Ningbo Branch",
        "insurer",
        None,
    ),
    DemoEnterprise(
        "宁波保税区市场监督管理局（演示）",
        "Ningbo Bonded Zone Market Supervision Bureau (demo)",
        "regulator",
        None,
        "1",
        "1",
    ),
]


@dataclass(frozen=True)
class DemoProduct:
    gtin_body: str  # 12 digits; the check digit is computed
    hs_code: str  # China's 10-digit tariff code
    name_zh: str
    name_en: str
    brand: str
    manufacturer: str
    origin: str
    category: str
    shelf_life_days: int


# Real HS headings (8-digit tariff lines, with China's 10-digit suffix); GTINs are fictional but valid,
# under GS1 prefixes of the origin countries (400-440 Germany, 940-949 New Zealand, 930-939 Australia,
# 880 Korea, 45/49 Japan, 300-379 France).
DEMO_PRODUCTS = [
    DemoProduct(
        "400123450012",
        "1901101000",
        "德国婴幼儿配方奶粉3段 800克",
        "Infant Formula Stage 3, 800 g",
        "Milupa 美乐宝",
        "Milupa GmbH",
        "DE",
        "infant_formula",
        540,
    ),
    DemoProduct(
        "940123450018",
        "0409000000",
        "新西兰麦卢卡蜂蜜 UMF10+ 250克",
        "Manuka Honey UMF10+, 250 g",
        "Kiwi Bee 奇异蜂",
        "Kiwi Bee Ltd",
        "NZ",
        "food",
        1095,
    ),
    DemoProduct(
        "930123450016",
        "2106909090",
        "澳大利亚深海鱼油软胶囊 400粒",
        "Fish Oil 1000 mg, 400 capsules",
        "OceanPure 海纯",
        "OceanPure Pty Ltd",
        "AU",
        "health_supplement",
        1095,
    ),
    DemoProduct(
        "880123450019",
        "3304990099",
        "韩国保湿精华液 50毫升",
        "Hydrating Essence, 50 ml",
        "Seoul Dew 首尔露",
        "Seoul Dew Co., Ltd.",
        "KR",
        "cosmetics",
        1095,
    ),
    DemoProduct(
        "490123450015",
        "9619001100",
        "日本婴儿纸尿裤 L码 54片",
        "Baby Diapers size L, 54 pcs",
        "Sakura Baby 樱花宝宝",
        "Sakura Hygiene K.K.",
        "JP",
        "maternal_baby",
        1095,
    ),
]


def merchant_usccs(session: Session) -> list[str]:
    return list(
        session.exec(select(Enterprise.uscc).where(Enterprise.kind == "merchant").order_by(Enterprise.id))
    )


def is_seeded(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(Enterprise)).one() > 0


def seed(session: Session, seed_value: int | None = 2018) -> dict[str, str]:
    """Create the demo enterprises and one key per role; returns {role: key}."""
    rng = random.Random(seed_value)
    created: dict[str, Enterprise] = {}
    merchants: list[Enterprise] = []
    for d in DEMO_ENTERPRISES:
        ent = enterprises.register(
            session,
            EnterpriseCreate(
                uscc=demo_uscc(rng, d.authority, d.org_kind),
                customs_code=d.customs_code,
                name_zh=d.name_zh,
                name_en=d.name_en,
                kind=d.kind,
                country="CN",
                address="浙江省宁波市北仑区保税区",
                contact_name="演示联系人",
                contact_phone="0574-8688 0000",
                contact_email="demo@example.com",
            ),
            SYSTEM,
        )
        created.setdefault(d.kind, ent)
        if d.kind == "merchant":
            merchants.append(ent)
    seed_trade(session, created["merchant"].id, rng)
    seed_credit(session, merchants)
    return {
        Role.admin: create_key(session, Role.admin, label="demo admin"),
        Role.regulator: create_key(session, Role.regulator, label="demo regulator"),
        Role.merchant: create_key(session, Role.merchant, created["merchant"].id, label="demo merchant"),
        Role.insurer: create_key(session, Role.insurer, created["insurer"].id, label="demo insurer"),
    }


def save_keys(path: Path, keys: dict[str, str]) -> None:
    private_dir(path.parent)
    with open_private(path, "w") as fh:
        json.dump({str(k): v for k, v in keys.items()}, fh, indent=2)


def load_keys(path: Path) -> dict[str, str]:
    return json.loads(path.read_text()) if path.exists() else {}


def save_urls(path: Path, urls: list[str]) -> None:
    private_dir(path.parent)
    with open_private(path, "w") as fh:
        json.dump(urls, fh, indent=2)


def load_urls(path: Path) -> list[str]:
    return json.loads(path.read_text()) if path.exists() else []


def seed_trade(session: Session, merchant_id: int, rng: random.Random) -> None:
    """Products, a released declaration with inspection results, and a rejected one; codes are issued
    after the commit by `issue_demo_codes` (issuance runs outside the declaring transaction)."""
    from datetime import date, timedelta

    from traceability.codes import gtin_with_check

    products = [
        seeding.product(
            session,
            merchant_id,
            gtin_with_check(p.gtin_body),
            hs_code=p.hs_code,
            name_zh=p.name_zh,
            name_en=p.name_en,
            brand=p.brand,
            manufacturer=p.manufacturer,
            origin_country=p.origin,
            category=p.category,
            shelf_life_days=p.shelf_life_days,
        )
        for p in DEMO_PRODUCTS
    ]
    today = date(2026, 11, 20)
    for n, (status, picks) in enumerate((("released", products), ("rejected", products[:1]))):
        # The random draws in this order (number, document, unit values, lab reports): the demo's data
        # stay what they were.
        declaration_no = f"310520261{rng.randrange(10**8, 10**9)}"
        transport_doc_no = f"MSKU{rng.randrange(10**6, 10**7)}"
        lines = [
            seeding.line_body(
                p.id,
                f"{p.origin_country}{today:%y%m}{chr(65 + i)}{n}",
                200,
                production_date=today - timedelta(days=60),
                expiry_date=today - timedelta(days=60) + timedelta(days=DEMO_PRODUCTS[i].shelf_life_days),
                unit_value={"amount_minor": rng.randrange(5_000, 40_000), "currency": "CNY"},
            )
            for i, p in enumerate(picks)
        ]
        decl = seeding.declare(
            session,
            merchant_id,
            declaration_no,
            lines,
            transport_doc_no=transport_doc_no,
            bonded_warehouse="宁波保税区跨境电商监管中心三号仓",
            declared_on=today - timedelta(days=10 - n),
        )
        results = [
            {
                "result": "pass" if status == "released" else "fail",
                "tests_performed": ["感官检验", "微生物", "标签标识"],
                "lab_report_ref": f"NBCIQ-2026-{rng.randrange(10**5, 10**6)}",
            }
            for _ in picks
        ]
        if status == "released":
            seeding.decide(session, decl.id, results, _resolver(), reason="检验合格，准予放行")
        else:
            seeding.decide(
                session, decl.id, results, _resolver(), release=False, reason="微生物指标不合格，不予放行"
            )


def seed_credit(session: Session, merchants: list[Enterprise]) -> None:
    """Credit records beyond what the trade produces: one merchant with customs' advanced certification
    (grade A, red list), one with an administrative penalty for inaccurate labelling."""
    from datetime import timedelta

    from core.clock import utcnow
    from credit import service as credit

    now = utcnow()
    credit.add_record(
        session,
        enterprise_id=merchants[1].id,
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
    credit.add_record(
        session,
        enterprise_id=merchants[3].id,
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


def _resolver() -> str:
    from core.settings import get_settings

    return get_settings().resolver_base_url


def issue_demo_codes(db, keyring, per_line: int = 20) -> list[str]:
    """Issue codes for the demo's released lines, ship most lots, recall one; returns sample scan URLs."""
    from sqlmodel import select

    from traceability import service as trace
    from traceability.models import Declaration, DeclarationLine, DeclarationStatus

    with db.read_session() as s:
        lines = list(
            s.exec(
                select(DeclarationLine)
                .join(Declaration, Declaration.id == DeclarationLine.declaration_id)
                .where(Declaration.status == DeclarationStatus.released)
                .order_by(DeclarationLine.id)
            )
        )
    urls = []
    base = _resolver()
    for i, line in enumerate(lines):
        batch = seeding.issue(db, line.declaration_id, line.line_no, per_line, keyring, base)
        first = next(trace.codes_of_batch(db, batch.id))
        urls.append(first.link.uri(base))
        with db.transaction() as s:
            if i < len(lines) - 1:
                seeding.ship(s, line.declaration_id, line.line_no, base)
            if i == 2:
                trace.recall_lot(
                    s, line.declaration_id, line.line_no, "抽检发现标签与实际成分不符，主动召回", SYSTEM, base
                )
    return urls
