"""Signed codes: the GS1 element string a code's signature covers, the DigSig that carries the signature
in AI (8030), and the offline check of a scanned code against a bundle of published certificates.

AI (8030) is `Z..90` in GS1's Syntax Dictionary: at most 90 characters of base64url. The DigSig here is
67 bytes, which base64url writes in 90 characters without padding (the last one's 4 spare bits zero): a format byte (1: ECDSA on
P-256 with SHA-256, the signature as the raw r||s of 32 bytes each), the signing key's number (2 bytes,
big-endian: the `serialNumber` attribute of its certificate's subject, so that the number is itself
certified by the platform's root), then the 64-byte signature. The signature covers the element string
of the code without (8030): (01), (17) when there is one (predefined lengths first, so no separator),
then (22), (10) and (21), each variable-length value but the last followed by GS (0x1D), as the code's
data would be transmitted by a scanner reading a GS1 DataMatrix or QR code.

Nothing here reads a database or the network: `crosstrust codes verify` runs on these functions alone
(and on traceability.scanned, which reads the scanned code by GS1's rules).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.x509.oid import NameOID

FORMAT_P256_SHA256 = 1
DIGSIG_BYTES = 3 + 64
DIGSIG_CHARS = 90  # 67 bytes in base64url, no padding: the most AI (8030) holds
GS = "\x1d"
_ECDSA = ec.ECDSA(hashes.SHA256())


class DigSigError(ValueError):
    """A value of AI (8030) that is not a DigSig of this platform's format."""


def element_string(
    gtin: str, lot: str | None, serial: str, expiry: datetime.date | None = None, cpv: str | None = None
) -> bytes:
    """The element string a code's signature covers (see the module's docstring)."""
    fixed = "01" + gtin + (f"17{expiry:%y%m%d}" if expiry else "")
    variable = [ai + v for ai, v in (("22", cpv), ("10", lot), ("21", serial)) if v]
    return (fixed + GS.join(variable)).encode("ascii")


def encode(key_id: int, signature: bytes) -> str:
    """A DigSig from a key number and a raw (r||s) signature."""
    if not 0 < key_id < 1 << 16 or len(signature) != 64:
        raise ValueError("a DigSig carries a key number of 1..65535 and a 64-byte signature")
    raw = bytes([FORMAT_P256_SHA256]) + key_id.to_bytes(2, "big") + signature
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode(value: str) -> tuple[int, bytes]:
    """The key number and the raw signature of a DigSig; DigSigError when it is not one."""
    if len(value) != DIGSIG_CHARS:
        raise DigSigError(f"a DigSig is {DIGSIG_CHARS} characters of base64url, not {len(value)}")
    try:
        raw = base64.urlsafe_b64decode(value + "==")
    except (binascii.Error, ValueError):
        raise DigSigError("a DigSig is base64url (A-Z, a-z, 0-9, - and _)") from None
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != value:
        # the last character's 4 spare bits must be zero: one DigSig has one spelling
        raise DigSigError("the DigSig is not canonical base64url (its last character's spare bits are set)")
    if len(raw) != DIGSIG_BYTES or raw[0] != FORMAT_P256_SHA256:
        raise DigSigError("the DigSig's format is not ECDSA P-256 with SHA-256 (format 1)")
    return int.from_bytes(raw[1:3], "big"), raw[3:]


def raw_signature(der: bytes) -> bytes:
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def der_signature(raw: bytes) -> bytes:
    """The DER (X9.62) form of a raw signature: what OpenSSL and WebCrypto's importers expect."""
    return encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))


SPLIT_AT = 1_000  # the fewest serials a signer shares out among its threads


