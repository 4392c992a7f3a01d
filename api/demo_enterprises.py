"""The demo's enterprises: fictional, with well-formed USCCs (not anyone's), named after the Ningbo
bonded zone's cross-border e-commerce trade."""

from __future__ import annotations

import random
from dataclasses import dataclass

from core.identifiers import uscc_with_check

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
    DemoEnterprise("宁波甬信商业银行股份有限公司", "Ningbo Yongxin Commercial Bank Co., Ltd.", "bank", None),
]
