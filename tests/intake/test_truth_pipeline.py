"""The product's associate and compare steps against a small synthetic delivery's known truth: the rows
written as delivery files, sent through `intake.service` (receive, process) and counted from the database,
as `scripts/bench/bench_intake_truth.py` measures them at 100,000 and 1,000,000 rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.db import Database
from intake import mapping
from scripts.bench import bench_intake_truth as truth


@pytest.fixture
def measured(db: Database, tmp_path: Path):
    try:
        yield truth.measure(db, 4_000, 5, tmp_path)
    finally:
        for kind in ("truth_fact", "truth_name"):  # the synthetic-only mappings: this test's alone
            mapping.mappings().pop(kind, None)


def test_links_conflicts_duplicates_and_corrections_against_the_truth(measured):
    out = measured
    links, conflicts = out["links"], out["conflicts"]
    assert out["rows"] == 4_000 and out["files"] >= 10
    assert links["links"] > 2_000 and links["precision"] >= 0.995, links
    assert links["false_links_of_unknown"] == 0
    assert links["recall_by_identifier"]["uscc"] >= 0.99, links["recall_by_identifier"]
    # A wrong check character is refused by cleaning, with the field named.
    assert links["rejected_by_identifier"].get("uscc_wrong_check", 0) > 0
    assert set(out["rejected"]) <= {"uscc"}, out["rejected"]
    # A penalty's conflicting amounts (keyed by the decision number) are found, and only planted ones; an
    # amount written full-width or without its decimals is the same amount.
    assert conflicts["found_not_planted_by_kind"].get("penalty_amount", 0) == 0, conflicts
    # No conflict that was not planted, of any kind: a status written in traditional characters or
    # full-width is the same status (it was raised as a conflict before the values were compared folded).
    assert conflicts["found_not_planted"] == 0, conflicts
    penalties = conflicts["planted_by_kind"].get("penalty_amount", 0)
    assert penalties > 0 and conflicts["found_by_kind"].get("penalty_amount", 0) >= 0.7 * penalties, conflicts
    # Names and statuses (facts of an enterprise) are compared once each row is linked to its enterprise,
    # whichever identifier each source wrote (none was found when they were compared on the identifiers
    # as written).
    for kind in ("name", "status"):
        planted = conflicts["planted_by_kind"].get(kind, 0)
        assert planted > 0 and conflicts["found_by_kind"].get(kind, 0) >= 0.6 * planted, conflicts
    # A row naming its enterprise by its name alone finds it through the enterprises' name keys.
    assert links["recall_by_identifier"]["name_only"] >= 0.8, links["recall_by_identifier"]
    dup = out["duplicates"]
    found = dup["found_in_current"] + dup["found_in_previous"]
    assert dup["found_planted"] == found and found >= 0.9 * (dup["planted"] - dup["planted_rejected"]), dup
    corr = out["corrections"]
    assert corr["planted"] > 0 and corr["found_planted"] >= 0.8 * corr["planted"], corr
    assert corr["found"] == corr["found_planted"], corr  # a stale re-send is no correction
