"""Numbers from a request: plain ASCII decimal text inside the range its column can hold, nothing else."""

import pytest
from django.db import models
from django.http import QueryDict

from jxjy.lib.numbers import field_range, int_list, one, parse_float, parse_int

SEQ = models.PositiveIntegerField()


@pytest.mark.parametrize("value", ["7", " 7 ", "+7", 7, "2147483647"])
def test_plain_integers_are_taken(value):
    assert parse_int(value, 1, 2**31 - 1) == int(str(value).strip())


@pytest.mark.parametrize(
    "value", ["2147483648", "0", "-1", str(10**20), "9" * 5000, "1.0", "1e3", "1_000", "１２", "٧", "0x10", "", True,
              7.0, [7], None, "7\x00"],
)  # fmt: skip
def test_anything_else_is_refused(value):
    with pytest.raises(ValueError):
        parse_int(value, 1, 2**31 - 1)


@pytest.mark.parametrize("value", ["0", "15.25", "0.40123456789012345", ".5", "1e2", 300, 12.5])
def test_plain_decimals_are_taken(value):
    assert parse_float(value, 0, 300) == float(value)


@pytest.mark.parametrize(
    "value", ["nan", "NaN", "inf", "-inf", "1e400", "1e308", "-0.5", "300.01", "0x1", "１", "", True, [1], None,
              float("nan"), float("inf")],
)  # fmt: skip
def test_other_numbers_are_refused(value):
    with pytest.raises(ValueError):
        parse_float(value, 0, 300)


def test_the_range_is_postgresqls_on_every_database():
    assert field_range(SEQ) == (0, 2**31 - 1)


def test_a_field_sent_twice_or_not_at_all_is_refused():
    assert one(QueryDict("seq=1"), "seq") == "1"
    for query in ("seq=1&seq=2", "", "other=1"):
        with pytest.raises(ValueError):
            one(QueryDict(query), "seq")


def test_a_list_of_ids_is_bounded_in_count_and_range():
    pk = models.BigAutoField(primary_key=True)
    assert int_list(QueryDict("c=1&c=22"), "c", pk) == [1, 22]
    assert int_list(QueryDict(""), "c", pk) == []
    for query in ("c=0", f"c={2**63}", "c=x", "&".join(["c=1"] * 201)):
        with pytest.raises(ValueError):
            int_list(QueryDict(query), "c", pk)
