"""Properties of the scorecard: records only ever push the score their way, weights only fade, windows
end, and serious dishonesty caps the grade."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from credit import methodology
from credit.scorecard import Entry, Weights, score

M = methodology.load(methodology.DEFAULT_FILE)
W = Weights(M)
NOW = datetime(2026, 11, 27, tzinfo=UTC)
NEGATIVE = sorted(k.code for k in M.kinds.values() if k.sign < 0)
SEVERITIES = ["minor", "general", "serious"]

ages = st.floats(min_value=0, max_value=1500, allow_nan=False)


@st.composite
def entries(draw, kinds=sorted(M.kinds)):  # noqa: B008 - a constant
    n = draw(st.integers(0, 30))
    return [
        Entry(
            i,
            draw(st.sampled_from(kinds)),
            draw(st.sampled_from(SEVERITIES)),
            (NOW - timedelta(days=draw(ages))).timestamp(),
            draw(st.sampled_from(["active", "active", "under_review", "repaired", "withdrawn"])),
        )
        for i in range(1, n + 1)
    ]


GRADE_ORDER = {g.code: i for i, g in enumerate(M.grades)}  # 0 is best


@settings(max_examples=300)
@given(entries(), st.sampled_from(NEGATIVE), st.sampled_from(SEVERITIES), ages, st.integers(0, 31))
def test_adding_a_negative_record_never_raises_a_score(records, kind, severity, age, position):
    before = score(M, records, NOW)
    extra = Entry(999, kind, severity, (NOW - timedelta(days=age)).timestamp())
    after = score(M, [*records[:position], extra, *records[position:]], NOW)
    assert after.score <= before.score
    assert GRADE_ORDER[after.grade] >= GRADE_ORDER[before.grade]


@settings(max_examples=300)
@given(
    st.sampled_from(sorted(M.kinds)), st.sampled_from(SEVERITIES), ages, st.floats(0, 800, allow_nan=False)
)
def test_a_records_weight_never_grows_with_time(kind, severity, age, later):
    at = (NOW - timedelta(days=age)).timestamp()
    now = NOW.timestamp()
    a = W.contribution(kind, severity, at, now)
    b = W.contribution(kind, severity, at, now + later * 86_400)
    assert abs(b) <= abs(a)
    assert a == 0 or b == 0 or (a > 0) == (b > 0)  # fading never flips a record's sign


def test_a_record_stops_counting_when_its_window_ends():
    window = M.severities["general"].window
    at = NOW - window + timedelta(hours=1)
    e = Entry(1, "inspection_failure", "general", at.timestamp())
    assert score(M, [e], NOW).score < score(M, [], NOW).score
    assert score(M, [e], NOW + timedelta(hours=2)).score == score(M, [], NOW).score


def test_serious_dishonesty_caps_the_grade_at_d_whatever_the_points():
    praise = [Entry(i, "commendation", "serious", NOW.timestamp()) for i in range(1, 4)]
    assert score(M, praise, NOW).grade == "A"
    # a minor serious-dishonesty record costs few points, but the grade is capped
    capped = score(M, [*praise, Entry(9, "serious_dishonesty", "minor", NOW.timestamp())], NOW)
    assert capped.score >= M.grade("B").min and capped.grade == "D" and capped.capped_by == 9


def test_every_score_explains_itself():
    records = [
        Entry(1, "complaint_upheld", "general", (NOW - timedelta(days=3)).timestamp()),
        Entry(2, "complaint_upheld", "general", (NOW - timedelta(days=10)).timestamp()),
        Entry(3, "inspection_failure", "serious", (NOW - timedelta(days=20)).timestamp()),
        Entry(4, "recall", "minor", (NOW - timedelta(days=5)).timestamp()),
        Entry(5, "late_complaint_answer", "minor", (NOW - timedelta(days=1)).timestamp()),
        Entry(6, "declaration_inaccuracy", "minor", (NOW - timedelta(days=2)).timestamp()),
        Entry(7, "recall", "general", NOW.timestamp(), "repaired"),
    ]
    card = score(M, records, NOW)
    assert [r.kind for r in card.reasons] == [
        "inspection_failure",
        "complaint_upheld",
        "recall",
        "declaration_inaccuracy",
    ]
    assert card.reasons[1].records == 2
    assert card.contributions[7] == 0.0  # a repaired record no longer counts
    start = sum(d.start for d in M.dimensions.values())
    assert round(start + sum(card.contributions.values()), 1) == card.score  # nothing hit a floor here
