"""GS1's rules for the AIs of a Digital Link: GS1's Syntax Dictionary and GS1's reference linters
(traceability/gs1syntax), checked with GS1's own test material (the linters' unit tests, the dictionary
itself, GS1's Digital Link toolkit) and with every AI the platform prints."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.traceability.test_digital_link_conformance import CSET82, toolkit
from traceability import gs1syntax
from traceability.codes import CodeError, DigitalLink, ais_of_query, parse_link, uncompress

CSRC = Path(gs1syntax.__file__).parent / "csrc"
_C_STRING = r'"((?:[^"\\]|\\.)*)"'
# GS1's unit tests of its linters, as the linters' sources write them:
# UNIT_TEST_PASS(gs1_lint_x, "data") and UNIT_TEST_FAIL(gs1_lint_x, "data", GS1_LINTER_ERR, "da*t*a").
_PASS = re.compile(rf"UNIT_TEST_PASS\(gs1_lint_(\w+),\s*{_C_STRING}\)")
_FAIL = re.compile(rf"UNIT_TEST_FAIL\(gs1_lint_(\w+),\s*{_C_STRING},\s*(GS1_LINTER_\w+),\s*{_C_STRING}\)")
PATH = "/01/06901234567892/10/LOT2611A/21/1VWSX7C322N4YB9F55WM"


def _c(text: str) -> bytes:
    return text.encode("latin-1").decode("unicode_escape").encode("latin-1")


def _error_codes() -> dict[str, int]:
    header = (CSRC / "gs1syntaxdictionary.h").read_text()
    body = header[header.index("GS1_LINTER_OK = 0") :]
    body = body[: body.index("}")]
    names = re.findall(r"^\s*(GS1_LINTER_\w+)", body, re.M)
    return {name: i for i, name in enumerate(names)}


def gs1_unit_tests() -> tuple[list, list]:
    passes, fails = [], []
    for source in sorted(CSRC.glob("lint_*.c")):
        text = source.read_text()
        passes += [(name, _c(data)) for name, data in _PASS.findall(text)]
        fails += [
            (name, _c(data), err, _c(marked))
            for name, data, err, marked in _FAIL.findall(text)
            # These need a GS1 Company Prefix lookup (GS1's tests build one in, test-gcp-lookup.h); the
            # platform configures none, so a GCP is checked only for its length, as GS1's default build.
            if err not in ("GS1_LINTER_INVALID_GCP_PREFIX", "GS1_LINTER_GCP_DATASOURCE_OFFLINE")
        ]
    return passes, fails


def test_gs1s_own_unit_tests_of_its_linters_pass_through_the_platforms_binding():
    """Every literal case of GS1's linter unit tests (what `make test` in GS1's repository runs), through
    the shared library and ctypes: the same verdict, the same error, the same position."""
    linters = gs1syntax.syntax().linters
    codes = _error_codes()
    passes, fails = gs1_unit_tests()
    assert len(passes) > 300 and len(fails) > 300, (len(passes), len(fails))
    assert len({name for name, _ in passes}) > 35  # nearly every linter has cases of its own
    for name, data in passes:
        assert linters.raw(name, data)[0] == 0, (name, data)
    for name, data, err, marked in fails:
        code, pos, length = linters.raw(name, data)
        assert code == codes[err], (name, data, err, code)
        # GS1's harness marks the error's span with two asterisks: data[:pos] *data[pos:pos+len]* rest.
        got = data[:pos] + b"*" + data[pos : pos + length] + b"*" + data[pos + length :]
        assert got == marked, (name, data, marked, got)


def test_every_ai_of_the_dictionary_is_read_with_linters_that_exist():
    rules = gs1syntax.syntax()
    assert len(rules.entries) > 500
    text = gs1syntax.DICTIONARY.read_text()
    for line in text.splitlines():
        if line and not line.startswith("#"):
            first = line.split()[0]
            for ai in gs1syntax._ais(first):
                assert rules.entries[ai].components, ai
    # What the dictionary says of the AIs the platform prints and reads.
    gtin, lot, serial, cpv, expiry = (rules.entries[ai] for ai in ("01", "10", "21", "22", "17"))
    assert gtin.dl_primary_key and rules.qualifiers("01") == {"22", "10", "21", "235"}
    assert expiry.data_attribute and not serial.data_attribute and not cpv.data_attribute
    assert [c.linters for c in expiry.components] == [("csetnumeric", "yymmd0")]
    assert lot.components[0].max == 20 and gtin.components[0].linters == ("csetnumeric", "csum", "gcppos2")


# What testers from outside sent (issue 19, item 6), and more of the same kind: each is refused, naming
# the AI. The first four GS1's toolkit refuses too; the rest it lets through (it checks only a pattern
# per AI, and keeps the last of a repeated key), GS1's Syntax Dictionary refuses them.
REFUSED = [
    ("3103=00A500", "3103", "non-digit"),
    ("3103=0005001", "3103", "too long"),
    ("3103=", "3103", "no value"),
    ("3103=00050", "3103", "too short"),
    ("17=280314&17=290101", "17", "more than once"),
    ("17=281332", "17", "month"),
    ("17=280230", "17", "day of the month"),
    ("17=2803", "17", "too short"),
    ("11=28O101", "11", "non-digit"),
    ("3103=000500&3102=000400", "3102", "must not be used together with (3103)"),
    ("3103=000500&3103=000500", "3103", "more than once"),
    ("255=0690123456787", "255", "must not be used together with (01)"),
    ("37=10", "37", "requires"),
    ("02=06901234567892", "02", "must not be used together with (01)"),
    ("4321=2", "4321", '"0" or "1"'),
    ("422=999", "422", "ISO 3166"),
    ("21=ABC", "21", "more than once"),
    ("22=ABC", "22", "not a GS1 Digital Link data attribute"),
    ("10=ABC", "10", "more than once"),
    ("01=06901234567892", "01", "more than once"),
    ("9999=1", "9999", "not a GS1 Application Identifier"),
    ("7003=2803141260", "7003", "minute"),
    ("240=A%20B", "240", "CSET 82"),
    ("8200=http%3A%2F%2Fexample.com%2F", "8200", "not a GS1 Digital Link data attribute"),
]
ACCEPTED = [
    "17=281231",
    "17=280200",  # DD 00: the last day of the month (yymmd0)
    "3103=000500",
    "17=281231&3103=000500&11=260101&15=281130",
    "linkType=gs1%3ApiP&context=x&lang=en&foo=bar",
    "17=281231&linkType=gs1:verificationService",
    "99=anything-goes%2Fhere",
    "422=156&7003=2803141259",
]


@pytest.mark.parametrize("query,ai,why", REFUSED)
def test_gs1_rules_refuse_bad_data_attributes_naming_the_ai(query, ai, why):
    with pytest.raises(CodeError) as exc:
        parse_link(PATH, ais_of_query(query))
    assert exc.value.field == ai, (query, exc.value.field, exc.value.reason)
    assert why in exc.value.reason and f"({ai})" in exc.value.reason, exc.value.reason


@pytest.mark.parametrize("query", ACCEPTED)
def test_good_data_attributes_and_non_gs1_parameters_pass(query):
    link = parse_link(PATH, ais_of_query(query))
    assert (link.gtin, link.lot, link.serial) == ("06901234567892", "LOT2611A", "1VWSX7C322N4YB9F55WM")


def test_what_gs1s_toolkit_refuses_the_resolver_refuses_too():
    """GS1's toolkit over the same URIs: everything it refuses is refused here (the rules here are GS1's
    whole dictionary, so they refuse more: see REFUSED)."""
    uris = [f"https://id.example.com{PATH}?{q}" for q, _, _ in REFUSED] + [
        f"https://id.example.com{PATH}?{q}" for q in ACCEPTED
    ]
    answers = toolkit([{"op": "extract", "uri": u} for u in uris])
    refused_by_toolkit = [u for u, a in zip(uris, answers, strict=True) if not a["ok"]]
    assert len(refused_by_toolkit) >= 5  # the four of the issue and the unknown AI at least
    for uri in refused_by_toolkit:
        with pytest.raises(CodeError):
            parse_link(PATH, ais_of_query(uri.partition("?")[2]))
    for uri, answer in zip(uris[len(REFUSED) :], answers[len(REFUSED) :], strict=True):
        assert answer["ok"], (uri, answer)


@pytest.mark.parametrize(
    "path,field",
    [
        ("/01/06901234567891/10/L/21/S", "gtin"),  # check digit (csum)
        ("/01/06901234567892/10/A%20B", "lot"),  # a space is not CSET 82
        ("/01/06901234567892/21/" + "S" * 21, "serial"),
    ],
)
def test_the_paths_ais_are_named_by_their_field(path, field):
    with pytest.raises(CodeError) as exc:
        parse_link(path, [])
    assert exc.value.field == field


# --- compressed links: GS1's toolkit writes, the resolver reads --------------------------------------

ATTRIBUTES = st.dictionaries(
    # Not 7003: GS1's toolkit writes its element strings with 7003 unterminated before a variable-length AI
    # and reads them back wrong (10/0?7003=2803141200 becomes 7003=2803141200100, the lot lost), so its
    # partly compressed form of such a link is already wrong before any decoder reads it.
    st.sampled_from(["17", "11", "15", "3103", "99"]),
    st.sampled_from(["281231", "260101", "000500", "2803141200", "ABC-12/x"]),
    max_size=3,
).filter(lambda d: all(gs1syntax.syntax().entries[k].components for k in d))
# A value of 16 digits or more is lost by GS1's toolkit itself (it reads it as a JavaScript number).
_TEXT = st.text(CSET82, min_size=1, max_size=20).filter(lambda s: not (s.isdigit() and len(s) > 15))
FORMS = [
    {},
    {"optimise": True},
    {"partial": True},
    {"partial": True, "optimise": True},
    {"others": True},
    {"others": True, "optimise": True},
]


def _valid(ais: dict[str, str]) -> dict[str, str]:
    # Only values the AI's rules allow: the round trip is of valid links.
    good = {}
    for ai, value in ais.items():
        try:
            gs1syntax.syntax().check_value(ai, value)
        except gs1syntax.GS1SyntaxError:
            continue
        good[ai] = value
    return good


@settings(max_examples=10, deadline=None)
@given(
    st.lists(
        st.tuples(_TEXT, st.none() | _TEXT, st.none() | _TEXT, ATTRIBUTES),
        min_size=4,
        max_size=12,
    )
)
def test_every_form_gs1s_toolkit_writes_decompresses_to_the_link_it_compressed(batch):
    stem = "https://id.example.com"
    cases = []
    for lot, serial, cpv, attributes in batch:
        link = DigitalLink("06901234567892", lot, serial, None, cpv)
        attributes = _valid(attributes)
        query = "&".join(f"{k}={v}" for k, v in attributes.items())
        uri = link.uri(stem) + (f"?{query}&lang=en" if query else "?lang=en")
        cases += [(link, attributes, form, uri) for form in FORMS]
    answers = toolkit([{"op": "compress", "uri": uri, "stem": stem, **form} for _, _, form, uri in cases])
    assert all(a["ok"] for a in answers), answers
    # And the toolkit's own decompression of what it wrote, to compare with.
    theirs = toolkit([{"op": "extractCompressed", "uri": a["result"]} for a in answers])
    for (link, attributes, form, uri), answer, their in zip(cases, answers, theirs, strict=True):
        compressed = answer["result"].removeprefix(stem)
        path, _, sent = compressed.partition("?")
        found = uncompress(path)
        assert found is not None, (uri, form, compressed)
        plain, query = found
        query = "&".join(q for q in (query, sent) if q)
        pairs = ais_of_query(query)
        assert parse_link(plain, pairs) == parse_link(link.path(), list(attributes.items())), (uri, form)
        assert dict(pairs) == attributes, (uri, form, compressed)
        ours = {"01": link.gtin} | {
            ai: v for ai, v in (("22", link.cpv), ("10", link.lot), ("21", link.serial)) if v is not None
        }
        ours |= dict(pairs)
        for ai, value in their["result"]["GS1"].items():
            # The toolkit reads an all-digit value as a number: its zeros in front are lost (see below).
            assert ours[ai] == value or (ours[ai].isdigit() and int(ours[ai]) == int(value)), (uri, ai)
        assert set(their["result"]["GS1"]) == set(ours), (uri, form)
        # The toolkit writes the partial form from element strings: the non-GS1 pairs are left behind.
        assert ("lang=en" in query) != bool(form.get("partial")), (uri, form, compressed)


def test_the_optimised_forms_that_the_python_port_could_not_read():
    """The two failures of issue 19 item 5: GS1's toolkit's optimised form (`1A`: 01, 10, 17, 21) and the
    partly compressed one, each read as the uncompressed link (the values are the toolkit's own output)."""
    plain = ("/01/06901234567892/10/AB%2FC/21/1ABCDEFGHJKMNPQRSTV0", "17=281231")
    assert uncompress("/GgyNo0UVqQkGEvholR7pqACEGIKMOSUYaegikmro") == plain
    assert uncompress("/01/06901234567892/EISDCXwxdEqPIXTUAEIMQUYckow09BFJNXQ") == plain
    assert uncompress("/AQyNo0UVqCEJBhL4YuiVHkLpqACEGIKMOSUYaegikmro") == plain
    # Non-GS1 pairs compressed too (the toolkit's compressOtherKeyValuePairs), optimised (2D: 01, 3103).
    assert uncompress("/LQyNo0UVqAA-ggxF6-IlinkTypegfPzYuuGng") == (
        "/01/06901234567892/10/L1",
        "3103=000500&linkType=gs1%3Apip",
    )


def test_an_all_digit_value_keeps_its_leading_zeros():
    """GS1's toolkit writes a lot `007` as the number 7 in 10 bits; its own decoder reads `7`. The length
    is in the link, so `007` is what it stands for."""
    [answer] = toolkit([{"op": "compress", "uri": "https://x.example/01/06901234567892/10/007", "stem": ""}])
    path = answer["result"].removeprefix("https://id.gs1.org")
    assert uncompress(path) == ("/01/06901234567892/10/007", "")
    [read] = toolkit([{"op": "extractCompressed", "uri": answer["result"]}])
    assert read["result"]["GS1"]["10"] == "7"  # the toolkit's own reading: the zeros are lost


# --- the compiled patterns stand for GS1's linters ------------------------------------------------

_ASCII = st.text(st.characters(min_codepoint=0, max_codepoint=127), max_size=24)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["10", "21", "22", "30", "3103", "99", "240", "8200", "7240", "7230", "8043"]), _ASCII)
def test_the_compiled_pattern_of_an_ai_agrees_with_gs1s_linters(ai, value):
    """The scan checks a lot, a serial or a weight with one pattern read from GS1's character-set
    linters at start; over any ASCII it gives the verdict the linters give component by component."""
    rules = gs1syntax.syntax()
    pattern = rules._whole[ai]
    try:
        rules.check_components(ai, value) if value else None
        linted = bool(value)
    except gs1syntax.GS1SyntaxError:
        linted = False
    assert (pattern.fullmatch(value) is not None) == linted, (ai, value)


def test_the_character_sets_read_from_gs1s_linters():
    rules = gs1syntax.syntax()
    cset82 = {chr(b) for b in range(256) if rules._charsets["cset82"].fullmatch(bytes([b]))}
    assert "".join(sorted(cset82)) == "".join(sorted(CSET82))
    assert rules._charsets["csetnumeric"].fullmatch(b"0123456789") and not rules._charsets[
        "csetnumeric"
    ].fullmatch(b"A")
