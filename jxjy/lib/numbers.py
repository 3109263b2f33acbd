"""Numbers from a request, checked before anything uses or stores them.

Python's own `int()` and `float()` take far more than a browser ever sends ('1_000', full-width '１２', 'nan',
'1e400', 5,000 digits), and a number PostgreSQL cannot hold fails later, far from the request that brought it
(issue 13: one heartbeat's seq of 2**31 stopped every learner's time being written). So a number from a request
is plain ASCII decimal text, of a sensible length, inside the range its model field can hold (or a tighter one the
caller knows); anything else raises `ValueError` for the view to answer 400.
"""

import math
import re

from django.db import models  # before its backends' base operations, which import it back
from django.db.backends.base.operations import BaseDatabaseOperations

_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]{1,15}(?:\.[0-9]{0,20})?|\.[0-9]{1,20})(?:[eE][+-]?[0-9]{1,3})?")


def field_range(field: models.Field) -> tuple[int, int]:
    """The values an integer model field can hold on every database we run on: PostgreSQL's limits (SQLite would
    store a larger number and PostgreSQL then refuse it), so a value is refused the same way in development."""
    return BaseDatabaseOperations.integer_field_ranges[field.get_internal_type()]


def parse_int(value, low: int, high: int) -> int:
    """An integer in [low, high] from request text (ASCII digits, an optional sign) or a JSON number; a bool, a
    float, a list or anything else raises ValueError."""
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError("integer out of range")
    return value


def parse_float(value, low: float, high: float) -> float:
    """A finite number in [low, high] from request text (decimal notation) or a JSON number."""
    if isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        value = float(value.strip())
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("not a number")
    value = float(value)
    if not math.isfinite(value) or not low <= value <= high:
        raise ValueError("number out of range")
    return value


def one(data, name: str) -> str:
    """The single value of a form field: missing or sent twice (a list for a scalar) raises ValueError."""
    values = data.getlist(name)
    if len(values) != 1:
        raise ValueError(f"{name}: expected one value")
    return values[0]


def int_field(data, name: str, field, *, low: int | None = None) -> int:
    """The single value of form field `name` as an integer its model `field` can hold (and at least `low`)."""
    floor, ceiling = field_range(field)
    return parse_int(one(data, name), floor if low is None else max(low, floor), ceiling)


def int_list(data, name: str, field, *, low: int = 1, most: int = 200) -> list[int]:
    """Every value of a repeated form field (ticked checkboxes) as ids its model `field` can hold; at most `most`."""
    values = data.getlist(name)
    if len(values) > most:
        raise ValueError(f"{name}: too many values")
    floor, ceiling = field_range(field)
    return [parse_int(value, max(low, floor), ceiling) for value in values]
