"""Realistic demo data for `make run`: enterprises with valid USCCs, and one API key per role.

The enterprises are fictional (their codes are well-formed but not anyone's); names follow the
Ningbo bonded zone's cross-border e-commerce trade.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, func, select

from api import seeding
from core.db import id_of
from core.files import open_private, private_dir
from core.identifiers import uscc_with_check
from core.security import SYSTEM, Principal, Role, create_key
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


# The other importers' goods (one product and one released, shipped lot each), so that the demo's scans
# show importers of every grade: A (Yong-Ao), B (Beilun Beauty), C (Youxuan, from its trade record) and
# one on the black list (Haitai, a serious-dishonesty record).
OTHER_TRADE = {
    1: DemoProduct(
        "930123450023",
        "1901101000",
        "澳大利亚婴儿营养米粉 225克",
        "Baby Rice Cereal, 225 g",
        "Koala Kids 考拉宝宝",
        "Koala Kids Nutrition Pty Ltd",
        "AU",
        "food",
        540,
    ),
    2: DemoProduct(
        "450123450012",
        "2106909090",
        "日本深海鱼胶原蛋白粉 100克",
        "Marine Collagen Powder, 100 g",
        "Umi Beauty 海之美",
        "Umi Beauty K.K.",
        "JP",
        "health_supplement",
        730,
    ),
    3: DemoProduct(
        "340123450011",
        "3304990099",
        "法国玻尿酸保湿面霜 50毫升",
        "Hyaluronic Moisturising Cream, 50 ml",
        "Belle Rive 美丽河",
        "Belle Rive Cosmétiques SAS",
        "FR",
        "cosmetics",
        1095,
    ),
}


OTHER_GRADES: dict[int | None, str] = {
    1: "grade A importer",
    2: "black-listed importer (grade D)",
    3: "grade B importer",
}


def merchant_usccs(session: Session) -> list[str]:
    return list(
        session.exec(
            select(Enterprise.uscc).where(col(Enterprise.kind) == "merchant").order_by(col(Enterprise.id))
        )
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
    seed_trade(session, id_of(created["merchant"]), rng)
    seed_other_trade(session, merchants)
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
                id_of(p),
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
            seeding.decide(session, id_of(decl), results, _resolver(), reason="检验合格，准予放行")
        else:
            seeding.decide(
                session, id_of(decl), results, _resolver(), release=False, reason="微生物指标不合格，不予放行"
            )


def seed_other_trade(session: Session, merchants: list[Enterprise]) -> None:
    """One product and one released lot for each of the other importers (fixed numbers: the first
    merchant's random draws stay what they were)."""
    from datetime import date, timedelta

    from traceability.codes import gtin_with_check

    today = date(2026, 11, 20)
    for index, p in OTHER_TRADE.items():
        seeding.released_declaration(
            session,
            id_of(merchants[index]),
            _resolver(),
            gtin=gtin_with_check(p.gtin_body),
            declaration_no=f"31052026190000{index:04d}",
            lots=[(f"{p.origin}{today:%y%m}M{index}", 100)],
            product_over={
                "hs_code": p.hs_code,
                "name_zh": p.name_zh,
                "name_en": p.name_en,
                "brand": p.brand,
                "manufacturer": p.manufacturer,
                "origin_country": p.origin,
                "category": p.category,
                "shelf_life_days": p.shelf_life_days,
            },
            line_over={
                "production_date": (today - timedelta(days=45)).isoformat(),
                "expiry_date": (today - timedelta(days=45) + timedelta(days=p.shelf_life_days)).isoformat(),
                "unit_value": {"amount_minor": 12_800 + 1_000 * index, "currency": "CNY"},
            },
            inspection={
                "tests_performed": ["感官检验", "标签标识"],
                "lab_report_ref": f"NBCIQ-2026-9{index:05d}",
            },
            reason="检验合格，准予放行",
            transport_doc_no=f"MSKU90000{index:02d}",
            bonded_warehouse="宁波保税区跨境电商监管中心三号仓",
            declared_on=(today - timedelta(days=8)).isoformat(),
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


def save_insurance(path: Path, info: dict[str, str]) -> None:
    path.write_text(json.dumps(info, ensure_ascii=False, indent=2))


def load_insurance(path: Path) -> dict[str, str]:
    return json.loads(path.read_text()) if path.exists() else {}


def _resolver() -> str:
    from core.settings import get_settings

    return get_settings().resolver_base_url


def issue_demo_codes(db, keyring, per_line: int = 20) -> list[str]:
    """Issue codes for the demo's released lines and return sample scan URLs (see `demo_scans`)."""
    return [url for _, url in demo_scans(db, keyring, per_line)]


def demo_scans(db, keyring, per_line: int = 20) -> list[tuple[str, str]]:  # noqa: ANN001
    """Issue codes for the demo's released lines, ship most lots, recall one, and return (what it shows,
    URL) for one scan of each verdict, from importers of each grade. The first merchant's five come
    first (the demo complaints are filed on the first four)."""
    if per_line < 4:  # the grade A importer's lot shows four more verdicts with codes of its own
        raise ValueError("the demo's scans need at least 4 codes a line")
    from sqlmodel import select

    from traceability import service as trace
    from traceability.models import Declaration, DeclarationLine, DeclarationStatus

    with db.read_session() as s:
        lines = list(
            s.exec(
                select(DeclarationLine, Declaration.enterprise_id)
                .join(Declaration, col(Declaration.id) == DeclarationLine.declaration_id)
                .where(Declaration.status == DeclarationStatus.released)
                .order_by(col(DeclarationLine.id))
            )
        )
    scans: list[tuple[str, str]] = []
    base = _resolver()
    first_merchant = lines[0][1]
    own = [line for line, ent in lines if ent == first_merchant]
    for i, line in enumerate(own):
        batch = seeding.issue(db, line.declaration_id, line.line_no, per_line, keyring, base)
        first = next(trace.codes_of_batch(db, id_of(batch)))
        with db.transaction() as s:
            if i < len(own) - 1:  # the last lot is still in the bonded warehouse: not yet shipped
                seeding.ship(s, line.declaration_id, line.line_no, base)
            if i == 2:
                # A voluntary recall (主动召回) is the merchant's own act: recorded as the merchant's, it
                # counts with the severity the methodology gives one (minor), not a regulator's (general).
                owner = trace.get_declaration(s, line.declaration_id).enterprise_id
                merchant = Principal(key_id=None, role=Role.merchant, enterprise_id=owner, prefix="demo")
                trace.recall_lot(
                    s,
                    line.declaration_id,
                    line.line_no,
                    "抽检发现标签与实际成分不符，主动召回",
                    merchant,
                    base,
                )
        verdict = "recalled" if i == 2 else ("not yet shipped" if i == len(own) - 1 else "genuine")
        scans.append((f"{verdict}, grade C importer", first.link.uri(base)))
    with db.read_session() as s:
        merchants = {uscc: i for i, uscc in enumerate(merchant_usccs(s))}
        position = {id_of(ent): merchants.get(ent.uscc) for ent in s.exec(select(Enterprise))}
    for line, enterprise_id in ((line, ent) for line, ent in lines if ent != first_merchant):
        batch = seeding.issue(db, line.declaration_id, line.line_no, per_line, keyring, base)
        codes = list(trace.codes_of_batch(db, id_of(batch)))
        with db.transaction() as s:
            seeding.ship(s, line.declaration_id, line.line_no, base)
        scans.append(
            (f"genuine, {OTHER_GRADES.get(position[enterprise_id], 'importer')}", codes[0].link.uri(base))
        )
        if position[enterprise_id] == 1:  # the grade A importer's lot shows the rest of the range
            scans += _other_verdicts(db, codes, base, enterprise_id)
    return scans


def _other_verdicts(db, codes, base: str, enterprise_id: int) -> list[tuple[str, str]]:  # noqa: ANN001
    """Suspicious (a destroyed item's code in use), revoked, counterfeit (a forged serial on this real
    lot) and unverified (the lot's code, no serial)."""
    from core.clock import utcnow
    from traceability import epcis
    from traceability import service as trace
    from traceability.codes import ALPHABET, DigitalLink

    destroyed, revoked = codes[1], codes[2]
    with db.transaction() as s:
        epcis.record_internal(
            s,
            {
                "@context": [epcis.CONTEXT],
                "type": "ObjectEvent",
                "eventTime": utcnow().isoformat().replace("+00:00", "Z"),
                "eventTimeZoneOffset": "+08:00",
                "action": "DELETE",
                "epcList": [epcis.CANONICAL + destroyed.link.path()],
                "bizStep": "decommissioning",
                "disposition": "inactive",
                "readPoint": {"id": epcis.location("宁波保税区跨境电商监管中心三号仓")},
            },
            enterprise_id,
        )
        trace.revoke_code(s, revoked.serial, "标签印刷错误，已重新赋码", SYSTEM, enterprise_id)
    serial = codes[3].serial
    forged = serial[:-1] + next(c for c in ALPHABET if c != serial[-1])
    link = codes[3].link
    return [
        ("suspicious: the code of a destroyed item", destroyed.link.uri(base)),
        ("code revoked", revoked.link.uri(base)),
        (
            "counterfeit: a forged serial on a real lot",
            DigitalLink(link.gtin, link.lot, forged, link.expiry).uri(base),
        ),
        (
            "unverified: the lot's code, no item serial",
            DigitalLink(link.gtin, link.lot, None, link.expiry).uri(base),
        ),
    ]


def save_scan_notes(path: Path, scans: list[tuple[str, str]]) -> None:
    private_dir(path.parent)
    with open_private(path, "w") as fh:
        json.dump([list(pair) for pair in scans], fh, indent=2, ensure_ascii=False)


def load_scan_notes(path: Path) -> dict[str, str]:
    return {url: note for note, url in json.loads(path.read_text())} if path.exists() else {}


DEMO_COMPLAINTS = [
    # (narrative, category, contact, consent, what happens next)
    ("奶粉罐底有结块，冲调后有异味，要求退款。", "quality", "13800000001", False, "open"),
    (
        "扫码显示该码已被查询多次，怀疑买到假货，商家一直不回复。",
        "counterfeit",
        "13800000002",
        False,
        "overdue",
    ),
    ("包裹外箱破损，一罐奶粉凹陷，要求换货。", "logistics", "demo.buyer@example.com", False, "resolved"),
    (
        "收到的商品与页面描述的产地不一致，我叫张伟，电话13900000003，希望商家解释。",
        "not_as_described",
        "13900000003",
        True,
        "published",
    ),
]


def seed_complaints(db, settings, urls: list[str]) -> dict[str, str]:  # noqa: ANN001 - Database, Settings
    """Complaints in several states (open, overdue and in mediation, resolved, published), filed and
    moved through the same service functions as real ones. Returns {state: ticket number}."""
    from datetime import timedelta

    from complaints import service as complaints
    from complaints.schemas import AnswerIn, IntakeIn
    from core.clock import clock, utcnow
    from core.security import Principal

    kit = complaints.Kit.from_settings(settings)
    tickets: dict[str, str] = {}
    for (narrative, category, contact, consent, state), uri in zip(DEMO_COMPLAINTS, urls, strict=False):
        if state == "overdue":
            clock.freeze(utcnow() - timedelta(days=20))  # filed long enough ago for the answer to be late
        try:
            with db.transaction() as s:
                c, token, _ = complaints.intake(
                    s,
                    kit,
                    IntakeIn(
                        code=uri,
                        category=category,
                        narrative=narrative,
                        wanted="refund",
                        contact=contact,
                        consent_publish=consent,
                    ),
                    [],
                )
        finally:
            clock.reset()
        tickets[state] = c.ticket_no
        merchant = Principal(key_id=None, role=Role.merchant, enterprise_id=c.enterprise_id, prefix="demo")
        if state in ("resolved", "published"):
            with db.transaction() as s:
                complaints.answer(
                    s,
                    kit,
                    c.enterprise_id,
                    id_of(c),
                    AnswerIn(
                        outcome="explanation",
                        public_response="acted_in_good_faith",
                        text="已联系消费者说明情况",
                    ),
                    merchant,
                )
        if state == "resolved":
            with db.transaction() as s:
                complaints.accept(s, token)
    complaints.sweep(db, kit)
    return tickets


def seed_insurance(db) -> dict[str, str]:
    """Quality insurance for the demo: the insurer's product, a bound policy for the trading merchant
    (every scan of its codes shows the cover), the other merchants uninsured, and one paid claim on a
    unit of the first lot. Returns the names and the claimed unit's scan URL."""
    from core.money import Money
    from credit import service as credit
    from insurance import claims
    from insurance import service as insurance
    from insurance.schemas import ProductCreate, QuoteRequest
    from traceability.models import DeclarationLine, TraceCode

    with db.transaction() as s:
        insurer = s.exec(
            select(Enterprise).where(col(Enterprise.kind) == "insurer").order_by(col(Enterprise.id))
        ).first()
        merchants = list(
            s.exec(select(Enterprise).where(col(Enterprise.kind) == "merchant").order_by(col(Enterprise.id)))
        )
        insured, uninsured = merchants[0], merchants[1]
        credit.recompute(s, insured.id, "demo")  # rated now; the grade prices the premium
        product = insurance.create_product(
            s,
            insurer.id,
            ProductCreate(
                code="QI-CBEC",
                name_zh="跨境进口商品品质保证保险",
                name_en="Cross-border imported goods quality insurance",
                cover_per_unit_minor=5_000_00,
                aggregate_limit_minor=500_000_00,
                deductible_minor=100_00,
                min_premium_minor=500_00,
                base_rate_per_mille="3.5",
                waiting_days=0,
                claim_window_days=90,
                categories=[
                    "infant_formula",
                    "food",
                    "health_supplement",
                    "cosmetics",
                    "maternal_baby",
                    "other",
                ],
            ),
            SYSTEM,
        )
        quote = insurance.quote(s, insured.id, QuoteRequest(product_id=product.id), SYSTEM)
        insurance.bind(s, id_of(quote), SYSTEM)
    with db.transaction() as s:
        serial, line = s.exec(
            select(TraceCode.serial, DeclarationLine)
            .join(DeclarationLine, col(DeclarationLine.id) == TraceCode.line_id)
            .order_by(col(TraceCode.id))
            .offset(1)
        ).first()
        claims.adjudicate(s, serial, source="consumer", enterprise_id=insured.id, asked=Money(800_00))
        expiry = f"?17={line.expiry_date:%y%m%d}" if line.expiry_date else ""
    return {
        "insured": insured.name_zh,
        "uninsured": uninsured.name_zh,
        "claimed_scan": f"{_resolver().rstrip('/')}/01/{line.gtin}/10/{line.lot}/21/{serial}{expiry}",
    }
