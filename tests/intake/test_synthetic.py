"""The synthetic delivery (intake.synthetic): seeded, deterministic, streamed, and carrying what it plants."""

from __future__ import annotations

import types
from collections import Counter
from itertools import islice

from intake import names, synthetic


def test_same_seed_same_rows_other_seed_other_rows():
    def first(seed: int) -> list[synthetic.Row]:
        return list(synthetic.rows(synthetic.universe_for(3_000, seed), 3_000, seed))

    assert first(3) == first(3)
    assert first(3) != first(4)
    assert len(first(3)) == 3_000


def test_rows_stream():
    universe = synthetic.universe_for(4_000, 1)
    stream = synthetic.rows(universe, 10**9, 1)  # asks for far more rows than it will ever make
    assert isinstance(stream, types.GeneratorType)
    assert len(list(islice(stream, 10))) == 10


def test_identifiers_are_real_ones():
    # GB 11714's check of stdnum's example USCC's organisation code (600037341: body 60003734, check 1).
    assert synthetic.organisation_check("60003734") == "1"
    universe = synthetic.universe_for(2_000, 2)
    for e in universe.enterprises:
        if e.uscc is not None:
            assert names.uscc_state(e.uscc) == "valid"
            assert synthetic.organisation_check(e.uscc[8:16]) == e.uscc[16]
            assert names.uscc_state(synthetic.wrong_check(e.uscc)) == "check"
    keys = [names.name_key(e.name) for e in universe.enterprises]
    assert len(keys) == len(set(keys))


def test_everything_planted_is_there():
    universe = synthetic.universe_for(20_000, 9)
    rows = list(synthetic.rows(universe, 20_000, 9))
    variants = Counter(part for r in rows for part in r.truth_variant.split("/"))
    for v in ("uscc", "uscc_wrong_check", "old_reg_no", "organisation_code", "name_only", "traditional",
              "full_width", "spaced", "form", "short_form", "typo", "no_address", "address_moved"):  # fmt: skip
        assert variants[v] > 0, v
    assert {r.source for r in rows} == set(synthetic.SOURCES)
    assert sum(r.truth_duplicate for r in rows) > 100
    assert sum(r.truth_conflict for r in rows) > 100
    assert sum(r.truth_correction for r in rows) > 20
    assert sum(r.truth_enterprise is None for r in rows) > 500
    assert {r.delivery for r in rows} == {synthetic.PREVIOUS, synthetic.CURRENT}
    # A typo is no other enterprise's name: its characters are outside the brands, in either script.
    assert not {names.to_simplified(c) for c in synthetic._TYPO} & set(synthetic._BRAND)
    traditional = next(r for r in rows if r.truth_variant.split("/")[1] == "traditional")
    assert names.to_simplified(traditional.name) != traditional.name
