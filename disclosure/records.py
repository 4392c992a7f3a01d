"""What every disclosure record builder shares: the enterprise as one delivery reads it, the fields
every record has, and the one upsert that writes what the builders return (`publish`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from core.clock import as_utc
from core.events import Event
from disclosure import service
from disclosure.models import PUBLICATION_WINDOWS, Category, Visibility
from disclosure.reads import Reads


def products_of(products: list[Any]) -> dict[str, list[str]]:
    """The brands and makers of a declaration's goods (its lines' products, or a recalled lot), so that
    a search by either finds its records."""
    out: dict[str, list[str]] = {"brands": [], "manufacturers": []}
    for product in products:
        for key, what in (("brand", "brands"), ("manufacturer", "manufacturers")):
            value = (getattr(product, key) or "").strip()
            if value and value not in out[what]:
                out[what].append(value)
    return out


def enterprise_of(session: Session, enterprise_id: int) -> dict[str, Any]:
    return Reads.of(session).enterprise(enterprise_id)


def base_fields(
    session: Session, ent: dict[str, Any], category: Category, when: datetime, event: Event, **more: Any
) -> dict[str, Any]:
    window = PUBLICATION_WINDOWS.get(category)
    return {
        "publish_until": as_utc(when) + window if window else None,
        "category": category.value,
        "enterprise_id": ent["id"],
        "uscc": ent["uscc"],
        "enterprise_name": ent["name_zh"],
        "occurred_at": as_utc(when),
        "source_type": event.type,
        "visibility": Visibility.public.value,
        "grade": Reads.of(session).grade(ent["id"]),
        **more,
    }


Record = tuple[str, dict[str, Any]]  # a disclosure's record key and its fields


Builder = Callable[[Session, Event[Any]], list[Record]]


def publish(session: Session, event: Event[Any], builders: tuple[Builder, ...]) -> list[Record]:
    """The one upsert of every handler: each builder's records in turn, so that a later builder reads
    what an earlier one wrote (the monthly totals sum the declaration's record). Returns the records."""
    written: list[Record] = []
    session.info[Reads.KEY] = Reads(session)
    try:
        for build in builders:
            for key, fields in build(session, event):
                service.upsert(session, key, fields, event.id)
                written.append((key, fields))
    finally:
        session.info.pop(Reads.KEY, None)
    return written
