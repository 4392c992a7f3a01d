"""What a scan shows about a lot and a product (declaration, inspection, recall, chain of custody),
read in as few queries as the data allows and cached in-process while it does not change.

The cache's entries carry `freshness.current(db)` (this process's generation and the one shared by all
processes): every write that changes what a scan shows bumps it, so a scan never shows facts older than
that write (and never older than `ttl` seconds in any case)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import col

from core.clock import as_utc
from core.db import Database, WouldBlock, id_of
from core.identifiers import country_name
from traceability import epcis, freshness, lab_results
from traceability.schemas import PORT_NAMES

BIZ_STEP_LABELS = {
    "commissioning": ("赋码", "Code issued"),
    "inspecting": ("海关查验", "Inspected"),
    "accepting": ("检验放行", "Released by inspection"),
    "arriving": ("到达", "Arrived"),
    "receiving": ("入库", "Received"),
    "storing": ("保税仓储存", "Stored in bonded warehouse"),
    "packing": ("打包", "Packed"),
    "shipping": ("出区发货", "Shipped from bonded zone"),
    "departing": ("离开", "Departed"),
    "transporting": ("运输中", "In transit"),
    "retail_selling": ("售出", "Sold"),
    "holding": ("暂扣/召回", "Held / recalled"),
    "decommissioning": ("注销", "Decommissioned"),
}


@dataclass
class LotFacts:
    line_id: int
    enterprise_id: int
    gtin: str
    lot: str
    product: dict[str, Any]
    lot_info: dict[str, Any]
    declaration: dict[str, Any]
    inspection: dict[str, Any]
    recall: dict[str, Any] | None
    timeline: list[dict[str, Any]]
    left_warehouse_at: datetime | None
    # The platform's "code issued" (commissioning) event of each code batch of the lot, by batch id, kept
    # out of `timeline`: an item's chain of custody shows its own batch's issuance once, not every batch's.
    issued: dict[int, dict[str, Any]] = field(default_factory=dict)
    # Other agencies' failed sampled tests of the lot, in force (traceability.lab_results), newest first.
    lab_failures: list[dict[str, Any]] = field(default_factory=list)

    def timeline_of(self, batch_id: int | None) -> list[dict[str, Any]]:
        """The lot's events as one item of `batch_id` sees them (without an item, the first issuance)."""
        own = self.issued.get(batch_id) if batch_id is not None else None
        if own is None and batch_id is None and self.issued:
            own = min(self.issued.values(), key=lambda e: e["time"] or "")
        if own is None:
            return list(self.timeline)
        return sorted([*self.timeline, own], key=lambda e: e["time"] or "")


def event_view(doc: dict[str, Any]) -> dict[str, Any]:
    step = doc.get("bizStep")
    zh, en = BIZ_STEP_LABELS.get(step or "", (step or "事件", step or "event"))
    where = (doc.get("bizLocation") or doc.get("readPoint") or {}).get("id", "")
    if where.startswith("urn:crosstrust:loc:"):
        from urllib.parse import unquote

        where = unquote(where.removeprefix("urn:crosstrust:loc:"))
    return {
        "time": doc.get("eventTime"),
        "biz_step": step,
        "disposition": doc.get("disposition"),
        "location": where,
        "label_zh": zh,
        "label_en": en,
    }


