"""Cleaning values as agencies write them, and the exact matcher."""

from __future__ import annotations

from datetime import date

import pytest

from intake.clean import Rejected, is_formula, read
from intake.matching import Candidate, EnterpriseIndex, Known
from tests.conftest import make_uscc


@pytest.mark.parametrize(
    "value", ["2026-03-01", "2026/3/1", "2026年3月1日", "20260301", "２０２６－０３－０１", "2026.3.1"]
)
def test_dates_in_every_form_agencies_use(value):
    assert read("d", "date", value) == "2026-03-01"
    assert read("d", "date", date(2026, 3, 1)) == "2026-03-01"


def test_full_width_and_spaces_are_normalised():
    assert read("n", "text", "  ＡＢＣ　贸易  有限公司（宁波） ") == "ABC 贸易 有限公司(宁波)"


def test_identifiers_are_validated_by_their_check_characters():
    good = make_uscc()
    assert read("u", "uscc", good.lower()) == good
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(Rejected, match="not a valid unified social credit code") as e:
        read("uscc", "uscc", bad)
    assert e.value.field == "uscc"
    assert read("i", "id_number", "11010519491231002X") == "11010519491231002X"
    with pytest.raises(Rejected, match="resident ID"):
        read("i", "id_number", "110105194912310021")
    assert read("g", "gtin", "6901234567892") == "06901234567892"
    with pytest.raises(Rejected, match="GTIN"):
        read("g", "gtin", "6901234567891")


def test_formulas_are_refused_and_signed_numbers_are_not_formulas():
    assert is_formula('=HYPERLINK("http://x")') and is_formula("@SUM(A1)") and is_formula("+A1")
    assert not is_formula("-5") and not is_formula("+3.5") and not is_formula("abc")
    with pytest.raises(Rejected, match="formula"):
        read("name", "text", "=1+1")


def test_matcher_by_uscc_and_old_registration_number():
    u1, u2 = make_uscc(), make_uscc()
    index = EnterpriseIndex(
        [Known(1, u1, "甲公司"), Known(2, u2, "乙公司", old_reg_nos=("330206000012345",))]
    )
    m = index.match(Candidate(u1, "甲"))
    assert (m.enterprise_id, m.method, m.doubtful, m.score) == (1, "uscc", False, 1.0)
    m = index.match(Candidate(None, "乙", old_reg_no="330206000012345"))
    assert (m.enterprise_id, m.method, m.doubtful) == (2, "old_reg_no", False)
    m = index.match(Candidate("330206000012345", "乙"))  # an old number written in the USCC column
    assert (m.enterprise_id, m.method) == (2, "old_reg_no")
    m = index.match(Candidate(make_uscc(), "乙公司"))  # a valid USCC nobody holds rules out the others
    assert (m.enterprise_id, m.method, m.score) == (None, "none", 0.0)
