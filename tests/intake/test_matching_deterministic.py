"""The matcher decides the same in every process: the same delivery matched under two hash seeds (Python
randomises str hashing per process, so a set's order differs between a server and a CLI run) links every
row to the same enterprise with the same score and reasons. Near-ties between similar names once broke
by a frozenset's order, and a resumed import could decide otherwise than the run it resumed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROWS = 20_000

SCRIPT = f"""
import hashlib, sys
sys.path.insert(0, {str(ROOT)!r})
from intake import synthetic
from intake.matching import Candidate, EnterpriseIndex, Known

universe = synthetic.universe_for({ROWS}, 7)
index = EnterpriseIndex(
    Known(e.enterprise_id, e.uscc, e.name, e.address, (e.old_reg_no,)) for e in universe.known()
)
digest = hashlib.sha256()
for r in synthetic.rows(universe, {ROWS}, 7):
    m = index.match(Candidate(r.uscc, r.name, r.address, r.old_reg_no))
    digest.update(repr((r.row_no, m.enterprise_id, m.score, m.doubtful, m.reasons)).encode())
print(digest.hexdigest())
"""


def _decisions(seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_the_same_rows_match_the_same_under_any_hash_seed():
    assert _decisions("1") == _decisions("2") == _decisions("3")
