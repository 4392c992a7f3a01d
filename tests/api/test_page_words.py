"""No page shows an internal value: every page of every role, over the demo data, rendered and stripped
of its tags, names no value of the domains' enums as a word of its own ("rejection", "declared",
"infant_formula"), prints no Python dict, and asks the glossary for nothing it does not know."""

from __future__ import annotations

import html
import logging
import re
from enum import StrEnum
from urllib.parse import urlsplit

import pytest
from sqlmodel import select

from api import demo, demo_complaints, demo_insurance, demo_intake, seeding
from core.db import id_of
from tests.testclient import TestClient

ENUMS: list[type[StrEnum]] = []


def _enums() -> list[type[StrEnum]]:
    from complaints import models as complaints
    from credit import models as credit
    from disclosure import models as disclosure
    from enterprises import models as enterprises
    from insurance import models as insurance
    from insurance import schemas as insurance_schemas
    from traceability import models as trace

    return [
        complaints.Category,
        complaints.Wanted,
        complaints.Status,
        complaints.MerchantOutcome,
        complaints.CloseOutcome,
        credit.Severity,
        credit.RecordStatus,
        credit.ApplicationStatus,
        disclosure.Category,
        disclosure.Visibility,
        enterprises.EnterpriseKind,
        enterprises.EnterpriseStatus,
        insurance.PolicyStatus,
        insurance.ClaimStatus,
        insurance_schemas.RejectReason,
        trace.ProductCategory,
        trace.DeclarationStatus,
        trace.InspectionResult,
        trace.BatchStatus,
        trace.CodeStatus,
    ]


def internal_values() -> set[str]:
    # Grades are letters (A to D) a page shows as themselves, always beside their words.
    return {m.value for e in _enums() for m in e if len(m.value) > 1}


# A value next to a letter, digit, _ / . - or = is part of something else (a URL, a file name, a code).
def _pattern(values: set[str]) -> re.Pattern[str]:
    words = "|".join(sorted((re.escape(v) for v in values), key=len, reverse=True))
    return re.compile(rf"(?<![\w/.=-])({words})(?![\w/=-])")


def text_nodes(page: str) -> list[str]:
    """The page's text as a reader sees it, one string per text node (a tag ends a node)."""
    page = re.sub(r"(?is)<(script|style|svg)\b.*?</\1>", "\x00", page)
    page = re.sub(r"(?s)<!--.*?-->", "\x00", page)
    page = re.sub(r"(?s)<[^>]+>", "\x00", page)
    return [" ".join(html.unescape(n).split()) for n in page.split("\x00") if n.strip()]


# English prose may use the same words ("the merchant's answer", "Product quality"): a value with a Latin
# word beside it in the same text node is a word of a sentence; alone, or beside a label in another
# element, a number or Chinese, it is an internal value.
_PROSE_BEFORE = re.compile(r"[A-Za-z][A-Za-z'’]* $")
_PROSE_AFTER = re.compile(r"^(['’]s)? [A-Za-z]")


def raw_values_in(page: str, pattern: re.Pattern[str]) -> list[str]:
    found = []
    for node in text_nodes(page):
        for m in pattern.finditer(node):
            before, after = node[: m.start()], node[m.end() :]
            if _PROSE_BEFORE.search(before) or _PROSE_AFTER.match(after):
                continue
            found.append(f"{m.group(1)} in «{node[max(0, m.start() - 30) : m.end() + 20]}»")
        found += re.findall(r"\{'\w+': ", node)  # a Python dict printed
        found += [w for w in ("ROUND_HALF_UP", "None", "False", "True") if re.search(rf"\b{w}\b", node)]
    return found


