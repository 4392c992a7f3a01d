"""Reading a stored delivery row by row, whatever its form: CSV (UTF-8 or GBK), XLSX (openpyxl in
read-only mode, after a bound on its uncompressed size: an XLSX is a ZIP), JSON lines or a JSON array.
Nothing is read whole: a file of tens of millions of rows streams in constant memory."""

from __future__ import annotations

import codecs
import csv
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core.errors import Invalid

FORMATS = ("csv", "xlsx", "jsonl", "json")
ENCODINGS = {
    "utf-8": "utf-8-sig",
    "utf8": "utf-8-sig",
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "gb18030": "gb18030",
}
MAX_UNCOMPRESSED = 2 << 30  # an XLSX whose parts inflate beyond 2 GiB is refused
MAX_RATIO = 100  # ... or one whose part inflates more than 100 times (sheet XML inflates 5-20 times)
_BLOCK = 1 << 16


def format_of(filename: str, declared: str | None) -> str:
    fmt = (declared or Path(filename).suffix.lstrip(".")).lower()
    fmt = "jsonl" if fmt == "ndjson" else fmt
    if fmt not in FORMATS:
        raise Invalid.field("format", f"{fmt or 'no format'!r} is not one of {', '.join(FORMATS)}")
    return fmt


def _decodes(path: Path, codec: str) -> tuple[bool, int]:
    """Whether the whole file decodes; else the byte offset where it stopped."""
    dec = codecs.getincrementaldecoder(codec)()
    offset = 0
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            try:
                dec.decode(block)
            except UnicodeDecodeError as exc:
                return False, offset + exc.start
            offset += len(block)
        try:
            dec.decode(b"", final=True)
        except UnicodeDecodeError:
            return False, offset
    return True, offset


def encoding_of(path: Path, fmt: str, declared: str | None) -> str:
    """The declared encoding, checked over the whole file; or UTF-8, else GBK (GB 18030), detected."""
    if fmt == "xlsx":
        return "xlsx"
    if declared:
        codec = ENCODINGS.get(declared.lower())
        if codec is None:
            raise Invalid.field("encoding", f"{declared!r} is not one of utf-8, gbk, gb18030")
        ok, at = _decodes(path, codec)
        if not ok:
            raise Invalid.field("encoding", f"the file is not {declared}: byte {at} does not decode")
        return "utf-8" if codec == "utf-8-sig" else "gbk"
    for name, codec in (("utf-8", "utf-8-sig"), ("gbk", "gb18030")):
        if _decodes(path, codec)[0]:
            return name
    raise Invalid.field("encoding", "the file is neither UTF-8 nor GBK: declare its encoding")


def check_zip(path: Path, limit: int = MAX_UNCOMPRESSED) -> None:
    """Refuse an XLSX that is not a ZIP, or whose parts would inflate beyond the bounds (a zip bomb)."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except zipfile.BadZipFile:
        raise Invalid.field(
            "file", "an .xlsx file must be a ZIP (Office Open XML); this one is not"
        ) from None
    total = sum(i.file_size for i in infos)
    if total > limit:
        raise Invalid.field("file", f"the XLSX inflates to {total} bytes, above the bound of {limit}")
    for i in infos:
        if i.file_size > MAX_RATIO * max(i.compress_size, 1) and i.file_size > _BLOCK:
            raise Invalid.field(
                "file",
                f"part {i.filename} inflates {i.file_size // max(i.compress_size, 1)} times: a zip bomb?",
            )


def _codec(encoding: str) -> str:
    return ENCODINGS.get(encoding, encoding)


def _csv(path: Path, encoding: str) -> Iterator[dict[str, Any]]:
    with path.open("rb") as raw, io.TextIOWrapper(raw, encoding=_codec(encoding), newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, [])
        yield {"": header}
        for values in reader:
            if any(v.strip() for v in values):
                yield dict(zip(header, values, strict=False))


def _xlsx(path: Path) -> Iterator[dict[str, Any]]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    with path.open("rb") as fh:  # stored under its hash, without the .xlsx openpyxl looks for in a name
        try:
            wb = load_workbook(fh, read_only=True, data_only=False)
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a broken workbook
            raise Invalid.field("file", f"not a readable XLSX workbook: {exc}") from None
        try:
            rows = wb.worksheets[0].iter_rows(values_only=True)
            header = [str(h) if h is not None else "" for h in next(rows, ())]
            yield {"": header}
            for values in rows:
                if any(v not in (None, "") for v in values):
                    yield dict(zip(header, values, strict=False))
        finally:
            wb.close()


def _objects(fh: io.TextIOBase) -> Iterator[Any]:
    """The elements of a JSON array, one at a time."""
    decoder = json.JSONDecoder()
    buf, pos, started = "", 0, False
    while True:
        chunk = fh.read(_BLOCK)
        buf = buf[pos:] + chunk
        pos = 0
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n,":
                pos += 1
            if not started and pos < len(buf):
                if buf[pos] != "[":
                    raise Invalid.field("file", "a .json delivery is an array of objects")
                started, pos = True, pos + 1
                continue
            if pos < len(buf) and buf[pos] == "]":
                return
            try:
                value, pos = decoder.raw_decode(buf, pos)
            except json.JSONDecodeError:
                if not chunk:
                    raise Invalid.field("file", "the JSON array is not complete") from None
                break
            yield value
        if not chunk:
            return


def _json(path: Path, encoding: str, lines: bool) -> Iterator[dict[str, Any]]:
    with path.open("rb") as raw, io.TextIOWrapper(raw, encoding=_codec(encoding)) as fh:
        items = (json.loads(ln) for ln in fh if ln.strip()) if lines else _objects(fh)
        first = True
        for item in items:
            if not isinstance(item, dict):
                raise Invalid.field("file", "each JSON record must be an object")
            if first:
                yield {"": list(item)}
                first = False
            yield item


def rows(path: Path, fmt: str, encoding: str) -> Iterator[dict[str, Any]]:
    """The header first (as {"": [columns]}), then each data row as column -> value."""
    if fmt == "csv":
        return _csv(path, encoding)
    if fmt == "xlsx":
        return _xlsx(path)
    return _json(path, encoding, fmt == "jsonl")


def header(path: Path, fmt: str, encoding: str) -> list[str]:
    it = rows(path, fmt, encoding)
    try:
        first: dict[str, Any] = next(it, {"": []})
    except (json.JSONDecodeError, ValueError) as exc:
        raise Invalid.field("file", f"cannot read the file as {fmt}: {exc}") from None
    finally:
        close = getattr(it, "close", None)
        if close:
            close()
    return [str(h) for h in first.get("", [])]
