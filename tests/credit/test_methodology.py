"""The methodology file: the shipped one loads, and one that does not add up is refused with reasons."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from credit import methodology
from credit.methodology import MethodologyError


def shipped() -> dict:
    return tomllib.loads(methodology.DEFAULT_FILE.read_text(encoding="utf-8"))


def test_the_shipped_methodology_adds_up():
    m = methodology.load(methodology.DEFAULT_FILE)
    assert sum(d.max for d in m.dimensions.values()) == m.total == 1000
    assert [g.code for g in m.grades] == ["A", "B", "C", "D"]
    assert m.kinds["serious_dishonesty"].caps_grade == "D"
    # customs practice: A well below the average rate, D at 80 % or more
    assert m.inspection_rates["A"] < m.inspection_rates["B"] / 2 and m.inspection_rates["D"] >= 0.8
    # a new merchant starts inside a band, not on its edge
    start = sum(d.start for d in m.dimensions.values())
    assert m.grade_for(start).code == "B"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d["dimensions"]["compliance"].update(max=300), "add up to 950, not to total 1000"),
        (
            lambda d: d["dimensions"]["service"].update(start=260),
            "dimensions.service.start must lie between 0",
        ),
        (lambda d: d["grades"]["D"].update(min=100), "lowest grade D must start at 0"),
        (lambda d: d["grades"]["C"].update(min=750), "two grades start at the same score"),
        (
            lambda d: d["kinds"]["recall"]["points"].pop("serious"),
            "kinds.recall.points.serious must be a positive",
        ),
        (lambda d: d["kinds"]["recall"].update(dimension="karma"), "'karma' is not a dimension"),
        (lambda d: d["kinds"]["serious_dishonesty"].update(caps_grade="E"), "caps_grade 'E' is not a grade"),
        (lambda d: d["severities"]["general"].update(half_life_days=0), "half_life_days must be a positive"),
        (lambda d: d["severities"].pop("minor"), "severities.minor is missing"),
        (lambda d: d["supervision"]["rates"].update(A=0.9), "must not fall as the grade worsens"),
        (lambda d: d["supervision"]["rates"].update(D=1.5), "supervision.rates.D must be a share"),
    ],
)
def test_a_methodology_that_does_not_add_up_is_refused_with_the_reason(change, reason):
    data = shipped()
    change(data)
    with pytest.raises(MethodologyError) as err:
        methodology.parse(data, "test.toml")
    assert any(reason in p for p in err.value.problems), err.value.problems


def test_the_command_line_checks_a_file_before_it_is_deployed(tmp_path: Path):
    from typer.testing import CliRunner

    from api.cli import app

    good = CliRunner().invoke(app, ["credit", "check-methodology", str(methodology.DEFAULT_FILE)])
    assert good.exit_code == 0 and "2026.1" in good.output
    bad = tmp_path / "bad.toml"
    bad.write_text(methodology.DEFAULT_FILE.read_text(encoding="utf-8").replace("max = 350", "max = 300"))
    refused = CliRunner().invoke(app, ["credit", "check-methodology", str(bad)])
    assert refused.exit_code == 1 and "add up to 950" in refused.output
    broken = tmp_path / "broken.toml"
    broken.write_text("version = ")
    assert "not valid TOML" in CliRunner().invoke(app, ["credit", "check-methodology", str(broken)]).output
