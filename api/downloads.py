"""A batch's codes as a download, the same answer from the API and the merchant's page: the CSV streamed,
a label sheet or QR ZIP (traceability.exports.Sheet) as one attachment."""

from __future__ import annotations

import io

from fastapi.responses import Response, StreamingResponse

from core.db import Database
from traceability import exports, service
from traceability.labels import csv_stream


def attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"'}


def sheet(found: exports.Sheet) -> Response:
    buf = io.BytesIO()
    found.write(buf)
    return Response(buf.getvalue(), media_type=found.media_type, headers=attachment(found.filename))


def codes_csv(db: Database, batch_id: int, resolver: str) -> StreamingResponse:
    """The batch's codes, one a row (the batch's state is checked before the response starts)."""
    return StreamingResponse(
        csv_stream(service.codes_of_batch(db, batch_id), resolver),
        media_type="text/csv; charset=utf-8",
        headers=attachment(exports.CSV_NAME.format(batch=batch_id)),
    )
