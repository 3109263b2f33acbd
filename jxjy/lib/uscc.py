"""统一社会信用代码 (Unified Social Credit Code) per GB 32100-2015."""

import re

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, Z, S, V
_WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
_SHAPE = re.compile(rf"[0-9A-HJ-NPQRTUWXY]{{2}}[0-9]{{6}}[{CHARSET}]{{10}}")


class InvalidCreditCode(ValueError):
    pass


def check_char(first17: str) -> str:
    total = sum(CHARSET.index(char) * weight for char, weight in zip(first17, _WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def normalize_credit_code(value: str) -> str:
    """Upper-case and check an 18-character code; raise InvalidCreditCode with a Chinese reason."""
    value = value.strip(" ").upper()
    if len(value) != 18:
        raise InvalidCreditCode("统一社会信用代码应为 18 位。")
    if not _SHAPE.fullmatch(value):
        raise InvalidCreditCode("统一社会信用代码含有不允许的字符（不使用 I、O、Z、S、V）。")
    if check_char(value[:17]) != value[17]:
        raise InvalidCreditCode("统一社会信用代码校验位不正确，请核对。")
    return value
