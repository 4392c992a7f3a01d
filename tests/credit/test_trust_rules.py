"""The methodology's pledges, tolerance, joint measures and coaching sections: the shipped ones load and
agree with the rest of the file, and ones that do not are refused with the key named."""

from __future__ import annotations

import tomllib

import pytest

from credit import methodology
from credit.methodology import MethodologyError


def shipped() -> dict:
    return tomllib.loads(methodology.DEFAULT_FILE.read_text(encoding="utf-8"))


def test_the_shipped_rules_load_and_are_published():
    m = methodology.load(methodology.DEFAULT_FILE)
    t = m.trust
    assert t.broken_kind in m.kinds and set(t.bar_days) == {"minor", "general", "serious"}
    assert {p.department for p in t.procedures.values()} <= set(t.departments)
    assert t.tolerance_rule("declaration_inaccuracy", "minor").code == "first_minor_declaration"
    assert t.tolerance_rule("declaration_inaccuracy", "general") is None
    assert {x.code for x in t.measures_for("D", "black")} >= {"black_no_pledges", "black_publication"}
    assert t.measures_for("B", None) == []
    # every measure of another department is sent as a notice; CrossTrust's own are applied here
    assert all(x.own == (x.department == "crosstrust") for x in t.measures.values())
    published = m.public()
    assert published["measures"] and published["tolerance"]["rules"] and published["pledges"]["procedures"]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d["pledges"].update(broken_kind="oops"), "pledges.broken_kind 'oops' is not a kind"),
        (lambda d: d["pledges"]["bar_days"].update(minor=0), "pledges.bar_days.minor"),
        (
            lambda d: d["pledges"]["procedures"]["warehouse_filing"].update(department="nasa"),
            "pledges.procedures.warehouse_filing.department 'nasa' is not a department",
        ),
        (
            lambda d: d["tolerance"]["rules"]["first_minor_declaration"].update(
                severities=["minor", "serious"]
            ),
            "a serious breach is never tolerated",
        ),
        (
            lambda d: d["tolerance"]["rules"]["first_minor_declaration"].update(kind="serious_dishonesty"),
            "must lower the score and cap no grade",
        ),
        (
            lambda d: d["tolerance"]["rules"]["first_minor_declaration"].update(correct_within_days=-1),
            "tolerance.rules.first_minor_declaration.correct_within_days",
        ),
        (
            lambda d: d["measures"]["black_publication"].update(applies_to=["purple"]),
            "'purple' is not red, black",
        ),
        (
            lambda d: d["measures"]["black_publication"].update(applied_by="pledges"),
            "another department's are sent as notices",
        ),
        (lambda d: d["measures"]["black_publication"].update(colour="red"), "colour is not a known key"),
        (
            lambda d: d["coaching"]["fixes"].update(karma={"zh": "x", "en": "y"}),
            "coaching.fixes.karma is not a kind",
        ),
    ],
)
def test_rules_that_do_not_agree_are_refused_with_the_key(change, reason):
    data = shipped()
    change(data)
    with pytest.raises(MethodologyError) as err:
        methodology.parse(data, "test.toml")
    assert any(reason in p for p in err.value.problems), err.value.problems
