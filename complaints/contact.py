"""The consumer's contact (phone or e-mail): validated, encrypted at rest with AES-GCM, matched by a
keyed hash (HMAC), shown masked. The clear value is only ever returned by `reveal`, which the service
calls after writing an audit entry."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from core.errors import Invalid
from core.sealing import SecretBox

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


class ContactBox(SecretBox):
    def __init__(self, key: bytes) -> None:
        super().__init__(key)
        # A separate key for the matching hash, derived so that one secret serves both.
        self._mac_key = hashlib.sha256(b"crosstrust-contact-hash\x00" + key).digest()

    def keyed_hash(self, normalised: str) -> str:
        return hmac.new(self._mac_key, normalised.encode(), hashlib.sha256).hexdigest()

    def encrypt(self, clear: str, aad: bytes = AAD_CONTACT) -> str:
        return super().encrypt(clear, aad)

    def decrypt(self, cipher: str, aad: bytes = AAD_CONTACT) -> str:
        return super().decrypt(cipher, aad)

    def seal(self, contact: str) -> Sealed:
        clear = normalise(contact)
        return Sealed(self.encrypt(clear), self.keyed_hash(clear), mask(clear))
