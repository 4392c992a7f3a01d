"""The early warning's reasons in words, Chinese first with English: the counts behind a record signal, a
scan cluster's products and regions, a lapsed insurance policy. Only recognised cities are named."""

from __future__ import annotations

from typing import Any

from credit.warning_signals import InsuranceRule, Lapse, ScanSignalRule
from traceability.places import CITY_ALIASES

_CITY_EN = {zh: en.title() for en, zh in reversed(list(CITY_ALIASES.items()))}


def city(place: str) -> tuple[str, str]:
    """A recognised city in both languages ("" is a scan that named none)."""
    if not place:
        return "地区不明", "an unknown region"
    return place, _CITY_EN.get(place, place)


def counts_text(recent: int, before: int, window_days: int, baseline_days: int) -> tuple[str, str]:
    return (
        f"近 {window_days} 天 {recent} 条，此前 {baseline_days} 天 {before} 条",
        f"{recent} in the last {window_days} days, {before} in the {baseline_days} days before",
    )


def _judged(rule: ScanSignalRule) -> tuple[str, str]:
    if rule.judgment == "counterfeit":
        return "次扫描判定为疑似假冒", "scans judged possibly counterfeit"
    return (
        f"次不可能行程扫描（与上一次扫描相距超过 {rule.min_km:g} 公里、时速超过 {rule.max_speed_kmh:g} 公里）",
        f"impossible-travel scans (more than {rule.min_km:g} km from the scan before, "
        f"faster than {rule.max_speed_kmh:g} km/h)",
    )


def cluster_text(rule: ScanSignalRule, where: list[dict[str, Any]]) -> tuple[str, str]:
    """One sentence per product and region, e.g. 「奶粉」（GTIN …）在上海 14 天内 6 次扫描判定为疑似假冒."""
    what_zh, what_en = _judged(rule)
    zh, en = [], []
    for w in where:
        c_zh, c_en = city(w["place"])
        name_zh, name_en = w["product_zh"] or w["gtin"], w["product_en"] or w["product_zh"] or w["gtin"]
        zh.append(f"「{name_zh}」（GTIN {w['gtin']}）在{c_zh} {rule.window_days} 天内 {w['count']} {what_zh}")
        en.append(
            f"{name_en} (GTIN {w['gtin']}): {w['count']} {what_en} in {c_en} within {rule.window_days} days"
        )
    return "；".join(zh), "; ".join(en)


def lapse_text(lapse: Lapse, rule: InsuranceRule, window_days: int) -> tuple[str, str]:
    day = lapse.ended_at.date().isoformat()
    return (
        f"质量保险于 {day} 终止（到期未续或退保），目前没有有效保单，近 {window_days} 天仍有 "
        f"{lapse.declarations} 票申报",
        f"Quality insurance ended on {day} (lapsed or cancelled) and none is in force now, yet "
        f"{lapse.declarations} declarations were filed in the last {window_days} days",
    )
