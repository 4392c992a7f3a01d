"""Evidence files: checked by their content (magic bytes, then Pillow for images), never by name;
images re-encoded so that EXIF (GPS, device) is dropped; stored by content hash under var/evidence,
outside the database, as 0600 files. `Store.staged` removes what it wrote if the case is not saved.

Decompression bombs: a PNG of a few kilobytes can declare 80 million pixels. An image's size is read
from its own header here, before Pillow is asked for anything (Pillow's WebP plugin allocates the canvas
when it opens a file, and its own `MAX_IMAGE_PIXELS` only refuses at twice the number it is set to), and
an image over the limit, or animated, is refused undecoded. What checking an image takes (the decoded
pixels, a converted copy, a progressive JPEG's coefficients, libwebp's canvases and encoder) is estimated
from the header too, and held in a `DecodeBudget`: an image that alone would take more than the budget is
refused, and the images being checked at once across all intakes never take more than it together."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import hashlib
import io
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from core.errors import Invalid, Unavailable

PDF = "application/pdf"
_IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_PILLOW_FORMAT = {media: name for name, media in _IMAGE_FORMATS.items()}
# Pillow keeps an image of these modes as is; others become RGB (or RGBA where the format has alpha).
_KEPT_MODES = {"image/jpeg": ("L", "RGB"), "image/png": ("L", "RGB", "RGBA"), "image/webp": ("RGB", "RGBA")}
# JPEG start-of-frame markers (SOF0-3, 5-7, 9-11, 13-15): they carry the frame's height and width.
_SOF = frozenset({*range(0xC0, 0xC4), *range(0xC5, 0xC8), *range(0xC9, 0xCC), *range(0xCD, 0xD0)})
MIB = 1024 * 1024
# Bytes a pixel costs to check (decode, convert, re-encode), measured with scripts/bench (VmHWM over
# 5 Mpx of noise, rounded up). Pillow holds RGB as 4 bytes a pixel; a mode it converts is a second copy.
_PNG_COST = {0: 3, 2: 7, 3: 6, 4: 9, 6: 7}  # by colour type: grey, RGB, palette, grey+alpha, RGBA
_JPEG_COST = {1: 2, 3: 6, 4: 9}  # by components; progressive adds 2 bytes a component (coefficients)
_WEBP_COST = 36  # libwebp's two canvases, Pillow's copy, the encoder's planes


@dataclass(frozen=True)
class Prepared:
    data: bytes
    media_type: str
    sha256: str


@dataclass(frozen=True)
class Header:
    """What an image's header says, read without decoding it."""

    width: int
    height: int
    frames: int = 1
    bytes_per_pixel: int = 4

    @property
    def pixels(self) -> int:
        return self.width * self.height

    def cost(self, size: int) -> int:
        """The memory checking the image takes, in bytes: its pixels, and the file in and out."""
        return self.pixels * self.bytes_per_pixel + 2 * size


class DecodeBudget:
    """The memory the process spends checking images at once, across every intake: one large image or
    several smaller ones. A check waits for room (at most `wait` seconds, then 503)."""

    def __init__(self, total: int, wait: float = 30.0) -> None:
        self.total = total
        self.free = total
        self.wait = wait
        self._room = threading.Condition()

    @contextmanager
    def hold(self, amount: int) -> Iterator[None]:
        amount = min(amount, self.total)
        with self._room:
            if not self._room.wait_for(lambda: self.free >= amount, self.wait):
                raise Unavailable("too many images are being checked at once; try again in a minute")
            self.free -= amount
        try:
            yield
        finally:
            with self._room:
                self.free += amount
                idle = self.free == self.total
                self._room.notify_all()
            if idle and amount >= _TRIM_FROM:
                _give_back()


# Pillow takes an image's memory in 16 MiB blocks, which glibc serves from per-thread arenas once the first
# is freed, and keeps when they are freed: without a trim a server stays at its peak after a large image.
_TRIM_FROM = 64 * MIB


@functools.cache
def _malloc_trim() -> object | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None  # not glibc: nothing to give back this way


def _give_back() -> None:
    trim = _malloc_trim()
    if trim is not None:
        trim(0)  # type: ignore[operator]


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


def _u16(data: bytes, at: int, order: str = "big") -> int:
    return int.from_bytes(data[at : at + 2], order)  # type: ignore[arg-type]


def _u24le(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + 3], "little")