@dataclass(frozen=True)
class CodeSigner:
    """Signs codes with one of the platform's signing keys. With `threads` above 1 a large list of
    serials is signed in that many parts at once: OpenSSL's ECDSA releases the GIL, so the second core
    signs too (BENCHMARKS.md, "Signed codes on the second core")."""

    key_id: int
    private_key: ec.EllipticCurvePrivateKey
    threads: int = 1

    def sign(self, element: bytes) -> str:
        return encode(self.key_id, raw_signature(self.private_key.sign(element, _ECDSA)))

    def sign_serials(
        self, gtin: str, lot: str, expiry: datetime.date | None, serials: Sequence[str]
    ) -> list[str]:
        """The DigSig of each serial of one product, lot and expiry date, in the serials' order."""
        if self.threads < 2 or len(serials) < SPLIT_AT:
            return self._sign_serials(gtin, lot, expiry, serials)
        step = -(-len(serials) // self.threads)
        parts = [serials[i : i + step] for i in range(0, len(serials), step)]
        with ThreadPoolExecutor(len(parts) - 1, thread_name_prefix="sign") as pool:
            rest = [pool.submit(self._sign_serials, gtin, lot, expiry, part) for part in parts[1:]]
            out = self._sign_serials(gtin, lot, expiry, parts[0])
            for done in rest:
                out += done.result()
        return out

    def _sign_serials(
        self, gtin: str, lot: str, expiry: datetime.date | None, serials: Sequence[str]
    ) -> list[str]:
        fixed = "01" + gtin + (f"17{expiry:%y%m%d}" if expiry else "") + f"10{lot}{GS}21"
        sign, key_id = self.private_key.sign, self.key_id
        header = bytes([FORMAT_P256_SHA256]) + key_id.to_bytes(2, "big")
        out = []
        for serial in serials:
            r, s = decode_dss_signature(sign((fixed + serial).encode("ascii"), _ECDSA))
            raw = header + r.to_bytes(32, "big") + s.to_bytes(32, "big")
            out.append(base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii"))
        return out


# --- certificates and the offline check ------------------------------------------------------------


class Outcome(StrEnum):
    genuine_signature = "genuine-signature"
    bad_signature = "bad-signature"
    unknown_key = "unknown-key"
    revoked_key = "revoked-key"
    unsigned = "unsigned"


# What a verifier says (zh, en): the glossary's words for the outcomes, and for the two answers of the
# verify page that come before a check (a text that is no code; no certificates cached yet).
OUTCOME_LABELS = {
    "genuine-signature": (
        "签名真实：本平台为该进口商签发",
        "Genuine signature: issued by this platform for the importer",
    ),
    "bad-signature": ("签名不符：码被改动或伪造", "Bad signature: the code was altered or forged"),
    "unknown-key": ("未知密钥：不是本平台签发的", "Unknown key: not signed by this platform"),
    "revoked-key": ("密钥已吊销：此码不再可信", "Revoked key: this code can no longer be trusted"),
    "unsigned": ("此码未带签名，只能联网查验", "This code carries no signature: check it online"),
    "not-a-code": ("不是本平台的追溯码", "Not a trace code of this platform"),
    "no-certificates": (
        "尚未取得证书：请联网打开本页一次",
        "No certificates yet: open this page online once",
    ),
}


# What the verify page says of a scan's answer (zh, en): the glossary's words.
ANSWER_LABELS = {
    "answer-genuine": (
        "查验结果有本平台的签名，可信：",
        "The answer carries this platform's signature and can be trusted:",
    ),
    "answer-forged": (
        "查验结果的签名不是本平台的：这可能是仿冒网站，不要相信它",
        "The answer's signature is not this platform's: this may be a look-alike site, do not trust it",
    ),
    "answer-unsigned": (
        "链接的网站给出的结果没有签名：不要相信它",
        "The link's site answered without a signature: do not trust it",
    ),
    "answer-other-code": (
        "有签名的结果说的是另一个码：不要相信它",
        "The signed answer is about another code: do not trust it",
    ),
    "answer-stale": (
        "有签名的结果已过时：请联网重新验证",
        "The signed answer is old: check again online",
    ),
    "answer-unreachable": (
        "没有网络：只核对了码上的签名",
        "No network: only the code's own signature was checked",
    ),
}

# The words of a batch's codes with or without a DigSig (the merchant's "signed" box).
CODE_SIGNING_LABELS = {
    "signed": ("带数字签名（GS1 AI 8030，可离线验证）", "Signed (GS1 AI 8030, verifiable offline)"),
    "unsigned": ("不带数字签名", "Unsigned"),
}
# What the pages' glossary reads, by kind of word.
SIGNING_WORDS = {
    "signature_outcome": OUTCOME_LABELS,
    "answer_outcome": ANSWER_LABELS,
    "code_signing": CODE_SIGNING_LABELS,
}


def key_number(cert: x509.Certificate) -> int | None:
    """The key number a certificate certifies: its subject's serialNumber attribute."""
    values = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    if not values:
        return None
    try:
        return int(str(values[0].value))
    except ValueError:
        return None


@dataclass
class Bundle:
    """Certificates a verifier trusts: the roots (pinned when the bundle was first fetched), the signing
    keys' certificates that a root issued, and the keys its revocation lists name. What does not chain
    to a root, or a revocation list a root did not sign, is left out (and said in `rejected`)."""

    roots: list[x509.Certificate]
    keys: dict[int, x509.Certificate] = field(default_factory=dict)
    revoked: set[int] = field(default_factory=set)
    rejected: list[str] = field(default_factory=list)

    @classmethod
    def from_document(cls, document: dict, pinned_roots: Iterable[str] | None = None) -> Bundle:
        """From the JSON the platform publishes at /.well-known/crosstrust/certificates. With
        `pinned_roots` (SHA-256 fingerprints, hex), only those roots are trusted."""
        pins = {p.lower().replace(":", "") for p in pinned_roots} if pinned_roots else None
        roots = []
        for entry in document.get("roots", []):
            cert = x509.load_pem_x509_certificate(entry["certificate"].encode())
            if pins is None or cert.fingerprint(hashes.SHA256()).hex() in pins:
                roots.append(cert)
        bundle = cls(roots)
        for entry in document.get("keys", []):
            bundle._add_key(x509.load_pem_x509_certificate(entry["certificate"].encode()))
        for pem in document.get("crls", []):
            bundle._add_crl(x509.load_pem_x509_crl(pem.encode()))
        return bundle

    def _issuer(self, subject: x509.Name) -> x509.Certificate | None:
        return next((r for r in self.roots if r.subject == subject), None)

    def _add_key(self, cert: x509.Certificate) -> None:
        number, root = key_number(cert), self._issuer(cert.issuer)
        try:
            if number is None or root is None:
                raise ValueError("no key number or no trusted root")
            cert.verify_directly_issued_by(root)
            if not isinstance(cert.public_key(), ec.EllipticCurvePublicKey):
                raise ValueError("not an EC key")
        except (ValueError, TypeError, InvalidSignature) as exc:
            self.rejected.append(f"certificate {cert.subject.rfc4514_string()}: {exc or 'bad signature'}")
            return
        self.keys[number] = cert

    def _add_crl(self, crl: x509.CertificateRevocationList) -> None:
        root = self._issuer(crl.issuer)
        public = root.public_key() if root is not None else None
        if not isinstance(public, ec.EllipticCurvePublicKey) or not crl.is_signature_valid(public):
            self.rejected.append(f"revocation list of {crl.issuer.rfc4514_string()}: not signed by a root")
            return
        by_serial = {cert.serial_number: n for n, cert in self.keys.items() if cert.issuer == crl.issuer}
        self.revoked |= {by_serial[r.serial_number] for r in crl if r.serial_number in by_serial}


@dataclass(frozen=True)
class Check:
    outcome: Outcome
    key_id: int | None = None
    detail: str = ""


def check(bundle: Bundle, element: bytes, digsig: str | None) -> Check:
    """A code's signature against the bundle: genuine, bad, by a key it does not know, or revoked."""
    if not digsig:
        return Check(Outcome.unsigned, None, "the code carries no signature (8030)")
    try:
        key_id, signature = decode(digsig)
    except DigSigError as exc:
        return Check(Outcome.bad_signature, None, str(exc))
    cert = bundle.keys.get(key_id)
    if cert is None:
        return Check(Outcome.unknown_key, key_id, f"no certificate of key {key_id} in the bundle")
    if key_id in bundle.revoked:
        return Check(Outcome.revoked_key, key_id, f"key {key_id} was revoked")
    public = cert.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    try:
        public.verify(der_signature(signature), element, _ECDSA)
    except InvalidSignature:
        return Check(Outcome.bad_signature, key_id, "the signature does not match the code's data")
    return Check(Outcome.genuine_signature, key_id, cert.subject.rfc4514_string())


def load_bundle(text: str, pinned_roots: Iterable[str] | None = None) -> Bundle:
    return Bundle.from_document(json.loads(text), pinned_roots)
