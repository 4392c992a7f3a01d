"""The verdict on a scanned code (genuine, not yet shipped, suspicious, recalled, revoked, counterfeit,
unverified) and its
evidence, judged from the code's row, the lot's facts, who scans and the policy. No database here: the
resolver reads what the verdict needs and hands it over."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, overload

from core.clock import as_utc
from traceability import epcis
from traceability.codes import DigitalLink
from traceability.facts import LotFacts
from traceability.places import Client, haversine_km, recognised_city

VERDICT_LABELS = {
    "genuine": ("正品验证通过", "Genuine"),
    # An issued code whose item has no shipping record yet (未出区): the merchant has not shipped it, or
    # not yet recorded the shipment. Not a sign of a fake by itself, so not "suspicious".
    "not_shipped": ("尚未出区：商品仍在保税仓", "Not yet shipped from the bonded warehouse"),
    "suspicious": ("可疑，请谨慎", "Suspicious"),
    "recalled": ("该批次已召回", "Recalled"),
    "revoked": ("该码已作废", "Code revoked"),
    "counterfeit": ("未通过验证，疑似假冒", "Not verified: possibly counterfeit"),
    "unverified": ("未含单品序列号，无法验证单品", "No item serial: the item cannot be verified"),
}


@dataclass(frozen=True)
class ScanPolicy:
    max_scans: int = 20  # more scans than this and the code has probably been copied
    max_speed_kmh: float = 1000.0  # faster than an airliner between two scans is impossible travel
    max_clients_after_sale: int = 3  # a sold item is scanned by its buyer, not by many devices


class CodeRow(NamedTuple):
    """A trace code as the resolver reads it: its state and its scan summary, kept on the code's row,
    and its batch's status. Datetimes are as the driver returns them (see `as_datetime`)."""

    id: int
    line_id: int
    batch_id: int
    status: str
    status_reason: str | None
    last_biz_step: str | None
    last_event_at: Any
    sold_at: Any
    scan_count: int | None
    first_scan_at: Any
    first_scan_place: str | None
    last_scan_at: Any
    last_scan_lat: float | None
    last_scan_lon: float | None
    batch_status: str


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
    batch_id: int | None = None  # the item's code batch: its own "code issued" event in the timeline

    @property
    def enterprise_id(self) -> int | None:
        return self.facts.enterprise_id if self.facts else (self.product or {}).get("enterprise_id")


ISSUED = Evidence(
    "issued", "平台签发的单品码，校验通过", "An item code issued by this platform; its check passes"
)
NO_SERIAL = Evidence("no_serial", *VERDICT_LABELS["unverified"])
UNKNOWN_CODE = Evidence("unknown_code", "平台未签发此码", "No such code was issued by this platform")
# A GTIN no one registered here: nothing to check the serial against, so not "the serial failed".
UNKNOWN_PRODUCT = Evidence(
    "unknown_product",
    "本平台未登记这个商品（商品条码未知），无法核实",
    "This product is not registered on this platform (unknown GTIN): it cannot be checked here",
)


def check_failed(reason: str) -> Evidence:
    return Evidence(
        "check_failed", "序列号校验失败：该码不是本平台签发的", f"The code fails its check: {reason}"
    )


@overload
def as_datetime(value: None) -> None: ...
@overload
def as_datetime(value: datetime | str) -> datetime: ...
def as_datetime(value: Any) -> datetime | None:
    """Raw driver rows carry datetimes as text on SQLite and as datetimes on PostgreSQL."""
    if value is None:
        return None
    return as_utc(value if isinstance(value, datetime) else datetime.fromisoformat(str(value)))


# How many distinct devices scanned a code since a time, counting the current one.
ClientsSince = Callable[[int, Any, str], int]


def _over_scanned(total: int, p: ScanPolicy) -> Evidence | None:
    if total <= p.max_scans:
        return None
    return Evidence(
        "over_scanned",
        f"该码已被扫描 {total} 次，超过正常次数 {p.max_scans}",
        f"Scanned {total} times, more than the expected {p.max_scans}",
    )


