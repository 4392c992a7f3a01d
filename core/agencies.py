"""Agencies (market regulation bureaus) by administrative division code (GB/T 2260), and the one rule of
agency scope: a regulator acts (writes) only on the cases of its own agency; another agency's cases are
read-only for it unless transferred to its agency. Admins act anywhere; merchants and insurers are
scoped by enterprise (`Principal.ensure_may_act_for`).

Which agency a case is: a complaint's is its handling agency (`complaint.region`, changed by a
transfer); everything else belongs to an enterprise, whose agency is the one of its registered region,
read from its unified social credit code (GB 32100: characters 3-8 are the division of the registering
authority). The most specific agency in the table that covers the division acts (the district, else its
city, else its province); a division no agency here covers is the bonded zone's own (`DEFAULT_REGION`).
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import column, table
from sqlmodel import Session, select

from core.errors import Forbidden, NotFound


class Caller(Protocol):
    """What the check reads of a principal (`core.security.Principal`, which imports this table)."""

    @property
    def role(self) -> str: ...

    @property
    def agency(self) -> str | None: ...


REGULATOR = "regulator"

# The one table: division code -> (Chinese name, English name).
AGENCY_NAMES: dict[str, tuple[str, str]] = {
    "330200": ("宁波市市场监督管理局", "Ningbo Administration for Market Regulation"),
    "330206": (
        "宁波市北仑区市场监督管理局（宁波保税区）",
        "Beilun District Administration for Market Regulation (Ningbo Bonded Zone)",
    ),
    "330212": ("宁波市鄞州区市场监督管理局", "Yinzhou District Administration for Market Regulation, Ningbo"),
    "330100": ("杭州市市场监督管理局", "Hangzhou Administration for Market Regulation"),
    "330108": (
        "杭州市滨江区市场监督管理局",
        "Binjiang District Administration for Market Regulation, Hangzhou",
    ),
    "310000": ("上海市市场监督管理局", "Shanghai Administration for Market Regulation"),
    "310115": (
        "上海市浦东新区市场监督管理局",
        "Pudong New Area Administration for Market Regulation, Shanghai",
    ),
    "440300": ("深圳市市场监督管理局", "Shenzhen Administration for Market Regulation"),
    "440100": ("广州市市场监督管理局", "Guangzhou Administration for Market Regulation"),
    "110000": ("北京市市场监督管理局", "Beijing Administration for Market Regulation"),
    "500000": ("重庆市市场监督管理局", "Chongqing Administration for Market Regulation"),
    "410100": ("郑州市市场监督管理局", "Zhengzhou Administration for Market Regulation"),
}
AGENCIES: dict[str, str] = {code: names[0] for code, names in AGENCY_NAMES.items()}  # the Chinese names

DEFAULT_REGION = "330206"  # the bonded zone's own agency

# The enterprise registry's table, by name only (core imports no domain; enterprises.models owns it).
_enterprise = table("enterprise", column("id"), column("uscc"))


def agency_name(region: str) -> str | None:
    return AGENCIES.get(region)


def agency_of_division(division: str) -> str:
    """The most specific agency covering a division code: itself, its city, its province, else the zone's."""
    for code in (division, division[:4] + "00", division[:2] + "0000"):
        if len(code) == 6 and code in AGENCIES:
            return code
    return DEFAULT_REGION


def agency_of_uscc(uscc: str) -> str:
    return agency_of_division(uscc[2:8])


def agency_of_enterprise(session: Session, enterprise_id: int) -> str:
    uscc = session.exec(select(_enterprise.c.uscc).where(_enterprise.c.id == enterprise_id)).first()
    if uscc is None:
        raise NotFound(f"no enterprise with id {enterprise_id}", field="enterprise_id")
    return agency_of_uscc(str(uscc))


def agencies_of_enterprises(session: Session, enterprise_ids: set[int]) -> dict[int, str]:
    """{enterprise id: its agency} for many enterprises in one read (the console's lists)."""
    if not enterprise_ids:
        return {}
    rows = session.exec(
        select(_enterprise.c.id, _enterprise.c.uscc).where(_enterprise.c.id.in_(sorted(enterprise_ids)))
    )
    return {int(i): agency_of_uscc(str(u)) for i, u in rows}


def describe(region: str) -> str:
    zh_en = AGENCY_NAMES.get(region)
    return f"{zh_en[0]} {zh_en[1]} ({region})" if zh_en else f"an agency not in the table ({region})"


def ensure_acts(by: Caller, region: str, what: str) -> None:
    """The single agency-scope check every regulator write goes through (in the domain services)."""
    if by.role != REGULATOR or by.agency == region:
        return
    raise Forbidden(
        f"{what} belongs to {describe(region)}; your key acts for {describe(by.agency or DEFAULT_REGION)}:"
        " another agency's cases are read-only for you unless transferred to your agency",
        case_agency=region,
        your_agency=by.agency,
    )


def ensure_acts_for_enterprise(session: Session, by: Caller, enterprise_id: int, what: str) -> None:
    if by.role == REGULATOR:
        ensure_acts(by, agency_of_enterprise(session, enterprise_id), what)
