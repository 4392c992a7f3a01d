"""The matcher (intake.matching) on hand-written enterprises and variants, and on a small synthetic delivery
with known truth: precision and recall floors that a broken matcher fails."""

from __future__ import annotations

import pytest
from stdnum.cn import uscc as stdnum_uscc

from intake import synthetic
from intake.matching import Candidate, EnterpriseIndex, Known, Match


def valid_uscc(first17: str) -> str:
    return first17 + stdnum_uscc.calc_check_digit(first17)


def wrong(code: str) -> str:
    return code[:17] + ("0" if code[17] != "0" else "1")


HUARUN = valid_uscc("91330206MA2H00001")
YIDA = valid_uscc("91310115MA1K00002")
LEGACY_OLD = "330206000123456"


@pytest.fixture(scope="module")
def index() -> EnterpriseIndex:
    return EnterpriseIndex(
        [
            Known(1, HUARUN, "宁波华润进出口贸易有限公司", "宁波市北仑区港东大道123号5幢"),
            Known(2, YIDA, "上海亿达电子商务股份有限公司", "上海市浦东新区临港路8号"),
            Known(3, None, "天津滨海恒泰国际物流有限公司", "天津市滨海新区海天路66号", (LEGACY_OLD,)),
            Known(4, valid_uscc("91440115MA5C00004"), "广州鸿盛食品有限公司", "广州市南沙区物流园路9号2幢"),
            Known(5, valid_uscc("91440115MA5C00005"), "广州鸿盛医药有限公司", "广州市南沙区创业路18号"),
        ]
    )


def linked(m: Match, eid: int, method: str) -> None:
    assert (m.enterprise_id, m.method, m.doubtful) == (eid, method, False), m


def review(m: Match) -> None:
    assert m.doubtful, m


def test_valid_uscc_in_any_spelling(index):
    for written in (
        HUARUN,
        HUARUN.lower(),
        f"{HUARUN[:2]} {HUARUN[2:8]} {HUARUN[8:]}",
        synthetic.full_width(HUARUN),
    ):
        m = index.match(Candidate(written, "寧波華潤進出口貿易有限公司"))
        linked(m, 1, "uscc")
        assert m.score == 1.0


def test_valid_uscc_with_another_name_links_and_says_so(index):
    m = index.match(Candidate(HUARUN, "宁波东方化妆品有限公司"))
    linked(m, 1, "uscc")
    assert m.score < 1.0 and any(r.startswith("name_differs") for r in m.reasons)


def test_wrong_check_character_matches_lower_never_silently(index):
    m = index.match(Candidate(wrong(HUARUN), "宁波华润进出口贸易有限责任公司"))
    linked(m, 1, "uscc")
    assert m.score < 1.0 and "uscc_check_character_wrong" in m.reasons
    # The first 17 characters agree but the name does not: review, the enterprise proposed.
    m = index.match(Candidate(wrong(HUARUN), "宁波东方化妆品有限公司"))
    review(m)
    assert m.enterprise_id == 1 and "uscc_check_character_wrong" in m.reasons


def test_old_numbers(index):
    linked(
        index.match(Candidate(None, "天津滨海恒泰国际物流有限公司", old_reg_no=LEGACY_OLD)), 3, "old_reg_no"
    )
    # The organisation code inside a USCC, written the old way with its hyphen.
    org = f"{YIDA[8:16]}-{YIDA[16]}"
    linked(index.match(Candidate(None, "上海億達電子商務股份有限公司", old_reg_no=org)), 2, "old_reg_no")
    # Another name under the number: still the number's one holder, at a lower score, the gap named
    # (a row under an old number often carries the old name).
    m = index.match(Candidate(None, "宁波东方化妆品有限公司", old_reg_no=LEGACY_OLD))
    linked(m, 3, "old_reg_no")
    assert m.score < 0.9 and any(r.startswith("name_differs") for r in m.reasons), m


def test_name_variants_without_identifiers(index):
    linked(index.match(Candidate(None, "寧波華潤進出口貿易有限責任公司")), 1, "name")
    linked(index.match(Candidate(None, "ＡＢＣ".replace("ＡＢＣ", "") + "寧波市 華潤進出口貿易有限公司。", "浙江省宁波市北仑区港东大道１２３号５幢")), 1, "name_address")  # fmt: skip
    linked(index.match(Candidate(None, "上海亿达电子商务股份公司")), 2, "name")
    # The form cut short: the core agrees; linked only with the address.
    linked(
        index.match(Candidate(None, "宁波华润进出口贸易公司", "宁波市北仑区港东大道123号5幢")),
        1,
        "name_address",
    )
    review(index.match(Candidate(None, "宁波华润进出口贸易公司")))


