"""Intake's front door: an admin registers a source; the source, with its own key (X-Source-Key), sends a
file (the body, as is) or pushes a batch of rows (JSON), follows its delivery and downloads its rejected
rows. The same bytes sent twice answer the first delivery (200, `repeated`)."""

from __future__ import annotations

import io
import tempfile
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from api.deps import DbDep, SettingsDep, require
from api.problems import responses
from core.db import Database
from core.errors import Invalid, Unauthorized
from core.identifiers import MAX_ID
from core.security import Principal, Role
from intake import resume
from intake import service as intake
from intake.deliveries import batch_file
from intake.schemas import Batch, IntakeDeliveryOut, SourceCreate, SourceCreated

router = APIRouter(prefix="/api/v1/intake", tags=["intake"])
Admin = Annotated[Principal, Depends(require(Role.admin))]


def _source_key(
    key: Annotated[str | None, Header(alias="X-Source-Key", max_length=120)] = None,
) -> str:
    """The source's own key; none at all is a 401, as a missing API key is (not a 422 of a header)."""
    if not key:
        raise Unauthorized("send the source's key in the X-Source-Key header")
    return key


SourceKey = Annotated[str, Depends(_source_key)]
DeliveryId = Annotated[int, Path(ge=1, le=MAX_ID)]
MAX_HTTP_FILE = 256 << 20  # larger files go through `crosstrust intake send`


@router.post("/sources", status_code=201, response_model=SourceCreated, responses=responses(409, 422))
def add_source(data: SourceCreate, db: DbDep, by: Admin) -> SourceCreated:
    """Register a source (an agency); its key is in this answer only."""
    with db.transaction() as s:
        src, key = intake.register(s, data, by)
        return SourceCreated(**src.model_dump(), key=key)


def _source_id(db: Database, key: str) -> int:
    with db.read_session() as s:
        sid = intake.authenticate(s, key).id
        assert sid is not None
        return sid


def _take(db: Database, directory, source_id: int, kind: str, fh, **kw) -> IntakeDeliveryOut:  # noqa: ANN001
    path, sha, size = intake.store(fh, directory, limit=MAX_HTTP_FILE)
    d = intake.receive(db, source_id, kind, path, sha, size, by=f"source:{source_id}", **kw)
    intake.process(db, d.id)
    with db.read_session() as s:
        return intake.out(intake.get_delivery(s, d.id), d.repeated)


def _received(db: Database, directory, source_id: int, kind: str, fh, **kw) -> IntakeDeliveryOut:  # noqa: ANN001
    """A file stored and recorded as a delivery (or the earlier delivery of the same bytes), not imported."""
    path, sha, size = intake.store(fh, directory, limit=MAX_HTTP_FILE)
    return intake.receive(db, source_id, kind, path, sha, size, by=f"source:{source_id}", **kw)


def _answer(d: IntakeDeliveryOut, response: Response) -> IntakeDeliveryOut:
    response.status_code = 200 if d.repeated else 201
    return d


ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {
        "description": "Received whole and checked (encoding, header, mapping); imported in the background:"
        " follow the Location (the delivery's status turns done, with its counts)",
        "model": IntakeDeliveryOut,
        "headers": {"Location": {"description": "The delivery to follow", "schema": {"type": "string"}}},
    },
    200: {
        "description": "The same bytes were sent before: that delivery, as it stands",
        "model": IntakeDeliveryOut,
    },
}


@router.post(
    "/deliveries",
    status_code=202,
    response_model=IntakeDeliveryOut,
    responses={**ACCEPTED, **responses(401, 413, 422)},
)
async def send_file(
    request: Request,
    response: Response,
    db: DbDep,
    settings: SettingsDep,
    key: SourceKey,
    kind: Annotated[str, Query(min_length=1, max_length=40)],
    filename: Annotated[str, Query(min_length=1, max_length=200)],
    format: Annotated[Literal["csv", "xlsx", "jsonl", "json"] | None, Query()] = None,  # noqa: A002
    encoding: Annotated[Literal["utf-8", "gbk", "gb18030"] | None, Query()] = None,
) -> IntakeDeliveryOut:
    """Send a file as the request body. It is stored and checked before the answer (a wrong encoding, a
    missing column: 422, nothing kept) and imported after it, chunk by chunk, on the server's job runner;
    follow the delivery at its Location. A server that stops mid-import resumes it (intake.resume); the
    same bytes sent again answer that delivery (200)."""
    source_id = await run_in_threadpool(_source_id, db, key)
    with tempfile.SpooledTemporaryFile(8 << 20) as spool:
        size = 0
        async for block in request.stream():
            size += len(block)
            if size > MAX_HTTP_FILE:
                raise Invalid.field("file", f"larger than {MAX_HTTP_FILE} bytes: send it with the CLI")
            spool.write(block)
        spool.seek(0)
        directory = settings.ensure_var_dir() / "intake"
        d = await run_in_threadpool(
            _received, db, directory, source_id, kind, spool, filename=filename, fmt=format, encoding=encoding
        )
    if d.repeated:
        response.status_code = 200
        return d
    request.app.state.jobs.submit(lambda: resume.import_quietly(db, d.id))
    response.status_code = 202
    response.headers["Location"] = f"/api/v1/intake/deliveries/{d.id}"
    return d


@router.post("/batches", status_code=201, response_model=IntakeDeliveryOut, responses=responses(401, 422))
def push_batch(
    data: Batch, response: Response, db: DbDep, settings: SettingsDep, key: SourceKey
) -> IntakeDeliveryOut:
    """Push rows (column -> value) as a delivery; the same rows again are the same delivery."""
    source_id = _source_id(db, key)
    directory = settings.ensure_var_dir() / "intake"
    fh = io.BytesIO(batch_file(data))
    d = _take(
        db,
        directory,
        source_id,
        data.kind,
        fh,
        filename="batch.jsonl",
        fmt="jsonl",
        encoding="utf-8",
        columns=data.columns or None,
    )
    return _answer(d, response)


@router.get("/deliveries/{delivery_id}", response_model=IntakeDeliveryOut, responses=responses(401, 404))
def delivery(delivery_id: DeliveryId, db: DbDep, key: SourceKey) -> IntakeDeliveryOut:
    source_id = _source_id(db, key)
    with db.read_session() as s:
        return intake.out(intake.get_delivery(s, delivery_id, source_id))


@router.get("/deliveries/{delivery_id}/rejected.csv", responses=responses(401, 404))
def rejected_rows(delivery_id: DeliveryId, db: DbDep, key: SourceKey) -> Response:
    """The delivery's rejected rows with their reasons, as CSV a spreadsheet opens safely."""
    source_id = _source_id(db, key)
    buf = io.StringIO()
    with db.read_session() as s:
        intake.get_delivery(s, delivery_id, source_id)
        intake.rejected_csv(s, delivery_id, buf)
    return Response(
        "\ufeff" + buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="rejected-{delivery_id}.csv"'},
    )
