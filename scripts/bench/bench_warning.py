"""Benchmark and check of early warning (credit/warning.py), on SQLite.

    .venv/bin/python scripts/bench/bench_warning.py [ENTERPRISES] [RECORDS] [PLANTED] [SEED]
    (defaults 10,000, 1,000,000, 2,000 and 7)

1. Accuracy on planted histories. PLANTED enterprises, a tenth of them risky, get a year of background
   records at calm rates (complaints, claims, the odd failed inspection or penalty: calm enterprises trip
   the warning too), and (scripts/bench/warning_plant.py) a product, declarations every two weeks or so,
   insurance renewed year on year (3% of calm ones let it lapse and sell on) and calm scan noise
   (counterfeit scans and impossible-travel pairs scattered over cities weighted as people live). Each
   risky one is given a harm (a serious recall or serious dishonesty) on a day of its own, preceded by one
   scenario: complaints and claims rising, a failed lab test or inspection, a penalty or court record from
   another agency, counterfeit scans clustering in one city, impossible-travel scans clustering in one
   city, insurance lapsed while still selling, or nothing at all (a harm no signal foretells).
   The warning is computed for every day (as the regulator would have seen it then); at the day before
   each enterprise's reference day (its harm, or a random day for a calm one) a warning at "elevated" or
   above is a positive. Printed: precision, recall, and the days of lead (the first day of the unbroken
   run of warnings that reaches the day before the harm), p50 and min/max over the risky caught.
2. Time: the warning for ENTERPRISES enterprises holding RECORDS records (bench_credit's population),
   with a product, declarations, a policy each and RECORDS/2 consumers' scans, against the raw read of
   the same rows (the same filters, fetched into Python) in the same run.
Prints one JSON line. The histories are the generator's own assumptions, not field data.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.bench.bench_credit import populate  # noqa: E402
from scripts.bench.common import fresh_sqlite, machine  # noqa: E402
from scripts.bench.warning_plant import CALM_LAPSE, Plant  # noqa: E402

DAY0 = datetime(2026, 1, 1, 2, 0, tzinfo=UTC)
DAYS = 365
# Calm rates, events per day: a complaint a quarter, a claim a half-year, a failed inspection in 3 years.
CALM = {
    "complaint_upheld": 1 / 90,
    "late_complaint_answer": 1 / 240,
    "insurance_claim_paid": 1 / 180,
    "inspection_failure": 1 / 1100,
    "administrative_penalty": 1 / 1500,
    "recall": 1 / 3000,
}
SCENARIOS = (
    "rising_complaints",
    "failing_tests",
    "penalty",
    "silent",
    "counterfeit_cluster",
    "travel_cluster",
    "lapsed_insurance",
    "rising_complaints",
)


def _insert(db, enterprises: int, rows: list[tuple]) -> None:
    conn = db.engine.raw_connection()
    cur = conn.cursor()
    stamp = DAY0.replace(tzinfo=None).isoformat(" ")
    cur.executemany(
        "INSERT INTO enterprise (id, uscc, customs_code, name_zh, name_en, kind, country, address, contact_name,"
        " contact_phone, contact_email, status, status_reason, created_at, updated_at, version)"
        " VALUES (?, ?, NULL, ?, '', 'merchant', 'CN', '', '', '', '', 'active', '', ?, ?, 1)",
        [(i, f"91330206{i:09d}X", f"预警企业{i}", stamp, stamp) for i in range(1, enterprises + 1)],
    )
    cur.executemany(
        "INSERT INTO credit_record (enterprise_id, kind, severity, occurred_at, title_zh, title_en, evidence,"
        " evidence_ref, source_type, source_key, source_event_id, created_by, reason, status, publish_until,"
        " ended_at, created_at, version) VALUES (?, ?, ?, ?, '预警基准', '', '', '', 'bench', ?, NULL, 'bench',"
        " '', 'active', ?, NULL, ?, 1)",
        [
            (
                e,
                k,
                sev,
                at.replace(tzinfo=None).isoformat(" "),
                f"w:{n}",
                (at + timedelta(days=365)).replace(tzinfo=None).isoformat(" "),
                stamp,
            )
            for n, (e, k, sev, at) in enumerate(rows)
        ],
    )
    conn.commit()
    conn.close()


def _plant(
    rng: random.Random, planted: int, plant: Plant
) -> tuple[list[tuple], dict[int, int], dict[int, str]]:
    rows: list[tuple] = []
    reference: dict[int, int] = {}
    scenario: dict[int, str] = {}
    for e in range(1, planted + 1):
        for kind, rate in CALM.items():
            day = rng.expovariate(rate)
            while day < DAYS:
                rows.append((e, kind, "minor", DAY0 + timedelta(days=day)))
                day += rng.expovariate(rate)
        reference[e] = rng.randrange(200, DAYS)
        if e % 10:
            plant.calm(e, DAYS, rng.uniform(0, DAYS) if rng.random() < CALM_LAPSE else None)
            continue
        h = reference[e]
        scenario[e] = s = SCENARIOS[(e // 10) % len(SCENARIOS)]
        plant.calm(e, DAYS, plant.scenario(e, s, h))
        if s == "rising_complaints":
            for _ in range(rng.randint(3, 6)):
                rows.append((e, "complaint_upheld", "general", DAY0 + timedelta(days=h - rng.uniform(1, 28))))
            for _ in range(rng.randint(1, 3)):
                rows.append(
                    (e, "insurance_claim_paid", "general", DAY0 + timedelta(days=h - rng.uniform(1, 20)))
                )
        elif s == "failing_tests":
            rows.append((e, "inspection_failure", "general", DAY0 + timedelta(days=h - rng.uniform(3, 28))))
        elif s == "penalty":
            rows.append(
                (e, "administrative_penalty", "general", DAY0 + timedelta(days=h - rng.uniform(3, 28)))
            )
        harm = "serious_dishonesty" if s == "penalty" else "recall"
        rows.append((e, harm, "serious", DAY0 + timedelta(days=h, hours=6)))
    return rows, reference, scenario


def accuracy(planted: int, seed: int) -> dict:
    from credit import warning

    rng = random.Random(seed)
    plant = Plant(rng, DAY0)
    rows, reference, scenario = _plant(rng, planted, plant)
    db, _ = fresh_sqlite("warning-planted")
    _insert(db, planted, rows)
    plant.write(db)
    warned: dict[int, set[int]] = {}  # day -> enterprises at elevated or above that day
    with db.read_session() as s:
        for day in range(150, DAYS):
            at = DAY0 + timedelta(days=day)
            warned[day] = {a.enterprise_id for a in warning.assess_all(s, at) if a.level != "calm"}
    tp = fp = fn = 0
    leads: list[int] = []
    by_scenario: dict[str, list[int]] = {}
    for e, h in reference.items():
        positive = e in warned[h - 1]
        risky = e in scenario
        tp += positive and risky
        fp += positive and not risky
        fn += risky and not positive
        if risky:
            by_scenario.setdefault(scenario[e], [0, 0])[0 if positive else 1] += 1
        if risky and positive:
            first = h - 1
            while first - 1 in warned and e in warned[first - 1]:
                first -= 1
            leads.append(h - first)
    return {
        "planted": planted,
        "risky": len(scenario),
        "precision": round(tp / (tp + fp), 3) if tp + fp else None,
        "recall": round(tp / (tp + fn), 3) if tp + fn else None,
        "true_pos": tp,
        "false_pos": fp,
        "false_neg": fn,
        "caught_missed_by_scenario": by_scenario,
        "lead_days_p50": statistics.median(leads) if leads else None,
        "lead_days_min": min(leads) if leads else None,
        "lead_days_max": max(leads) if leads else None,
        "records": len(rows),
        "scans": len(plant.scans),
        "declarations": len(plant.declarations),
        "policies": len(plant.policies),
    }


def _raw(conn, sql: str, args: tuple) -> list:
    return conn.cursor().execute(sql, args).fetchall()


def raw_read(db, now: datetime) -> tuple[int, float]:
    """The rows the warning reads, fetched into Python with the same filters: records, the scans of the
    scan signals' windows with their verdicts, policies that ended, declarations of the window."""
    from credit import warning

    r = warning.rules()
    kinds = sorted({k for s in r.signals.values() for k in s.kinds})
    iso = lambda d: (now - timedelta(days=d)).replace(tzinfo=None).isoformat(" ")  # noqa: E731
    scan_days = max(s.window_days for s in r.scan_signals.values())
    lapse_days = r.insurance_lapsed.within_days if r.insurance_lapsed else 0
    conn = db.engine.raw_connection()
    t = time.perf_counter()
    rows = _raw(
        conn,
        f"SELECT enterprise_id, kind, occurred_at FROM credit_record WHERE kind IN ({','.join('?' * len(kinds))})"  # noqa: S608 - placeholders
        " AND occurred_at >= ? AND occurred_at <= ? AND status != 'withdrawn'",
        (*kinds, iso(r.window_days + r.baseline_days), iso(0)),
    )
    rows += _raw(
        conn,
        "SELECT gtin, place, code_id, lat, lon, scanned_at FROM scan_record WHERE verdict IN"
        " ('counterfeit', 'suspicious') AND scanned_at >= ? AND scanned_at <= ?",
        (iso(scan_days), iso(0)),
    )
    rows += _raw(
        conn,
        "SELECT enterprise_id, ended_at FROM insurance_policy WHERE ended_at >= ? AND ended_at <= ?",
        (iso(lapse_days), iso(0)),
    )
    rows += _raw(
        conn,
        "SELECT enterprise_id FROM declaration WHERE created_at >= ? AND created_at <= ?",
        (iso(r.window_days), iso(0)),
    )
    seconds = time.perf_counter() - t
    conn.close()
    return len(rows), seconds


