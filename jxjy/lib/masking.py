"""How sensitive numbers are shown on screen."""


def mask_id_number(value: str) -> str:
    """320102********123X: region code and the last four only."""
    if not value:
        return ""
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_mobile(value: str) -> str:
    """138****8000"""
    if not value:
        return ""
    return value[:3] + "****" + value[-4:]


def mask_name(value: str) -> str:
    """张* / 李*龙 / 买**提: the first character, and the last when the name has three or more."""
    if not value:
        return ""
    if len(value) <= 2:
        return value[0] + "*" * (len(value) - 1)
    return value[0] + "*" * (len(value) - 2) + value[-1]
