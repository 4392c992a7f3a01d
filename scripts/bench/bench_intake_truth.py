"""The product's associate and compare steps measured against a synthetic delivery's known truth (issue 24).

    .venv/bin/python scripts/bench/bench_intake_truth.py [ROWS] [SEED]    (defaults 100,000 and 7)

1. `intake.synthetic` makes the universe (about ROWS / 4 enterprises) and streams ROWS rows from five
   sources, each with its truth. The known enterprises that have a USCC are written to a fresh SQLite
   database as enterprises (a bulk insert with their universe ids: set-up, not measured), each with its
   old registration number and its organisation code in intake's old-number table (`intake_old_reg_no`,
   what `intake.sources.add_old_reg_no` records). A known enterprise without a USCC cannot be an
   enterprise of the platform (the USCC is required): its rows count as an unknown enterprise's.
2. The rows are written as real delivery files (CSV, UTF-8), one per source, delivery and mapping: the
   penalties under the product's `penalty` mapping (双公示 CF_*: the decision number is the subject, the
   fine the value), the courts' entries under `court_dishonest` (the case number), and the facts no
   product mapping fits (an operating status, a tax grade, a customs credit class) under a synthetic-only
   mapping, `scripts/bench/intake_truth/truth_fact.toml`, and the registered names under `truth_name.toml`
   (the value a name, compared by its key): facts of an enterprise, keyed by the fact, its subject and the
   enterprise's identifiers, which the pipeline replaces by the enterprise a row is linked to; these two
   carry the row's address as the generator wrote it (absent, moved, spelt otherwise), as a register or a
   list does. Penalties and court entries carry none (the standards' fields have no address).
3. Each file goes through the product: `intake.service.store`, `receive` and `process` (clean, compare,
   associate, store, synchronise), the previous delivery's files first, then the current one's.
4. From the database: the links (`intake_record.enterprise_id` of active records) against the truth;
   the share sent to review and rejected (by the way the row identified its enterprise); conflicts
   (`intake_conflict`) against those planted, by (true enterprise, kind, subject), on the value's field,
   and those raised on other fields; duplicates (rows neither stored nor rejected) and corrections
   (records that supersede) against those planted. The baseline: a dict lookup of the USCC as written.
   One JSON line.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from api.wiring import load_handlers  # noqa: E402
from core.clock import utcnow  # noqa: E402
from core.db import Database, migrate  # noqa: E402
from core.security import SYSTEM  # noqa: E402
from enterprises.models import Enterprise  # noqa: E402
from intake import mapping, synthetic  # noqa: E402
from intake import service as intake  # noqa: E402
from intake.models import IntakeOldRegNo  # noqa: E402
from intake.schemas import SourceCreate  # noqa: E402
from scripts.bench.common import machine  # noqa: E402

TRUTH_MAPPINGS = tuple(Path(__file__).parent / "intake_truth" / f"{k}.toml" for k in ("truth_fact", "truth_name"))  # fmt: skip
HEADERS = {
    "penalty": ["行政相对人名称", "统一社会信用代码", "工商注册号", "行政处罚决定书文号", "罚款金额", "处罚决定日期", "处罚机关"],
    "court_dishonest": ["被执行人名称", "统一社会信用代码", "组织机构代码", "案号", "执行法院", "发布时间"],
    "truth_fact": ["企业名称", "统一社会信用代码", "注册号", "事项", "事项编号", "内容", "地址"],
    "truth_name": ["企业名称", "统一社会信用代码", "注册号", "事项", "事项编号", "内容", "地址"],
}  # fmt: skip
VALUE_FIELD = {
    "penalty": "fine_wan",
    "court_dishonest": "",
    "truth_fact": "value",
    "truth_name": "registered_name",
}
SOURCE_NAMES = {
    "samr": "市场监管",
    "customs": "海关",
    "court": "法院",
    "tax": "税务",
    "credit_china": "信用中国",
}


def register_truth_mapping() -> None:
    """The synthetic-only mappings, known to the pipeline for this process only (never product files)."""
    for path in TRUTH_MAPPINGS:
        m = mapping._load(path)  # noqa: SLF001 - the same checks as a shipped mapping
        mapping.mappings()[m.kind] = m


def mapping_of(row: synthetic.Row) -> str:
    kinds = {"penalty_amount": "penalty", "dishonest": "court_dishonest", "name": "truth_name"}
    return kinds.get(row.kind, "truth_fact")


def _day(subject: str) -> str:
    """A decision date that both sources of one subject write alike (only the value may differ)."""
    h = zlib.crc32(subject.encode())
    return f"2026-{1 + h % 10:02d}-{1 + (h // 10) % 28:02d}"


def values_of(kind: str, r: synthetic.Row) -> list[str]:
    uscc, old = r.uscc or "", r.old_reg_no or ""
    if kind == "penalty":
        return [r.name, uscc, old, r.subject, r.value, _day(r.subject), "市场监督管理局"]
    if kind == "court_dishonest":
        return [r.name, uscc, old, r.subject, "宁波市中级人民法院", _day(r.subject)]
    return [r.name, uscc, old, r.kind, r.subject, r.value, r.address or ""]


@dataclass(frozen=True)
class Truth:
    enterprise: int  # 0: unknown to the platform
    kind: str
    subject: str
    identified: str  # how the row named its enterprise (uscc, uscc_wrong_check, old_reg_no, ...)
    duplicate: bool
    conflict: bool
    correction: bool


@dataclass
class File:
    delivery: str
    source: str
    kind: str
    path: Path
    truth: list[Truth] = field(default_factory=list)


def write_files(universe: synthetic.Universe, count: int, seed: int, work: Path, platform: set[int]) -> tuple[list[File], Counter[str]]:  # fmt: skip
    """The delivery files, their rows' truth, and the baseline's counts (a dict lookup of the USCC)."""
    files: dict[tuple[str, str, str], File] = {}
    writers: dict[tuple[str, str, str], Any] = {}
    handles = []
    by_uscc = {e.uscc: e.enterprise_id for e in universe.known() if e.uscc and e.enterprise_id in platform}
    base: Counter[str] = Counter()
    for r in synthetic.rows(universe, count, seed):
        kind = mapping_of(r)
        key = (r.delivery, r.source, kind)
        if key not in files:
            path = work / f"{r.delivery}-{r.source}-{kind}.csv"
            fh = path.open("w", encoding="utf-8", newline="")
            handles.append(fh)
            writers[key] = csv.writer(fh)
            writers[key].writerow(HEADERS[kind])
            files[key] = File(r.delivery, r.source, kind, path)
        writers[key].writerow(values_of(kind, r))
        truth = r.truth_enterprise if r.truth_enterprise in platform else 0
        files[key].truth.append(
            Truth(truth or 0, r.kind, r.subject, r.truth_variant.split("/")[0], r.truth_duplicate,
                  r.truth_conflict, r.truth_correction)
        )  # fmt: skip
        found = by_uscc.get(r.uscc) if r.uscc else None
        base["links"] += found is not None
        base["correct"] += found is not None and found == truth
    for fh in handles:
        fh.close()
    order = {synthetic.PREVIOUS: 0, synthetic.CURRENT: 1}
    ordered = sorted(
        files.values(), key=lambda f: (order[f.delivery], synthetic.SOURCES.index(f.source), f.kind)
    )
    return ordered, base


def setup(db: Database, universe: synthetic.Universe) -> tuple[set[int], dict[str, int]]:
    """The platform's enterprises (the known ones with a USCC), their old numbers, and the five sources."""
    now = utcnow()
    ents, olds, platform = [], [], set()
    for e in universe.known():
        if e.uscc is None:
            continue
        platform.add(e.enterprise_id)
        ents.append({"id": e.enterprise_id, "uscc": e.uscc, "customs_code": None, "name_zh": e.name,
                     "name_en": "", "kind": "merchant", "country": "CN", "address": e.address,
                     "contact_name": "", "contact_phone": "", "contact_email": "", "status": "active",
                     "status_reason": "", "created_at": now, "updated_at": now, "version": 1})  # fmt: skip
        org = f"{e.uscc[8:16]}-{e.uscc[16]}"
        olds += [
            {"old_reg_no": o, "enterprise_id": e.enterprise_id, "created_at": now}
            for o in (e.old_reg_no, org)
        ]
    with db.engine.begin() as c:
        for i in range(0, len(ents), 5000):
            c.execute(insert(Enterprise.__table__), ents[i : i + 5000])  # type: ignore[attr-defined]
        for i in range(0, len(olds), 5000):
            c.execute(insert(IntakeOldRegNo.__table__), olds[i : i + 5000])  # type: ignore[attr-defined]
    sources: dict[str, int] = {}
    with db.transaction() as s:
        for code in synthetic.SOURCES:
            src, _ = intake.register(
                s, SourceCreate(code=code.replace("_", "-"), name_zh=SOURCE_NAMES[code]), SYSTEM
            )
            assert src.id is not None
            sources[code] = src.id
    return platform, sources


