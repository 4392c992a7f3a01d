"""Fonts for printed output: finding a Chinese TrueType face (and a monospaced one), reading its
metrics, and cutting it down to the glyphs a document uses so that it can be embedded.

Printed output embeds its fonts (only the glyphs used), so a label sheet or a credit report prints the
same anywhere. Embedding needs TrueType outlines: Noto Sans CJK (fonts-noto-cjk) is CFF and will not
do; WenQuanYi Zen Hei will, and its collection also holds a monospaced face for short codes.
"""

from __future__ import annotations

import functools
import io
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterable
from dataclasses import dataclass

FONT_PACKAGE = "fonts-wqy-zenhei"
FONT_ENV = "CROSSTRUST_LABEL_FONT"  # "path" or "path#index": a TrueType CJK font to use instead

_TEXT_FAMILIES = ("WenQuanYi Zen Hei", "AR PL UMing CN", "AR PL UKai CN", "WenQuanYi Micro Hei")
_MONO_FAMILIES = ("WenQuanYi Zen Hei Mono", "WenQuanYi Micro Hei Mono", "DejaVu Sans Mono", "Liberation Mono")
_KNOWN_FILES = {
    "WenQuanYi Zen Hei": ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    "WenQuanYi Zen Hei Mono": ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 1),
    "AR PL UMing CN": ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    "DejaVu Sans Mono": ("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", 0),
}


class FontMissingError(RuntimeError):
    """No usable font for printing (label sheets, credit reports) is installed."""


@dataclass(frozen=True)
class FontFile:
    path: str
    index: int = 0  # the face within a .ttc collection


