"""A finished batch's codes as files: which codes one download may carry (the range rule) and the
label sheet or QR ZIP itself, with its name and media type. The API, the merchant's page and the CLI
all call these, so the same batch, offset and limit get the same answer from each."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from core.db import Database, id_of
from core.errors import Conflict, Invalid, Unavailable
from core.identifiers import MAX_OFFSET
from printing.fonts import FontMissingError
from traceability import service
from traceability.labels import Label, label_sheet_pdf, labels_from, qr_zip
from traceability.models import BatchStatus, CodeBatch

MAX_LABELS = 20_000  # codes in one sheet file or ZIP: a bigger batch is exported in pages
DEFAULT_LABELS = 1000
# The files a batch's labels are exported as: their media type and name.
SHEETS = {
    "labels": ("application/pdf", "labels-batch-{batch}-{offset}.pdf"),  # A4 sheets of labels
    "qr": ("application/zip", "qr-batch-{batch}-{offset}.zip"),  # one QR PNG per code
}
CSV_NAME = "codes-batch-{batch}.csv"  # every code of the batch, one a row
RANGE_OFFSET = f"the first code to export, from 0 to {MAX_OFFSET:,} (in issue order)"
RANGE_LIMIT = f"how many codes, from 1 to {MAX_LABELS:,} (export a bigger batch in pages)"


def check_range(batch: CodeBatch, offset: int, limit: int | None) -> None:
    """The range rule of every export: `limit` codes (None: the rest of the batch, which only the CLI
    asks for, writing a file) from the `offset`-th of a finished batch that has a code there."""
    if not 0 <= offset <= MAX_OFFSET:
        raise Invalid.field("offset", RANGE_OFFSET)
    if limit is not None and not 1 <= limit <= MAX_LABELS:
        raise Invalid.field("limit", RANGE_LIMIT)
    if batch.status != BatchStatus.done:
        raise Conflict(
            f"batch {batch.id} is {batch.status}; only finished batches can be exported", field="batch_id"
        )
    if offset >= batch.issued:
        raise Invalid.field(
            "offset", f"the batch has {batch.issued} codes; the first is 0, the last {batch.issued - 1}"
        )


def batch_in_range(
    db: Database, batch_id: int, offset: int, limit: int | None, enterprise_id: int | None = None
) -> CodeBatch:
    """The batch (with `enterprise_id`, only one of that enterprise's), once the range may be exported."""
    with db.read_session() as s:
        batch = service.get_batch(s, batch_id, enterprise_id)
    check_range(batch, offset, limit)
    return batch


@dataclass(frozen=True)
class Sheet:
    """A batch's labels as one file: the answer the API and the merchant's page give, the file the CLI
    writes. Its labels are read from the database as it is written."""

    kind: str  # a key of SHEETS
    batch_id: int
    offset: int
    labels: Iterator[Label]

    @property
    def media_type(self) -> str:
        return SHEETS[self.kind][0]

    @property
    def filename(self) -> str:
        return SHEETS[self.kind][1].format(batch=self.batch_id, offset=self.offset)

    def write(self, out: BinaryIO) -> int:
        """Write the file; the number of codes in it."""
        try:
            return label_sheet_pdf(self.labels, out) if self.kind == "labels" else qr_zip(self.labels, out)
        except FontMissingError as exc:
            raise Unavailable(f"label sheets cannot be printed on this server: {exc}") from None


def sheet(
    db: Database,
    batch_id: int,
    kind: str,
    resolver: str,
    *,
    offset: int = 0,
    limit: int | None = DEFAULT_LABELS,
    enterprise_id: int | None = None,
) -> Sheet:
    """The batch's labels from `offset` as a label sheet (`labels`) or a ZIP of QR images (`qr`), once
    the range rule holds."""
    if kind not in SHEETS:
        raise Invalid.field("format", f"one of {', '.join(SHEETS)}")
    batch = batch_in_range(db, batch_id, offset, limit, enterprise_id)
    codes = service.codes_of_batch(db, id_of(batch))
    return Sheet(kind, id_of(batch), offset, labels_from(codes, resolver, offset, limit))