def deliver(db: Database, files: list[File], sources: dict[str, int], work: Path) -> dict[int, File]:
    """Each file through the product: stored, received and processed; the files by delivery id."""
    by_delivery: dict[int, File] = {}
    for f in files:
        with f.path.open("rb") as fh:
            stored, sha, size = intake.store(fh, work / "store")
        d = intake.receive(db, sources[f.source], f.kind, stored, sha, size, filename=f.path.name, by="bench")
        intake.process(db, d.id)
        by_delivery[d.id] = f
    return by_delivery


def ratio(a: float, b: float) -> float:
    return round(a / b, 4) if b else 0.0


class Tally:
    """The database's decisions against the rows' truth."""

    def __init__(self, by_delivery: dict[int, File]) -> None:
        self.files = by_delivery
        self.c: Counter[str] = Counter()
        self.by_id: Counter[str] = Counter()
        self.by_id_linked: Counter[str] = Counter()
        self.by_id_rejected: Counter[str] = Counter()
        self.by_id_review: Counter[str] = Counter()
        self.seen: set[tuple[int, int]] = set()
        self.rejected: set[tuple[int, int]] = set()

    def truth(self, delivery_id: int, row_no: int) -> Truth:
        return self.files[delivery_id].truth[row_no - 1]

    def record(self, did: int, row_no: int, eid: int | None, status: str, supersedes: int | None) -> None:
        c, t = self.c, self.truth(did, row_no)
        self.seen.add((did, row_no))
        c["records"] += 1
        if supersedes is not None:
            c["corr_found"] += 1
            c["corr_found_right"] += t.correction
        if status == "superseded":  # decided, then corrected: counted once, by its correction
            c["superseded"] += 1
            return
        c["decided"] += 1
        c["truth_known"] += t.enterprise != 0
        self.by_id[t.identified] += t.enterprise != 0
        if status == "review":
            c["review"] += 1
            c["review_right"] += t.enterprise != 0 and eid == t.enterprise
            self.by_id_review[t.identified] += 1
        elif eid is not None:
            c["links"] += 1
            c["correct"] += eid == t.enterprise
            c["false_unknown"] += t.enterprise == 0
            self.by_id_linked[t.identified] += eid == t.enterprise

    def reject(self, did: int, row_no: int, field_name: str) -> None:
        t = self.truth(did, row_no)
        self.rejected.add((did, row_no))
        self.c[f"rejected_{field_name}"] += 1
        self.by_id_rejected[t.identified] += 1
        self.c["truth_known_rejected"] += t.enterprise != 0

    def duplicates(self) -> None:
        """Rows neither stored nor rejected: the pipeline found them to be duplicates."""
        c = self.c
        for did, f in self.files.items():
            for no, t in enumerate(f.truth, 1):
                c["rows"] += 1
                c["dup_planted"] += t.duplicate
                if (did, no) in self.seen:
                    c["dup_planted_stored"] += t.duplicate
                elif (did, no) in self.rejected:
                    c["dup_planted_rejected"] += t.duplicate
                else:
                    c["dup_found_current" if f.delivery == synthetic.CURRENT else "dup_found_previous"] += 1
                    c["dup_found_right"] += t.duplicate


