"""Secrets kept at rest: AES-GCM with a random nonce, the associated data naming the purpose, so that a
ciphertext sealed for one purpose (a consumer's contact, a webhook secret) cannot be passed off as
another. The key is the platform's at-rest key (`Settings.complaint_key_bytes`: CROSSTRUST_COMPLAINT_KEY,
else a 0600 file under var)."""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class SecretBox:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the at-rest key must be 32 bytes")
        self._aead = AESGCM(key)

    def encrypt(self, clear: str, aad: bytes) -> str:
        nonce = os.urandom(12)
        return base64.b64encode(nonce + self._aead.encrypt(nonce, clear.encode(), aad)).decode()

    def decrypt(self, cipher: str, aad: bytes) -> str:
        raw = base64.b64decode(cipher)
        return self._aead.decrypt(raw[:12], raw[12:], aad).decode()
