import logging

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from ranged_response import RangedFileResponse

from jxjy.accounts import authcard
from jxjy.accounts.decorators import learner_required
from jxjy.audit.services import client_ip
from jxjy.catalog.models import Category, Course, Courseware
from jxjy.lib import devices, numbers
from jxjy.lib.errors import UserError

from . import fastpath, heartbeat, next_step, playstate, services
from .models import CourseSelection, CoursewareProgress, Enrollment

logger = logging.getLogger(__name__)


@learner_required
def center(request):
    """学员中心: every class the learner has, with its status and progress. `?to=` is the no-script 切换班级."""
    target = request.GET.get("to", "")
    if target.startswith("/study/"):
        return redirect(target)
    playstate.flush_user(request.user.pk)
    enrollments = (
        Enrollment.objects.filter(user=request.user)
        .live()
        .select_related("training_class__year")
        .order_by("-training_class__year_id", "-opened_at")
    )
    enrollments = list(enrollments)
    standings = services.class_standings(request.user, enrollments)
    steps = next_step.next_steps(enrollments, standings)
    for enrollment in enrollments:
        enrollment.standing = standings[enrollment.pk]
        enrollment.percent = enrollment.standing.percent
        enrollment.step = steps[enrollment.pk]
        enrollment.deadline = next_step.deadline_text(enrollment.training_class)
    return render(request, "learning/center.html", {"enrollments": enrollments, "menu": "classes"})


# --- The player's JSON endpoints ---------------------------------------------------------------


@learner_required
@require_POST
def playback_start(request, enrollment_id, courseware_id):
    enrollment = get_object_or_404(Enrollment.objects.live(), pk=enrollment_id, user=request.user)
    courseware = get_object_or_404(Courseware.objects.select_related("chapter"), pk=courseware_id)
    device, new = devices.device_id(request)
    place = {
        "device": device,
        "device_label": devices.describe(request.META.get("HTTP_USER_AGENT", ""))[:40],
        "ip": client_ip(request),
    }
    try:
        data = heartbeat.start_playback(user=request.user, enrollment=enrollment, courseware=courseware, place=place)
    except UserError as exc:
        return JsonResponse({"error": exc.message}, status=exc.status)
    response = JsonResponse(data)
    if new:
        devices.remember(request, response, device)
    return response


