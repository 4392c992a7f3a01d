"""Authorised sharing (授权即达) through the API on both databases: without an authorisation the insurer
gets 403; the merchant authorises it, the insurer reads a report whose Ed25519 signature verifies against
the published audit key; every read is in the merchant's audit view and the audit ledger; a revocation is
a 403 at the very next read; another merchant, another insurer and bad input are refused naming the
field."""

from __future__ import annotations

import base64
from datetime import timedelta

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlmodel import select

from core.audit import AuditEntry
from core.clock import utcnow
from core.security import Role, create_key
from core.workdays import CHINA_TZ
from tests.conftest import Keys, bank_key, register


def _h(key: str) -> dict[str, str]:
    return Keys.header(key)


def _today():
    return utcnow().astimezone(CHINA_TZ).date()


def test_an_insurer_reads_a_signed_report_only_while_authorised_and_every_read_is_audited(client, db, keys):
    m, ins = keys.merchant_id, keys.insurer_id
    shared = f"/api/v1/credit/shared/{m}"
    auths = f"/api/v1/enterprises/{m}/credit/authorisations"

    r = client.get(shared, headers=_h(keys.insurer))
    assert r.status_code == 403 and r.json()["errors"][0]["field"] == "merchant_id", r.text
    assert client.get(shared, headers=_h(keys.merchant)).status_code == 403  # a merchant is no institution
    assert client.get(shared, headers=_h(keys.admin)).status_code == 403  # nor is the platform's admin

    ends = _today() + timedelta(days=30)
    r = client.post(
        auths,
        json={"institution_id": ins, "ends_on": ends.isoformat(), "scope": "report", "purpose": "信用贷款"},
        headers=_h(keys.merchant),
    )
    assert r.status_code == 201, r.text
    grant = r.json()
    assert (grant["status"], grant["reads"], grant["institution_name_zh"]) == ("live", 0, "测试保险公司")
    again = client.post(
        auths, json={"institution_id": ins, "ends_on": ends.isoformat()}, headers=_h(keys.merchant)
    )
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "institution_id"

    granted = client.get("/api/v1/credit/shared", headers=_h(keys.insurer)).json()
    assert [g["id"] for g in granted] == [grant["id"]]

    published = client.get("/api/v1/public/audit/checkpoints").json()
    for _ in range(2):
        r = client.get(shared, headers=_h(keys.insurer))
        assert r.status_code == 200, r.text
        body = r.json()
        doc, sig = body["document"], body["signature"]
        assert doc["report"]["enterprise"]["id"] == m and doc["issued"]["authorisation_id"] == grant["id"]
        assert sig["public_key"] == published["public_key"] and sig["key_id"] == published["key_id"]
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(sig["public_key"]))
        key.verify(base64.b64decode(sig["value"]), rfc8785.dumps(doc))  # raises if it does not verify
        tampered = {**doc, "report": {**doc["report"], "grade": "A"}}
        try:
            key.verify(base64.b64decode(sig["value"]), rfc8785.dumps(tampered))
            raise AssertionError("a changed report must not verify")
        except Exception as exc:  # noqa: BLE001 - cryptography's InvalidSignature
            assert type(exc).__name__ == "InvalidSignature"

    seen = client.get(f"/api/v1/enterprises/{m}/credit/shared-reads", headers=_h(keys.merchant)).json()
    assert len(seen) == 2 and {x["institution_id"] for x in seen} == {ins}
    with db.read_session() as s:
        ledger = {
            e.seq: e for e in s.exec(select(AuditEntry).where(AuditEntry.action == "credit.report_shared"))
        }
    assert {x["audit_seq"] for x in seen} == set(ledger)
    assert client.get(auths, headers=_h(keys.merchant)).json()[0]["reads"] == 2
    # The regulator reads the audit view; another merchant does not.
    assert (
        client.get(f"/api/v1/enterprises/{m}/credit/shared-reads", headers=_h(keys.regulator)).status_code
        == 200
    )
    assert (
        client.get(
            f"/api/v1/enterprises/{m}/credit/shared-reads", headers=_h(keys.other_merchant)
        ).status_code
        == 403
    )

    # Another insurer, never authorised: 403, and its read is not recorded.
    other = register(db, "insurer", name_zh="另一家保险公司")
    with db.transaction() as s:
        other_key = create_key(s, Role.insurer, other.id)
    assert client.get(shared, headers=_h(other_key)).status_code == 403

    # Another merchant cannot revoke it; the merchant can, and the next read is refused at once.
    foreign = f"/api/v1/enterprises/{keys.other_merchant_id}/credit/authorisations/{grant['id']}/revoke"
    assert (
        client.post(foreign, headers=_h(keys.other_merchant)).json()["errors"][0]["field"]
        == "authorisation_id"
    )
    r = client.post(f"{auths}/{grant['id']}/revoke", headers=_h(keys.merchant))
    assert r.status_code == 200 and r.json()["status"] == "revoked", r.text
    assert client.get(shared, headers=_h(keys.insurer)).status_code == 403
    assert client.post(f"{auths}/{grant['id']}/revoke", headers=_h(keys.merchant)).status_code == 409
    assert (
        len(client.get(f"/api/v1/enterprises/{m}/credit/shared-reads", headers=_h(keys.merchant)).json()) == 2
    )


