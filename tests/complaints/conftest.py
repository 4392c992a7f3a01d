"""Small factories for complaint tests: a released, coded product to complain about, and intake."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import pytest
from PIL import Image

from tests.conftest import Keys
from tests.receiver import Receiver
from tests.traceability.conftest import Flow


def jpeg_with_exif(size: tuple[int, int] = (64, 48)) -> bytes:
    img = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0131] = "GPS 29.87N 121.55E"  # Software; stands for the location data a phone writes
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def png(size: tuple[int, int] = (32, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (0, 120, 0)).save(out, "PNG")
    return out.getvalue()


@cache
def gray_png(width: int, height: int) -> bytes:
    """A valid grayscale PNG of one colour, built row by row without the pixels in memory: a few
    kilobytes that decode to width x height bytes (the issue's bomb is 8900 x 8900 in 77 KB). Made once
    per size and worker: compressing the bomb's 79 million bytes takes a few tenths of a second."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    z = zlib.compressobj(9)
    row = b"\x00" * (width + 1)  # filter byte, then the row
    idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

NARRATIVE = "奶粉罐底部有结块，冲调后有异味，宝宝喝了以后呕吐，要求退款并赔偿。"


@dataclass
class Filed:
    ticket_no: str
    token: str
    id: int
    body: dict

    @property
    def track(self) -> dict[str, str]:
        return {"X-Tracking-Token": self.token}


class Cases:
    def __init__(self, client, keys: Keys) -> None:
        self.client = client
        self.keys = keys
        self.flow = Flow(client, keys)
        self._codes: list[dict] = []

    def code(self) -> dict:
        if not self._codes:
            _product, _decl, self._codes = self.flow.released_codes(quantity=10)
        return self._codes.pop()

    def file(self, files=(), expect: int = 201, **over) -> Filed:
        data = {
            "code": self.code()["uri"],
            "category": "quality",
            "narrative": NARRATIVE,
            "wanted": "refund",
            "contact": "13812345678",
            "consent_publish": "true",
        }
        data.update({k: v for k, v in over.items() if v is not None})
        data = {k: v for k, v in data.items() if v != ""}
        parts = [
            ("evidence", (f"f{i}.bin", content, "application/octet-stream"))
            for i, content in enumerate(files)
        ]
        r = self.client.post("/api/v1/public/complaints", data=data, files=parts or None)
        assert r.status_code == expect, r.text
        if expect != 201:
            return Filed("", "", 0, r.json())
        body = r.json()
        cid = self.id_of(body["ticket_no"])
        return Filed(body["ticket_no"], body["tracking_token"], cid, body)

    def id_of(self, ticket_no: str) -> int:
        r = self.client.get(
            "/api/v1/complaints", headers=Keys.header(self.keys.regulator), params={"limit": 1000}
        )
        return next(c["id"] for c in r.json() if c["ticket_no"] == ticket_no)

    def answer(self, case: Filed, expect: int = 200, **body) -> dict:
        body = {"outcome": "refund", "public_response": "resolved_with_consumer", "text": "已退款"} | body
        r = self.client.post(
            f"/api/v1/enterprises/{self.keys.merchant_id}/complaints/{case.id}/answer",
            json=body,
            headers=Keys.header(self.keys.merchant),
        )
        assert r.status_code == expect, r.text
        return r.json()

    def sweep(self) -> dict:
        r = self.client.post("/api/v1/complaint-sweeps", headers=Keys.header(self.keys.regulator))
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture
def cases(client, keys) -> Cases:
    return Cases(client, keys)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver("/hooks/complaints")
    yield r
    r.close()
