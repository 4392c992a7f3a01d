"""Evidence files: checked by their content (magic bytes, then Pillow for images), never by name;
images re-encoded so that EXIF (GPS, device) is dropped; stored by content hash under var/evidence,
outside the database, as 0600 files. `Store.staged` removes what it wrote if the case is not saved."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from core.errors import Invalid

# Decompression bombs: refuse images beyond 40 megapixels before decoding them.
Image.MAX_IMAGE_PIXELS = 40_000_000

PDF = "application/pdf"
_IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


@dataclass(frozen=True)
class Prepared:
    data: bytes
    media_type: str
    sha256: str


def sniff(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return PDF
    return None


def _reencode(data: bytes, media_type: str, index: int) -> bytes:
    field = f"evidence[{index}]"
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        with Image.open(io.BytesIO(data)) as img:
            if _IMAGE_FORMATS.get(img.format or "") != media_type:
                raise Invalid.field(field, f"the content is {img.format}, not what its header says")
            img.load()
            # A fresh image of the pixels alone carries no EXIF, XMP or ICC text.
            mode = "RGBA" if img.mode in ("RGBA", "LA", "P") and media_type != "image/jpeg" else "RGB"
            clean = Image.new(mode, img.size)
            clean.paste(img.convert(mode))
            out = io.BytesIO()
            fmt = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}[media_type]
            clean.save(out, fmt, **({"quality": 88} if fmt in ("JPEG", "WEBP") else {}))
            return out.getvalue()
    except Invalid:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise Invalid.field(field, f"the image cannot be read: {exc}") from None


def prepare(files: list[bytes], *, max_files: int, max_bytes: int) -> list[Prepared]:
    """Check every file before anything is written; the first bad one refuses the whole intake."""
    if len(files) > max_files:
        raise Invalid.field("evidence", f"at most {max_files} files; {len(files)} were sent")
    prepared = []
    for i, data in enumerate(files):
        field = f"evidence[{i}]"
        if len(data) > max_bytes:
            raise Invalid.field(field, f"the file is {len(data)} bytes; the limit is {max_bytes}")
        if not data:
            raise Invalid.field(field, "the file is empty")
        media_type = sniff(data)
        if media_type is None:
            raise Invalid.field(field, "only JPEG, PNG, WebP or PDF files are accepted (checked by content)")
        if media_type == PDF:
            if b"%%EOF" not in data[-1024:]:
                raise Invalid.field(field, "the PDF is truncated (no %%EOF)")
            clean = data
        else:
            clean = _reencode(data, media_type, i)
        prepared.append(Prepared(clean, media_type, hashlib.sha256(clean).hexdigest()))
    return prepared


class Store:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def read(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    @contextmanager
    def staged(self, files: list[Prepared]) -> Iterator[None]:
        """Write the files; if the block raises, remove those this call created (a file that was
        already there belongs to another case too)."""
        created: list[Path] = []
        try:
            for f in files:
                path = self.path(f.sha256)
                if path.exists():
                    continue
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                tmp = path.with_suffix(".part")
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(f.data)
                os.replace(tmp, path)
                created.append(path)
            yield
        except BaseException:
            for path in created:
                path.unlink(missing_ok=True)
            raise
