"""Property tests: GTIN check digits, Digital Link round trips, the serials' keyed check."""

from datetime import date

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from traceability.codes import (
    ALPHABET,
    CodeError,
    DigitalLink,
    Keyring,
    gtin_with_check,
    normalise_gtin,
    parse_path,
)

digits = st.text("0123456789", min_size=1, max_size=1)
gtin_bodies = st.sampled_from([7, 11, 12, 13]).flatmap(
    lambda n: st.text("0123456789", min_size=n, max_size=n)
)
CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
lots = st.text(CSET82, min_size=1, max_size=20)
KEYRING = Keyring.from_secret(b"property-test-secret")


@given(gtin_bodies)
def test_gtin_check_digit_is_mod10_with_weights_3_1_from_the_right(body):
    full = gtin_with_check(body)
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    assert full[-1] == str((10 - total % 10) % 10)
    assert normalise_gtin(full) == full.zfill(14)


@given(gtin_bodies, st.integers(0, 9))
def test_any_wrong_check_digit_is_refused_and_named(body, wrong):
    full = gtin_with_check(body)
    assume(str(wrong) != full[-1])
    with pytest.raises(CodeError, match=f"should be {full[-1]}"):
        normalise_gtin(full[:-1] + str(wrong))


def test_gtin_lengths():
    assert normalise_gtin("96385074") == "00000096385074"  # GTIN-8
    for bad in ("123", "12345678901", "abcdefghijklm", "１２３４５６７８"):
        with pytest.raises(CodeError):
            normalise_gtin(bad)


@given(
    gtin_bodies,
    lots,
    st.text(CSET82, min_size=1, max_size=20),
    st.dates(date(2000, 1, 1), date(2060, 12, 28)),
)
def test_digital_link_build_and_parse_round_trip(body, lot, serial, expiry):
    link = DigitalLink(normalise_gtin(gtin_with_check(body)), lot, serial, expiry)
    uri = link.uri("https://resolver.example")
    path, _, query = uri.removeprefix("https://resolver.example").partition("?")
    assert parse_path(path, query.removeprefix("17=")) == link


@settings(max_examples=200)
@given(gtin_bodies, lots)
def test_keyed_check_refuses_every_one_character_change(body, lot):
    gtin = normalise_gtin(gtin_with_check(body))
    serial = KEYRING.new_serials(gtin, lot, 1)[0]
    assert KEYRING.check(gtin, lot, serial) is None
    for i in range(len(serial)):
        for c in ALPHABET:
            if c != serial[i]:
                assert KEYRING.check(gtin, lot, serial[:i] + c + serial[i + 1 :]) is not None, (i, c)


def test_a_copied_serial_fails_on_another_lot_or_product():
    serial = KEYRING.new_serials("06901234567892", "LOT1", 1)[0]
    assert KEYRING.check("06901234567892", "LOT2", serial) is not None
    assert KEYRING.check(normalise_gtin(gtin_with_check("690123456790")), "LOT1", serial) is not None


def test_serials_are_unique_and_keys_rotate():
    serials = KEYRING.new_serials("06901234567892", "L", 20_000)
    assert len(set(serials)) == 20_000 and all(len(s) == 20 for s in serials)
    rotated = Keyring.from_secret(b"property-test-secret", '{"2": "next-secret"}', active="2")
    new = rotated.new_serials("06901234567892", "L", 1)[0]
    assert new[0] == "2" and rotated.check("06901234567892", "L", new) is None
    assert rotated.check("06901234567892", "L", serials[0]) is None  # old codes still verify
    assert KEYRING.check("06901234567892", "L", new) is not None  # unknown key id


@pytest.mark.parametrize(
    "path,field,reason",
    [
        ("/01/06901234567892/21/ABC/10/LOT1", "path", "order 22, 10, 21"),
        ("/01/06901234567891/10/LOT1", "gtin", "should be 2"),
        ("/01/690123456789/10/LOT1", "gtin", "should be"),
        ("/01/69012345678/10/LOT1", "gtin", "14 digits"),
        ("/01/06901234567892/10/" + "L" * 21, "lot", "at most 20"),
        ("/01/06901234567892/99/x", "path", "not a key qualifier"),
        ("/01/06901234567892/10", "path", "no value"),
        ("/01/06901234567892/10/A/10/B", "path", "at most once"),
    ],
)
def test_malformed_digital_link_paths_say_why(path, field, reason):
    with pytest.raises(CodeError) as err:
        parse_path(path)
    assert err.value.field == field and reason in err.value.reason


def test_expiry_dates():
    assert parse_path("/01/06901234567892", "281231").expiry == date(2028, 12, 31)
    assert parse_path("/01/06901234567892", "280200").expiry == date(2028, 2, 29)  # DD 00: month's end
    with pytest.raises(CodeError, match="calendar date"):
        parse_path("/01/06901234567892", "281332")
