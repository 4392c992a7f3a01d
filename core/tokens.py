"""Opaque, tamper-evident tokens (page cursors): JSON, base64url, with an HMAC so a client cannot
forge a position it was never given."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from core.errors import Invalid


class TokenSigner:
    def __init__(self, secret: bytes, purpose: str) -> None:
        self._key = hashlib.sha256(b"crosstrust-token\x00" + purpose.encode() + b"\x00" + secret).digest()

    def dumps(self, value: Any) -> str:
        body = json.dumps(value, separators=(",", ":"), sort_keys=True).encode()
        mac = hmac.new(self._key, body, hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(mac + body).decode().rstrip("=")

    def loads(self, token: str, field: str = "nextPageToken") -> Any:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (ValueError, TypeError):
            raise Invalid.field(field, "the page token is not one this server issued") from None
        mac, body = raw[:16], raw[16:]
        if len(mac) != 16 or not hmac.compare_digest(
            mac, hmac.new(self._key, body, hashlib.sha256).digest()[:16]
        ):
            raise Invalid.field(field, "the page token was altered or is not one this server issued")
        return json.loads(body)
