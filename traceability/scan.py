"""The scan: resolve a Digital Link to its item, judge it (genuine, suspicious, recalled, revoked,
counterfeit) with the evidence, and record the scan without making the consumer wait.

The hot path: the keyed check first (a forged serial costs no read of the codes), then one indexed
read of the code row, whose scan summary and item state are kept on it; everything about the lot
(product, declaration, inspection, chain of custody) comes from a small in-process cache.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, text

from core.clock import as_utc, utcnow
from core.db import Database, UtcDateTime
from core.identifiers import country_name
from traceability import epcis, freshness
from traceability.codes import DigitalLink, Keyring, short_code
from traceability.schemas import PORT_NAMES

log = logging.getLogger(__name__)

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
VERDICT_LABELS = {
    "genuine": ("正品验证通过", "Genuine"),
    "suspicious": ("可疑，请谨慎", "Suspicious"),
    "recalled": ("该批次已召回", "Recalled"),
    "revoked": ("该码已作废", "Code revoked"),
    "counterfeit": ("未通过验证，疑似假冒", "Not verified: possibly counterfeit"),
    "unverified": ("未含单品序列号，无法验证单品", "No item serial: the item cannot be verified"),
}

# Coarse coordinates of major cities, so that a scan that sends only its city can still be placed.
CITY_COORDS = {
    "北京": (39.90, 116.41),
    "上海": (31.23, 121.47),
    "广州": (23.13, 113.26),
    "深圳": (22.54, 114.06),
    "杭州": (30.27, 120.16),
    "宁波": (29.87, 121.54),
    "南京": (32.06, 118.80),
    "成都": (30.66, 104.07),
    "重庆": (29.56, 106.55),
    "武汉": (30.59, 114.31),
    "西安": (34.34, 108.94),
    "天津": (39.13, 117.20),
    "苏州": (31.30, 120.59),
    "郑州": (34.75, 113.63),
    "长沙": (28.23, 112.94),
    "青岛": (36.07, 120.38),
    "厦门": (24.48, 118.09),
    "沈阳": (41.81, 123.43),
    "哈尔滨": (45.80, 126.53),
    "昆明": (25.04, 102.71),
    "乌鲁木齐": (43.83, 87.62),
    "拉萨": (29.65, 91.14),
    "海口": (20.04, 110.20),
    "香港": (22.32, 114.17),
}
# What a consumer app may send instead of the Chinese name.
CITY_ALIASES = {
    "beijing": "北京", "shanghai": "上海", "guangzhou": "广州", "shenzhen": "深圳", "hangzhou": "杭州",
    "ningbo": "宁波", "nanjing": "南京", "chengdu": "成都", "chongqing": "重庆", "wuhan": "武汉",
    "xian": "西安", "xi'an": "西安", "tianjin": "天津", "suzhou": "苏州", "zhengzhou": "郑州",
    "changsha": "长沙", "qingdao": "青岛", "xiamen": "厦门", "shenyang": "沈阳", "harbin": "哈尔滨",
    "kunming": "昆明", "urumqi": "乌鲁木齐", "lhasa": "拉萨", "haikou": "海口", "hong kong": "香港",
    "hongkong": "香港",
}  # fmt: skip
NEAREST_CITY_KM = 100.0  # coordinates this close to a known city are shown as that city


def recognised_city(name: str | None) -> str:
    """The platform's name for a city a scan names, or "" for anything else.

    The first scan's place is shown to everyone who scans the code later, so free text from a
    consumer (a name, an address, a slur) must never reach it: only a city in CITY_COORDS does."""
    text = (name or "").strip()
    if text in CITY_COORDS:
        return text
    if text.endswith("市") and text[:-1] in CITY_COORDS:
        return text[:-1]
    return CITY_ALIASES.get(text.lower().replace("-", " ").removesuffix(" city"), "")


def nearest_city(lat: float, lon: float) -> str:
    """The known city within NEAREST_CITY_KM of a point, or ""."""
    best, best_km = "", NEAREST_CITY_KM
    for city, coords in CITY_COORDS.items():
        if abs(coords[0] - lat) > 1.0:  # 100 km is under a degree of latitude: skip the trigonometry
            continue
        km = _haversine_km((lat, lon), coords)
        if km <= best_km:
            best, best_km = city, km
    return best


@dataclass(frozen=True)
class ScanPolicy:
    max_scans: int = 20  # more scans than this and the code has probably been copied
    max_speed_kmh: float = 1000.0  # faster than an airliner between two scans is impossible travel
    max_clients_after_sale: int = 3  # a sold item is scanned by its buyer, not by many devices


@dataclass
class Client:
    """What a scan says about where it came from, reduced to what we keep."""

    client_hash: str = ""
    place: str = ""
    lat: float | None = None
    lon: float | None = None

    @classmethod
    def from_request(cls, salt: bytes, address: str, agent: str, city: str | None, loc: str | None) -> Client:
        digest = hashlib.sha256(salt + address.encode() + b"\x00" + agent.encode()).hexdigest()[:32]
        lat = lon = None
        place = recognised_city(city)
        if loc:
            try:
                a, b = (float(x) for x in loc.split(",", 1))
                if -90 <= a <= 90 and -180 <= b <= 180:
                    # About 1 km: enough to tell cities apart, too coarse to find a home.
                    lat, lon = round(a, 2), round(b, 2)
            except ValueError:
                pass
        if lat is None and place in CITY_COORDS:
            lat, lon = CITY_COORDS[place]
        if not place and lat is not None:
            # Shown to later scanners: a city, never this consumer's own coordinates.
            place = nearest_city(lat, lon)
        return cls(digest, place, lat, lon)


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


@dataclass
class Evidence:
    code: str
    zh: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "zh": self.zh, "en": self.en}


@dataclass
class Outcome:
    link: DigitalLink
    verdict: str
    evidence: list[Evidence]
    facts: LotFacts | None
    product: dict[str, Any] | None
    scans: dict[str, Any] = field(default_factory=dict)
    code_id: int | None = None
    item_events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def enterprise_id(self) -> int | None:
        return self.facts.enterprise_id if self.facts else (self.product or {}).get("enterprise_id")


def _dt(value: Any) -> datetime | None:
    """Raw driver rows carry datetimes as text on SQLite and as datetimes on PostgreSQL."""
    if value is None:
        return None
    return as_utc(value if isinstance(value, datetime) else datetime.fromisoformat(str(value)))


def _haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))


def _event_view(doc: dict[str, Any]) -> dict[str, Any]:
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

    def _get(self, db: Database, store: dict, key: object, load: Callable[[], Any]) -> Any:
        # The generation is read before loading: a change committed while loading moves it again.
        generation = freshness.current(db)
        entry = store.get(key)
        if entry is not None and entry[0] == generation and time.monotonic() - entry[1] < self.ttl:
            return entry[2]
        value = load()
        with self._lock:
            if len(store) >= self.max_entries:
                store.clear()
            store[key] = (generation, time.monotonic(), value)
        return value

    def lot(self, db: Database, gtin: str, lot: str) -> LotFacts | None:
        return self._get(db, self._lots, (gtin, lot), lambda: _load_lot(db, gtin, lot))

    def product(self, db: Database, gtin: str) -> dict | None:
        return self._get(db, self._products, gtin, lambda: _load_product(db, gtin))

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
        row = s.exec(select(Product).where(Product.gtin == gtin).order_by(Product.id)).first()
        return _product_view(row) if row else None


def _load_lot(db: Database, gtin: str, lot: str) -> LotFacts | None:
    """Everything the scan shows about a lot: the most recent released line of that GTIN and lot."""
    from sqlmodel import select

    from traceability.models import Declaration, DeclarationLine, DeclarationStatus, Product

    with db.read_session() as s:
        row = s.exec(
            select(DeclarationLine, Declaration, Product)
            .join(Declaration, Declaration.id == DeclarationLine.declaration_id)
            .join(Product, Product.id == DeclarationLine.product_id)
            .where(DeclarationLine.gtin == gtin, DeclarationLine.lot == lot)
            .order_by((Declaration.status == DeclarationStatus.released).desc(), DeclarationLine.id.desc())  # type: ignore[union-attr]
        ).first()
        if row is None:
            return None
        line, decl, product = row
        events = [e.document for e in epcis.timeline(s, line, None)]
    left = [
        as_utc(datetime.fromisoformat(e["eventTime"].replace("Z", "+00:00")))
        for e in events
        if e.get("bizStep") in epcis.LEFT_WAREHOUSE
    ]
    port_zh, port_en = PORT_NAMES.get(decl.arrival_port, (decl.arrival_port, decl.arrival_port))
    return LotFacts(
        line_id=line.id,
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
        timeline=[_event_view(e) for e in events],
        left_warehouse_at=min(left) if left else None,
    )


RECORD_FIELDS = (
    "code_id",
    "gtin",
    "lot",
    "serial",
    "scanned_at",
    "verdict",
    "place",
    "lat",
    "lon",
    "client_hash",
)


_ROWS_PER_STATEMENT = 2000  # 10 parameters a row stays under SQLite's 32,766 variables
_TEN = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_SEVEN = "(?, ?, ?, ?, ?, ?, ?)"
_INSERT_SCANS = "INSERT INTO scan_record (code_id, gtin, lot, serial, scanned_at, verdict, place, lat, lon, client_hash) VALUES "
_UPDATE_SUMMARIES = (
    "WITH v(id, n, first_at, first_place, last_at, lat, lon) AS (VALUES {values}) "
    "UPDATE trace_code SET scan_count = scan_count + v.n,"
    " first_scan_place = CASE WHEN trace_code.first_scan_at IS NULL THEN v.first_place ELSE first_scan_place END,"
    " first_scan_at = COALESCE(trace_code.first_scan_at, v.first_at),"
    " last_scan_at = v.last_at, last_scan_lat = v.lat, last_scan_lon = v.lon"
    " FROM v WHERE trace_code.id = v.id"
)


_COPY_SCANS = f"COPY scan_record ({', '.join(RECORD_FIELDS)}) FROM STDIN"
_LOCK_CODES = "SELECT id FROM trace_code WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE"
_UPDATE_SUMMARIES_PG = (
    "UPDATE trace_code SET scan_count = scan_count + v.n,"
    " first_scan_place = CASE WHEN trace_code.first_scan_at IS NULL THEN v.first_place ELSE first_scan_place END,"
    " first_scan_at = COALESCE(trace_code.first_scan_at, v.first_at),"
    " last_scan_at = v.last_at, last_scan_lat = v.lat, last_scan_lon = v.lon"
    " FROM unnest(%s::bigint[], %s::int[], %s::timestamptz[], %s::text[], %s::timestamptz[],"
    " %s::float8[], %s::float8[]) AS v(id, n, first_at, first_place, last_at, lat, lon)"
    " WHERE trace_code.id = v.id"
)


def _fold(rows: list[tuple]) -> list[list]:
    """One summary per code (id, scans, first at, first place, last at, lat, lon): scans of the same code
    in a batch fold into a count and the last place. Rows are in RECORD_FIELDS order."""
    per_code: dict[int, list] = {}
    for row in rows:
        code_id = row[0]
        if code_id is None:
            continue
        seen = per_code.get(code_id)
        if seen is None:
            per_code[code_id] = [code_id, 1, row[4], row[6], row[4], row[7], row[8]]
        else:
            seen[1] += 1
            seen[4], seen[5], seen[6] = row[4], row[7], row[8]
    return list(per_code.values())


class ScanWriter:
    """Writes scan records and code summaries in batches on a background thread; `stop` drains it.

    Records travel as plain tuples (RECORD_FIELDS) through a deque: appending takes no lock, so the
    request thread never waits on the writer, and building an ORM object per scan would cost the
    consumer more than the scan itself."""

    def __init__(
        self, db: Database, max_batch: int = 5000, interval: float = 0.1, max_pending: int = 200_000
    ):
        self.db = db
        self.max_batch = max_batch
        self.interval = interval
        self.max_pending = max_pending
        self._buffer: deque[tuple] = deque()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None
        self._conn = None  # the writer's own SQLite connection, opened on first use
        self.written = 0
        self.dropped = 0

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="scan-writer", daemon=True)
            self._thread.start()

    def submit(self, record: tuple) -> None:
        if len(self._buffer) >= self.max_pending:
            self.dropped += 1  # back-pressure: the consumer's answer matters more than the log
            return
        self._idle.clear()
        self._buffer.append(record)

    def _drain_once(self) -> None:
        batch = []
        pop = self._buffer.popleft
        try:
            while len(batch) < self.max_batch:
                batch.append(pop())
        except IndexError:
            pass
        if batch:
            try:
                self.write(batch)
            except Exception:  # noqa: BLE001 - keep serving; the error is logged
                log.exception("writing %d scan records failed", len(batch))

    def _run(self) -> None:
        # Wake every `interval` seconds and write what has gathered: few large transactions.
        while True:
            stopping = self._stop.wait(self.interval)
            while self._buffer:
                self._drain_once()
            self._idle.set()
            if self._buffer:
                self._idle.clear()
            if stopping:
                return

    def write(self, records: list[tuple]) -> None:
        if self.db.is_sqlite:
            self._write_sqlite(records)
        else:
            self._write_postgres(records)
        self.written += len(records)

    def _write_postgres(self, records: list[tuple]) -> None:
        """The summaries first, one row per code, from arrays; then COPY for the records.

        Several processes write summaries of the same codes at once, and the records' foreign key
        takes a share lock on each code they name: each writer first locks its codes in id order
        (FOR NO KEY UPDATE, which another writer's foreign-key checks do not wait for), so two writers
        queue for each other instead of deadlocking on codes they met in opposite orders. A batch that
        fails on a transient error (a dropped connection) is tried again before it is given up."""
        import psycopg

        summaries = sorted(_fold(records), key=lambda v: v[0])
        for attempt in (1, 2, 3):
            try:
                with self.db.engine.begin() as conn:
                    cur = conn.connection.driver_connection.cursor()
                    if summaries:
                        cur.execute(_LOCK_CODES, ([v[0] for v in summaries],))
                        cur.execute(_UPDATE_SUMMARIES_PG, [list(col) for col in zip(*summaries, strict=True)])
                    with cur.copy(_COPY_SCANS) as copy:
                        for r in records:
                            copy.write_row(r)
                    cur.close()
                return
            except (psycopg.errors.DeadlockDetected, psycopg.OperationalError):
                if attempt == 3:
                    raise
                log.warning("writing %d scan records: transient error, trying again", len(records))
                time.sleep(0.05 * attempt)

    def _write_sqlite(self, records: list[tuple]) -> None:
        """The same rows through the driver, as multi-row statements: the driver releases and retakes
        the GIL around every statement it steps, so one statement per row would make the request
        thread wait on the writer. Datetimes go in SQLAlchemy's SQLite text format (UTC)."""

        def ts(value: datetime) -> str:
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

        rows = [(*r[:4], ts(r[4]), *r[5:]) for r in records]
        summaries = _fold(rows)
        if self._conn is None:
            self._conn = self.db.raw_writer()
        cur = self._conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            for i in range(0, len(rows), _ROWS_PER_STATEMENT):
                chunk = rows[i : i + _ROWS_PER_STATEMENT]
                cur.execute(_INSERT_SCANS + ",".join([_TEN] * len(chunk)), [v for r in chunk for v in r])
            for i in range(0, len(summaries), _ROWS_PER_STATEMENT):
                chunk = summaries[i : i + _ROWS_PER_STATEMENT]
                sql = _UPDATE_SUMMARIES.format(values=",".join([_SEVEN] * len(chunk)))
                cur.execute(sql, [v for r in chunk for v in r])
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        finally:
            cur.close()

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until everything submitted so far is written (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while (self._buffer or not self._idle.is_set()) and time.monotonic() < deadline:
            if self._thread is None:
                while self._buffer:
                    self._drain_once()
                self._idle.set()
                return
            time.sleep(0.005)

    def stop(self, timeout: float = 30.0) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout)
            self._thread = None
        while self._buffer:  # whatever arrived after the thread's last round
            self._drain_once()
        if self._conn is not None:
            self._conn.close()
            self._conn = None


_ISSUED = Evidence(
    "issued", "平台签发的单品码，校验通过", "An item code issued by this platform; its check passes"
)

_CODE_SQL = (
    "SELECT c.id, c.line_id, c.status, c.status_reason, c.last_biz_step, c.last_event_at, c.sold_at,"
    " c.scan_count, c.first_scan_at, c.first_scan_place, c.last_scan_at, c.last_scan_lat, c.last_scan_lon,"
    " b.status FROM trace_code c JOIN code_batch b ON b.id = c.batch_id WHERE c.serial = ?"
)


class Resolver:
    def __init__(
        self, db: Database, keyring: Keyring, policy: ScanPolicy | None = None, cache_ttl: float = 5.0
    ):
        self.db = db
        self.keyring = keyring
        self.policy = policy or ScanPolicy()
        self.cache = FactsCache(cache_ttl)
        self.writer = ScanWriter(db)
        # The only variable part is the driver's placeholder style.
        self._code_sql = _CODE_SQL.replace("?", "?" if db.is_sqlite else "%s")
        self._local = threading.local()

    def _code_row(self, serial: str) -> tuple | None:
        if self.db.is_sqlite:
            # A read-only connection per thread in autocommit: the lookup is one statement, and
            # SQLAlchemy's pool checkout and BEGIN would cost more than the lookup itself.
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = self._local.conn = self.db.raw_reader()
            return conn.execute(self._code_sql, (serial,)).fetchone()
        return self.db.fetch_one(self._code_sql, (serial,))

    def resolve(self, link: DigitalLink, client: Client, now: datetime | None = None) -> Outcome:
        now = now or utcnow()
        facts = self.cache.lot(self.db, link.gtin, link.lot) if link.lot else None
        product = facts.product if facts else self.cache.product(self.db, link.gtin)
        if link.serial is None:
            outcome = Outcome(
                link, "unverified", [Evidence("no_serial", *VERDICT_LABELS["unverified"])], facts, product
            )
            self._record(outcome, client, now)
            return outcome
        reason = self.keyring.check(link.gtin, link.lot or "", link.serial)
        if reason is not None:
            outcome = Outcome(
                link,
                "counterfeit",
                [
                    Evidence(
                        "check_failed",
                        "序列号校验失败：该码不是本平台签发的",
                        f"The code fails its check: {reason}",
                    )
                ],
                facts,
                product,
            )
            self._record(outcome, client, now)
            return outcome
        row = self._code_row(link.serial)
        if row is None or row[13] != "done" or facts is None or row[1] != facts.line_id:
            outcome = Outcome(
                link,
                "counterfeit",
                [Evidence("unknown_code", "平台未签发此码", "No such code was issued by this platform")],
                facts,
                product,
            )
            self._record(outcome, client, now)
            return outcome
        outcome = self._judge(link, row, facts, client, now)
        self._record(outcome, client, now)
        return outcome

    def _judge(
        self, link: DigitalLink, row: tuple, facts: LotFacts, client: Client, now: datetime
    ) -> Outcome:
        (
            code_id,
            _line,
            status,
            status_reason,
            last_step,
            _last_event,
            sold_at,
            count,
            first_at,
            first_place,
            last_at,
            last_lat,
            last_lon,
            _batch,
        ) = row
        p = self.policy
        evidence: list[Evidence] = [_ISSUED]
        verdict = "genuine"
        if status == "revoked":
            verdict = "revoked"
            evidence.append(
                Evidence("revoked", f"该码已作废：{status_reason}", f"The code was revoked: {status_reason}")
            )
        if facts.recall:
            verdict = "recalled" if verdict == "genuine" else verdict
            r = facts.recall["reason"]
            evidence.append(Evidence("recalled", f"该批次已召回：{r}", f"This lot was recalled: {r}"))
        suspicious: list[Evidence] = []
        total = (count or 0) + 1
        if total > p.max_scans:
            suspicious.append(
                Evidence(
                    "over_scanned",
                    f"该码已被扫描 {total} 次，超过正常次数 {p.max_scans}",
                    f"Scanned {total} times, more than the expected {p.max_scans}",
                )
            )
        if last_at is not None and last_lat is not None and client.lat is not None:
            last_at = _dt(last_at)
            km = _haversine_km((last_lat, last_lon), (client.lat, client.lon))
            hours = max((now - last_at).total_seconds() / 3600, 1 / 3600)
            if km > 50 and km / hours > p.max_speed_kmh:
                suspicious.append(
                    Evidence(
                        "impossible_travel",
                        f"上次扫描在 {km:.0f} 公里外、{hours * 60:.0f} 分钟前",
                        f"Last scanned {km:.0f} km away only {hours * 60:.0f} minutes ago",
                    )
                )
        left = facts.left_warehouse_at is not None or (last_step in epcis.LEFT_WAREHOUSE)
        if not left:
            suspicious.append(
                Evidence(
                    "before_release",
                    "该商品尚未出保税仓，不应在消费者手中",
                    "The item has not yet left the bonded warehouse; it should not be with a consumer",
                )
            )
        if last_step in epcis.ENDED:
            suspicious.append(
                Evidence(
                    "decommissioned",
                    "该码已注销（商品已销毁或使用）",
                    "The code was decommissioned (item destroyed or used)",
                )
            )
        if sold_at is not None:
            clients = self._clients_since(code_id, sold_at, client.client_hash)
            if clients > p.max_clients_after_sale:
                suspicious.append(
                    Evidence(
                        "after_sale",
                        f"售出后已被 {clients} 个不同设备扫描",
                        f"Scanned from {clients} different devices since it was sold",
                    )
                )
        if suspicious and verdict == "genuine":
            verdict = "suspicious"
        evidence += suspicious
        first = _dt(first_at)
        scans = {
            "count": total,
            "first_at": (first or now).isoformat(),
            # Recognised cities only, also for places stored before unknown names were dropped.
            "first_place": recognised_city(first_place if first else client.place),
        }
        outcome = Outcome(link, verdict, evidence, facts, facts.product, scans, code_id)
        if last_step is not None:
            with self.db.read_session() as s:
                from traceability.models import DeclarationLine

                line = s.get(DeclarationLine, facts.line_id)
                uris = {epcis.CANONICAL + link.path()}
                outcome.item_events = [
                    _event_view(e.document)
                    for e in epcis.timeline(s, line, link.serial)
                    if uris & set(e.document.get("epcList", []) + e.document.get("childEPCs", []))
                ]
        return outcome

    def _clients_since(self, code_id: int, since: Any, current: str) -> int:
        stmt = text("SELECT DISTINCT client_hash FROM scan_record WHERE code_id = :c AND scanned_at >= :t")
        stmt = stmt.bindparams(bindparam("t", type_=UtcDateTime))
        with self.db.read_session() as s:
            rows = s.execute(stmt, {"c": code_id, "t": _dt(since)}).all()
        return len({r[0] for r in rows} | {current})

    def _record(self, outcome: Outcome, client: Client, now: datetime) -> None:
        link = outcome.link
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


def code_view(outcome: Outcome, resolver_base: str, uri: str | None = None) -> dict[str, Any]:
    """What changes with every scan: the code itself, the verdict and the scan history."""
    link = outcome.link
    zh, en = VERDICT_LABELS[outcome.verdict]
    return {
        "code": {
            "uri": uri or link.uri(resolver_base),
            "hri": link.hri(),
            "short": short_code(link.serial) if link.serial else None,
            "gtin": link.gtin,
            "lot": link.lot,
            "serial": link.serial,
            "expiry": link.expiry.isoformat() if link.expiry else None,
        },
        "verdict": {
            "status": outcome.verdict,
            "label_zh": zh,
            "label_en": en,
            "evidence": [e.as_dict() for e in outcome.evidence],
        },
        "scans": outcome.scans or None,
    }


def lot_view(
    facts: LotFacts | None, product: dict | None, item_events: list[dict] | None = None
) -> dict[str, Any]:
    """What a scan shows about the lot: the same for every item of it (until the facts change)."""
    timeline = list(facts.timeline) if facts else []
    if item_events:
        timeline = sorted(timeline + item_events, key=lambda e: e["time"] or "")
    return {
        "product": product,
        "lot": facts.lot_info if facts else None,
        "declaration": facts.declaration if facts else None,
        "inspection": facts.inspection if facts else None,
        "chain_of_custody": timeline,
        "recall": facts.recall if facts else None,
    }


def view(outcome: Outcome, resolver_base: str) -> dict[str, Any]:
    """The scan as JSON: the same facts the page shows."""
    return code_view(outcome, resolver_base) | lot_view(outcome.facts, outcome.product, outcome.item_events)
