"""The demo's trade: the first merchant's products, declarations and lines, and the other merchants'."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlmodel import Session

from api import seeding
from core.db import id_of
from enterprises.models import Enterprise


def resolver_base() -> str:
    from core.settings import get_settings

    return get_settings().resolver_base_url


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
            seeding.decide(session, id_of(decl), results, resolver_base(), reason="检验合格，准予放行")
        else:
            seeding.decide(
                session,
                id_of(decl),
                results,
                resolver_base(),
                release=False,
                reason="微生物指标不合格，不予放行",
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
            resolver_base(),
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
