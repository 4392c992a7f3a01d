"""Agencies that handle complaints, by administrative division code (GB/T 2260). A transfer names the
receiving agency's code; one not in this table is refused, so no case is sent nowhere."""

from __future__ import annotations

AGENCIES: dict[str, str] = {
    "330200": "宁波市市场监督管理局",
    "330206": "宁波市北仑区市场监督管理局（宁波保税区）",
    "330212": "宁波市鄞州区市场监督管理局",
    "330100": "杭州市市场监督管理局",
    "330108": "杭州市滨江区市场监督管理局",
    "310000": "上海市市场监督管理局",
    "310115": "上海市浦东新区市场监督管理局",
    "440300": "深圳市市场监督管理局",
    "440100": "广州市市场监督管理局",
    "110000": "北京市市场监督管理局",
    "500000": "重庆市市场监督管理局",
    "410100": "郑州市市场监督管理局",
}

DEFAULT_REGION = "330206"  # the bonded zone's own agency


def agency_name(region: str) -> str | None:
    return AGENCIES.get(region)
