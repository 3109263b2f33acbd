"""Test data for 面授班 (used by the browser flow too)."""

from datetime import timedelta

from django.utils import timezone

from jxjy.catalog.models import TrainingYear
from jxjy.facetoface.models import FaceToFaceClass
from jxjy.facetoface.services import current_year

UNIT = "南京市鼓楼区城市管理局"
VENUES = {
    "320100": "南京市玄武区北京东路 41 号 省级机关培训中心 3 楼",
    "320500": "苏州市姑苏区三香路 998 号 市机关事务培训中心 2 楼",
}


def make_class(city="320100", *, year=None, capacity=30, start_in=10, days=2, title=None, **fields):
    """A 面授班 of `city` starting `start_in` days from today, with the year's hours (16 / 24 / 8)."""
    year = year or current_year()
    training_year, _ = TrainingYear.objects.get_or_create(year=year)
    start = timezone.localdate() + timedelta(days=start_in)
    defaults = {
        "public_hours": training_year.public_hours,
        "professional_hours": training_year.professional_hours,
        "elective_hours": training_year.elective_hours,
    }
    return FaceToFaceClass.objects.create(
        year=training_year,
        city_id=city,
        title=title or f"{year}年度面授班（{city}）",
        venue=VENUES.get(city, "市级机关培训中心"),
        start_date=start,
        end_date=start + timedelta(days=days - 1),
        capacity=capacity,
        **{**defaults, **fields},
    )