def _impossible_travel(row: CodeRow, client: Client, now: datetime, p: ScanPolicy) -> Evidence | None:
    if row.last_scan_at is None or row.last_scan_lat is None or client.lat is None:
        return None
    last_at = as_datetime(row.last_scan_at)
    km = haversine_km((row.last_scan_lat, row.last_scan_lon), (client.lat, client.lon))  # type: ignore[arg-type]  # lat and lon are set together (Client.from_request)
    hours = max((now - last_at).total_seconds() / 3600, 1 / 3600)
    if km > 50 and km / hours > p.max_speed_kmh:
        return Evidence(
            "impossible_travel",
            f"上次扫描在 {km:.0f} 公里外、{hours * 60:.0f} 分钟前",
            f"Last scanned {km:.0f} km away only {hours * 60:.0f} minutes ago",
        )
    return None


def _not_shipped(row: CodeRow, facts: LotFacts) -> Evidence | None:
    """Read from the EPCIS shipping event (a lot's or this item's): none yet is its own verdict."""
    if facts.left_warehouse_at is not None or (row.last_biz_step in epcis.LEFT_WAREHOUSE):
        return None
    return Evidence(
        "before_release",
        "平台尚无该商品出区发货的记录：它应仍在保税仓，商家尚未发货或尚未登记出区",
        "No record yet of this item shipping out of the bonded warehouse: it should still be there; "
        "the merchant has not shipped it or not yet recorded the shipment",
    )


def _decommissioned(row: CodeRow) -> Evidence | None:
    if row.last_biz_step not in epcis.ENDED:
        return None
    return Evidence(
        "decommissioned",
        "该码已注销（商品已销毁或使用）",
        "The code was decommissioned (item destroyed or used)",
    )


def _after_sale(row: CodeRow, client: Client, p: ScanPolicy, clients_since: ClientsSince) -> Evidence | None:
    if row.sold_at is None:
        return None
    clients = clients_since(row.id, row.sold_at, client.client_hash)
    if clients <= p.max_clients_after_sale:
        return None
    return Evidence(
        "after_sale",
        f"售出后已被 {clients} 个不同设备扫描",
        f"Scanned from {clients} different devices since it was sold",
    )


def _state(row: CodeRow, facts: LotFacts) -> tuple[str, list[Evidence]]:
    """The item's own state: issued, then revoked (the code) and recalled (the lot)."""
    evidence: list[Evidence] = [ISSUED]
    verdict = "genuine"
    if row.status == "revoked":
        verdict = "revoked"
        reason = row.status_reason
        evidence.append(Evidence("revoked", f"该码已作废：{reason}", f"The code was revoked: {reason}"))
    if facts.recall:
        verdict = "recalled" if verdict == "genuine" else verdict
        r = facts.recall["reason"]
        evidence.append(Evidence("recalled", f"该批次已召回：{r}", f"This lot was recalled: {r}"))
    for f in facts.lab_failures:  # another agency's lab: said as it is, the verdict on the code unchanged
        evidence.append(
            Evidence(
                "lab_failed",
                f"该批次抽检不合格（{f['lab_zh']}，{f['tested_at']}）：{f['title_zh']}",
                f"A sample of this lot failed a lab test ({f['tested_at']}): {f['title_en'] or f['title_zh']}",
            )
        )
    return verdict, evidence


def judge(
    link: DigitalLink,
    row: CodeRow,
    facts: LotFacts,
    client: Client,
    now: datetime,
    policy: ScanPolicy,
    clients_since: ClientsSince,
) -> Outcome:
    """The verdict on an issued code of a known lot. `clients_since` is asked only for a sold item.
    The rules are asked in this order (the devices since the sale last: it may read the database)."""
    verdict, evidence = _state(row, facts)
    total = (row.scan_count or 0) + 1
    not_shipped = _not_shipped(row, facts)
    found = (
        _over_scanned(total, policy),
        _impossible_travel(row, client, now, policy),
        not_shipped,
        _decommissioned(row),
        _after_sale(row, client, policy, clients_since),
    )
    suspicious = [e for e in found if e is not None]
    # `not_shipped` is at most one of `suspicious`: anything more in it makes the item suspicious.
    if verdict == "genuine" and len(suspicious) > (not_shipped is not None):
        verdict = "suspicious"
    elif verdict == "genuine" and not_shipped is not None:
        verdict = "not_shipped"
    evidence += suspicious
    first = as_datetime(row.first_scan_at)
    scans = {
        "count": total,
        "first_at": (first or now).isoformat(),
        # Recognised cities only, also for places stored before unknown names were dropped.
        "first_place": recognised_city(row.first_scan_place if first else client.place),
    }
    return Outcome(link, verdict, evidence, facts, facts.product, scans, row.id, batch_id=row.batch_id)
