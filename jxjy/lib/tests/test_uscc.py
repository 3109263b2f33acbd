import pytest

from jxjy.lib.uscc import InvalidCreditCode, check_char, normalize_credit_code


@pytest.mark.parametrize("code", ["91350100M000100Y43", "11100000000013127D", "12100000400000624D"])
def test_valid_codes(code):
    assert normalize_credit_code(code) == code


def test_lowercase_is_normalised():
    assert normalize_credit_code("91350100m000100y43") == "91350100M000100Y43"


@pytest.mark.parametrize(
    "code, message",
    [
        ("91350100M000100Y44", "校验位"),
        ("91350100M000100Y4", "18 位"),
        ("91350100M0001O0Y43", "不允许的字符"),  # letter O
        ("9135010AM000100Y43", "不允许的字符"),  # the region code must be digits
        ("91350100M000100Y43\n", "18 位"),
    ],
)
def test_invalid_codes(code, message):
    with pytest.raises(InvalidCreditCode, match=message):
        normalize_credit_code(code)


def test_check_char_weights():
    assert check_char("91350100M000100Y4") == "3"