def timing(enterprises: int, records: int) -> dict:
    from credit import warning

    now = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    db, _ = fresh_sqlite("warning-time")
    populate(db, enterprises, records, now)
    days = 60
    plant = Plant(random.Random(3), now - timedelta(days=days))
    for e in range(1, enterprises + 1):
        plant.calm(e, days, days * random.Random(e).random() if e % 33 == 0 else None)
    plant.genuine(records // 2, enterprises, days)
    plant.write(db)
    raw_rows, raw_s = raw_read(db, now)
    with db.read_session() as s:
        t = time.perf_counter()
        found = warning.assess_all(s, now)
        warn_s = time.perf_counter() - t
    levels: dict[str, int] = {}
    for a in found:
        levels[a.level] = levels.get(a.level, 0) + 1
    return {
        "enterprises": enterprises,
        "records": records,
        "scans": len(plant.scans),
        "declarations": len(plant.declarations),
        "policies": len(plant.policies),
        "rows_in_windows": raw_rows,
        "raw_read_s": round(raw_s, 3),
        "warning_all_s": round(warn_s, 3),
        "warning_over_raw": round(warn_s / raw_s, 2) if raw_s else None,
        "levels": levels,
        "with_products": sum(1 for a in found if a.products),
    }


def main() -> None:
    args = [int(a) for a in sys.argv[1:]]
    enterprises, records, planted, seed = (args + [10_000, 1_000_000, 2_000, 7][len(args) :])[:4]
    out = {
        "benchmark": "credit_warning_sqlite",
        "accuracy": accuracy(planted, seed),
        "time": timing(enterprises, records),
    }
    print(json.dumps({**out, "machine": machine()}, ensure_ascii=False))


if __name__ == "__main__":
    main()
