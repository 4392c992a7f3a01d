"""Benchmark: what a `crosstrust` command costs before it does its work (issue 21, the suite and operators).

    .venv/bin/python scripts/bench/bench_cli_start.py [ROUNDS] [OTHER_CHECKOUT]
        (defaults: 7 rounds; OTHER_CHECKOUT, e.g. a worktree of main, is measured alternately with this one)

CPU seconds (user + sys, of the child process) of fresh interpreters, each alternated round by round:
- the baseline: `python -c pass` (the interpreter and site alone);
- `crosstrust --help` (every command module imported, no command run);
- `crosstrust codes resume` on a fresh SQLite database at head (the domains loaded, one query, nothing to do).
A checkout is put first on PYTHONPATH, so the same interpreter and packages run either version. Prints one
JSON line: the median CPU seconds of each command per checkout, its ratio to the baseline, and, with
OTHER_CHECKOUT, this checkout's medians over the other's.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = {"help": ["--help"], "codes_resume": ["codes", "resume"]}


def cpu_seconds(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    # Run outside both checkouts: `python -c` puts its working directory before PYTHONPATH.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, timeout=300)  # noqa: S603 - ours
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    checkouts = {"this": ROOT} | ({"other": Path(sys.argv[2]).resolve()} if len(sys.argv) > 2 else {})
    var = Path(tempfile.mkdtemp(prefix="bench-cli-start-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROSSTRUST_")}
    env |= {"CROSSTRUST_VAR_DIR": str(var), "COLUMNS": "100"}
    cli = [sys.executable, "-c", "from api.cli import main; main()"]
    subprocess.run(
        [*cli, "db", "upgrade"], env=env | {"PYTHONPATH": str(ROOT)}, cwd=var, check=True, capture_output=True
    )  # noqa: S603
    times: dict[str, list[float]] = {"baseline": []}
    for _ in range(rounds):
        times["baseline"].append(cpu_seconds([sys.executable, "-c", "pass"], env, var))
        for name, path in checkouts.items():
            for command, args in COMMANDS.items():
                run = cpu_seconds([*cli, *args], env | {"PYTHONPATH": str(path)}, var)
                times.setdefault(f"{name}_{command}", []).append(run)
    med = {k: round(statistics.median(v), 3) for k, v in times.items()}
    out: dict[str, object] = {"rounds": rounds, "median_cpu_s": med, "load": os.getloadavg()}
    out["ratio_to_baseline"] = {k: round(v / med["baseline"], 1) for k, v in med.items() if k != "baseline"}
    if "other" in checkouts:
        out["other"] = str(checkouts["other"])
        out["this_over_other"] = {c: round(med[f"this_{c}"] / med[f"other_{c}"], 3) for c in COMMANDS}
    for name, path in checkouts.items():  # what ran is what was named
        probe = [sys.executable, "-c", "import api; print(api.__file__)"]
        ran = subprocess.run(
            probe, env=env | {"PYTHONPATH": str(path)}, cwd=var, capture_output=True, text=True
        )  # noqa: S603
        assert ran.stdout.startswith(str(path)), (name, ran.stdout)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
