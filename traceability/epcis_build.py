"""The platform's own EPCIS events: built from a declaration line for inspection, release and
commissioning."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from traceability.codes import DigitalLink
from traceability.epcis_schema import CANONICAL, CONTEXT, CT_NAMESPACE, CUSTOMS_BTT
from traceability.models import (
    Declaration,
    DeclarationLine,
)

# --- building the platform's own events -------------------------------------------------------------


def location(name: str) -> str:
    return "urn:crosstrust:loc:" + quote(name, safe="")


def class_event(
    resolver: str,
    line: DeclarationLine,
    decl: Declaration,
    *,
    biz_step: str,
    disposition: str | None,
    when: datetime,
    quantity: int | None = None,
    action: str = "OBSERVE",
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A lot-level ObjectEvent (quantityList) carrying the customs declaration as a business transaction."""
    epc_class = CANONICAL + DigitalLink(line.gtin, line.lot).path()
    q: dict[str, Any] = {"epcClass": epc_class}
    if quantity is not None:
        q.update({"quantity": quantity, "uom": "H87"})  # H87: piece
    event: dict[str, Any] = {
        "@context": [CONTEXT, {"ct": CT_NAMESPACE}],
        "type": "ObjectEvent",
        "eventTime": when.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "eventTimeZoneOffset": "+08:00",
        "action": action,
        "epcList": [],
        "quantityList": [q],
        "bizStep": biz_step,
        "readPoint": {"id": location(decl.bonded_warehouse)},
        "bizLocation": {"id": location(decl.bonded_warehouse)},
        "bizTransactionList": [
            {
                "type": CUSTOMS_BTT,
                "bizTransaction": f"urn:crosstrust:customs-declaration:{decl.declaration_no}",
            }
        ],
    }
    if disposition:
        event["disposition"] = disposition
    if extra:
        event.update(extra)
    return event