@require_POST
def playback_beat(request):
    """The hot path through the whole stack: an ordinary heartbeat is answered before it, by the fast path
    (fastpath.py); what reaches here is the first beat of a session (whose learner's auth card this writes, so the
    next ones take the fast path) or anything unusual. No template, no extra lookups; 401 (not a redirect) when the
    session has ended."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "登录已过期，请重新登录。"}, status=401)
    authcard.remember(request.user, request.session.session_key)
    # Form data: sendBeacon cannot set headers, so the CSRF token rides in the body.
    return fastpath.beat_reply(request.user.pk, request.POST)


@learner_required
@require_POST
def checkpoint_answer(request, checkpoint_id):
    """提交答案 for a pop-up question; with `help=1`, 看解析 instead (after two wrong answers)."""
    if request.POST.get("help") == "1":
        try:
            return JsonResponse(heartbeat.checkpoint_help(user=request.user, checkpoint_id=checkpoint_id))
        except UserError as exc:
            return JsonResponse({"error": exc.message}, status=exc.status)
    answers = request.POST.getlist("answer")
    answer = "".join(answers)
    if len(answers) > 26 or not heartbeat.ANSWER.fullmatch(answer):
        return JsonResponse({"error": "请从选项中选择答案。"}, status=400)
    try:
        reply = heartbeat.answer_checkpoint(user=request.user, checkpoint_id=checkpoint_id, answer=answer)
    except UserError as exc:
        return JsonResponse({"error": exc.message}, status=exc.status)
    return JsonResponse(reply)


@learner_required
def courseware_video(request, enrollment_id, courseware_id):
    """The courseware's MP4 with HTTP Range support, only for a class that has the course selected and is not
    refunded (a refunded class streams nothing)."""
    enrollment = get_object_or_404(Enrollment.objects.live(), pk=enrollment_id, user=request.user)
    courseware = get_object_or_404(
        Courseware,
        pk=courseware_id,
        chapter__course__in=CourseSelection.objects.filter(enrollment=enrollment).values("course"),
    )
    storage = courseware.video.storage
    if not courseware.video:
        raise Http404("课件视频尚未上传")
    if not getattr(storage, "location", None):  # object storage: a short-lived signed URL
        return redirect(storage.url(courseware.video.name))
    try:
        video = storage.open(courseware.video.name)
    except FileNotFoundError:  # the file went missing on disk: the content editor must upload it again
        logger.error("courseware %s: video file %s is missing", courseware.pk, courseware.video.name)
        raise Http404("课件视频文件不存在") from None
    response = RangedFileResponse(request, video, content_type="video/mp4")
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- Class pages -------------------------------------------------------------------------------


def learner_enrollment(request, enrollment_id):
    playstate.flush_user(request.user.pk)  # the page shows what the latest heartbeats earned
    return get_object_or_404(
        Enrollment.objects.select_related("training_class__year").live(),
        pk=enrollment_id,
        user=request.user,
    )


def class_context(request, enrollment, tab):
    others = (
        Enrollment.objects.filter(user=request.user)
        .live()
        .select_related("training_class")
        .order_by("-training_class__year_id")
    )
    return {"enrollment": enrollment, "tab": tab, "others": others, "menu": "classes"}


@learner_required
def class_home(request, enrollment_id):
    """班级首页: overall and per-category progress, 考试情况, 培训结果, 选课及考核要求."""
    enrollment = learner_enrollment(request, enrollment_id)
    context = class_context(request, enrollment, "home")
    context["progress"] = services.class_progress(enrollment)  # 考试情况 comes from exams ({% exam_panel %})
    context["step"] = next_step.next_step(enrollment, context["progress"])
    context["deadline"] = next_step.deadline_text(enrollment.training_class)
    return render(request, "learning/class_home.html", context)


@learner_required
def class_select(request, enrollment_id):
    """在线选课: tick 专业课 and 选修课 → 确认选中的课程."""
    enrollment = learner_enrollment(request, enrollment_id)
    if request.method == "POST":
        try:
            ids = numbers.int_list(request.POST, "courses", Course._meta.pk)
            services.select_courses(enrollment=enrollment, course_ids=ids, actor=request.user)
        except ValueError:
            messages.error(request, "选课参数无效。")
        except UserError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "选课已保存。")
        return redirect("learning:select", enrollment_id=enrollment.pk)
    context = class_context(request, enrollment, "select")
    context["courses"] = services.class_courses(enrollment)
    context["progress"] = services.class_progress(enrollment, courses=context["courses"])
    return render(request, "learning/class_select.html", context)


@learner_required
def class_courses(request, enrollment_id):
    """在线学习: 培训班课程, 正在学习 / 已经学完."""
    enrollment = learner_enrollment(request, enrollment_id)
    courses = services.class_courses(enrollment)
    rows = services.course_rows(enrollment, courses=courses)
    progress = services.class_progress(enrollment, courses=courses)
    selected = {c["key"]: c["selected"] for c in progress["categories"]}
    done = request.GET.get("tab") == "done"
    context = class_context(request, enrollment, "courses")
    context.update(
        selection_note=next_step.selection_note(progress["standing"], selected),
        done=done,
        rows=[r for r in rows if r["finished"] == done],
        counts=(sum(not r["finished"] for r in rows), sum(r["finished"] for r in rows)),
    )
    return render(request, "learning/class_courses.html", context)


def next_courseware(enrollment, courseware):
    """下一节: the courseware after this one in its course (chapter by chapter), else the first of the next selected
    course in 在线学习's order (公共课, 专业课, 选修课); None after the last."""
    order = ("chapter__order", "chapter_id", "order", "id")
    course = courseware.chapter.course
    ids = list(Courseware.objects.filter(chapter__course=course).order_by(*order).values_list("pk", flat=True))
    later = ids[ids.index(courseware.pk) + 1 :]
    if later:
        return Courseware.objects.select_related("chapter__course").get(pk=later[0])
    rank = {value: i for i, value in enumerate(Category.values)}
    selected = Course.objects.filter(pk__in=CourseSelection.objects.filter(enrollment=enrollment).values("course"))
    pks = [c.pk for c in sorted(selected.only("pk", "category"), key=lambda c: (rank.get(c.category, 9), c.pk))]
    following = pks[pks.index(course.pk) + 1 :] if course.pk in pks else []
    firsts = {}
    candidates = Courseware.objects.filter(chapter__course_id__in=following).select_related("chapter__course")
    for cw in candidates.order_by(*order):
        firsts.setdefault(cw.chapter.course_id, cw)
    return next((firsts[pk] for pk in following if pk in firsts), None)


@learner_required
def player(request, enrollment_id, courseware_id):
    """The player: the courseware and its course's 章节 list; the script opens a playback session. `?t=` (seconds,
    from 重新登录 after a sign-out) is where the learner was: the script seeks there only within what the server
    says was watched, exactly as dragging the slider may, so it can never credit anything."""
    enrollment = learner_enrollment(request, enrollment_id)
    courseware = get_object_or_404(
        Courseware.objects.select_related("chapter__course"),
        pk=courseware_id,
        chapter__course__in=CourseSelection.objects.filter(enrollment=enrollment).values("course"),
    )
    course = courseware.chapter.course
    chapters = course.chapters.prefetch_related("coursewares")
    finished = set(
        CoursewareProgress.objects.filter(enrollment=enrollment, finished_at__isnull=False).values_list(
            "courseware_id", flat=True
        )
    )
    try:  # text for the template: one decimal, never a localised number
        resume_at = f"{numbers.parse_float(request.GET.get('t', ''), 0.0, heartbeat.POSITION_LIMIT):.1f}"
    except ValueError:
        resume_at = None
    context = class_context(request, enrollment, "courses")
    context.update(
        courseware=courseware,
        course=course,
        chapters=chapters,
        finished=finished,
        resume_at=resume_at,
        following=next_courseware(enrollment, courseware),
    )
    return render(request, "learning/player.html", context)