def test_a_typo_links_only_with_the_address_and_otherwise_goes_to_review(index):
    m = index.match(Candidate(None, "宁波华润进出口贸义有限公司", "宁波市北仑区港东大道123号5幢"))
    linked(m, 1, "name_address")
    assert m.score < 0.9
    m = index.match(Candidate(None, "宁波华润进出口贸义有限公司"))
    review(m)
    assert m.enterprise_id == 1


def test_hard_negatives_are_never_linked(index):
    for c in (
        Candidate(None, "杭州华润进出口贸易有限公司", "杭州市滨江区港东大道123号"),  # another city
        Candidate(None, "宁波华润进出口贸易有限公司北仑分公司", "宁波市北仑区港东大道123号5幢"),  # a branch
        Candidate(None, "宁波华润进出口贸易股份有限公司", "宁波市北仑区港东大道123号5幢"),  # another form
        Candidate(None, "宁波华润进出口贸易有限公司", "杭州市滨江区跨境大道7号"),  # the name, far away
        Candidate(None, "广州鸿盛贸易有限公司"),  # between two of one brand
    ):
        m = index.match(c)
        assert m.enterprise_id is None or m.doubtful, (c, m)


def test_a_registered_name_is_unique_so_a_new_house_number_lowers_the_score_only(index):
    m = index.match(Candidate(None, "宁波华润进出口贸易有限公司", "宁波市北仑区港东大道999号1幢"))
    linked(m, 1, "name")
    assert m.score < 0.9


def test_an_unknown_valid_uscc_excludes_enterprises_with_another(index):
    newcomer = valid_uscc("91330206MA2H00099")
    m = index.match(Candidate(newcomer, "宁波华润进出口贸易有限公司"))
    assert m.enterprise_id is None and m.method == "none" and "uscc_unknown" in m.reasons
    # An enterprise stored without a USCC can still be found by its name.
    linked(index.match(Candidate(valid_uscc("91120116MA0600003"), "天津滨海恒泰国际物流有限公司")), 3, "name")


def test_nothing_known(index):
    m = index.match(Candidate(None, "郑州远航母婴用品有限公司"))
    assert (m.enterprise_id, m.method, m.doubtful, m.score) == (None, "none", False, 0.0)
    assert index.match(Candidate("12345", "郑州远航母婴用品有限公司")).reasons[0] == "uscc_malformed"


# -- precision and recall against a synthetic delivery's truth ------------------------------------------


def evaluate(match, rows: list[synthetic.Row]) -> dict[str, float]:
    links = correct = review_n = known = false_unknown = 0
    for r in rows:
        m = match(Candidate(r.uscc, r.name, r.address, r.old_reg_no))
        known += r.truth_enterprise is not None
        if m.doubtful:
            review_n += 1
        elif m.enterprise_id is not None:
            links += 1
            correct += m.enterprise_id == r.truth_enterprise
            false_unknown += r.truth_enterprise is None
    return {
        "precision": correct / links,
        "recall": correct / known,
        "review": review_n / len(rows),
        "false_unknown": false_unknown,
    }


@pytest.fixture(scope="module")
def delivery() -> tuple[synthetic.Universe, list[synthetic.Row]]:
    universe = synthetic.universe_for(20_000, seed=11)
    return universe, list(synthetic.rows(universe, 20_000, seed=11))


def known_of(universe: synthetic.Universe) -> list[Known]:
    return [Known(e.enterprise_id, e.uscc, e.name, e.address, (e.old_reg_no,)) for e in universe.known()]


def test_precision_and_recall_floors_on_a_synthetic_delivery(delivery):
    universe, rows = delivery
    got = evaluate(EnterpriseIndex(known_of(universe)).match, rows)
    assert got["precision"] >= 0.995, got
    assert got["recall"] >= 0.95, got
    assert got["review"] <= 0.06, got
    assert got["false_unknown"] <= 5, got


def test_the_floors_fail_for_a_matcher_that_links_on_any_similar_name(delivery):
    """A matcher that trusts a name core alone (no review) falls under the precision floor: the floor can fail."""
    universe, rows = delivery
    index = EnterpriseIndex(known_of(universe))
    by_core: dict[str, int] = {}
    from intake import names

    for k in known_of(universe):
        by_core.setdefault(names.name_core(k.name[2:]), k.enterprise_id)  # no city, no form: careless

    def careless(c: Candidate) -> Match:
        m = index.match(c)
        if m.method in ("uscc", "old_reg_no") and not m.doubtful:
            return m
        eid = by_core.get(names.name_core(c.name[2:]))
        return Match(eid, 1.0, "name", False, ()) if eid else Match(None, 0.0, "none", False, ())

    got = evaluate(careless, rows)
    assert got["precision"] < 0.995 or got["false_unknown"] > 5, got
