"""Signed codes (issue 26): a signed batch's codes carry a DigSig in AI (8030) that GS1's syntax rules
accept, every export carries it, and each verifies offline against the published certificates:
genuine, bad after one changed character, unknown key, revoked key; rotation keeps old codes genuine."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlmodel import select

from core.db import Database
from core.security import SYSTEM
from core.settings import Settings
from traceability import code_keys, digsig, labels
from traceability import service as trace
from traceability.codes import Keyring, check_ais
from traceability.models import CodeBatch, CodeKey, KeyStatus, TraceCode

from .issuance import RESOLVER, released_lines


@pytest.fixture
def keyring(tmp_path) -> Keyring:  # noqa: ANN001
    settings = Settings(var_dir=tmp_path / "var", code_secret="signed-test", _env_file=None)
    return Keyring.from_settings(settings)


def issue(db: Database, keyring: Keyring, quantity: int, *, signed: bool, chunk: int = 1000) -> CodeBatch:
    _, declaration_id = released_lines(db, [quantity])
    with db.transaction() as s:
        batch = trace.reserve_codes(s, declaration_id, 1, quantity, keyring, SYSTEM, signed=signed)
    return trace.run_batch(db, batch.id, keyring, RESOLVER, runner=batch.runner, chunk=chunk)


def bundle_of(db: Database, keyring: Keyring) -> digsig.Bundle:
    assert keyring.signing is not None
    with db.transaction() as s:
        document = code_keys.published(s, keyring.signing)
    return digsig.Bundle.from_document(document)


def checked(bundle: digsig.Bundle, code: trace.IssuedCode) -> digsig.Outcome:
    link = code.link
    element = digsig.element_string(link.gtin, link.lot, code.serial, link.expiry)
    return digsig.check(bundle, element, link.digsig).outcome


def test_a_signed_batch_carries_a_digsig_gs1_accepts_and_that_verifies(
    db: Database, keyring: Keyring
) -> None:
    batch = issue(db, keyring, 2500, signed=True)
    plain = issue(db, keyring, 10, signed=False)
    assert batch.signing_key_id is not None and plain.signing_key_id is None
    codes = list(trace.codes_of_batch(db, batch.id))
    assert len(codes) == 2500 and len({c.link.digsig for c in codes}) == 2500
    bundle = bundle_of(db, keyring)
    assert bundle.rejected == []
    for code in codes[:200]:
        link = code.link
        assert link.digsig is not None and len(link.digsig) == digsig.DIGSIG_CHARS
        # GS1's Syntax Dictionary and linters: 8030 is Z..90 and needs (01) with (21)
        check_ais(
            link.gtin, None, link.lot, link.serial, [("17", f"{link.expiry:%y%m%d}"), ("8030", link.digsig)]
        )
        assert checked(bundle, code) == digsig.Outcome.genuine_signature
        assert f"&8030={link.digsig}" in link.uri(RESOLVER)
    assert all(c.link.digsig is None for c in trace.codes_of_batch(db, plain.id))
    unsigned = next(trace.codes_of_batch(db, plain.id))
    assert checked(bundle, unsigned) == digsig.Outcome.unsigned


def test_one_changed_character_of_data_or_signature_fails(db: Database, keyring: Keyring) -> None:
    batch = issue(db, keyring, 5, signed=True)
    code = next(trace.codes_of_batch(db, batch.id))
    bundle = bundle_of(db, keyring)
    link = code.link
    assert link.digsig is not None
    element = digsig.element_string(link.gtin, link.lot, code.serial, link.expiry)
    for i in range(len(element)):
        changed = element[:i] + bytes([element[i] ^ 0x01]) + element[i + 1 :]
        assert digsig.check(bundle, changed, link.digsig).outcome == digsig.Outcome.bad_signature, i
    for i in range(len(link.digsig)):
        c = link.digsig[i]
        tampered = link.digsig[:i] + ("A" if c != "A" else "B") + link.digsig[i + 1 :]
        outcome = digsig.check(bundle, element, tampered).outcome
        if i < 4:  # the header's 3 bytes: the format or the key's number
            assert outcome != digsig.Outcome.genuine_signature, i
        else:  # the signature; in the last character, a change of its 4 spare bits only is refused too
            assert outcome == digsig.Outcome.bad_signature, i
    spare = link.digsig[:-1] + digsig_alphabet_next(link.digsig[-1])
    assert digsig.check(bundle, element, spare).outcome == digsig.Outcome.bad_signature


def digsig_alphabet_next(c: str) -> str:
    """The character after `c` in base64url: the same top 2 bits, spare bits set, when c's are zero."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return alphabet[alphabet.index(c) + 1]


