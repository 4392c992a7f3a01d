"""Benchmark trace-code QR PNGs, ZIPs and PDF label sheets against the qrcode library's default path.

    .venv/bin/python scripts/bench/bench_labels.py [LABELS [BASELINE_SAMPLE]]    (defaults 2000 and 200)

Prints one JSON line. The baseline, `qrcode.make(uri).save(buf, "PNG")` per code, runs on a smaller
sample in the same run. A sample of our PNGs is decoded with zxing-cpp, and the first seven PDF pages
(147 labels, rasterised at 300 dpi by poppler's pdftoppm) are decoded a whole page at a time with zbar's
zbarimg and with zxing-cpp; the run fails (exit 1) if any code does not read back.
"""

from __future__ import annotations

import io
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import qrcode  # noqa: E402
from PIL import Image  # noqa: E402

from printing.qr import qr_matrix, qr_png  # noqa: E402
from traceability.labels import A4_21, DOT_MM, QUIET_MODULES, Label, label_sheet_pdf, module_dots, qr_zip  # noqa: E402

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RESOLVER = "http://127.0.0.1:8000"
PRODUCTS = [  # GTIN-13 body, Chinese name, English name
    ("690123456789", "爱他美婴幼儿配方奶粉3段 800克", "Aptamil Infant Formula Stage 3, 800 g"),
    ("690765432101", "a2至初婴儿配方奶粉1段 900克", "a2 Platinum Infant Formula Stage 1, 900 g"),
    ("690555000123", "澳佳宝深海鱼油胶囊 400粒", "Blackmores Odourless Fish Oil 1000 mg, 400 capsules"),
    (
        "690888123450",
        "美赞臣安婴儿A+亲舒婴儿配方奶粉1段（0-12个月）850克",
        "Enfinitas A+ Gentle Stage 1, 850 g",
    ),
    ("690246813579", "贝亲宽口径玻璃奶瓶 240毫升", "Pigeon Wide Neck Glass Feeding Bottle, 240 ml"),
]


