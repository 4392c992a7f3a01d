"""Associate, the products and lots a record names (issue 24, item 4): a lab result names the sampled goods
by GTIN and batch number. The record is linked to the product of that GTIN that its own enterprise
registered, and to that product's declared lot of that batch number. A GTIN that only another enterprise
registered is never linked: the record is flagged (`other`) and its trail shows whose product it is.

Products and lots are traceability's: read through `traceability.named`, never its tables."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from intake.mapping import Mapping
from intake.models import IntakeRecord, ProductLink, RecordStatus
from traceability import named

NOT_NAMED: dict[str, Any] = {"product_id": None, "lot_line_id": None, "product_link": ""}


def links(
    session: Session, m: Mapping, records: list[tuple[int | None, dict[str, str]]]
) -> list[dict[str, Any]]:
    """For each (its enterprise, or None while it waits for review; its cleaned fields): the values of
    `product_id`, `lot_line_id` and `product_link`. Two queries for all of them."""
    if not m.gtin_field:
        return [dict(NOT_NAMED) for _ in records]
    products = named.products_by_gtin(session, {f.get(m.gtin_field, "") for _, f in records})
    own: list[dict[str, Any] | None] = [
        next((p for p in products.get(f.get(m.gtin_field, ""), []) if p["enterprise_id"] == eid), None)
        for eid, f in records
    ]
    wanted = {(p["id"], f.get(m.lot_field, "")) for p, (_, f) in zip(own, records, strict=True) if p}
    lots = named.lots_of(session, wanted) if m.lot_field else {}
    out: list[dict[str, Any]] = []
    for p, (eid, f) in zip(own, records, strict=True):
        gtin = f.get(m.gtin_field, "")
        if not gtin:
            out.append(dict(NOT_NAMED))
        elif eid is None:
            out.append(NOT_NAMED | {"product_link": ProductLink.waiting.value})
        elif p is None:
            link = ProductLink.other if products.get(gtin) else ProductLink.unknown
            out.append(NOT_NAMED | {"product_link": link.value})
        else:
            lot = lots.get((p["id"], f.get(m.lot_field, "")))
            out.append(
                {
                    "product_id": p["id"],
                    "lot_line_id": lot["line_id"] if lot else None,
                    "product_link": (ProductLink.lot if lot else ProductLink.product).value,
                }
            )
    return out


def fill(session: Session, m: Mapping, rows: list[dict[str, Any]]) -> None:
    """Set the link columns of records about to be stored (each with its `enterprise_id`, `status` and
    `fields`); every row gets all three, as one multi-row INSERT needs."""
    eids = [v["enterprise_id"] if v["status"] == RecordStatus.active else None for v in rows]
    found = links(session, m, list(zip(eids, (v["fields"] for v in rows), strict=True)))
    for values, link in zip(rows, found, strict=True):
        values.update(link)


def link_record(session: Session, m: Mapping, rec: IntakeRecord) -> None:
    """Link one record now that its enterprise is known (a regulator linked it from the review queue)."""
    eid = rec.enterprise_id if rec.status == RecordStatus.active else None
    [values] = links(session, m, [(eid, rec.fields)])
    for k, v in values.items():
        setattr(rec, k, v)


def named_in(session: Session, rec: IntakeRecord, m: Mapping) -> dict[str, Any] | None:
    """What the record's trail shows: the product and lot it was linked to, or whose product its GTIN
    names when it was not; None when it names no product."""
    if not rec.product_link:
        return None
    gtin = rec.fields.get(m.gtin_field, "")
    return {
        "link": rec.product_link,
        "gtin": gtin,
        "lot": rec.fields.get(m.lot_field, "") if m.lot_field else "",
        "product": named.product_of(session, rec.product_id) if rec.product_id else None,
        "declared_lot": named.line_of(session, rec.lot_line_id) if rec.lot_line_id else None,
        "owners": [p["enterprise_id"] for p in named.products_by_gtin(session, [gtin]).get(gtin, [])]
        if rec.product_link == ProductLink.other
        else [],
    }