def test_a_tampered_certificate_is_not_trusted(db: Database, keyring: Keyring) -> None:
    batch = issue(db, keyring, 3, signed=True)
    code = next(trace.codes_of_batch(db, batch.id))
    assert keyring.signing is not None
    with db.transaction() as s:
        document = code_keys.published(s, keyring.signing)
    pem = document["keys"][0]["certificate"]
    der = bytearray(x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER))
    # One bit of the root's signature over the certificate (its last byte, inside the ECDSA `s`): the
    # DER still parses, so only the signature check can refuse it.
    der[-1] ^= 0x01
    tampered = x509.load_der_x509_certificate(bytes(der))
    document["keys"][0]["certificate"] = tampered.public_bytes(serialization.Encoding.PEM).decode()
    bundle = digsig.Bundle.from_document(document)
    assert bundle.rejected and checked(bundle, code) == digsig.Outcome.unknown_key


def test_rotation_keeps_old_codes_genuine_and_revocation_ends_them(db: Database, keyring: Keyring) -> None:
    first = issue(db, keyring, 3, signed=True)
    assert keyring.signing is not None
    with db.transaction() as s:
        old = s.get(CodeKey, first.signing_key_id)
        assert old is not None and old.enterprise_id is not None
        new = code_keys.new_signing_key(s, keyring.signing, old.enterprise_id, "Importer")
        assert s.get(CodeKey, first.signing_key_id).status == KeyStatus.retired
    old_code = next(trace.codes_of_batch(db, first.id))
    assert checked(bundle_of(db, keyring), old_code) == digsig.Outcome.genuine_signature
    with db.transaction() as s:
        code_keys.revoke(s, first.signing_key_id, "the key leaked")
    bundle = bundle_of(db, keyring)
    assert checked(bundle, old_code) == digsig.Outcome.revoked_key
    assert new.id in bundle.keys and new.id not in bundle.revoked
    # a key the bundle has never seen
    with db.transaction() as s:
        extra = code_keys.new_signing_key(s, keyring.signing, old.enterprise_id, "Importer")
        signer = code_keys.signer(s, keyring.signing, extra.id)
    link = old_code.link
    element = digsig.element_string(link.gtin, link.lot, old_code.serial, link.expiry)
    assert digsig.check(bundle, element, signer.sign(element)).outcome == digsig.Outcome.unknown_key
    assert digsig.check(bundle_of(db, keyring), element, signer.sign(element)).outcome == (
        digsig.Outcome.genuine_signature
    )


def test_a_revoked_key_signs_nothing_more(db: Database, keyring: Keyring) -> None:
    _, declaration_id = released_lines(db, [10])
    with db.transaction() as s:
        batch = trace.reserve_codes(s, declaration_id, 1, 10, keyring, SYSTEM, signed=True)
        code_keys.revoke(s, batch.signing_key_id, "leaked before the batch ran")
    with pytest.raises(Exception, match="revoked"):
        trace.run_batch(db, batch.id, keyring, RESOLVER, runner=batch.runner)
    with db.read_session() as s:
        assert s.get(CodeBatch, batch.id).status == "failed"
        assert s.exec(select(TraceCode).where(TraceCode.batch_id == batch.id)).first() is None


def test_exports_carry_the_signature(db: Database, keyring: Keyring) -> None:
    batch = issue(db, keyring, 30, signed=True)
    codes = list(trace.codes_of_batch(db, batch.id))
    rows = list(csv.reader(io.StringIO("".join(labels.csv_stream(iter(codes), RESOLVER)))))
    assert rows[0] == list(labels.CSV_HEADER) and rows[0][-1] == "digsig"
    assert [r[-1] for r in rows[1:]] == [c.link.digsig for c in codes]
    assert all(f"8030={r[-1]}" in r[0] for r in rows[1:])
    buf = io.BytesIO()
    assert labels.qr_zip(labels.labels_from(codes, RESOLVER, 0, 5), buf) == 5
    assert len(zipfile.ZipFile(buf).namelist()) == 5
    pdf = io.BytesIO()
    assert labels.label_sheet_pdf(labels.labels_from(codes, RESOLVER, 0, 30), pdf) == 30
