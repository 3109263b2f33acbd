"""A courseware's captions for the player's <track>: the stored WebVTT, to the same learners its video streams to."""

import logging

from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404

from jxjy.accounts.decorators import learner_required
from jxjy.catalog.models import Courseware

from .models import CourseSelection, Enrollment

logger = logging.getLogger(__name__)


@learner_required
def captions(request, enrollment_id, courseware_id):
    """字幕 (WebVTT), only for the learner's own live class with the course selected — the scope of
    `courseware_video` — so a refunded class, an unselected course or another learner's class gets a 404 (whatever
    the method: the scope is checked before the method, so a POST learns nothing either)."""
    enrollment = get_object_or_404(Enrollment.objects.live(), pk=enrollment_id, user=request.user)
    courseware = get_object_or_404(
        Courseware.objects.exclude(captions=""),
        pk=courseware_id,
        chapter__course__in=CourseSelection.objects.filter(enrollment=enrollment).values("course"),
    )
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    try:
        with courseware.captions.open("rb") as handle:
            body = handle.read()
    except FileNotFoundError:  # the file went missing: the content editor must upload it again
        logger.error("courseware %s: caption file %s is missing", courseware.pk, courseware.captions.name)
        raise Http404("字幕文件不存在") from None
    response = HttpResponse(body, content_type="text/vtt; charset=utf-8")
    # The player's URL carries a version of the file (`?v=`), so a replaced caption file is fetched afresh.
    response["Cache-Control"] = "private, max-age=3600"
    return response
