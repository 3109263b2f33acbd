"""Chinese personal names, including the middle dot of minority names and rare characters."""

import re

# CJK unified ideographs: the basic block, extension A, compatibility ideographs,
# and the supplementary planes (extensions B-H) where many rare surnames live.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f〇"
_NAME = re.compile(rf"[{_HAN}]+(?:·[{_HAN}]+)*")
# Dots people type instead of U+00B7 MIDDLE DOT.
_DOTS = str.maketrans({"•": "·", "・": "·", "．": "·", ".": "·", "∙": "·", "‧": "·", "･": "·"})


class InvalidName(ValueError):
    pass


def normalize_name(value: str) -> str:
    value = value.strip(" ").translate(_DOTS)
    if not 2 <= len(value) <= 30:
        raise InvalidName("姓名应为 2 到 30 个汉字。")
    if not _NAME.fullmatch(value):
        raise InvalidName("姓名只能包含汉字，少数民族姓名中间可用“·”分隔。")
    return value
