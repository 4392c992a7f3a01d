"""The code-signing certificates, published for verifiers that work offline: the root and every
importer's signing key (X.509), and the root's revocation list, at a well-known URL (RFC 8615)."""

from __future__ import annotations

import re
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, Depends, Request, Response
from sqlmodel import select

from api.deps import DbDep, public_rate_limit
from api.problems import responses
from core.errors import Conflict, NotFound
from traceability import answer_keys, code_keys
from traceability.models import CodeKey

router = APIRouter(
    prefix="/.well-known/crosstrust", tags=["public"], dependencies=[Depends(public_rate_limit)]
)

_NAME = re.compile(r"^([0-9]{1,5})\.(pem|der)$")
_CACHE = {"Cache-Control": "public, max-age=300"}
_BINARY = {"schema": {"type": "string", "format": "binary"}}


class PkixCrl(Response):
    media_type = "application/pkix-crl"


def _kit(request: Request, db) -> code_keys.SigningKit:  # noqa: ANN001 - core.db.Database
    """The signing kit, its root's certificate made first if this is the first ask (the only write: a
    GET here takes no write lock once the root exists)."""
    kit = request.app.state.keyring.signing
    if kit is None:
        raise Conflict("this server publishes no code-signing keys", field="signing")
    with db.read_session() as s:
        found = code_keys.root_of(s, kit)
    if found is None:
        try:
            with db.transaction() as s:
                code_keys.ensure_root(s, kit)
        except Conflict:
            pass  # another process made it at the same moment: it is there now
    return kit


@router.get("/certificates", summary="Code-signing certificates and revocation list (JSON, PEM inside)")
def certificates(request: Request, response: Response, db: DbDep) -> dict[str, Any]:
    """Every root and signing certificate, each key's status, and the root's revocation list: what
    `crosstrust codes certificates` caches so that `crosstrust codes verify` needs no network."""
    kit = _kit(request, db)
    with db.read_session() as s:
        document = code_keys.published(s, kit)
    response.headers.update(_CACHE)
    return document


@router.get(
    "/jwks.json",
    summary="The keys that sign the scan's answers (JSON Web Key Set, with x5c chains)",
    responses=responses(409),
)
def jwks(request: Request, response: Response, db: DbDep) -> dict[str, Any]:
    """The public keys of the scan's signed answers (`Accept: application/jose` on a scan): each a JWK
    with its `kid` (RFC 7638 thumbprint) and `x5c` (its certificate, then the root's, which is also in
    /.well-known/crosstrust/certificates). A revoked key is left out. The first ask makes the key."""
    request.app.state.answer_signing.key()
    with db.read_session() as s:
        document = answer_keys.jwks(s)
    response.headers.update(_CACHE)
    return document


@router.get(
    "/certificates/{name}",
    summary="One certificate by key number: 7.pem or 7.der",
    response_class=Response,
    responses={
        200: {
            "content": {
                "application/x-pem-file": {"schema": {"type": "string"}},
                "application/pkix-cert": _BINARY,
            }
        },
        **responses(404),
    },
)
def certificate(name: str, db: DbDep) -> Response:
    found = _NAME.match(name)
    if found is None:
        raise NotFound(f"no certificate {name!r}: ask for <key number>.pem or <key number>.der")
    with db.read_session() as s:
        key = s.exec(select(CodeKey).where(CodeKey.id == int(found[1]))).first()
    if key is None:
        raise NotFound(f"no key {found[1]}")
    if found[2] == "pem":
        return Response(key.certificate, media_type="application/x-pem-file", headers=_CACHE)
    der = x509.load_pem_x509_certificate(key.certificate.encode()).public_bytes(serialization.Encoding.DER)
    return Response(der, media_type="application/pkix-cert", headers=_CACHE)


@router.get(
    "/crl.der",
    summary="The root's certificate revocation list (DER)",
    response_class=PkixCrl,
    responses={200: {"content": {"application/pkix-crl": _BINARY}}, **responses(409)},
)
def revocation_list(request: Request, db: DbDep) -> Response:
    kit = _kit(request, db)
    with db.read_session() as s:
        crl = code_keys.revocation_list(s, kit)
    return PkixCrl(crl.public_bytes(serialization.Encoding.DER), headers=_CACHE)
