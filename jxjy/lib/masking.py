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
