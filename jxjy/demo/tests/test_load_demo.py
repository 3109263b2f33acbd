"""The demo data of `make run`."""

from django.utils import timezone

from jxjy.catalog.models import TrainingClass
from jxjy.demo.loaders import load_catalog


def test_demo_data_loads_classes_for_every_grade_in_two_years(db):
    load_catalog()
    years = sorted(set(TrainingClass.objects.values_list("year_id", flat=True)))
    this_year = timezone.localdate().year
    assert years == [this_year - 1, this_year]
    assert TrainingClass.objects.filter(year_id=this_year).count() == 6
    assert all(c.is_open() for c in TrainingClass.objects.all())
