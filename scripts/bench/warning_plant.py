"""Planted histories beyond credit records for bench_warning: each merchant's product, its declarations
(every merchant keeps selling), its quality-insurance cover (renewed year on year), and consumers' scans:
calm noise (counterfeit scans and impossible-travel pairs scattered over cities weighted as people live,
a few calm merchants letting their insurance lapse) and the risky scenarios (a counterfeit cluster, an
impossible-travel cluster, a lapse while still selling). The rates are the generator's assumptions, not
field data. Rows are written below the ORM with foreign keys off: scans name code ids without code rows
(the warning joins scans to scans by code id), policies an insurer and product that are not there."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from traceability.places import CITY_COORDS

CITIES = list(CITY_COORDS)
CITY_WEIGHTS = [1 / (rank + 1) for rank in range(len(CITIES))]  # Zipf-like: big cities scan more
CALM_SCANS = {"counterfeit": 1 / 30, "travel": 1 / 60}  # per merchant per day
CALM_LAPSE = 0.03  # calm merchants whose insurance lapses once in the year, selling on
DECLARE_EVERY_DAYS = 14.0


def _iso(at: datetime) -> str:
    return at.replace(tzinfo=None).isoformat(" ")


def gtin_of(e: int) -> str:
    return f"{69000000000000 + e:014d}"


class Plant:
    def __init__(self, rng: random.Random, day0: datetime) -> None:
        self.rng, self.day0 = rng, day0
        self.scans: list[tuple] = []
        self.declarations: list[tuple] = []
        self.policies: list[tuple] = []
        self.code = 0

    def at(self, day: float) -> datetime:
        return self.day0 + timedelta(days=day)

    def counterfeit(self, e: int, day: float, city: str) -> None:
        lat, lon = CITY_COORDS[city]
        self.scans.append((None, gtin_of(e), _iso(self.at(day)), "counterfeit", city, lat, lon))

    def travel(self, e: int, day: float, city: str) -> None:
        start = self.rng.choice([c for c in CITIES if c != city])
        self.code += 1
        for n, (c, verdict) in enumerate(((start, "genuine"), (city, "suspicious"))):
            lat, lon = CITY_COORDS[c]
            at = self.at(day) + timedelta(minutes=5 * n)
            self.scans.append((self.code, gtin_of(e), _iso(at), verdict, c, lat, lon))

    def genuine(self, n: int, enterprises: int, days: int) -> None:
        """`n` genuine scans over the period: what the warning's queries must pass over."""
        rng = self.rng
        for _ in range(n):
            city = self.city()
            lat, lon = CITY_COORDS[city]
            at = _iso(self.at(rng.uniform(0, days)))
            self.scans.append((None, gtin_of(rng.randint(1, enterprises)), at, "genuine", city, lat, lon))

    def city(self) -> str:
        return self.rng.choices(CITIES, CITY_WEIGHTS)[0]

    def calm(self, e: int, days: int, lapse_day: float | None) -> None:
        rng = self.rng
        for kind, rate in CALM_SCANS.items():
            day = rng.expovariate(rate)
            while day < days:
                (self.counterfeit if kind == "counterfeit" else self.travel)(e, day, self.city())
                day += rng.expovariate(rate)
        day = rng.expovariate(1 / DECLARE_EVERY_DAYS)
        while day < days:
            self.declarations.append((e, f"B{e:07d}{len(self.declarations):09d}", _iso(self.at(day))))
            day += rng.expovariate(1 / DECLARE_EVERY_DAYS)
        start = -rng.uniform(0, 365)
        while start < days:
            end = start + 365
            if lapse_day is not None and start <= lapse_day < end:
                self.policies.append((e, start, lapse_day))
                return
            self.policies.append((e, start, end))
            start = end

    def scenario(self, e: int, s: str, h: int) -> float | None:
        """Plant a scan scenario before the harm on day h; a lapse's day for the insurance one."""
        rng = self.rng
        if s == "counterfeit_cluster":
            city = self.city()
            for _ in range(rng.randint(5, 15)):
                self.counterfeit(e, h - rng.uniform(0.5, 21), city)
        elif s == "travel_cluster":
            city = self.city()
            for _ in range(rng.randint(3, 8)):
                self.travel(e, h - rng.uniform(0.5, 21), city)
        elif s == "lapsed_insurance":
            return h - rng.uniform(5, 60)
        return None

    def write(self, db) -> None:  # type: ignore[no-untyped-def]
        conn = db.engine.raw_connection()
        cur = conn.cursor()
        cur.execute("PRAGMA foreign_keys=OFF")
        stamp = _iso(self.day0)
        enterprises = sorted({e for e, *_ in self.declarations} | {e for e, *_ in self.policies})
        cur.executemany(
            "INSERT INTO product (enterprise_id, gtin, hs_code, name_zh, name_en, brand, manufacturer,"
            " origin_country, category, created_at) VALUES (?, ?, '0402291000', ?, '', '', '', 'NL', 'food', ?)",
            [(e, gtin_of(e), f"预警商品{e}", stamp) for e in enterprises],
        )
        cur.executemany(
            "INSERT INTO declaration (enterprise_id, declaration_no, transport_doc_type, transport_doc_no,"
            " arrival_port, bonded_warehouse, declared_on, status, decision_reason, request_hash, created_at)"
            " VALUES (?, ?, 'awb', 'X', 'CNNGB', 'W', ?, 'released', '', '', ?)",
            [(e, no, at[:10], at) for e, no, at in self.declarations],
        )
        cur.executemany(
            "INSERT INTO insurance_policy (policy_no, product_id, insurer_id, enterprise_id, status, status_reason,"
            " starts_at, ends_at, cover_from, grade, currency, declared_value_minor, premium_minor, arithmetic,"
            " bond_minor, cover_per_unit_minor, aggregate_limit_minor, deductible_minor, claim_window_days,"
            " categories, committed_minor, quote_expires_at, created_at, bound_at, ended_at, version)"
            " VALUES (?, 1, 1, ?, ?, '', ?, ?, ?, 'B', 'CNY', 0, 0, '{}', 0, 0, 0, 0, 30, '[]', 0, ?, ?, ?, ?, 1)",
            [
                (f"P{n:09d}", e, "expired", _iso(self.at(s)), _iso(self.at(end)), _iso(self.at(s)),
                 _iso(self.at(s)), _iso(self.at(s)), _iso(self.at(s)), _iso(self.at(end)))
                for n, (e, s, end) in enumerate(self.policies)
            ],
        )  # fmt: skip
        cur.executemany(
            "INSERT INTO scan_record (code_id, gtin, scanned_at, verdict, place, lat, lon, client_hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, '')",
            sorted(self.scans, key=lambda r: r[2]),
        )
        conn.commit()
        conn.close()