def _installed_truetype() -> dict[str, FontFile]:
    """Family name -> file of every TrueType-outline face fontconfig knows (empty without fontconfig)."""
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return {}
    try:
        listing = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [fc_list, "-f", "%{file}\t%{index}\t%{style[0]}\t%{family}\n", ":fontformat=TrueType"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    faces = []
    for line in listing.splitlines():
        path, index, style, families = [*line.split("\t", 3), "", "", ""][:4]
        if index.isdigit():
            styled = any(word in style for word in ("Bold", "Italic", "Oblique", "Light", "Sharp"))
            faces.append((styled, path, int(index), families))
    found: dict[str, FontFile] = {}
    for _, file, face, families in sorted(faces):  # regular faces first
        for family in families.replace("\\", "").split(","):
            found.setdefault(family.strip(), FontFile(file, face))
    return found


def _pick(families: tuple[str, ...], installed: dict[str, FontFile]) -> FontFile | None:
    for family in families:
        if family in installed:
            return installed[family]
        known = _KNOWN_FILES.get(family)
        if known and os.path.exists(known[0]):
            return FontFile(*known)
    return None


@functools.cache
def find_fonts() -> tuple[FontFile, FontFile]:
    """The (text, monospaced) fonts for printing: a Chinese TrueType face for names, HRI and reports,
    and a monospaced one for short codes. Raises FontMissingError naming the Debian package to install."""
    installed = _installed_truetype()
    override = os.environ.get(FONT_ENV, "")
    text: FontFile | None
    if override:
        path, _, index = override.partition("#")
        if not os.path.exists(path):
            raise FontMissingError(f"{FONT_ENV}={override}: no such font file")
        text = FontFile(path, int(index or 0))
    else:
        text = _pick(_TEXT_FAMILIES, installed)
    mono = _pick(_MONO_FAMILIES, installed)
    if text is None or mono is None:
        raise FontMissingError(
            "printing label sheets and reports needs a TrueType Chinese font and none is installed: install the Debian package "
            f"{FONT_PACKAGE} (apt-get install {FONT_PACKAGE}); fonts-noto-cjk alone will not do, its "
            "fonts are CFF-based and cannot be embedded"
        )
    return text, mono


# How many cuts of a face `Face.subset` keeps: each is 160-270 KB (the kept glyph ids leave a CJK face's
# metrics and location tables their full length), so at most about 4 MB a face.
SUBSETS_KEPT = 16

# Tables a PDF does not use: OpenType layout (glyphs are placed here one after another), bitmap strikes
# and vertical metrics.
_DROP_TABLES = ["GSUB", "GPOS", "GDEF", "BASE", "EBDT", "EBLC", "EBSC", "BDF", "FFTM", "vhea", "vmtx"]


class Face:
    """One font face: character to glyph and advance width, loaded once per process."""

    def __init__(self, font: FontFile) -> None:
        from fontTools.ttLib import TTFont  # imported here: only PDFs need it, PNGs and ZIPs do not

        self.file = font
        tt = TTFont(font.path, fontNumber=font.index, lazy=True)
        if "glyf" not in tt:
            raise FontMissingError(
                f"{font.path} has no TrueType outlines and cannot be embedded; install {FONT_PACKAGE}"
            )
        self.upm = tt["head"].unitsPerEm
        self.scale = 1000 / self.upm
        name = tt["name"].getDebugName(6) or os.path.basename(font.path).split(".")[0]
        self.postscript_name = re.sub(r"[^A-Za-z0-9-]", "", name) or "Font"
        head, hhea, os2 = tt["head"], tt["hhea"], tt.get("OS/2")
        self.bbox = [round(v * self.scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)]
        self.ascent = round(hhea.ascent * self.scale)
        self.descent = round(hhea.descent * self.scale)
        cap = getattr(os2, "sCapHeight", 0) if os2 is not None else 0
        self.cap_height = round(cap * self.scale) if cap else self.ascent
        order = tt.getGlyphOrder()
        gid_of = {name: gid for gid, name in enumerate(order)}
        metrics = tt["hmtx"].metrics
        self.notdef_advance = metrics[order[0]][0]  # the missing-glyph box, glyph 0
        self._subsets: dict[frozenset[int], bytes] = {}  # `subset`'s recent cuts, the oldest first
        self._subsets_lock = threading.Lock()
        self.glyphs: dict[str, tuple[int, int]] = {}  # character -> (glyph id, advance in font units)
        for code, glyph in tt.getBestCmap().items():
            self.glyphs[chr(code)] = (gid_of[glyph], metrics[glyph][0])

    def subset(self, gids: Iterable[int]) -> bytes:
        """The font cut down to `gids`, keeping glyph ids so that content already written stays valid.

        The last `SUBSETS_KEPT` cuts are kept, by glyph set: a merchant prints the same product's labels
        again and again, and each sheet uses the same glyphs (the product's name, the code's alphabet).
        Cutting a CJK face for a label's glyphs takes 0.24-0.30 CPU s (BENCHMARKS.md, "The suite,
        thirteenth pass"); py-spy over the test suite found 33 CPU s of its run in cutting."""
        wanted = frozenset({0, *gids})
        with self._subsets_lock:
            cut = self._subsets.pop(wanted, None)
        if cut is None:
            cut = self._cut(wanted)  # outside the lock: a sheet with other glyphs need not wait for it
        with self._subsets_lock:
            self._subsets[wanted] = cut  # the most recently used last
            while len(self._subsets) > SUBSETS_KEPT:
                del self._subsets[next(iter(self._subsets))]
        return cut

    def _cut(self, gids: frozenset[int]) -> bytes:
        from fontTools import subset
        from fontTools.ttLib import TTFont

        options = subset.Options()
        options.retain_gids = True
        options.notdef_outline = True
        options.hinting = False
        options.layout_features = []
        options.name_IDs = []
        options.drop_tables += _DROP_TABLES
        font = TTFont(self.file.path, fontNumber=self.file.index)
        subsetter = subset.Subsetter(options)
        subsetter.populate(gids=sorted(gids))
        subsetter.subset(font)
        buffer = io.BytesIO()
        font.save(buffer)
        return buffer.getvalue()


@functools.cache
def faces() -> tuple[Face, Face]:
    """The (text, monospaced) faces of `find_fonts`, loaded once per process: reading a CJK font's
    character map takes a while."""
    text, mono = find_fonts()
    return Face(text), Face(mono)
