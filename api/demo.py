"""Realistic demo data for `make run`: the seeding flow (enterprises, one API key per role, their trade and
credit; then codes issued and scanned), and the files `make run` keeps the keys and sample scans in. The
data and each domain's seeding are modules of their own: `demo_enterprises`, `demo_trade`,
`demo_credit`, `demo_complaints`, `demo_insurance`.

The enterprises are fictional (their codes are well-formed but not anyone's); names follow the
Ningbo bonded zone's cross-border e-commerce trade.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from sqlmodel import Session, col, func, select

from api import seeding
from api.demo_credit import OTHER_GRADES, seed_credit
from api.demo_enterprises import DEMO_ENTERPRISES, demo_uscc
from api.demo_sharing import seed_sharing
from api.demo_trade import resolver_base, seed_other_trade, seed_trade
from core.db import id_of
from core.files import open_private, private_dir
from core.security import SYSTEM, Principal, Role, create_key
from enterprises import service as enterprises
from enterprises.models import Enterprise
from enterprises.schemas import EnterpriseCreate


def merchant_usccs(session: Session) -> list[str]:
    return list(
        session.exec(
            select(Enterprise.uscc).where(col(Enterprise.kind) == "merchant").order_by(col(Enterprise.id))
        )
    )


def is_seeded(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(Enterprise)).one() > 0


OTHER_REGULATOR = "regulator_other"  # the demo keys' name for the second agency's regulator
OTHER_AGENCY = "310115"


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
    seed_sharing(session, created["merchant"], created["bank"])
    return {
        Role.admin: create_key(session, Role.admin, label="demo admin"),
        Role.regulator: create_key(session, Role.regulator, label="demo regulator"),
        # A regulator of a second agency (Pudong, 310115): the bonded zone's cases are read-only for it.
        OTHER_REGULATOR: create_key(
            session, Role.regulator, label="demo regulator of another agency", agency=OTHER_AGENCY
        ),
        Role.merchant: create_key(session, Role.merchant, created["merchant"].id, label="demo merchant"),
        Role.insurer: create_key(session, Role.insurer, created["insurer"].id, label="demo insurer"),
        Role.bank: create_key(session, Role.bank, created["bank"].id, label="demo bank"),
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
    base = resolver_base()
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
