"""The scan: resolve a Digital Link to its item, judge it and record the scan without making the
consumer wait.

The hot path: the keyed check first (a forged serial costs no read of the codes), then one indexed
read of the code row with its item state and, joined to it, its scan summary (`scan_summary`);
everything about the lot (product, declaration, inspection, chain of custody) comes from a small
in-process cache (`facts`).
The verdict is judged in `verdict`, the record written by `scan_writer`, the JSON shaped in `views`.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, text

from core.clock import utcnow
from core.db import Database, UtcDateTime, WouldBlock
from traceability import epcis
from traceability.codes import DigitalLink, Keyring
from traceability.facts import FactsCache, LotFacts, event_view
from traceability.places import Client
from traceability.scan_spool import ScanSpool
from traceability.scan_writer import ScanWriter
from traceability.verdict import (
    NO_SERIAL,
    UNKNOWN_CODE,
    UNKNOWN_PRODUCT,
    CodeRow,
    Outcome,
    ScanPolicy,
    as_datetime,
    check_failed,
    judge,
)

# The columns of CodeRow, in its order.
_CODE_COLUMNS = {
    "id": "c.id",
    "line_id": "c.line_id",
    "batch_id": "c.batch_id",
    "status": "c.status",
    "status_reason": "c.status_reason",
    "last_biz_step": "c.last_biz_step",
    "last_event_at": "c.last_event_at",
    "sold_at": "c.sold_at",
    # A code never scanned has no summary row: its count 0 and first place "", as the columns' defaults
    # on trace_code were before migration 0036.
    "scan_count": "COALESCE(s.scan_count, 0)",
    "first_scan_at": "s.first_scan_at",
    "first_scan_place": "COALESCE(s.first_scan_place, '')",
    "last_scan_at": "s.last_scan_at",
    "last_scan_lat": "s.last_scan_lat",
    "last_scan_lon": "s.last_scan_lon",
    "batch_status": "b.status",
}
# The code row by its serial, `?` the driver's placeholder (also read by api.scan_pg in one statement
# with the rate limit).
CODE_SQL = (
    f"SELECT {', '.join(_CODE_COLUMNS[name] for name in CodeRow._fields)}"  # noqa: S608 - constant names
    " FROM trace_code c JOIN code_batch b ON b.id = c.batch_id"
    " LEFT JOIN scan_summary s ON s.code_id = c.id WHERE c.serial = ?"
)
UNREAD: Any = object()  # `resolve` reads the code row itself


# What `resolve` would read for this one scan, not for a cache every scan shares: a WouldBlock with one
# of these reasons is not ended by another scan's reads (api.scan_fast waits for those only).
OWN_READS = ("code row", "item events", "clients since the sale")


def _would_block(*_args: Any) -> int:
    raise WouldBlock(OWN_READS[2])


_CLIENTS_SINCE = text(
    "SELECT DISTINCT client_hash FROM scan_record WHERE code_id = :c AND scanned_at >= :t"
).bindparams(bindparam("t", type_=UtcDateTime))


class Resolver:
    def __init__(
        self,
        db: Database,
        keyring: Keyring,
        policy: ScanPolicy | None = None,
        cache_ttl: float = 5.0,
        spool: ScanSpool | None = None,
    ):
        self.db = db
        self.keyring = keyring
        self.policy = policy or ScanPolicy()
        self.cache = FactsCache(cache_ttl)
        self.writer = ScanWriter(db, spool=spool)
        # The only variable part is the driver's placeholder style.
        self._code_sql = CODE_SQL.replace("?", "?" if db.is_sqlite else "%s")
        self._local = threading.local()

    def _code_row(self, serial: str) -> CodeRow | None:
        if self.db.is_sqlite:
            # A read-only connection per thread in autocommit: the lookup is one statement, and
            # SQLAlchemy's pool checkout and BEGIN would cost more than the lookup itself.
            # Its one cursor is kept too (a cursor per lookup was a tenth of the lookup's Python work).
            cur = getattr(self._local, "cur", None)
            if cur is None:
                conn = self._local.conn = self.db.raw_reader()
                cur = self._local.cur = conn.cursor()
            row = cur.execute(self._code_sql, (serial,)).fetchone()
        else:
            row = self.db.fetch_one(self._code_sql, (serial,))
        return None if row is None else CodeRow._make(row)

    def serial_to_read(self, link: DigitalLink) -> str | None:
        """The serial whose code row `resolve` reads, or None when it reads none (no serial, or a serial
        that fails the keyed check: a forged serial costs no read of the codes)."""
        if link.serial is None or self.keyring.check(link.gtin, link.lot or "", link.serial) is not None:
            return None
        return link.serial

    def resolve(
        self,
        link: DigitalLink,
        client: Client,
        now: datetime | None = None,
        *,
        row: CodeRow | None = UNREAD,
        io: bool = True,
        record: bool = True,
    ) -> Outcome:
        """The scan's outcome, recorded (unless `record` is false: the caller then calls `record`).

        `row`: the code row of `serial_to_read(link)` if the caller has read it already (None: no
        such code). With `io` false nothing here reads the database: where something would (a cache
        entry due, the item's own events, the devices since the sale), WouldBlock is raised before
        anything is recorded, and the caller resolves again with `io` on the thread pool."""
        now = now or utcnow()
        facts = self.cache.lot(self.db, link.gtin, link.lot, io) if link.lot else None
        product = facts.product if facts else self.cache.product(self.db, link.gtin, io)
        outcome = self._outcome(link, client, now, facts, product, row, io)
        if record:
            self.record(outcome, client, now)
        return outcome

    def _outcome(
        self,
        link: DigitalLink,
        client: Client,
        now: datetime,
        facts: LotFacts | None,
        product: dict | None,
        row: CodeRow | None,
        io: bool,
    ) -> Outcome:
        if link.serial is None:
            return Outcome(link, "unverified", [NO_SERIAL], facts, product)
        reason = self.keyring.check(link.gtin, link.lot or "", link.serial)
        if reason is not None:
            # The product was read from the cache above: naming an unknown one costs nothing more.
            found = check_failed(reason) if product is not None else UNKNOWN_PRODUCT
            return Outcome(link, "counterfeit", [found], facts, product)
        if row is UNREAD:
            if not io:
                raise WouldBlock(OWN_READS[0])
            row = self._code_row(link.serial)
        if row is None or row.batch_status != "done" or facts is None or row.line_id != facts.line_id:
            return Outcome(link, "counterfeit", [UNKNOWN_CODE], facts, product)
        outcome = judge(
            link, row, facts, client, now, self.policy, self._clients_since if io else _would_block
        )
        if row.last_biz_step is not None:
            if not io:
                raise WouldBlock(OWN_READS[1])
            outcome.item_events = self._item_events(link, facts)
        return outcome

    def _item_events(self, link: DigitalLink, facts: LotFacts) -> list[dict[str, Any]]:
        """The events of this one item (its lot's are in the facts)."""
        from traceability.models import DeclarationLine

        with self.db.read_session() as s:
            line = s.get_one(DeclarationLine, facts.line_id)
            uris = {epcis.CANONICAL + link.path()}
            return [
                event_view(e.document)
                for e in epcis.timeline(s, line, link.serial)
                if uris & set(e.document.get("epcList", []) + e.document.get("childEPCs", []))
            ]

    def public_events(self, link: DigitalLink, facts: LotFacts) -> dict[str, Any]:
        """The item's own events as an EPCISQueryDocument, for anyone holding the code (the linkset's
        gs1:epcis link): the events naming it or its lot, each as sent but with every other trade item's
        identifier taken out (the other units of a case, other lots of a shipment)."""
        from traceability.models import DeclarationLine

        ours = {epcis.CANONICAL + link.path(), epcis.item_key(link)}
        classes = {epcis.CANONICAL + DigitalLink(link.gtin, link.lot).path()}
        with self.db.read_session() as s:
            line = s.get_one(DeclarationLine, facts.line_id)
            rows = epcis.timeline(s, line, link.serial)
            doc = epcis.document(rows, "ItemEvents")
        events = doc["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        events[:] = [_only_this_item(e, ours, classes) for e in events]
        return doc

    def _clients_since(self, code_id: int, since: Any, current: str) -> int:
        with self.db.read_session() as s:
            rows = s.execute(_CLIENTS_SINCE, {"c": code_id, "t": as_datetime(since)}).all()
        return len({r[0] for r in rows} | {current})

    def record(self, outcome: Outcome, client: Client, now: datetime) -> None:
        """Hand the scan to the writer (batched, written on its thread)."""
        link = outcome.link
        # In the order of scan_writer.RECORD_FIELDS.
        self.writer.submit(
            (
                outcome.code_id,
                link.gtin,
                link.lot,
                link.serial,
                now,
                outcome.verdict,
                client.place,
                client.lat,
                client.lon,
                client.client_hash,
            )
        )


_EPC_LISTS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
_QUANTITY_LISTS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")


def _other_trade_item(value: Any, ours: set[str]) -> bool:
    """Whether an identifier names a trade item (a GTIN) other than the one asked about. Cases, pallets
    and places (SSCC, GLN) are not items of anyone's: they stay."""
    if not isinstance(value, str):
        return False
    try:
        canonical, link = epcis.canonical_epc(value, "epc")
    except Exception:  # noqa: BLE001 - what the capture kept is shown as it is
        return False
    return link is not None and canonical not in ours


def _only_this_item(event: dict[str, Any], ours: set[str], classes: set[str]) -> dict[str, Any]:
    out = dict(event)
    for key in _EPC_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [e for e in out[key] if not _other_trade_item(e, ours)]
    for key in _QUANTITY_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [
                q
                for q in out[key]
                if not (isinstance(q, dict) and _other_trade_item(q.get("epcClass"), classes))
            ]
    if _other_trade_item(out.get("parentID"), ours):
        out.pop("parentID")
    return out
