"""English text with no untranslated Chinese in it: names and free text that may exist in Chinese only.

A reader of an English record cannot read a Chinese name or reason pasted into it, and it reads as a
mistake. Where the data holds an English name it is used; where only Chinese exists, the English text
says so instead of copying it.
"""

from __future__ import annotations

import re

# Han characters, CJK punctuation and full-width forms: none of it belongs in English text.
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]+")
CHINESE_ONLY_NAME = "(name in Chinese only)"
CHINESE_ONLY_TEXT = "(given in Chinese only; see the Chinese record)"


def has_chinese(text: str) -> bool:
    return bool(_CJK.search(text or ""))


def english_name(name_en: str | None, name_zh: str | None = "") -> str:
    """A name for English text: the English name; else the Latin part of a mixed one (a brand such as
    "Milupa 美乐宝" gives "Milupa"); else a label that the name exists in Chinese only."""
    for name in (name_en or "", name_zh or ""):
        if not name.strip():
            continue
        if not has_chinese(name):
            return name.strip()
        latin = " ".join(_CJK.sub(" ", name).split()).strip(" ,;:()")
        if re.search(r"[A-Za-z]{2,}", latin):  # a word, not the "3 800" left of "奶粉3段 800克"
            return latin
    return CHINESE_ONLY_NAME


def english_text(text: str | None) -> str:
    """Free text (a reason, a test's name) for English text: as given unless it is Chinese."""
    text = text or ""
    return CHINESE_ONLY_TEXT if has_chinese(text) else text
