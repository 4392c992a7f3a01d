"""Opaque, tamper-evident tokens (page cursors, page sessions): JSON, base64url, signed with itsdangerous
(HMAC-SHA256, its key derived per purpose, so a token of one purpose is refused by another's signer) so a
client cannot forge a position it was never given."""

from __future__ import annotations

import hashlib
from typing import Any

from itsdangerous import BadData, BadSignature, URLSafeSerializer

from core.errors import Invalid


class TokenSigner:
    def __init__(self, secret: bytes, purpose: str) -> None:
        self._serializer = URLSafeSerializer(
            secret,
            salt=b"crosstrust-token\x00" + purpose.encode(),
            serializer_kwargs={"sort_keys": True},
            signer_kwargs={"digest_method": hashlib.sha256},
        )

    def dumps(self, value: Any) -> str:
        return self._serializer.dumps(value)

    def loads(self, token: str, field: str = "nextPageToken") -> Any:
        try:
            return self._serializer.loads(token)
        except BadSignature:
            raise Invalid.field(
                field, "the page token was altered or is not one this server issued"
            ) from None
        except BadData:
            raise Invalid.field(field, "the page token is not one this server issued") from None