def read_back(db: Database, tally: Tally) -> list[tuple[str, int, int]]:
    """Every record and rejected row into the tally; the conflicts as (field, record id, other id)."""
    rows: dict[int, tuple[int, int]] = {}
    with db.engine.connect() as c:
        stmt = "SELECT id, delivery_id, row_no, enterprise_id, status, supersedes_id FROM intake_record"
        for rid, did, no, eid, status, sup in c.execute(text(stmt)):
            rows[rid] = (did, no)
            tally.record(did, no, eid, status, sup)
        for did, no, fld in c.execute(text("SELECT delivery_id, row_no, field FROM intake_rejected")):
            tally.reject(did, no, fld)
        found = list(c.execute(text("SELECT field, record_id, other_id FROM intake_conflict")))
    tally.duplicates()
    tally.c["conflict_rows"] = len(found)
    return [(fld, *rows[a], *rows[b]) for fld, a, b in found]  # type: ignore[misc]


def conflicts(tally: Tally, found: list[tuple]) -> dict[str, Any]:
    """Found on the value's field against planted, by (true enterprise, kind, subject)."""
    planted: set[tuple[int, str, str]] = set()
    planted_rejected: set[tuple[int, str, str]] = set()
    for did, f in tally.files.items():
        for no, t in enumerate(f.truth, 1):
            if t.conflict and t.enterprise:
                planted.add((t.enterprise, t.kind, t.subject))
                if (did, no) in tally.rejected:
                    planted_rejected.add((t.enterprise, t.kind, t.subject))
    on_value: set[tuple[int, str, str]] = set()
    other_fields: Counter[str] = Counter()
    unknown = 0
    for fld, did, no, odid, ono in found:
        t, o = tally.truth(did, no), tally.truth(odid, ono)
        if fld != VALUE_FIELD[tally.files[did].kind]:
            other_fields[f"{tally.files[did].kind}.{fld}"] += 1
            continue
        if not t.enterprise or t.enterprise != o.enterprise:
            unknown += 1
            continue
        on_value.add((t.enterprise, t.kind, t.subject))
    missed = planted - on_value
    return {
        "planted": len(planted),
        "planted_by_kind": dict(Counter(k for _, k, _ in planted)),
        "found": len(on_value),
        "found_by_kind": dict(Counter(k for _, k, _ in on_value)),
        "found_planted": len(on_value & planted),
        "found_not_planted": len(on_value - planted),
        "found_not_planted_by_kind": dict(Counter(k for _, k, _ in on_value - planted)),
        "found_on_unknown_or_two_enterprises": unknown,
        "missed": len(missed),
        "missed_a_row_rejected": len(missed & planted_rejected),
        "missed_by_kind": dict(Counter(k for _, k, _ in missed - planted_rejected)),
        "raised_on_other_fields": dict(other_fields),
    }


