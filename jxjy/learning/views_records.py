"""学习记录: the learner's training year day by day (records.py), a page of days at a time."""

from decimal import Decimal

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from jxjy.accounts.decorators import learner_required
from jxjy.lib.hours import hours
from jxjy.lib.paging import paginate

from . import details, playstate, records

DAYS_PER_PAGE = 10


def _year(value, years) -> int:
    """The year asked for when it is one the page offers, else this year (or the newest offered)."""
    try:
        year = int(value)
    except (TypeError, ValueError):
        year = None
    if year in years:
        return year
    today = timezone.localdate().year
    return today if today in years else years[0]


@learner_required
def study_records(request):
    """学习记录: per day, each courseware played (time played, how much of it is really watched, the 学时 it earned
    or will earn) and the hours posted from 面授班, 视同申报 and 冲销; a year filter and pages of days."""
    playstate.flush_user(request.user.pk)  # the latest heartbeats first, so today's time is there
    years = records.record_years(request.user)
    year = _year(request.GET.get("year"), years)
    page = paginate(request, records.record_days(request.user, year), per_page=DAYS_PER_PAGE)
    per_hour = records.minutes_per_hour(year)
    context = {
        "years": years,
        "year": year,
        "page": page,
        "days": records.day_records(request.user, year, list(page.object_list)),
        "minutes_per_hour": per_hour,
        "hour_example": hours(Decimal(60) / per_hour),
        "menu": "records",
    }
    return render(request, "learning/records.html", context)


@learner_required
def study_detail(request, progress_id):
    """学时明细 of one of the learner's coursewares: the watched parts on a timeline and each playback with the
    reasons its uncounted minutes did not count (details.py). Another learner's progress is a 404."""
    playstate.flush_user(request.user.pk)  # the playback now under way, as far as it has come
    progress = details.progress_of(request.user, progress_id)
    if progress is None:
        raise Http404
    context = {"detail": details.study_detail(request, progress), "menu": "records"}
    return render(request, "learning/study_detail.html", context)
