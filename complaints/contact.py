"""The consumer's contact (phone or e-mail): validated, encrypted at rest with AES-GCM, matched by a
keyed hash (HMAC), shown masked. The clear value is only ever returned by `reveal`, which the service
calls after writing an audit entry."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from email_validator import EmailNotValidError, validate_email

from core.errors import Invalid

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# The associated data binds a ciphertext to its purpose, so a webhook secret cannot pass as a contact.
AAD_CONTACT = b"crosstrust-complaint-contact"
AAD_WEBHOOK = b"crosstrust-webhook-secret"


def normalise(contact: str) -> str:
    """A mainland mobile (spaces, dashes and +86 dropped) or a lower-cased e-mail; else 422."""
    value = contact.strip()
    if "@" in value:
        try:
            return validate_email(value, check_deliverability=False).normalized.lower()
        except EmailNotValidError as exc:
            raise Invalid.field("contact", f"not a valid e-mail address: {exc}") from None
    digits = re.sub(r"[\s\-()]", "", value)
    digits = re.sub(r"^(\+86|0086)", "", digits)
    if not _MOBILE.match(digits):
        raise Invalid.field("contact", "give an 11-digit mainland mobile number or an e-mail address")
    return digits


def mask(contact: str) -> str:
    if "@" in contact:
        local, _, domain = contact.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{contact[:3]}****{contact[-4:]}"


@dataclass(frozen=True)
class Sealed:
    cipher: str
    keyed_hash: str
    masked: str


class ContactBox:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the contact key must be 32 bytes")
        self._aead = AESGCM(key)
        # A separate key for the matching hash, derived so that one secret serves both.
        self._mac_key = hashlib.sha256(b"crosstrust-contact-hash\x00" + key).digest()

    def keyed_hash(self, normalised: str) -> str:
        return hmac.new(self._mac_key, normalised.encode(), hashlib.sha256).hexdigest()

    def encrypt(self, clear: str, aad: bytes = AAD_CONTACT) -> str:
        nonce = os.urandom(12)
        return base64.b64encode(nonce + self._aead.encrypt(nonce, clear.encode(), aad)).decode()

    def decrypt(self, cipher: str, aad: bytes = AAD_CONTACT) -> str:
        raw = base64.b64decode(cipher)
        return self._aead.decrypt(raw[:12], raw[12:], aad).decode()

    def seal(self, contact: str) -> Sealed:
        clear = normalise(contact)
        return Sealed(self.encrypt(clear), self.keyed_hash(clear), mask(clear))
