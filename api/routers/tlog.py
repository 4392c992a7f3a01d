"""The public transparency log (translog): C2SP tlog-tiles under /tlog (checkpoint, tiles, entry
bundles), so that any client of that format reads it, and JSON proofs under /api/v1/tlog for people and
tools: inclusion of a leaf, a disclosure record, a grade or one trace code, and consistency of two sizes.

Tiles and bundles never change once the tree has their nodes, so they are cacheable for ever; the
checkpoint moves, so it is cached for seconds only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import PlainTextResponse, Response

from api.deps import DbDep, Id, SettingsDep, public_rate_limit
from api.problems import responses
from core.errors import Invalid, NotFound
from core.identifiers import MAX_ID
from translog import current, scheduled, service, tiles

router = APIRouter(tags=["transparency log"], dependencies=[Depends(public_rate_limit)])

IMMUTABLE = "public, max-age=31536000, immutable"
CHECKPOINT_CACHE = "public, max-age=5"
MAX_SIZE = 2**53


class OctetStream(Response):
    media_type = "application/octet-stream"


BINARY: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}
}
Size = Annotated[int, Query(ge=1, le=MAX_SIZE, description="A tree size (at most the published one)")]


@router.get(
    "/tlog/checkpoint",
    summary="The latest signed checkpoint (c2sp.org/tlog-checkpoint)",
    response_class=PlainTextResponse,
    responses=responses(404),
)
def checkpoint(db: DbDep) -> Response:
    with db.read_session() as s:
        note = service.served_note(s, service.published(s))
    return Response(note, media_type="text/plain; charset=utf-8", headers={"Cache-Control": CHECKPOINT_CACHE})


@router.get(
    "/tlog/key",
    summary="The verifier key of the log's checkpoints (c2sp.org/signed-note)",
    response_class=PlainTextResponse,
)
def key(settings: SettingsDep) -> Response:
    vkey = scheduled.signer(settings).verifier.encode()
    return Response(vkey + "\n", media_type="text/plain; charset=utf-8")


@router.get(
    "/tlog/tile/{path:path}",
    summary="A tile or an entry bundle (c2sp.org/tlog-tiles)",
    response_class=OctetStream,
    responses={**BINARY, **responses(404, 422)},
)
def tile(db: DbDep, path: Annotated[str, Path(max_length=200)]) -> Response:
    try:
        t = tiles.parse(path)
    except tiles.TilePathError as exc:
        raise Invalid.field("path", str(exc)) from None
    if t.level is not None and t.level * tiles.HEIGHT > 62:
        raise Invalid.field("path", "no tree has that many levels")
    with db.read_session() as s:
        data = service.tile(s, t)
    if data is None:
        raise NotFound(f"the tree has no {t.path()} yet")
    return OctetStream(data, headers={"Cache-Control": IMMUTABLE})


@router.get(
    "/api/v1/tlog/proof/inclusion",
    summary="Inclusion proof of the leaf at an index (RFC 9162 2.1.3)",
    responses=responses(404, 422),
)
def inclusion(
    db: DbDep,
    index: Annotated[int, Query(ge=0, le=MAX_SIZE, description="The leaf's index")],
    size: Size | None = None,
) -> dict[str, Any]:
    with db.read_session() as s:
        return service.inclusion(s, service.leaf_at(s, index), size)


@router.get(
    "/api/v1/tlog/proof/consistency",
    summary="Consistency proof between two tree sizes (RFC 9162 2.1.4)",
    responses=responses(404, 422),
)
def consistency(
    db: DbDep,
    first: Annotated[int, Query(ge=1, le=MAX_SIZE, description="The older tree's size")],
    second: Size | None = None,
) -> dict[str, Any]:
    with db.read_session() as s:
        return service.consistency(s, first, second)


@router.get(
    "/api/v1/tlog/proof/record/{record_id}",
    summary="Inclusion proof of a disclosure record's version (its latest without `version`)",
    responses=responses(404, 422),
)
def record(
    db: DbDep,
    record_id: Id,
    version: Annotated[int | None, Query(ge=1, le=MAX_ID, description="The record's version")] = None,
) -> dict[str, Any]:
    with db.read_session() as s:
        return service.inclusion(s, service.leaf_of(s, f"disclosure:{record_id}", version))


@router.get(
    "/api/v1/tlog/proof/grade/{enterprise}",
    summary="Inclusion proof of an enterprise's credit grade (its latest without `version`)",
    responses=responses(404, 422),
)
def grade(
    db: DbDep,
    # Not `enterprise_id`: that name marks a path scoped to its enterprise's keys, and this one is public.
    enterprise: Annotated[int, Path(ge=1, le=MAX_ID, description="The enterprise's id")],
    version: Annotated[int | None, Query(ge=1, le=MAX_ID, description="The grade's version")] = None,
) -> dict[str, Any]:
    with db.read_session() as s:
        return service.inclusion(s, service.leaf_of(s, f"grade:{enterprise}", version))


@router.get(
    "/api/v1/tlog/proof/code/{serial}",
    summary="Inclusion proof of one trace code: through its batch's root, then the batch's leaf",
    responses=responses(404, 422),
)
def code(
    db: DbDep, serial: Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[0-9A-Za-z_-]+$")]
) -> dict[str, Any]:
    with db.read_session() as s:
        return service.code_inclusion(s, serial)


@router.get(
    "/api/v1/tlog/current/{subject}",
    summary="What the platform publishes now for a subject of the log, in its leaf's terms (for monitors)",
    responses=responses(404, 422),
)
def published_now(
    db: DbDep,
    subject: Annotated[
        str, Path(max_length=40, pattern=r"^(disclosure|grade|code-batch):[0-9]{1,18}$", examples=["grade:1"])
    ],
) -> dict[str, Any]:
    with db.read_session() as s:
        return current.current(s, subject)
