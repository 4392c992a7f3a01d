"""The scan's signed answer (issue 26): what a scan says of a code — the code, the verdict, the product,
the importer and its credit grade, the time — as a JWS (ES256) by the platform's answer key, published
in the JWKS beside the certificates. A look-alike site can copy the words of an answer but not sign
them: the verify page checks the signature against the keys it keeps, and the code's own DigSig.

Signed on demand (`Accept: application/jose`, what the verify page asks for), not on every scan: a
signature costs about as much as the rest of a JSON scan (BENCHMARKS.md, "Signed scan answers"), and
the plain scans (a consumer's camera, the apps) have no verifier to read it. The facts are those of the
JSON scan itself, read from its bytes, so that the signed answer never says anything the scan did not.
The claims use GS1's Web Vocabulary where it has a term (gs1:gtin, gs1:hasBatchLotNumber,
gs1:hasSerialNumber, gs1:expirationDate, gs1:productName) and JWT's (iss, sub, iat) otherwise."""

from __future__ import annotations

import dataclasses
import time
from datetime import datetime
from typing import Any

import orjson
from fastapi.responses import Response

from core.clock import utcnow
from core.db import Database
from core.errors import Conflict
from traceability import answer_keys, code_keys, digsig
from traceability.codes import DigitalLink

GS1_CONTEXT = {"gs1": "https://gs1.org/voc/"}


class AnswerSigning:
    """The answer key of this process, unsealed once and kept on the app's state; read again every
    `ttl` seconds so that a rotation or a revocation reaches a running server."""

    def __init__(self, db: Database, kit: code_keys.SigningKit | None, ttl: float = 60.0) -> None:
        self.db = db
        self.kit = kit
        self.ttl = ttl
        self._key: answer_keys.AnswerKey | None = None
        self._loaded_at = -1e9

    def key(self) -> answer_keys.AnswerKey:
        if self.kit is None:
            raise Conflict("this server signs no scan answers (no code-signing root key)", field="accept")
        if self._key is None or time.monotonic() - self._loaded_at > self.ttl:
            with self.db.read_session() as s:
                row = answer_keys.active_row(s)
                found = answer_keys.load(s, self.kit, row) if row is not None else None
            if found is None:
                found = self._made()
            self._key, self._loaded_at = found, time.monotonic()
        return self._key

    def _made(self) -> answer_keys.AnswerKey:
        assert self.kit is not None
        try:
            with self.db.transaction() as s:
                row = answer_keys.active_row(s) or answer_keys.new_answer_key(s, self.kit)
                return answer_keys.load(s, self.kit, row)
        except Conflict:  # another process made it at the same moment: it is there now
            with self.db.read_session() as s:
                made = answer_keys.active_row(s)
                assert made is not None
                return answer_keys.load(s, self.kit, made)


def with_digsig(link: DigitalLink, attributes: list[tuple[str, str]]) -> DigitalLink:
    """The link with the DigSig of its query (the resolver reads a code without it: it resolves alike)."""
    return dataclasses.replace(link, digsig=dict(attributes).get("8030") or None)


def _named(value: dict | None) -> list[dict[str, str]] | None:
    if not value:
        return None
    names = [("zh", value.get("name_zh")), ("en", value.get("name_en"))]
    return [{"@language": lang, "@value": v} for lang, v in names if v]


def claims(body: dict[str, Any], link: DigitalLink, base: str, now: datetime) -> dict[str, Any]:
    """The scan's facts, from its JSON answer: what the signature covers."""
    verdict = body["verdict"]
    card = body.get("enterprise") or None
    credit = (card or {}).get("credit") or {}
    element = digsig.element_string(link.gtin, link.lot, link.serial or "", link.expiry, link.cpv)
    return {
        "@context": GS1_CONTEXT,
        "iss": base.rstrip("/"),
        "sub": body["code"]["uri"],
        "iat": int(now.timestamp()),
        "gs1:gtin": link.gtin,
        "gs1:hasBatchLotNumber": link.lot,
        "gs1:hasSerialNumber": link.serial,
        "gs1:expirationDate": link.expiry.isoformat() if link.expiry else None,
        "gs1:productName": _named(body.get("product")),
        # the data the code's own signature covers, and that signature: an answer names its code
        "element_string": element.decode("ascii"),
        "digsig": link.digsig,
        "verdict": verdict["status"],
        "verdict_zh": verdict["label_zh"],
        "verdict_en": verdict["label_en"],
        "enterprise": {k: card.get(k) for k in ("uscc", "name_zh", "name_en")} if card else None,
        "grade": credit.get("grade"),
        "scanned_at": now.isoformat(),
    }


def response(  # noqa: PLR0913 - the parts of one answer
    signing: AnswerSigning, link: DigitalLink, base: str, body: bytes, status: int, headers: dict[str, str]
) -> Response:
    """The JSON scan's answer (`body`) signed: a JWS compact serialization, `application/jose`."""
    payload = orjson.dumps(claims(orjson.loads(body), link, base, utcnow()))
    token = signing.key().sign(payload)
    return Response(
        token,
        status_code=status,
        media_type=answer_keys.MEDIA_TYPE,
        headers={**headers, "Cache-Control": "no-store"},
    )
