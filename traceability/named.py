"""What other domains may read about the products and lots a record names (intake links an agency's lab
result to the product by its GTIN and to the lot by its batch number): a few columns, read in one query
per call, never the tables themselves."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from traceability.models import Declaration, DeclarationLine, Product


def _product(p: Product) -> dict[str, Any]:
    return {
        "id": p.id,
        "enterprise_id": p.enterprise_id,
        "gtin": p.gtin,
        "name_zh": p.name_zh,
        "name_en": p.name_en,
    }


def _lot(line: DeclarationLine, declaration_no: str) -> dict[str, Any]:
    return {
        "line_id": line.id,
        "gtin": line.gtin,
        "lot": line.lot,
        "declaration_no": declaration_no,
        "recalled": line.recalled_at is not None,
    }


def products_by_gtin(session: Session, gtins: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """The products registered under each GTIN-14 (one per enterprise at most), oldest first."""
    out: dict[str, list[dict[str, Any]]] = {}
    wanted = set(gtins) - {""}
    if not wanted:
        return out
    stmt = select(Product).where(col(Product.gtin).in_(wanted)).order_by(col(Product.id))
    for p in session.exec(stmt):
        out.setdefault(p.gtin, []).append(_product(p))
    return out


def lots_of(
    session: Session, product_lots: Iterable[tuple[int, str]]
) -> dict[tuple[int, str], dict[str, Any]]:
    """The declared lot of each (product id, lot number): its latest declaration line."""
    wanted = {(p, lot) for p, lot in product_lots if lot}
    out: dict[tuple[int, str], dict[str, Any]] = {}
    if not wanted:
        return out
    stmt = (
        select(DeclarationLine, Declaration.declaration_no)
        .join(Declaration, col(Declaration.id) == DeclarationLine.declaration_id)
        .where(
            col(DeclarationLine.product_id).in_({p for p, _ in wanted}),
            col(DeclarationLine.lot).in_({lot for _, lot in wanted}),
        )
        .order_by(col(DeclarationLine.id))
    )
    for line, declaration_no in session.exec(stmt):
        if (line.product_id, line.lot) in wanted:  # the latest line wins
            out[(line.product_id, line.lot)] = _lot(line, declaration_no)
    return out


def line_of(session: Session, line_id: int) -> dict[str, Any] | None:
    """One declared lot by its line id, as `lots_of` shows it."""
    row = session.exec(
        select(DeclarationLine, Declaration.declaration_no)
        .join(Declaration, col(Declaration.id) == DeclarationLine.declaration_id)
        .where(DeclarationLine.id == line_id)
    ).first()
    if row is None:
        return None
    return _lot(*row)


def product_of(session: Session, product_id: int) -> dict[str, Any] | None:
    p = session.get(Product, product_id)
    return _product(p) if p is not None else None