def test_bad_authorisations_are_refused_naming_the_field(client, keys):
    auths = f"/api/v1/enterprises/{keys.merchant_id}/credit/authorisations"
    ends = (_today() + timedelta(days=10)).isoformat()
    cases = [
        (
            {"institution_id": keys.other_merchant_id, "ends_on": ends},
            422,
            "institution_id",
        ),  # not an insurer
        ({"institution_id": 2**31 - 1, "ends_on": ends}, 404, "institution_id"),
        ({"institution_id": 2**31, "ends_on": ends}, 422, "institution_id"),
        (
            {"institution_id": keys.insurer_id, "ends_on": (_today() + timedelta(days=400)).isoformat()},
            422,
            "ends_on",
        ),
        (
            {"institution_id": keys.insurer_id, "ends_on": (_today() - timedelta(days=1)).isoformat()},
            422,
            "ends_on",
        ),
        ({"institution_id": keys.insurer_id, "ends_on": ends, "scope": "everything"}, 422, "scope"),
        ({"institution_id": keys.insurer_id, "ends_on": ends, "purpose": "x" * 201}, 422, "purpose"),
    ]
    for body, status, field in cases:
        r = client.post(auths, json=body, headers=_h(keys.merchant))
        assert r.status_code == status, (body, r.text)
        assert field in [e["field"].split(".")[-1] for e in r.json()["errors"]], (body, r.text)
    # Only the merchant itself authorises: not the regulator, not the insurer, not another merchant.
    body = {"institution_id": keys.insurer_id, "ends_on": ends}
    assert client.post(auths, json=body, headers=_h(keys.regulator)).status_code == 403
    assert client.post(auths, json=body, headers=_h(keys.insurer)).status_code == 403
    assert client.post(auths, json=body, headers=_h(keys.other_merchant)).status_code == 403
    r = client.get(f"/api/v1/credit/shared/{2**31}", headers=_h(keys.insurer))
    assert r.status_code == 422 and r.json()["errors"][0]["field"].endswith("merchant_id")


def test_a_bank_reads_a_signed_report_only_while_authorised_and_nothing_else(client, db, keys):
    """The 信易贷 model: a bank (an enterprise of kind bank, with a bank key) is authorised as an insurer
    is, reads the same signed report, every read in the merchant's audit view; the insurer cannot use the
    bank's authorisation, and a bank key reaches nothing of the platform beyond its own enterprise."""
    bank_id, bank = bank_key(db)
    m = keys.merchant_id
    shared = f"/api/v1/credit/shared/{m}"
    auths = f"/api/v1/enterprises/{m}/credit/authorisations"
    assert client.get(shared, headers=_h(bank)).status_code == 403  # no authorisation yet
    ends = (_today() + timedelta(days=180)).isoformat()
    r = client.post(
        auths,
        json={"institution_id": bank_id, "ends_on": ends, "purpose": "信用贷款"},
        headers=_h(keys.merchant),
    )
    assert r.status_code == 201 and r.json()["institution_name_zh"] == "测试商业银行", r.text
    grant = r.json()
    assert [g["id"] for g in client.get("/api/v1/credit/shared", headers=_h(bank)).json()] == [grant["id"]]
    assert client.get("/api/v1/credit/shared", headers=_h(keys.insurer)).json() == []
    assert client.get(shared, headers=_h(keys.insurer)).status_code == 403  # the bank's, not the insurer's

    body = client.get(shared, headers=_h(bank)).json()
    doc, sig = body["document"], body["signature"]
    assert doc["issued"]["institution_id"] == bank_id and doc["report"]["enterprise"]["id"] == m
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(sig["public_key"]))
    key.verify(base64.b64decode(sig["value"]), rfc8785.dumps(doc))
    seen = client.get(f"/api/v1/enterprises/{m}/credit/shared-reads", headers=_h(keys.merchant)).json()
    assert [(x["institution_id"], x["institution_name_zh"]) for x in seen] == [(bank_id, "测试商业银行")]

    # A bank key is bound to its bank: the merchant's records, other routes and other enterprises are shut.
    for path in (
        f"/api/v1/enterprises/{m}/credit",
        f"/api/v1/enterprises/{m}/credit/shared-reads",
        "/api/v1/enterprises",
        "/api/v1/insurance/products",
        "/api/v1/epcis/events",
        "/api/v1/credit/warnings",
    ):
        assert client.get(path, headers=_h(bank)).status_code == 403, path
    assert (
        client.post(auths, json={"institution_id": bank_id, "ends_on": ends}, headers=_h(bank)).status_code
        == 403
    )
    assert client.get(f"/api/v1/enterprises/{bank_id}", headers=_h(bank)).json()["kind"] == "bank"
    assert client.get("/api/v1/me", headers=_h(bank)).json()["role"] == "bank"

    r = client.post(f"{auths}/{grant['id']}/revoke", headers=_h(keys.merchant))
    assert r.status_code == 200 and r.json()["status"] == "revoked", r.text
    refused = client.get(shared, headers=_h(bank))
    assert refused.status_code == 403 and refused.json()["errors"][0]["field"] == "merchant_id"
    seen = client.get(f"/api/v1/enterprises/{m}/credit/shared-reads", headers=_h(keys.merchant)).json()
    assert len(seen) == 1  # the refused read is no read
    with db.read_session() as s:
        shared_entries = s.exec(select(AuditEntry).where(AuditEntry.action == "credit.report_shared")).all()
    assert [e.actor.split(":")[0] for e in shared_entries] == ["bank"]