class FactsCache:
    """Lot and product facts by key, re-read when the generation moves or after `ttl` seconds."""

    def __init__(self, ttl: float = 5.0, max_entries: int = 20_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        # key -> (generation, monotonic time loaded, value); a value may be None (known to be absent)
        self._lots: dict[tuple[str, str], tuple[int, float, LotFacts | None]] = {}
        self._products: dict[str, tuple[int, float, dict | None]] = {}
        self._lock = threading.Lock()

    def _get(self, db: Database, store: dict, key: object, load: Callable[[], Any], io: bool = True) -> Any:
        """The cached value, loaded when missing or stale; with `io` false, WouldBlock instead of a read."""
        # The generation is read before loading: a change committed while loading moves it again.
        generation = freshness.current(db, io)
        entry = store.get(key)
        if entry is not None and entry[0] == generation and time.monotonic() - entry[1] < self.ttl:
            return entry[2]
        if not io:
            raise WouldBlock(str(key))
        value = load()
        with self._lock:
            if len(store) >= self.max_entries:
                store.clear()
            store[key] = (generation, time.monotonic(), value)
        return value

    def lot(self, db: Database, gtin: str, lot: str, io: bool = True) -> LotFacts | None:
        return self._get(db, self._lots, (gtin, lot), lambda: _load_lot(db, gtin, lot), io)

    def product(self, db: Database, gtin: str, io: bool = True) -> dict | None:
        return self._get(db, self._products, gtin, lambda: _load_product(db, gtin), io)

    def clear(self) -> None:
        with self._lock:
            self._lots.clear()
            self._products.clear()


def _product_view(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "enterprise_id": row.enterprise_id,
        "gtin": row.gtin,
        "hs_code": row.hs_code,
        "name_zh": row.name_zh,
        "name_en": row.name_en,
        "brand": row.brand,
        "manufacturer": row.manufacturer,
        "category": row.category,
        "origin_country": row.origin_country,
        "origin_name_zh": country_name(row.origin_country, "zh"),
        "origin_name_en": country_name(row.origin_country, "en"),
    }


def _load_product(db: Database, gtin: str) -> dict | None:
    from sqlmodel import select

    from traceability.models import Product

    with db.read_session() as s:
        row = s.exec(select(Product).where(col(Product.gtin) == gtin).order_by(col(Product.id))).first()
        return _product_view(row) if row else None


def _load_lot(db: Database, gtin: str, lot: str) -> LotFacts | None:
    """Everything the scan shows about a lot: the most recent released line of that GTIN and lot."""
    from sqlmodel import select

    from traceability.models import Declaration, DeclarationLine, DeclarationStatus, Product

    with db.read_session() as s:
        row = s.exec(
            select(DeclarationLine, Declaration, Product)
            .join(Declaration, col(Declaration.id) == DeclarationLine.declaration_id)
            .join(Product, col(Product.id) == DeclarationLine.product_id)
            .where(DeclarationLine.gtin == gtin, DeclarationLine.lot == lot)
            .order_by(
                (col(Declaration.status) == DeclarationStatus.released).desc(), col(DeclarationLine.id).desc()
            )
        ).first()
        if row is None:
            return None
        line, decl, product = row
        events = [e.document for e in epcis.timeline(s, line, None)]
        lab_failures = lab_results.of_line(s, id_of(line))
    left = [
        as_utc(datetime.fromisoformat(e["eventTime"].replace("Z", "+00:00")))
        for e in events
        if e.get("bizStep") in epcis.LEFT_WAREHOUSE
    ]
    port_zh, port_en = PORT_NAMES.get(decl.arrival_port, (decl.arrival_port, decl.arrival_port))
    return LotFacts(
        line_id=id_of(line),
        enterprise_id=decl.enterprise_id,
        gtin=gtin,
        lot=lot,
        product=_product_view(product),
        lot_info={
            "lot": line.lot,
            "production_date": line.production_date.isoformat() if line.production_date else None,
            "expiry_date": line.expiry_date.isoformat() if line.expiry_date else None,
            "quantity": line.quantity,
        },
        declaration={
            "number": decl.declaration_no,
            "date": decl.declared_on.isoformat(),
            "port": decl.arrival_port,
            "port_name_zh": port_zh,
            "port_name_en": port_en,
            "bonded_warehouse": decl.bonded_warehouse,
            "transport_doc_type": decl.transport_doc_type,
            "transport_doc_no": decl.transport_doc_no,
            "status": decl.status,
        },
        inspection={
            "result": line.inspection_result,
            "tests_performed": list(line.tests_performed or []),
            "lab_report_ref": line.lab_report_ref,
            "inspected_at": decl.inspected_at.isoformat() if decl.inspected_at else None,
            "released_at": decl.decided_at.isoformat()
            if decl.decided_at and decl.status == "released"
            else None,
        },
        recall=(
            {"recalled_at": line.recalled_at.isoformat(), "reason": line.recall_reason}
            if line.recalled_at
            else None
        ),
        timeline=[event_view(e) for e in events if _issued_batch(e) is None],
        left_warehouse_at=min(left) if left else None,
        issued={b: event_view(e) for e in events if (b := _issued_batch(e)) is not None},
        lab_failures=lab_failures,
    )


def _issued_batch(doc: dict[str, Any]) -> int | None:
    """The code batch a platform commissioning event issued (its `ct:batch`), or None for other events."""
    batch = doc.get("ct:batch") if doc.get("bizStep") == "commissioning" else None
    return batch if isinstance(batch, int) else None
