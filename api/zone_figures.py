"""The zone's figures, live (交易金额、申报单量实时公示): declarations and declared value, codes issued,
scans and their verdicts, complaints received and closed on time, compensation paid and the share of
goods released under quality insurance, by day or by month in China time.

Assembled here because it spans domains (traceability, complaints, insurance), each read through its
own `figures` module. Counted by the database at request time, not by a nightly job: a declaration shows
as soon as its transaction commits. One query per series, each grouped by period in SQL."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from complaints import figures as complaint_figures
from core.clock import utcnow
from core.periods import Interval, period_of, periods, start_of
from insurance import figures as insurance_figures
from traceability import figures as trade_figures

VERDICTS = ("genuine", "not_shipped", "suspicious", "recalled", "revoked", "counterfeit", "unverified")
# How far back each interval looks by default, and at most.
SPAN = {"day": (30, 60), "month": (12, 36)}  # at most: the page stays under 60 KB
CURRENCY = "CNY"  # the zone's figures are in yuan; goods declared in another currency are counted apart
COLUMNS = (
    "period",
    "declarations",
    "declared_value_minor",
    "codes_issued",
    "scans",
    *(f"scans_{v}" for v in VERDICTS),
    "complaints_received",
    "complaints_answered_on_time",
    "complaints_closed",
    "complaints_closed_on_time",
    "compensation_paid_minor",
    "units_released",
    "units_insured",
)


@dataclass(frozen=True)
class Window:
    interval: Interval
    count: int

    @property
    def axis(self) -> list[str]:
        return periods(utcnow(), self.interval, self.count)


def figures(session: Session, window: Window) -> dict[str, Any]:
    """Each period of the window with every figure (zeros on quiet days), and the window's totals."""
    axis = window.axis
    since = start_of(axis[0])
    interval = window.interval
    rows: dict[str, dict[str, Any]] = {p: dict.fromkeys(COLUMNS[1:], 0) | {"period": p} for p in axis}
    other_currencies: dict[str, int] = {}

    def row(p: str) -> dict[str, Any]:
        # A period outside the axis cannot come back (everything is read from `since` on), but a clock
        # that moved on between the axis and the query may add today's: keep it rather than lose it.
        return rows.setdefault(p, dict.fromkeys(COLUMNS[1:], 0) | {"period": p})

    for p, d in trade_figures.declarations(session, interval, since).items():
        r = row(p)
        r["declarations"] += d["declarations"]
        for currency, minor in d["value"].items():
            if currency == CURRENCY:
                r["declared_value_minor"] += minor
            else:
                other_currencies[currency] = other_currencies.get(currency, 0) + minor
    for p, n in trade_figures.codes_issued(session, interval, since).items():
        row(p)["codes_issued"] += n
    for p, verdicts in trade_figures.scans(session, interval, since).items():
        r = row(p)
        for verdict, n in verdicts.items():
            r["scans"] += n
            if f"scans_{verdict}" in r:
                r[f"scans_{verdict}"] += n
    for p, counts in complaint_figures.zone(session, interval, since).items():
        r = row(p)
        for name, n in counts.items():
            r[f"complaints_{name}"] += n
    # Compensation: the insurer's paid claims, and payments recorded on complaint cases that no paid
    # claim already accounts for (advance compensation recorded by a regulator before the insurer's side).
    claims = insurance_figures.paid_claims(session, interval, since)
    paid_cases = {c for c, *_ in claims if c is not None}
    for _, p, currency, minor in claims:
        if currency == CURRENCY:
            row(p)["compensation_paid_minor"] += minor
    for case_id, p, currency, minor in complaint_figures.payments(session, interval, since):
        if case_id not in paid_cases and currency == CURRENCY:
            row(p)["compensation_paid_minor"] += minor
    released = trade_figures.released_units(session, since)
    cover = insurance_figures.cover_periods(session, {e for e, _, _ in released})
    for enterprise_id, at, units in released:
        r = row(period_of(at, interval))
        r["units_released"] += units
        if any(start <= at < end for start, end in cover.get(enterprise_id, [])):
            r["units_insured"] += units

    series = [rows[p] for p in sorted(rows)]
    sums: dict[str, int] = {c: sum(r[c] for r in series) for c in COLUMNS[1:]}
    totals: dict[str, float | None] = {**sums}
    totals["insured_share"] = (
        round(sums["units_insured"] / sums["units_released"], 4) if sums["units_released"] else None
    )
    return {
        "interval": interval,
        "from": axis[0],
        "to": axis[-1],
        "as_of": utcnow().isoformat(),
        "currency": CURRENCY,
        "series": series,
        "totals": totals,
        "declared_value_other_currencies": other_currencies,
    }


def as_csv(data: dict[str, Any]) -> Iterator[str]:
    """The series as CSV (UTF-8 with a BOM, so that a spreadsheet opens the Chinese right)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    buf.write("\ufeff")
    writer.writerow(COLUMNS)
    for r in data["series"]:
        writer.writerow([r[c] for c in COLUMNS])
    yield buf.getvalue()