def gtin14(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (body + str((10 - total % 10) % 10)).zfill(14)


def make_labels(count: int, seed: int = 2611) -> list[Label]:
    rng = random.Random(seed)
    result = []
    for i in range(count):
        body, name_zh, name_en = PRODUCTS[i * len(PRODUCTS) // count]
        gtin = gtin14(body)
        lot = f"LOT{26 + i % 3}{rng.randrange(10, 99)}{rng.choice('ABC')}"
        serial = "1" + "".join(rng.choice(CROCKFORD) for _ in range(19))
        expiry = date(2028, 1, 1) + timedelta(days=rng.randrange(0, 700))
        result.append(
            Label(
                uri=f"{RESOLVER}/01/{gtin}/10/{lot}/21/{serial}?17={expiry:%y%m%d}",
                hri=f"(01){gtin}(10){lot}(21){serial}(17){expiry:%y%m%d}",
                short="-".join(serial[j : j + 4] for j in range(0, 20, 4)),
                name_zh=name_zh,
                name_en=name_en,
                lot=lot,
                expiry=expiry,
            )
        )
    return result


class Sink(io.RawIOBase):
    """Counts bytes and keeps none, so that the output's size costs no memory."""

    def __init__(self) -> None:
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        self.size += len(data)
        return len(data)


def best_of(runs: int, work) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def baseline_png(uri: str) -> bytes:
    buffer = io.BytesIO()
    qrcode.make(uri).save(buffer, "PNG")
    return buffer.getvalue()


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    sample = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    try:
        import zxingcpp
    except ImportError:
        print("the benchmark checks that codes decode: pip install zxing-cpp", file=sys.stderr)
        return 2
    if not shutil.which("pdftoppm"):
        print("the benchmark rasterises a sheet: apt-get install poppler-utils", file=sys.stderr)
        return 2
    if not shutil.which("zbarimg"):
        print("the benchmark reads whole pages with zbar: apt-get install zbar-tools", file=sys.stderr)
        return 2
    batch = make_labels(count)
    uris = [label.uri for label in batch]

    start = time.perf_counter()
    label_sheet_pdf(batch[:1], Sink())  # finds and loads the fonts, once per process
    font_load_s = time.perf_counter() - start

    png_s = best_of(3, lambda: [qr_png(uri) for uri in uris])
    zip_s = best_of(3, lambda: qr_zip(batch, Sink()))
    pdf_sink = Sink()
    pdf_s = best_of(3, lambda: label_sheet_pdf(batch, pdf_sink))
    pdf_bytes = pdf_sink.size // 3

    base_uris = uris[:sample]
    baseline_s = best_of(3, lambda: [baseline_png(uri) for uri in base_uris])
    identical = 0
    for uri in base_uris:
        reference = qrcode.QRCode(border=0)
        reference.add_data(uri)
        reference.make()
        rows = tuple("".join("1" if m else "0" for m in row) for row in reference.modules)
        identical += qr_matrix(uri).rows == rows

    # Readability: a spread of our PNGs, and every code on the first PDF page at 300 dpi.
    checked = batch[:: max(1, count // 50)]
    png_read = sum(
        [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(qr_png(label.uri))))] == [label.uri]
        for label in checked
    )
    page_codes = min(7 * A4_21.per_page, count)
    issued = {label.uri for label in batch[:page_codes]}
    by_zbar: set[str] = set()
    by_zxing: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp:
        first = Path(tmp) / "first.pdf"
        with first.open("wb") as out:
            label_sheet_pdf(batch[:page_codes], out)
        subprocess.run(["pdftoppm", "-r", "300", "-gray", "-png", str(first), f"{tmp}/page"], check=True)
        for page in sorted(Path(tmp).glob("page-*.png")):
            read = subprocess.run(
                ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(page)],
                capture_output=True,
                text=True,
            )
            by_zbar.update(read.stdout.splitlines())
            by_zxing.update(r.text for r in zxingcpp.read_barcodes(Image.open(page)))
    zbar_read, zxing_read = len(by_zbar & issued), len(by_zxing & issued)
    modules = qr_matrix(uris[0]).size
    dots = module_dots(A4_21, modules)

    png_per_s = count / png_s
    pdf_per_s = count / pdf_s
    baseline_per_s = sample / baseline_s
    figures = {
        "benchmark": "labels",
        "labels": count,
        "qr_version": qr_matrix(uris[0]).version,
        "png_per_s": round(png_per_s, 1),
        "png_ms": round(1000 * png_s / count, 3),
        "zip_png_per_s": round(count / zip_s, 1),
        "pdf_labels_per_s": round(pdf_per_s, 1),
        "pdf_pages": -(-count // 21),
        "pdf_bytes": pdf_bytes,
        "font_load_s": round(font_load_s, 3),
        "baseline": "qrcode.make(uri).save(buf, 'PNG')",
        "baseline_sample": sample,
        "baseline_png_per_s": round(baseline_per_s, 1),
        "baseline_png_ms": round(1000 * baseline_s / sample, 3),
        "ratio_png_vs_baseline": round(png_per_s / baseline_per_s, 2),
        "ratio_pdf_labels_vs_baseline_png": round(pdf_per_s / baseline_per_s, 2),
        "matrices_identical_to_qrcode": f"{identical}/{sample}",
        "png_decoded": f"{png_read}/{len(checked)}",
        "module_dots_300dpi": dots,
        "module_mm": round(dots * DOT_MM, 3),
        "quiet_zone_modules": QUIET_MODULES,
        "pdf_pages_zbar_300dpi": f"{zbar_read}/{page_codes}",
        "pdf_pages_zxing_300dpi": f"{zxing_read}/{page_codes}",
        "targets_met": png_per_s >= 400 and pdf_per_s >= 200,
        "processes": 1,
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "qrcode": metadata.version("qrcode"),
        "fonttools": metadata.version("fonttools"),
    }
    print(json.dumps(figures, ensure_ascii=False))
    ok = png_read == len(checked) and identical == sample and zbar_read == zxing_read == page_codes
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
