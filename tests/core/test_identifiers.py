import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.identifiers import uscc_with_check, validate_country, validate_uscc

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def test_known_valid_uscc_passes():
    assert validate_uscc("91110000600037341L") == "91110000600037341L"
    assert validate_uscc(" 91110000600037341l ") == "91110000600037341L"


def test_wrong_check_character_names_the_right_one():
    with pytest.raises(ValueError, match="should be 'L'"):
        validate_uscc("91110000600037341X")


@pytest.mark.parametrize(
    "value,reason",
    [
        ("9111000060003734", "18 characters"),
        ("B1110000600037341L", "registration-authority"),
        ("91110000600037341O", "other than I, O"),
    ],
)
def test_malformed_uscc_says_why(value, reason):
    with pytest.raises(ValueError, match=reason):
        validate_uscc(value)


def test_letter_authorities_are_accepted():
    # stdnum alone refuses these (it wants digits in 1-8); GB 32100 allows N and Y authorities.
    code = uscc_with_check("N2330206MA2H12345")
    assert validate_uscc(code) == code


body = st.tuples(
    st.sampled_from("123456789"),
    st.sampled_from("123"),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(USCC_CHARS, min_size=9, max_size=9),
).map("".join)


@given(body, st.integers(0, 17), st.sampled_from(USCC_CHARS))
def test_every_single_character_change_is_caught(first17, position, replacement):
    code = uscc_with_check(first17)
    assert validate_uscc(code) == code
    changed = code[:position] + replacement + code[position + 1 :]
    if changed != code:
        with pytest.raises(ValueError):
            validate_uscc(changed)


def test_country_codes():
    assert validate_country("au") == "AU"
    for bad in ("XX", "AUS", "", "中国"):
        with pytest.raises(ValueError, match="ISO 3166"):
            validate_country(bad)
