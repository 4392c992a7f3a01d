"""Realistic demo data for `make run`: enterprises with valid USCCs, and one API key per role.

The enterprises are fictional (their codes are well-formed but not anyone's); names follow the
Ningbo bonded zone's cross-border e-commerce trade.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, func, select

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


def is_seeded(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(Enterprise)).one() > 0


def seed(session: Session, seed_value: int = 2018) -> dict[str, str]:
    """Create the demo enterprises and one key per role; returns {role: key}."""
    rng = random.Random(seed_value)
    created: dict[str, Enterprise] = {}
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
    return {
        Role.admin: create_key(session, Role.admin, label="demo admin"),
        Role.regulator: create_key(session, Role.regulator, label="demo regulator"),
        Role.merchant: create_key(session, Role.merchant, created["merchant"].id, label="demo merchant"),
        Role.insurer: create_key(session, Role.insurer, created["insurer"].id, label="demo insurer"),
    }


def save_keys(path: Path, keys: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({str(k): v for k, v in keys.items()}, fh, indent=2)


def load_keys(path: Path) -> dict[str, str]:
    return json.loads(path.read_text()) if path.exists() else {}
