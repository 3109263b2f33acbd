"""Mainland China mobile numbers."""

import re

_MOBILE = re.compile(r"1[3-9][0-9]{9}")


class InvalidMobile(ValueError):
    pass


def normalize_mobile(value: str) -> str:
    """Strip spaces and an optional +86 / 0086 prefix, then require 1[3-9] and 9 more ASCII digits."""
    value = value.strip(" ").replace(" ", "").replace("-", "")
    for prefix in ("+86", "0086"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
            break
    if not _MOBILE.fullmatch(value):
        raise InvalidMobile("请输入正确的 11 位手机号。")
    return value
