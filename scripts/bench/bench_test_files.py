"""Benchmark: what each test's files cost, on the disk and in memory (issue 21, the suite).

    .venv/bin/python scripts/bench/bench_test_files.py [ROUNDS] [DISK_DIR] [MEMORY_DIR]
        (defaults: 20 rounds, /tmp, /dev/shm)

Two things each test that builds an app does with files, measured in the same run, alternated:
- the empty embedded search index: `EmbeddedIndex(path)` making its schema (what each test did before)
  against writing a copy of an empty index made once and opening it (tests/conftest.py's
  `empty_index_bytes`), each on the disk folder and on the memory one (scripts/test.sh's tmpfs);
- one committed SQLite write with the default `synchronous=FULL` (the index's; each commit is an fsync)
  on the disk folder against the memory one.
Prints one JSON line: median milliseconds of each and the ratios to the baseline (fresh, on the disk).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from disclosure.search.embedded import EmbeddedIndex  # noqa: E402


def _fresh(folder: Path) -> float:
    start = time.perf_counter()
    EmbeddedIndex(folder / "search.db")
    return time.perf_counter() - start


def _copied(folder: Path, data: bytes) -> float:
    start = time.perf_counter()
    folder.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(folder / "search.db", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    EmbeddedIndex(folder / "search.db")
    return time.perf_counter() - start


def _commits(folder: Path, n: int = 20) -> float:
    conn = sqlite3.connect(folder / "commits.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x)")
    start = time.perf_counter()
    for i in range(n):
        conn.execute("INSERT INTO t VALUES (?)", (i,))
    conn.close()
    return (time.perf_counter() - start) / n


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    disk = Path(tempfile.mkdtemp(dir=sys.argv[2] if len(sys.argv) > 2 else "/tmp"))
    memory = Path(tempfile.mkdtemp(dir=sys.argv[3] if len(sys.argv) > 3 else "/dev/shm"))
    template = EmbeddedIndex(disk / "template.db")
    template._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = (disk / "template.db").read_bytes()
    times: dict[str, list[float]] = {k: [] for k in ("fresh_disk", "copy_disk", "fresh_mem", "copy_mem")}
    commit: dict[str, list[float]] = {"disk": [], "mem": []}
    for i in range(rounds):
        times["fresh_disk"].append(_fresh(disk / f"f{i}"))
        times["copy_disk"].append(_copied(disk / f"c{i}", data))
        times["fresh_mem"].append(_fresh(memory / f"f{i}"))
        times["copy_mem"].append(_copied(memory / f"c{i}", data))
        if i < 5:
            commit["disk"].append(_commits(disk / f"f{i}"))
            commit["mem"].append(_commits(memory / f"f{i}"))
    template._conn.close()
    for folder in (disk, memory):
        shutil.rmtree(folder)
    ms = {k: round(statistics.median(v) * 1000, 2) for k, v in times.items()}
    commit_ms = {k: round(statistics.median(v) * 1000, 3) for k, v in commit.items()}
    base = ms["fresh_disk"]
    print(
        json.dumps(
            {
                "rounds": rounds,
                "index_ms": ms,
                "index_ratio_to_fresh_disk": {k: round(base / v, 1) for k, v in ms.items() if v},
                "commit_ms": commit_ms,
                "commit_ratio_disk_to_mem": round(commit_ms["disk"] / max(commit_ms["mem"], 1e-3), 1),
                "load": os.getloadavg(),
            }
        )
    )


if __name__ == "__main__":
    main()