def _sign_in(app, key: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    client.get("/signin")
    r = client.post("/signin", data={"key": key, "csrftoken": client.cookies["csrftoken"]})
    assert r.status_code == 303, r.text
    return client


@pytest.fixture
def demo_site(app, db, settings, dispatcher, seeded_keys):
    """The demo data `make run` loads: enterprises, trade, scans of every verdict, complaints in several
    states, a policy and a paid claim; plus a case of our own to track."""
    from complaints import service as complaints
    from complaints.schemas import IntakeIn

    keys = seeded_keys
    with TestClient(app):
        scans = demo.demo_scans(db, app.state.keyring, per_line=4)
        urls = [u for _, u in scans]
        demo_complaints.seed_complaints(db, settings, urls)
        demo_insurance.seed_insurance(db)
        kit = complaints.Kit.from_settings(settings)
        with db.transaction() as s:
            _, token, _ = complaints.intake(
                s,
                kit,
                IntakeIn(
                    code=urls[0],
                    category="quality",
                    narrative="奶粉结块，冲调后有异味，要求赔偿。",
                    wanted="compensation",
                    contact="13800000009",
                    consent_publish=False,
                ),
                [],
            )
        with db.transaction() as s:  # answered with a rejection: its outcome and reason in words
            from complaints.schemas import AnswerIn
            from core.security import Principal, Role

            case = complaints.by_token(s, token)
            merchant = Principal(
                key_id=None, role=Role.merchant, enterprise_id=case.enterprise_id, prefix="t"
            )
            complaints.answer(
                s,
                kit,
                case.enterprise_id,
                case.id,
                AnswerIn(outcome="rejection", rejection_reason="no_evidence", text="未提供购买凭证"),
                merchant,
            )
        with db.transaction() as s:  # one declaration waiting, for a draw to draw from
            from enterprises.models import Enterprise
            from traceability.codes import gtin_with_check

            ent = s.exec(select(Enterprise).where(Enterprise.kind == "merchant")).first()
            product = seeding.product(s, ent.id, gtin_with_check("690123456789"))
            seeding.declare(s, ent.id, "310520269999000001", [seeding.line_body(product.id, "LOT9", 50)])
        demo_intake.seed_intake(db, settings.ensure_var_dir() / "intake")  # other agencies' data
        dispatcher.drain()
        yield {"keys": keys, "scans": urls, "token": token}


def issued_serials(db, scans: list[str]) -> list[str]:
    """The serials of the scanned codes this platform issued (a counterfeit's is not in its log)."""
    from traceability import batches

    found = [m.group(1) for url in scans if (m := re.search(r"/21/([0-9A-Za-z_-]+)", urlsplit(url).path))]
    with db.read_session() as s:
        return [x for x in dict.fromkeys(found) if batches.batch_of_serial(s, x) is not None]


def role_paths(db, role: str, enterprise_id: int | None) -> list[str]:
    from complaints.models import Complaint
    from credit.models import CreditRecord
    from enterprises.models import Enterprise
    from insurance.models import InsurancePolicy as Policy
    from traceability.models import CodeBatch, Declaration

    with db.read_session() as s:
        if role == "merchant":
            decls = s.exec(select(Declaration.id).where(Declaration.enterprise_id == enterprise_id)).all()
            batches = s.exec(select(CodeBatch.id).where(CodeBatch.enterprise_id == enterprise_id)).all()
            cases = s.exec(select(Complaint.id).where(Complaint.enterprise_id == enterprise_id)).all()
            policies = s.exec(select(Policy.id).where(Policy.enterprise_id == enterprise_id)).all()
            return [
                "/merchant",
                "/merchant/declarations/new",
                "/merchant/products",
                "/merchant/insurance",
                "/merchant/credit",
                "/merchant/credit/trust",
                "/merchant/credit/sharing",
                *(f"/merchant/declarations/{i}" for i in decls),
                *(f"/merchant/batches/{i}" for i in batches),
                *(f"/merchant/complaints/{i}" for i in cases),
                *(f"/merchant/insurance/policies/{i}" for i in policies),
            ]
        ents = s.exec(select(Enterprise.id)).all()
        decls = s.exec(select(Declaration.id)).all()
        assert s.exec(select(CreditRecord.id)).first() is not None
        return [
            "/console",
            "/console/complaints",
            "/console/declarations",
            "/console/draws",
            "/console/credit",
            "/console/credit/trust",
            "/console/scans",
            "/console/tipoffs",
            "/console/warnings",
            *(f"/console/enterprises/{i}" for i in ents),
            *(f"/console/declarations/{i}" for i in decls),
            *intake_pages(s),
        ]


def intake_pages(s) -> list[str]:  # noqa: ANN001 - a session
    """The console's intake pages: sources, deliveries, and the trail of both records of each conflict."""
    from intake.models import IntakeConflict, IntakeDelivery, IntakeSource

    conflicts = s.exec(select(IntakeConflict)).all()
    assert conflicts, "the demo has an intake conflict (api.demo_intake)"
    return [
        "/console/intake",
        *(f"/console/intake/sources/{i}" for i in s.exec(select(IntakeSource.id)).all()),
        *(f"/console/intake/deliveries/{i}" for i in s.exec(select(IntakeDelivery.id)).all()),
        *(f"/console/intake/records/{i}" for c in conflicts for i in (c.record_id, c.other_id)),
    ]


@pytest.mark.demo_seeded
def test_no_page_of_any_role_shows_an_internal_value(app, db, demo_site, caplog):
    from enterprises.models import Enterprise

    pattern = _pattern(internal_values())
    caplog.set_level(logging.WARNING, logger="crosstrust.glossary")
    shown: dict[str, list[str]] = {}

    def look(client: TestClient, path: str) -> None:
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code, r.text[:500])
        found = raw_values_in(r.text, pattern)
        if found:
            shown[path] = sorted(set(found))

    with TestClient(app) as public:
        with db.read_session() as s:
            usccs = s.exec(select(Enterprise.uscc).where(Enterprise.kind == "merchant")).all()
        for path in [
            "/",
            "/complaints/new",
            "/tipoffs/new",
            "/tipoffs/follow",
            "/complaints/track",
            "/verify/",
            *(f"/credit/{u}" for u in usccs),
            *(f"/verifiable/grade/{u}" for u in usccs),  # likely before a checkpoint: "being added"
        ]:
            look(public, path)
        from translog import scheduled, service

        scheduled.checkpoint(app.state.settings, db)  # the proof pages, verified, in words
        with db.read_session() as s:
            assert service.latest_checkpoint(s) is not None
        for u in usccs:
            look(public, f"/verifiable/grade/{u}")
        serials = issued_serials(db, demo_site["scans"])
        assert serials, "the demo scanned codes the platform issued"
        for serial in serials:
            look(public, f"/verifiable/code/{serial}")
        token = demo_site["token"]
        for lang in ("", "&lang=en"):
            look(public, f"/complaints/track?token={token}{lang}")
        for url in demo_site["scans"]:
            parts = urlsplit(url)
            look(public, parts.path + (f"?{parts.query}" if parts.query else ""))

        # the draws and the console's lists, with a draw made
        regulator = _sign_in(app, demo_site["keys"]["regulator"])
        r = regulator.post(
            "/console/draws",
            data={"inspectors": "张三", "seed": "", "csrftoken": regulator.cookies["csrftoken"]},
        )
        assert r.status_code == 303, r.text
        for path in [*role_paths(db, "regulator", None), r.headers["location"]]:
            look(regulator, path)
        with db.read_session() as s:
            merchants = s.exec(select(Enterprise).where(Enterprise.kind == "merchant")).all()
        from core.security import Role, create_key

        for ent in merchants:
            with db.transaction() as s:
                key = create_key(s, Role.merchant, ent.id)
            merchant = _sign_in(app, key)
            for path in role_paths(db, "merchant", ent.id):
                look(merchant, path)
        # the demo bank's shared reports: the demo's first merchant authorised it (api.demo_sharing)
        bank = _sign_in(app, demo_site["keys"]["bank"])
        for path in ("/bank/credit", f"/bank/credit/{min(id_of(e) for e in merchants)}"):
            look(bank, path)
    assert shown == {}, "\n".join(f"{p}: {w}" for p, w in shown.items())
    unknown = [r.getMessage() for r in caplog.records if r.name == "crosstrust.glossary"]
    assert unknown == []


def test_form_errors_and_messages_are_chinese_first_with_the_english_beside_them(app, keys):
    with TestClient(app):
        merchant = _sign_in(app, keys.merchant)
        token = merchant.cookies["csrftoken"]
        r = merchant.post(
            "/merchant/declarations",
            data={"declaration_no": "31052026100077777", "csrftoken": token},  # 17 digits
        )
        assert r.status_code == 422
        assert "报关单号应为 18 位数字 · a customs declaration number (报关单号) has 18 digits" in r.text
        assert "报关单号 Declaration no.：" in r.text  # the field as its label names it, not declaration_no
        r = merchant.post("/merchant/products", data={"gtin": "123", "csrftoken": token})
        assert "商品条码（GTIN）应为 8、12、13 或 14 位，不是 3 位 · " in r.text
        assert "必填 · Field required" in r.text or "至少" in r.text
        r = merchant.post("/merchant/shipments", data={"csrftoken": token})
        assert r.status_code == 422 and "请只选一种出区方式" in r.text
