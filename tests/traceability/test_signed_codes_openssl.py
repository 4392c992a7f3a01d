"""Signed codes checked by a tool nobody here wrote (issue 26): OpenSSL verifies the certificate chain
(and, with the revocation list, refuses a revoked key) and a code's signature over its element string;
one changed character of the element string, the signature or the certificate fails there too. And the
other way round: a hierarchy and a signature made by OpenSSL verify with `traceability.digsig`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from core.db import Database
from tests.conftest import missing
from traceability import code_keys, digsig
from traceability import service as trace
from traceability.codes import Keyring

from .test_signed_codes import issue, keyring  # noqa: F401 - the fixture

pytestmark = pytest.mark.usefixtures("openssl")


@pytest.fixture(scope="module")
def openssl() -> str:
    path = shutil.which("openssl")
    if path is None:
        missing("the openssl command", "apt-get install openssl")
    return path


def run(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True, timeout=60)


def _published(db: Database, ring: Keyring, tmp_path: Path) -> tuple[Path, Path, Path]:
    assert ring.signing is not None
    with db.transaction() as s:
        document = code_keys.published(s, ring.signing)
    root, leaf, crl = tmp_path / "root.pem", tmp_path / "leaf.pem", tmp_path / "crl.pem"
    root.write_text(document["roots"][0]["certificate"])
    leaf.write_text(document["keys"][-1]["certificate"])
    crl.write_text(document["crls"][0])
    return root, leaf, crl


def _one_char(text: str, line: int, column: int) -> str:
    lines = text.splitlines()
    c = lines[line][column]
    lines[line] = lines[line][:column] + ("A" if c != "A" else "B") + lines[line][column + 1 :]
    return "\n".join(lines) + "\n"


def test_openssl_verifies_the_chain_and_refuses_a_tampered_or_revoked_certificate(
    db: Database,
    keyring: Keyring,  # noqa: F811
    tmp_path: Path,
) -> None:
    batch = issue(db, keyring, 2, signed=True)
    root, leaf, crl = _published(db, keyring, tmp_path)
    ok = run("verify", "-CAfile", root, leaf)
    assert ok.returncode == 0 and f"{leaf}: OK" in ok.stdout, ok.stdout + ok.stderr
    assert run("verify", "-crl_check", "-CAfile", root, "-CRLfile", crl, leaf).returncode == 0
    tampered = tmp_path / "tampered.pem"
    for line in (2, 4, 6):  # the subject, the public key, the root's signature
        tampered.write_text(_one_char(leaf.read_text(), line, 30))
        assert run("verify", "-CAfile", root, tampered).returncode != 0, line
    with db.transaction() as s:
        code_keys.revoke(s, batch.signing_key_id, "leaked")
    root, leaf, crl = _published(db, keyring, tmp_path)
    revoked = run("verify", "-crl_check", "-CAfile", root, "-CRLfile", crl, leaf)
    assert revoked.returncode != 0 and "revoked" in (revoked.stdout + revoked.stderr)


def test_openssl_verifies_a_codes_signature_over_its_element_string(
    db: Database,
    keyring: Keyring,  # noqa: F811
    tmp_path: Path,
) -> None:
    batch = issue(db, keyring, 3, signed=True)
    _, leaf, _ = _published(db, keyring, tmp_path)
    public = tmp_path / "public.pem"
    public.write_text(run("x509", "-in", leaf, "-pubkey", "-noout").stdout)
    for code in trace.codes_of_batch(db, batch.id):
        link = code.link
        assert link.digsig is not None
        element = digsig.element_string(link.gtin, link.lot, code.serial, link.expiry)
        key_id, raw = digsig.decode(link.digsig)
        assert key_id == batch.signing_key_id
        message, signature = tmp_path / "element", tmp_path / "signature.der"
        message.write_bytes(element)
        signature.write_bytes(digsig.der_signature(raw))
        good = run("dgst", "-sha256", "-verify", public, "-signature", signature, message)
        assert good.returncode == 0 and "Verified OK" in good.stdout, good.stdout + good.stderr
        message.write_bytes(element[:-1] + bytes([element[-1] ^ 1]))  # one character of the serial
        assert run("dgst", "-sha256", "-verify", public, "-signature", signature, message).returncode != 0
        message.write_bytes(element)
        signature.write_bytes(digsig.der_signature(raw[:40] + bytes([raw[40] ^ 1]) + raw[41:]))
        assert run("dgst", "-sha256", "-verify", public, "-signature", signature, message).returncode != 0


def test_a_hierarchy_and_signature_made_by_openssl_verify_here(tmp_path: Path) -> None:
    def ok(*args: str | Path) -> None:
        done = run(*args)
        assert done.returncode == 0, done.stderr

    ok("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", tmp_path / "root.key")
    ok("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", tmp_path / "leaf.key")
    ok(
        "req", "-x509", "-new", "-key", tmp_path / "root.key", "-subj", "/CN=OpenSSL root/serialNumber=1",
        "-days", "30", "-out", tmp_path / "root.pem",
    )  # fmt: skip
    ok(
        "req",
        "-new",
        "-key",
        tmp_path / "leaf.key",
        "-subj",
        "/CN=OpenSSL leaf/serialNumber=7",
        "-out",
        tmp_path / "leaf.csr",
    )
    ok(
        "x509", "-req", "-in", tmp_path / "leaf.csr", "-CA", tmp_path / "root.pem", "-CAkey", tmp_path / "root.key",
        "-CAcreateserial", "-days", "30", "-out", tmp_path / "leaf.pem",
    )  # fmt: skip
    element = digsig.element_string("09506000134352", "ABC123", "1A2B3C4D5E6F7G8H9J0K", None)
    (tmp_path / "element").write_bytes(element)
    ok("dgst", "-sha256", "-sign", tmp_path / "leaf.key", "-out", tmp_path / "sig.der", tmp_path / "element")
    value = digsig.encode(7, digsig.raw_signature((tmp_path / "sig.der").read_bytes()))
    document = {
        "roots": [{"certificate": (tmp_path / "root.pem").read_text()}],
        "keys": [{"certificate": (tmp_path / "leaf.pem").read_text()}],
        "crls": [],
    }
    bundle = digsig.Bundle.from_document(document)
    assert bundle.rejected == [] and set(bundle.keys) == {7}
    assert digsig.check(bundle, element, value).outcome == digsig.Outcome.genuine_signature
    assert (
        digsig.check(bundle, element.replace(b"ABC", b"ABD"), value).outcome == digsig.Outcome.bad_signature
    )
    # the certificate OpenSSL made is the one pyca reads
    cert = x509.load_pem_x509_certificate((tmp_path / "leaf.pem").read_bytes())
    assert digsig.key_number(cert) == 7
    assert cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) == bundle.keys[7].public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
