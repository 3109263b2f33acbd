"""Resident identity card numbers per GB 11643-1999 (18 characters, ISO 7064 MOD 11-2)."""

import datetime
import re

_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
_CHECK_CHARS = "10X98765432"


class InvalidIdNumber(ValueError):
    pass


def check_char(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalize_id_number(value: str) -> str:
    """Return the canonical form of an ID number, or raise InvalidIdNumber with a Chinese reason.

    Only surrounding spaces are trimmed: a newline or any other character is refused, and only
    ASCII digits count (full-width digits pass Python's `\\d`, not this check).
    """
    value = value.strip(" ").upper()
    if len(value) != 18:
        raise InvalidIdNumber("身份证号应为 18 位。")
    if not _SHAPE.fullmatch(value):
        raise InvalidIdNumber("身份证号只能由数字和最后一位的 X 组成。")
    try:
        datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidIdNumber("身份证号中的出生日期不存在。") from None
    if not datetime.date(1800, 1, 1) <= birth_date(value) <= datetime.date.today():
        raise InvalidIdNumber("身份证号中的出生日期不正确。")
    if check_char(value[:17]) != value[17]:
        raise InvalidIdNumber("身份证号校验位不正确，请核对。")
    return value


def is_valid_id_number(value: str) -> bool:
    try:
        normalize_id_number(value)
    except InvalidIdNumber:
        return False
    return True


def birth_date(value: str) -> datetime.date:
    return datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def gender_of(value: str) -> str:
    """'M' or 'F' from the sequence code's parity (odd = male)."""
    return "M" if int(value[16]) % 2 else "F"
