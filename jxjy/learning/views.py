import math
import uuid

from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from ranged_response import RangedFileResponse

from jxjy.accounts.decorators import learner_required
from jxjy.catalog.models import Courseware

from . import heartbeat
from .models import CourseSelection, Enrollment, EnrollmentStatus
from .services import LearningError


@learner_required
def center(request):
    """学员中心: every class the learner has, with its status."""
    enrollments = (
        Enrollment.objects.filter(user=request.user)
        .exclude(status=EnrollmentStatus.REFUNDED)
        .select_related("training_class__year")
        .order_by("-training_class__year", "-opened_at")
    )
    return render(request, "learning/center.html", {"enrollments": enrollments, "menu": "classes"})


# --- The player's JSON endpoints ---------------------------------------------------------------


def _json_body(request):
    """Heartbeats come as form data (sendBeacon cannot set headers; the CSRF token rides in the body)."""
    return request.POST


@learner_required
@require_POST
def playback_start(request, enrollment_id, courseware_id):
    enrollment = get_object_or_404(Enrollment, pk=enrollment_id, user=request.user)
    courseware = get_object_or_404(Courseware.objects.select_related("chapter"), pk=courseware_id)
    try:
        data = heartbeat.start_playback(user=request.user, enrollment=enrollment, courseware=courseware)
    except LearningError as exc:
        return JsonResponse({"error": exc.message}, status=exc.status)
    return JsonResponse(data)


@require_POST
def playback_beat(request):
    """The hot path: no template, no extra lookups; 401 (not a redirect) when the session has ended."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "登录已过期，请重新登录。"}, status=401)
    data = _json_body(request)
    try:
        session_id = uuid.UUID(data.get("session", ""))
        seq = int(data.get("seq", ""))
        position = float(data.get("position", ""))
    except (ValueError, TypeError):
        return JsonResponse({"error": "请求无效。"}, status=400)
    if not math.isfinite(position) or seq < 1:
        return JsonResponse({"error": "请求无效。"}, status=400)
    status, reply = heartbeat.heartbeat(
        user=request.user, session_id=session_id, seq=seq, position=position, playing=data.get("playing") == "1"
    )
    return JsonResponse(reply, status=status)


@learner_required
@require_POST
def checkpoint_answer(request, checkpoint_id):
    answer = "".join(request.POST.getlist("answer"))
    try:
        reply = heartbeat.answer_checkpoint(user=request.user, checkpoint_id=checkpoint_id, answer=answer)
    except LearningError as exc:
        return JsonResponse({"error": exc.message}, status=exc.status)
    return JsonResponse(reply)


@learner_required
def courseware_video(request, enrollment_id, courseware_id):
    """The courseware's MP4 with HTTP Range support, only for a class that has the course selected."""
    enrollment = get_object_or_404(Enrollment, pk=enrollment_id, user=request.user)
    courseware = get_object_or_404(
        Courseware,
        pk=courseware_id,
        chapter__course__in=CourseSelection.objects.filter(enrollment=enrollment).values("course"),
    )
    storage = courseware.video.storage
    if not getattr(storage, "location", None):  # object storage: a short-lived signed URL
        return redirect(storage.url(courseware.video.name))
    response = RangedFileResponse(request, storage.open(courseware.video.name), content_type="video/mp4")
    response["Cache-Control"] = "private, max-age=3600"
    return response