def _png_header(data: bytes) -> Header | None:
    if len(data) < 26 or data[12:16] != b"IHDR":
        return None
    depth, colour = data[24:25], data[25:26]
    cost = _PNG_COST.get(colour[0], 9) if colour else 9
    if colour == b"\x00" and depth != b"\x08":  # grey of 1, 2, 4 or 16 bits: converted
        cost = 7
    header = Header(int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big"), 1, cost)
    at = 8
    while at + 12 <= len(data):  # the chunks before the pixels: an APNG says it is one there (acTL)
        length, kind = int.from_bytes(data[at : at + 4], "big"), data[at + 4 : at + 8]
        if kind == b"acTL" and at + 12 <= len(data):
            return Header(header.width, header.height, int.from_bytes(data[at + 8 : at + 12], "big"), cost)
        if kind in (b"IDAT", b"IEND"):
            break
        at += 12 + length
    return header


def _jpeg_header(data: bytes) -> Header | None:
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            at += 2
            continue
        if marker in _SOF:
            if at + 10 > len(data):
                return None
            components = data[at + 9]
            progressive = marker in (0xC2, 0xC6, 0xCA, 0xCE)
            cost = _JPEG_COST.get(components, 9) + (2 * components if progressive else 0)
            return Header(_u16(data, at + 7), _u16(data, at + 5), 1, cost)
        if marker in (0xD9, 0xDA):  # the end, or the pixels, before any frame header
            return None
        at += 2 + _u16(data, at + 2)
    return None


def _webp_size(kind: bytes, body: bytes) -> tuple[int, int] | None:
    if kind == b"VP8 " and len(body) >= 10 and body[3:6] == b"\x9d\x01\x2a":
        return _u16(body, 6, "little") & 0x3FFF, _u16(body, 8, "little") & 0x3FFF
    if kind == b"VP8L" and len(body) >= 5 and body[0] == 0x2F:
        bits = int.from_bytes(body[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if kind == b"VP8X" and len(body) >= 10:
        return _u24le(body, 4) + 1, _u24le(body, 7) + 1
    return None


def _webp_header(data: bytes) -> Header | None:
    # Every chunk that states a size counts (the canvas and each bitstream): the largest is what a
    # decoder would allocate. An animation flag or an animation frame makes it animated.
    width = height = 0
    frames = 1
    at = 12
    while at + 8 <= len(data):
        kind, length = data[at : at + 4], int.from_bytes(data[at + 4 : at + 8], "little")
        body = data[at + 8 : at + 8 + length]
        size = _webp_size(kind, body)
        if size is not None and size[0] * size[1] > width * height:
            width, height = size
        if (kind == b"VP8X" and body[:1] and body[0] & 0x02) or kind == b"ANMF":
            frames = 2
        at += 8 + length + (length & 1)
    return Header(width, height, frames, _WEBP_COST) if width and height else None


def image_header(data: bytes, media_type: str) -> Header | None:
    """The size (and frame count) an image's header declares, or None if it states none."""
    read = {"image/png": _png_header, "image/jpeg": _jpeg_header, "image/webp": _webp_header}
    return read[media_type](data)


def _check_header(data: bytes, media_type: str, field: str, max_pixels: int, budget: DecodeBudget) -> Header:
    header = image_header(data, media_type)
    if header is None or header.pixels == 0:
        raise Invalid.field(field, "the image cannot be read: its header states no size")
    if header.pixels > max_pixels:
        raise Invalid.field(
            field,
            f"the image is {header.width} x {header.height} pixels ({header.pixels:,}); "
            f"the limit is {max_pixels:,} pixels",
        )
    if header.frames > 1:
        raise Invalid.field(field, "animated images are not accepted; send a still picture")
    if header.cost(len(data)) > budget.total:
        raise Invalid.field(
            field,
            f"checking this {header.width} x {header.height} image would take about "
            f"{header.cost(len(data)) // MIB} MiB; the limit is {budget.total // MIB} MiB "
            "(send it smaller, or as a JPEG)",
        )
    return header


def _reencode(data: bytes, media_type: str, index: int, max_pixels: int, budget: DecodeBudget) -> bytes:
    field = f"evidence[{index}]"
    # Refused from the header alone: nothing over the limit reaches a decoder.
    header = _check_header(data, media_type, field, max_pixels, budget)
    formats = [_PILLOW_FORMAT[media_type]]
    try:
        with Image.open(io.BytesIO(data), formats=formats) as probe:
            probe.verify()
        with budget.hold(header.cost(len(data))), Image.open(io.BytesIO(data), formats=formats) as img:
            if _IMAGE_FORMATS.get(img.format or "") != media_type:
                raise Invalid.field(field, f"the content is {img.format}, not what its header says")
            if img.size != (header.width, header.height):
                raise Invalid.field(field, "the image's header and its content disagree on its size")
            if getattr(img, "n_frames", 1) != 1:
                raise Invalid.field(field, "animated images are not accepted; send a still picture")
            img.load()
            clean: Image.Image
            if img.mode in _KEPT_MODES[media_type]:
                clean = img  # no second copy of the pixels
            else:
                alpha = img.mode in ("RGBA", "LA", "P", "PA") and media_type != "image/jpeg"
                clean = img.convert("RGBA" if alpha else "RGB")
                img.close()  # the decoded pixels go before the encoder's buffers come
            # Nothing but the pixels is written: EXIF, XMP, ICC and comments live in `info`.
            clean.info = {}
            out = io.BytesIO()
            fmt = _PILLOW_FORMAT[media_type]
            clean.save(out, fmt, **({"quality": 88} if fmt in ("JPEG", "WEBP") else {}))
            return out.getvalue()
    except (Invalid, Unavailable):
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise Invalid.field(field, f"the image cannot be read: {exc}") from None


def prepare(
    files: list[bytes], *, max_files: int, max_bytes: int, max_pixels: int, budget: DecodeBudget
) -> list[Prepared]:
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
            clean = _reencode(data, media_type, i, max_pixels, budget)
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
