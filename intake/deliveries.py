"""Receiving a delivery: the bytes are stored under their SHA-256 first, then checked whole (format, an
XLSX's inflated size, the encoding, the mapping's columns against the file's header) before anything is
imported. The same bytes from the same source are the same delivery: sending twice answers the first."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import BinaryIO, TextIO

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core import audit
from core.clock import utcnow
from core.db import Database
from core.errors import Invalid, NotFound
from intake import reader
from intake.mapping import get
from intake.models import IntakeDelivery, IntakeRejected, IntakeSource
from intake.schemas import Batch, IntakeDeliveryOut

MAX_FILE = 8 << 30  # 8 GiB


def store(stream: BinaryIO, directory: Path, *, limit: int = MAX_FILE) -> tuple[Path, str, int]:
    """Copy the stream to `directory`, named by its SHA-256 (fsynced before the delivery is recorded)."""
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".part-{uuid.uuid4().hex}"
    h, size = hashlib.sha256(), 0
    try:
        with tmp.open("wb") as out:
            while block := stream.read(1 << 20):
                size += len(block)
                if size > limit:
                    raise Invalid.field("file", f"larger than {limit} bytes")
                h.update(block)
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise Invalid.field("file", "the file is empty")
        path = directory / h.hexdigest()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path, h.hexdigest(), size


def out(d: IntakeDelivery, repeated: bool = False) -> IntakeDeliveryOut:
    return IntakeDeliveryOut.model_validate({**d.model_dump(), "repeated": repeated})


def _existing(session: Session, source_id: int, sha: str) -> IntakeDelivery | None:
    stmt = select(IntakeDelivery).where(
        IntakeDelivery.source_id == source_id, IntakeDelivery.content_sha256 == sha
    )
    return session.exec(stmt).first()


def receive(
    db: Database,
    source_id: int,
    kind: str,
    path: Path,
    sha: str,
    size: int,
    *,
    filename: str = "",
    fmt: str | None = None,
    encoding: str | None = None,
    columns: dict[str, str] | None = None,
    by: str,
) -> IntakeDeliveryOut:
    """Record a stored file as a delivery (or answer the earlier delivery of the same bytes)."""
    with db.read_session() as s:
        if s.get(IntakeSource, source_id) is None:
            raise NotFound(f"no source {source_id}")
        earlier = _existing(s, source_id, sha)
        if earlier is not None:
            return out(earlier, repeated=True)
    m = get(kind)
    fmt = reader.format_of(filename, fmt)
    if fmt == "xlsx":
        reader.check_zip(path)
    enc = reader.encoding_of(path, fmt, encoding)
    header = reader.header(path, fmt, enc)
    if not header:
        raise Invalid.field("file", "the file has no header row")
    resolved = m.resolve(header, columns)
    d = IntakeDelivery(
        source_id=source_id,
        kind=m.kind,
        mapping_version=m.version,
        content_sha256=sha,
        filename=filename[:200],
        format=fmt,
        encoding=enc,
        size=size,
        stored_path=str(path),
        columns=resolved,
        header=header,
        created_by=by,
        created_at=utcnow(),
        heartbeat_at=utcnow(),
    )
    try:
        with db.transaction() as s:
            s.add(d)
            s.flush()
            audit.record(
                s, by, "intake.delivery_received", "intake_delivery", d.id, {"sha256": sha, "kind": kind}
            )
            return out(d)
    except IntegrityError:  # the same bytes, received at the same moment by another request
        with db.read_session() as s:
            again = _existing(s, source_id, sha)
            assert again is not None
            return out(again, repeated=True)


def batch_file(batch: Batch) -> bytes:
    """A pushed batch as the JSON-lines file it is stored as (its bytes identify it)."""
    return b"".join(json.dumps(r, ensure_ascii=False, sort_keys=True).encode() + b"\n" for r in batch.rows)


def get_delivery(session: Session, delivery_id: int, source_id: int | None = None) -> IntakeDelivery:
    d = session.get(IntakeDelivery, delivery_id)
    if d is None or (source_id is not None and d.source_id != source_id):
        raise NotFound(f"no delivery {delivery_id}")
    return d


def rejected(session: Session, delivery_id: int, limit: int = 1000, after: int = 0) -> list[IntakeRejected]:
    stmt = (
        select(IntakeRejected)
        .where(IntakeRejected.delivery_id == delivery_id, IntakeRejected.row_no > after)
        .order_by(col(IntakeRejected.row_no))
        .limit(limit)
    )
    return list(session.exec(stmt))


def rejected_csv(session: Session, delivery_id: int, fh: TextIO) -> int:
    """The rejected rows as CSV (formula-safe): row, field, reason, then the row's own columns."""
    from core.csvsafe import SafeWriter

    d = get_delivery(session, delivery_id)
    w = SafeWriter(fh)
    w.writerow(["行号 row", "字段 field", "原因 reason", *d.header])
    n, after = 0, 0
    while page := rejected(session, delivery_id, 1000, after):
        for r in page:
            w.writerow([r.row_no, r.field, r.reason, *(r.raw.get(h, "") for h in d.header)])
            n += 1
        after = page[-1].row_no
    return n
