"""The code-signing key hierarchy: the platform's root (ECDSA P-256, self-signed X.509 certificate), a
signing key per importer certified by the root, their rotation and revocation, and the document that
publishes them at /.well-known/crosstrust/certificates (certificates, and a revocation list the root
signs) for verifiers that work offline.

The root's private key lives outside the database, as the platform's other secrets do; a signing key's
private half is kept in its row sealed with the at-rest key (core.sealing), and is unsealed only by the
batch runner that signs with it. Neither is ever logged or published.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlalchemy import ColumnElement, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core import audit
from core.clock import utcnow
from core.errors import Conflict, NotFound
from core.events import emit
from core.sealing import SecretBox
from traceability.digsig import CodeSigner
from traceability.events import KeyCertified
from traceability.models import CodeKey, KeyKind, KeyStatus

ROOT_YEARS = 25
# Products outlive the key that signed them: a code stays verifiable for its key certificate's life.
SIGNING_YEARS = 10
ISSUER = "CrossTrust"


@dataclass(frozen=True)
class SigningKit:
    """What issuing signed codes needs: the root's private key and the at-rest box."""

    root: ec.EllipticCurvePrivateKey
    box: SecretBox

    @classmethod
    def from_settings(cls, settings) -> SigningKit:  # noqa: ANN001 - core.settings.Settings
        root = serialization.load_pem_private_key(settings.code_root_key_pem(), password=None)
        if not isinstance(root, ec.EllipticCurvePrivateKey) or root.curve.name != "secp256r1":
            raise ValueError("the code-signing root key must be an ECDSA P-256 key")
        return cls(root, SecretBox(settings.complaint_key_bytes()))


def fingerprint(public: ec.EllipticCurvePublicKey) -> str:
    spki = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest()


def name(common: str, number: int, organisation: str = ISSUER) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, str(number)),
        ]
    )


def aad(key_id: int) -> bytes:
    return f"code-signing-key:{key_id}".encode()


def next_number(session: Session) -> int:
    last = session.exec(select(CodeKey.id).order_by(CodeKey.id.desc()).limit(1)).first()  # type: ignore[union-attr]
    return (last or 0) + 1


def usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def root_of(session: Session, kit: SigningKit) -> CodeKey | None:
    """The row of the kit's root key, if its certificate was made."""
    return session.exec(
        select(CodeKey).where(CodeKey.fingerprint == fingerprint(kit.root.public_key()))
    ).first()


def ensure_root(session: Session, kit: SigningKit) -> CodeKey:
    """The root certificate of the kit's root key, made (self-signed) the first time. A new root key
    gets a new certificate; the older roots stay published, so that what they certified still verifies."""
    print_ = fingerprint(kit.root.public_key())
    found = root_of(session, kit)
    if found is not None:
        return found
    number, now = next_number(session), utcnow()
    subject = name("CrossTrust code-signing root", number)
    public = kit.root.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365 * ROOT_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(kit.root, hashes.SHA256())
    )
    return insert(
        session,
        CodeKey(
            id=number,
            kind=KeyKind.root,
            fingerprint=print_,
            created_at=now,
            certificate=cert.public_bytes(serialization.Encoding.PEM).decode(),
        ),
    )


def insert(session: Session, key: CodeKey) -> CodeKey:
    """The key's row, and its certificate's event (the transparency log makes it a leaf)."""
    try:
        with session.begin_nested():
            session.add(key)
    except IntegrityError:
        raise Conflict("another process made a key at the same moment; try again", field="key") from None
    assert key.id is not None
    certified = KeyCertified(
        key_id=key.id,
        kind=key.kind,
        enterprise_id=key.enterprise_id,
        issuer_id=key.issuer_id,
        fingerprint=key.fingerprint,
        certificate=key.certificate,
        created_at=key.created_at,
    )
    emit(session, "code_key.certified", "code_key", key.id, certified, "system:keys")
    return key


def certified_key(
    session: Session,
    kit: SigningKit,
    *,
    subject: Callable[[int], x509.Name],
    years: int,
    kind: str,
    enterprise_id: int | None,
    extended_usage: x509.ExtendedKeyUsage | None,
    replaces: ColumnElement[bool],
) -> CodeKey:
    """A new key certified by the root (made if need be), stored sealed, audited and announced; its subject
    names its number. The active key `replaces` selects is retired (it signs nothing new, and what it
    signed still verifies)."""
    root = ensure_root(session, kit)
    root_cert = x509.load_pem_x509_certificate(root.certificate.encode())
    private = ec.generate_private_key(ec.SECP256R1())
    public, number, now = private.public_key(), next_number(session), utcnow()
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject(number))
        .issuer_name(root_cert.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(ca=False), critical=True)
    )
    if extended_usage is not None:
        builder = builder.add_extension(extended_usage, critical=False)
    cert = (
        builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(kit.root.public_key()), critical=False
        )
        .sign(kit.root, hashes.SHA256())
    )
    pkcs8 = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    session.execute(
        update(CodeKey)
        .where(replaces, col(CodeKey.status) == KeyStatus.active)
        .values(status=KeyStatus.retired, retired_at=now)
    )
    key = insert(
        session,
        CodeKey(
            id=number,
            kind=kind,
            enterprise_id=enterprise_id,
            issuer_id=root.id,
            fingerprint=fingerprint(public),
            certificate=cert.public_bytes(serialization.Encoding.PEM).decode(),
            private_sealed=kit.box.encrypt(pkcs8, aad(number)),
            created_at=now,
        ),
    )
    detail: dict[str, object] = {"fingerprint": key.fingerprint, "issuer_id": root.id}
    detail |= {"enterprise_id": enterprise_id} if enterprise_id is not None else {"kind": kind}
    audit.record(session, "system:keys", "code_key.created", "code_key", number, detail)
    return key


