"""The key that signs the scan's answers (issue 26): one platform key (ECDSA P-256), certified by the
code-signing root as the importers' keys are, published as a JSON Web Key Set beside the certificates
(`/.well-known/crosstrust/jwks.json`), each key with its X.509 chain (`x5c`: its certificate, then the
root's) and its RFC 7638 thumbprint as `kid`.

It is a key of its own kind (`answer`), not an importer's, and the two never stand in for each other:
a code's DigSig is checked only against the certificates document's `keys` (importers' keys; answer
keys are listed apart, under `answer_keys`), and an answer only against the JWKS (answer keys alone).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jws
from joserfc.jwk import ECKey
from sqlmodel import Session, col, select

from core.errors import NotFound
from traceability import code_keys
from traceability.models import CodeKey, KeyKind, KeyStatus

ANSWER_YEARS = 2
ANSWER_KIND = KeyKind.answer


TYP = "crosstrust-scan+jwt"  # explicit typing (RFC 8725 3.11): an answer is no other kind of token
MEDIA_TYPE = "application/jose"  # the JWS compact serialization (RFC 7515 section 9.2.1)


@dataclass(frozen=True)
class AnswerKey:
    """What signing an answer needs: the private key (as joserfc's JWK), its `kid` and its chain."""

    key_id: int
    kid: str
    jwk: ECKey
    x5c: list[str]

    def sign(self, payload: bytes) -> str:
        """A JWS (compact) over `payload` (JSON bytes): ES256, with `kid`, `typ` and `x5c` protected."""
        header = {"alg": "ES256", "typ": TYP, "kid": self.kid, "x5c": self.x5c}
        return jws.serialize_compact(header, payload, self.jwk, algorithms=["ES256"])


def _der64(pem: str) -> str:
    cert = x509.load_pem_x509_certificate(pem.encode())
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def kid_of(cert_pem: str) -> str:
    """The RFC 7638 thumbprint (SHA-256, base64url) of the certificate's public key."""
    public = x509.load_pem_x509_certificate(cert_pem.encode()).public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    return ECKey.import_key(public).thumbprint()


def new_answer_key(session: Session, kit: code_keys.SigningKit) -> CodeKey:
    """A new answer-signing key certified by the root; the one before it is retired (it signs nothing
    new and stays in the JWKS, so that answers it signed still verify, until it is revoked)."""
    return code_keys.certified_key(
        session,
        kit,
        subject=lambda number: code_keys.name("CrossTrust scan answers", number),
        years=ANSWER_YEARS,
        kind=ANSWER_KIND,
        enterprise_id=None,
        extended_usage=None,
        replaces=col(CodeKey.kind) == ANSWER_KIND,
    )


def active_row(session: Session) -> CodeKey | None:
    return session.exec(
        select(CodeKey).where(CodeKey.kind == ANSWER_KIND, CodeKey.status == KeyStatus.active)
    ).first()


def load(session: Session, kit: code_keys.SigningKit, key: CodeKey) -> AnswerKey:
    """The key, unsealed, with its chain: for the process that signs answers (kept on the app's state)."""
    if key.private_sealed is None or key.kind != ANSWER_KIND or key.status == KeyStatus.revoked:
        raise NotFound(f"no answer-signing key {key.id}")
    assert key.id is not None and key.issuer_id is not None
    root = session.get(CodeKey, key.issuer_id)
    if root is None:
        raise NotFound(f"no root {key.issuer_id}")
    private = serialization.load_pem_private_key(
        kit.box.decrypt(key.private_sealed, code_keys.aad(key.id)).encode(), password=None
    )
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    chain = [_der64(key.certificate), _der64(root.certificate)]
    return AnswerKey(key.id, kid_of(key.certificate), ECKey.import_key(private), chain)


def jwks(session: Session) -> dict:
    """The JSON Web Key Set of the answer keys that still verify (active and retired; never revoked):
    each a public JWK with `kid`, `alg`, `use`, and `x5c` (its certificate, then the root's)."""
    rows = list(
        session.exec(
            select(CodeKey)
            .where(CodeKey.kind == ANSWER_KIND, CodeKey.status != KeyStatus.revoked)
            .order_by(col(CodeKey.id).desc())
        )
    )
    roots = {r.id: r for r in session.exec(select(CodeKey).where(CodeKey.kind == KeyKind.root))}
    keys = []
    for row in rows:
        public = x509.load_pem_x509_certificate(row.certificate.encode()).public_key()
        assert isinstance(public, ec.EllipticCurvePublicKey)
        jwk: dict[str, object] = dict(ECKey.import_key(public).as_dict(private=False))
        root = roots.get(row.issuer_id)
        chain = [_der64(row.certificate)] + ([_der64(root.certificate)] if root else [])
        keys.append(
            jwk
            | {
                "kid": jwk.get("kid") or kid_of(row.certificate),
                "alg": "ES256",
                "use": "sig",
                "x5c": chain,
                "crosstrust:key_id": row.id,
                "crosstrust:status": row.status,
            }
        )
    return {"keys": keys}