def report(tally: Tally, found: list[tuple], base: Counter[str]) -> dict[str, Any]:
    c = tally.c
    known = c["truth_known"]
    return {
        "rows": c["rows"],
        "records": c["records"],
        "rejected": {k[9:]: v for k, v in c.items() if k.startswith("rejected_")},
        "links": {
            "precision": ratio(c["correct"], c["links"]),
            "recall": ratio(c["correct"], known),
            "recall_of_known_rows_incl_rejected": ratio(c["correct"], known + c["truth_known_rejected"]),
            "review_share": ratio(c["review"], c["decided"]),
            "review_proposal_right": ratio(c["review_right"], c["review"]),
            "false_links_of_unknown": c["false_unknown"],
            "links": c["links"],
            "decided_records": c["decided"],
            "superseded_records_not_counted": c["superseded"],
            "recall_by_identifier": {
                k: ratio(tally.by_id_linked[k], n) for k, n in sorted(tally.by_id.items())
            },
            "review_by_identifier": dict(sorted(tally.by_id_review.items())),
            "rejected_by_identifier": dict(sorted(tally.by_id_rejected.items())),
        },
        "baseline_uscc_dict": {
            "precision": ratio(base["correct"], base["links"]),
            "recall": ratio(base["correct"], known + c["truth_known_rejected"]),
        },
        "conflicts": conflicts(tally, found),
        "duplicates": {
            "planted": c["dup_planted"],
            "found_in_current": c["dup_found_current"],
            "found_in_previous": c["dup_found_previous"],
            "found_planted": c["dup_found_right"],
            "planted_stored_as_records": c["dup_planted_stored"],
            "planted_rejected": c["dup_planted_rejected"],
        },
        "corrections": {
            "planted": sum(t.correction for f in tally.files.values() for t in f.truth),
            "found": c["corr_found"],
            "found_planted": c["corr_found_right"],
        },
    }


def measure(db: Database, count: int, seed: int, work: Path) -> dict[str, Any]:
    """Set up `db` (migrated, empty), write the files under `work`, deliver them, and compare with the truth."""
    register_truth_mapping()
    load = [os.getloadavg()[0]]
    t0 = time.perf_counter()
    universe = synthetic.universe_for(count, seed)
    platform, sources = setup(db, universe)
    t1 = time.perf_counter()
    files, base = write_files(universe, count, seed, work, platform)
    t2, c2 = time.perf_counter(), time.process_time()
    by_delivery = deliver(db, files, sources, work)
    t3, c3 = time.perf_counter(), time.process_time()
    load.append(os.getloadavg()[0])
    tally = Tally(by_delivery)
    found = read_back(db, tally)
    return {
        "enterprises": len(universe.enterprises),
        "on_platform": len(platform),
        "files": len(files),
        **report(tally, found, base),
        "pipeline": {
            "seconds": round(t3 - t2, 1),
            "rows_per_s": round(tally.c["rows"] / (t3 - t2)),
            "cpu_us_per_row": round((c3 - c2) / max(1, tally.c["rows"]) * 1e6, 1),
        },
        "setup_s": {"universe_and_enterprises": round(t1 - t0, 1), "files": round(t2 - t1, 1)},
        "load_1min": load,
    }


def main() -> None:
    args = [int(a) for a in sys.argv[1:]]
    count, seed = (args + [100_000, 7][len(args) :])[:2]
    load_handlers()
    with tempfile.TemporaryDirectory(prefix="crosstrust-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'truth.db'}"
        migrate(url)
        db = Database(url)
        try:
            out = measure(db, count, seed, Path(tmp))
        finally:
            db.dispose()
    print(json.dumps({**out, "machine": machine()}, ensure_ascii=False))


if __name__ == "__main__":
    main()