def new_signing_key(session: Session, kit: SigningKit, enterprise_id: int, organisation: str) -> CodeKey:
    """A new signing key for an importer, certified by the root; it becomes the importer's active
    key and the one before it is retired (rotation: it signs nothing new, its codes still verify)."""
    return certified_key(
        session,
        kit,
        subject=lambda number: name(
            f"CrossTrust code signing, importer {enterprise_id}", number, organisation[:64]
        ),
        years=SIGNING_YEARS,
        kind=KeyKind.signing,
        enterprise_id=enterprise_id,
        extended_usage=x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]),
        replaces=col(CodeKey.enterprise_id) == enterprise_id,
    )


def signing_key_for(session: Session, kit: SigningKit, enterprise_id: int, organisation: str) -> CodeKey:
    """The importer's active signing key, made the first time it issues signed codes."""
    key = session.exec(
        select(CodeKey).where(CodeKey.enterprise_id == enterprise_id, CodeKey.status == KeyStatus.active)
    ).first()
    return key or new_signing_key(session, kit, enterprise_id, organisation)


def revoke(session: Session, key_id: int, reason: str) -> CodeKey:
    """Revoke a signing key (it leaked): its codes verify as revoked-key from the next published
    revocation list on. A revoked key never signs again."""
    key = session.get(CodeKey, key_id)
    if key is None or key.kind not in (KeyKind.signing, KeyKind.answer):
        raise NotFound(f"no signing key {key_id}")
    if key.status == KeyStatus.revoked:
        return key
    key.status, key.revoked_at, key.revocation_reason = KeyStatus.revoked, utcnow(), reason[:200]
    session.add(key)
    audit.record(session, "system:keys", "code_key.revoked", "code_key", key_id, {"reason": reason[:200]})
    return key


def signer(session: Session, kit: SigningKit, key_id: int, threads: int = 1) -> CodeSigner:
    """The signer of a key that may still sign (active, or retired while a batch it began runs on)."""
    key = session.get(CodeKey, key_id)
    if key is None or key.private_sealed is None:
        raise NotFound(f"no signing key {key_id}")
    if key.status == KeyStatus.revoked:
        raise Conflict(f"signing key {key_id} was revoked: it signs nothing more", field="signing_key")
    private = serialization.load_pem_private_key(
        kit.box.decrypt(key.private_sealed, aad(key_id)).encode(), password=None
    )
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    return CodeSigner(key_id, private, threads)


def revocation_list(session: Session, kit: SigningKit) -> x509.CertificateRevocationList:
    """The current root's revocation list: every revoked key it certified."""
    root = ensure_root(session, kit)
    root_cert = x509.load_pem_x509_certificate(root.certificate.encode())
    now = utcnow()
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(root_cert.subject)
        .last_update(now - datetime.timedelta(minutes=5))
        .next_update(now + datetime.timedelta(days=7))
    )
    revoked = session.exec(
        select(CodeKey).where(CodeKey.issuer_id == root.id, CodeKey.status == KeyStatus.revoked)
    )
    for key in revoked:
        cert = x509.load_pem_x509_certificate(key.certificate.encode())
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(cert.serial_number)
            .revocation_date(key.revoked_at or now)
            .build()
        )
    return builder.sign(kit.root, hashes.SHA256())


def published(session: Session, kit: SigningKit) -> dict:
    """The document of /.well-known/crosstrust/certificates: every root and signing certificate (PEM),
    each key's status, and the revocation list (PEM). What a verifier trusts is the certificates and
    the signed list, not the statuses beside them, which are for people."""
    crl = revocation_list(session, kit)
    keys = list(session.exec(select(CodeKey).order_by(CodeKey.id)))  # type: ignore[arg-type]

    def entry(k: CodeKey) -> dict:
        cert = x509.load_pem_x509_certificate(k.certificate.encode())
        spki = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        out = {
            "key_id": k.id,
            "status": k.status,
            "certificate": k.certificate,
            "fingerprint": k.fingerprint,
            # the certificate's key as WebCrypto imports it (SPKI, base64): for the verify page
            "public_key": base64.b64encode(spki).decode(),
        }
        if k.kind == KeyKind.signing:
            out |= {
                "enterprise_id": k.enterprise_id,
                "issuer_id": k.issuer_id,
                "retired_at": k.retired_at.isoformat() if k.retired_at else None,
                "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
            }
        return out

    return {
        "issuer": ISSUER,
        "format": "DigSig in GS1 AI (8030): 1 byte format (1), 2 bytes key number, ECDSA P-256 r||s",
        "published_at": utcnow().isoformat(),
        "roots": [entry(k) for k in keys if k.kind == KeyKind.root],
        "keys": [entry(k) for k in keys if k.kind == KeyKind.signing],
        # the scan answers' keys (a JWS's, also at /.well-known/crosstrust/jwks.json): never a code's
        "answer_keys": [entry(k) for k in keys if k.kind == KeyKind.answer],
        "crls": [crl.public_bytes(serialization.Encoding.PEM).decode()],
    }
