"""Jiangsu's prefecture-level cities and the province-level units (省直), with GB/T 2260 codes."""

CITIES = [
    ("320000", "省直"),
    ("320100", "南京市"),
    ("320200", "无锡市"),
    ("320300", "徐州市"),
    ("320400", "常州市"),
    ("320500", "苏州市"),
    ("320600", "南通市"),
    ("320700", "连云港市"),
    ("320800", "淮安市"),
    ("320900", "盐城市"),
    ("321000", "扬州市"),
    ("321100", "镇江市"),
    ("321200", "泰州市"),
    ("321300", "宿迁市"),
]

_BY_PREFIX = {code[:4]: code for code, _ in CITIES if code != "320000"}


def city_hint_from_id_number(id_number: str) -> str | None:
    """The city where the ID was issued: only a hint, people work elsewhere (domain rules §11)."""
    return _BY_PREFIX.get(id_number[:4])
