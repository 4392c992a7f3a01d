"""Name, address and USCC normalisation (intake.names) on hand-written variants of Chinese enterprise names."""

from __future__ import annotations

import pytest
from stdnum.cn import uscc as stdnum_uscc

from intake import names


@pytest.mark.parametrize(
    "variant",
    [
        "宁波保税区华润进出口贸易有限公司",
        "寧波保稅區華潤進出口貿易有限公司",  # traditional
        "宁波保税区华润进出口贸易有限责任公司",  # the long spelling of the same form
        "寧波保稅區華潤進出口貿易有限責任公司",
        "宁波市保税区华润进出口贸易有限公司",  # the city with 市
        "宁波 保税区 华润进出口贸易 有限公司。",  # spaces and punctuation
        "宁波保税区华润进出口贸易（中国）有限公司",  # (中国), full-width brackets
        "宁波保税区华润进出口贸易(中國)有限公司",
        "寧波市 保稅區華潤進出口貿易（中國）有限責任公司",  # all at once
    ],
)
def test_spellings_of_one_name_have_one_key(variant):
    assert names.name_key(variant) == "宁波保税区华润进出口贸易有限公司"


def test_full_width_latin_and_english_forms_fold():
    assert (
        names.name_key("ＡＢＣ（中国）有限公司") == names.name_key("ABC (China) Co., Ltd.") == "abc有限公司"
    )
    assert names.name_key("上海億達電子商務股份公司") == "上海亿达电子商务股份有限公司"


def test_different_enterprises_keep_different_keys():
    key = names.name_key("宁波华润贸易有限公司")
    assert names.name_key("杭州华润贸易有限公司") != key  # another city
    assert names.name_key("宁波华润贸易股份有限公司") != key  # another company form
    assert names.name_key("宁波华润贸易有限公司北仑分公司") != key  # a branch
    # The core (the name without its form) is shared by the first and the form variant, not by the branch.
    assert (
        names.name_core("宁波华润贸易股份有限公司")
        == names.name_core("宁波华润贸易有限公司")
        == "宁波华润贸易"
    )
    assert names.name_core("宁波华润贸易有限公司北仑分公司") != "宁波华润贸易"
    assert names.is_branch_key(names.name_key("宁波华润贸易有限公司北仑分公司"))
    assert names.form_of_key(names.name_key("宁波华润贸易股份公司")) == "股份有限公司"
    assert names.form_of_key(names.name_key("宁波华润贸易公司")) == ""


def test_opencc_converts_by_phrase_not_only_by_character():
    assert names.to_simplified("臺灣鬆餅發展") == "台湾松饼发展"
    assert names.to_simplified("乾坤製藥") == "乾坤制药"  # 乾 of 乾坤 is not 干
    assert names.to_simplified("乾燥") == "干燥"
    assert names.fold("ＡＢＣ１２３　寧波") == "abc123 宁波"


def test_addresses_fold_and_keep_their_numbers():
    a = names.address_key("浙江省寧波市北侖區 港東大道１２３號５幢")
    b = names.address_key("中国浙江省宁波市北仑区港东大道123号5幢")
    assert a == b == "宁波市北仑区港东大道123号5幢"
    assert names.address_numbers(a) == ("123", "5")
    assert names.dice(names.bigrams(a), names.bigrams(b)) == 1.0
    assert names.dice(names.bigrams("宁波"), names.bigrams("杭州")) == 0.0


def valid_uscc(first17: str) -> str:
    return first17 + stdnum_uscc.calc_check_digit(first17)


def test_uscc_states_by_stdnum():
    assert names.uscc_state("91110000600037341L") == "valid"  # stdnum's own example
    assert names.uscc_state("91110000600037341M") == "check"
    code = valid_uscc("91330206MA2H123456"[:17])
    assert names.uscc_state(code) == "valid"
    assert names.uscc_check_character(code[:17]) == code[17]
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    assert names.uscc_state(wrong) == "check"
    assert names.uscc_state("9133020") == "malformed"
    assert names.uscc_state("91330206MA2H12345I") == "malformed"  # I is not in the alphabet


def test_uscc_as_written_is_compacted():
    assert names.clean_uscc(" ９１１１００００６０００３７３４１ｌ ") == "91110000600037341L"
    assert names.clean_uscc("91 110000 60003734-1L") == "91110000600037341L"
    assert names.clean_uscc("  ") is None
    assert names.clean_uscc(None) is None
    assert names.organisation_code("91110000600037341L") == "600037341"
    assert names.clean_registration_number("60003734-1") == "600037341"
