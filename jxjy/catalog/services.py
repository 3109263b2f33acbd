"""The one-class-per-year rule, shared by online orders and face-to-face bookings."""

from django.db import IntegrityError, transaction

from jxjy.lib.errors import UserError

from .models import YearClaim


class YearTaken(UserError):
    """Another class holds the learner's year (callers name the face-to-face case their own way)."""

    def __init__(self, year):
        super().__init__(f"您已报名 {year} 年度的班级（网络班或面授班），每个培训年度只能报一个班。", status=409)


def claim_year(*, user, year, source: str, source_id: int) -> YearClaim:
    """Take the learner's place for `year`; raise YearTaken if another class holds it.
    Call inside the transaction that creates the order or booking."""
    try:
        with transaction.atomic():
            return YearClaim.objects.create(user=user, year_id=year, source=source, source_id=source_id)
    except IntegrityError:
        raise YearTaken(year) from None


def release_year(*, user, year, source: str, source_id: int) -> None:
    YearClaim.objects.filter(user=user, year_id=year, source=source, source_id=source_id).delete()


def claimed_years(user) -> dict:
    """{year: source} for the learner's held years."""
    return dict(YearClaim.objects.filter(user=user).values_list("year_id", "source"))
