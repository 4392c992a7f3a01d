"""Compare (intake.compare): duplicates, conflicts with both provenances, corrections that supersede; and the
conflicts found against those planted in a small synthetic delivery."""

from __future__ import annotations

from intake import synthetic
from intake.compare import Comparer, Conflict, Fact, Provenance, amount
from intake.matching import Candidate, EnterpriseIndex, Known


def fact(
    source: str, value: str, row: int, kind: str = "penalty_amount", delivery: str = "d2", key: str = ""
) -> Fact:
    subject = "甬市监罚〔2026〕12号" if kind == "penalty_amount" else ""
    return Fact(7, kind, subject, value, Provenance(source, delivery, row, key or f"{source}-{row}"))


def test_amounts_and_spellings_are_compared_canonically():
    assert amount("12000.00") == amount("12,000") == amount("１２０００") == amount("12000元") == "12000"
    assert amount("12000.50") == "12000.5" and amount("不详") == "不详"
    c = Comparer()
    assert c.compare(fact("samr", "12000.00", 1)).status == "new"
    out = c.compare(fact("credit_china", "１２０００", 2))
    assert out.status == "corroborates" and out.conflicts == ()
    c.compare(fact("samr", "宁波华润贸易有限公司", 3, kind="name"))
    out = c.compare(fact("customs", "寧波華潤貿易有限責任公司", 4, kind="name"))
    assert out.status == "corroborates" and out.conflicts == ()


def test_duplicates_within_a_delivery_and_against_stored():
    stored = [fact("samr", "12000.00", 1, delivery="d1")]
    c = Comparer(stored)
    out = c.compare(fact("samr", "12000", 9))  # the same fact from the same source, written otherwise
    assert out.status == "duplicate" and out.duplicate_of == stored[0].provenance
    c.compare(fact("tax", "A", 10, kind="tax_grade"))
    out = c.compare(fact("tax", "A", 11, kind="tax_grade"))
    assert out.status == "duplicate" and out.duplicate_of is not None and out.duplicate_of.delivery == "d2"


def test_sources_that_disagree_raise_a_typed_conflict_with_both_provenances():
    c = Comparer()
    first = fact("samr", "12000.00", 1)
    c.compare(first)
    second = fact("credit_china", "15000", 2)
    out = c.compare(second)
    assert out.status == "new"
    (conflict,) = out.conflicts
    assert isinstance(conflict, Conflict)
    assert (conflict.first.provenance, conflict.second.provenance) == (first.provenance, second.provenance)
    assert (conflict.first.value, conflict.second.value) == ("12000.00", "15000")
    assert conflict.sources == frozenset({"samr", "credit_china"})
    assert c.open_conflicts() == [conflict]


def test_a_correction_from_the_same_source_supersedes_and_settles():
    c = Comparer()
    c.compare(fact("samr", "12000.00", 1))
    c.compare(fact("credit_china", "15000", 2))
    assert len(c.open_conflicts()) == 1
    out = c.compare(fact("samr", "15000.00", 3))  # market regulation corrects its amount
    assert out.status == "supersedes"
    assert out.superseded is not None and out.superseded.value == "12000.00"  # kept, not deleted
    assert out.conflicts == () and len(out.settled) == 1
    assert c.open_conflicts() == []
    # The stale record sent again is a duplicate: it does not undo the correction.
    stale = c.compare(fact("samr", "12000.00", 4, key="samr-1"))
    assert stale.status == "duplicate"
    assert c.compare(fact("samr", "15000", 5)).status == "duplicate"


def test_a_correction_that_still_disagrees_re_raises_the_conflict():
    c = Comparer()
    c.compare(fact("samr", "open", 1, kind="status"))
    c.compare(fact("credit_china", "revoked", 2, kind="status"))
    out = c.compare(fact("samr", "cancelled", 3, kind="status"))
    assert out.status == "supersedes" and len(out.conflicts) == 1 and out.settled == ()
    assert len(c.open_conflicts()) == 1 and c.open_conflicts()[0].second.value == "cancelled"


def test_conflicts_found_against_planted_in_a_synthetic_delivery():
    universe = synthetic.universe_for(20_000, seed=5)
    index = EnterpriseIndex(
        Known(e.enterprise_id, e.uscc, e.name, e.address, (e.old_reg_no,)) for e in universe.known()
    )
    c = Comparer()
    planted: set[tuple[int, str, str]] = set()
    found: set[tuple[int, str, str]] = set()
    dup_planted = dup_found = dup_right = corr_planted = corr_found = 0
    for r in synthetic.rows(universe, 20_000, seed=5):
        if r.truth_enterprise is not None:
            if r.truth_conflict:
                planted.add((r.truth_enterprise, r.kind, r.subject))
            dup_planted += r.truth_duplicate
            corr_planted += r.truth_correction
        m = index.match(Candidate(r.uscc, r.name, r.address, r.old_reg_no))
        if m.enterprise_id is None or m.doubtful:
            continue
        out = c.compare(
            Fact(
                m.enterprise_id,
                r.kind,
                r.subject,
                r.value,
                Provenance(r.source, r.delivery, r.row_no, r.record_key),
            )
        )
        found.update((x.enterprise_id, x.kind, x.subject) for x in out.conflicts)
        dup_found += out.status == "duplicate"
        dup_right += out.status == "duplicate" and r.truth_duplicate
        corr_found += out.status == "supersedes" and r.truth_correction
    assert len(planted) > 100
    assert len(found & planted) >= 0.8 * len(planted), (len(found & planted), len(planted))
    assert len(found - planted) <= 0.01 * len(planted)
    assert dup_right >= 0.9 * dup_planted and dup_found - dup_right <= 0.01 * dup_planted
    assert corr_found >= 0.85 * corr_planted
