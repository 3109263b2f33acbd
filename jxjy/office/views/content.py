"""课程管理 in the back office: courses, chapters, coursewares and their videos, and each course's 题库."""

from django.contrib import messages
from django.db.models import Count, Prefetch
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from jxjy.catalog import captions, editing, questionbank
from jxjy.catalog.models import Chapter, Course, Courseware, VideoJob
from jxjy.catalog.videojobs import NOT_A_VIDEO
from jxjy.lib import sheets
from jxjy.lib.paging import paginate
from jxjy.office.forms.content import ChapterForm, CourseForm, CoursewareForm, ExamOnlyForm, QuestionImportForm
from jxjy.office.menu import office_view


def _render(request, template, context, status=200):
    return render(request, template, {"office_menu": "content", **context}, status=status)


@office_view("content")
def course_list(request):
    """课程管理: every course with its counts, searchable by title."""
    q = " ".join(request.GET.get("q", "").split())[:50]
    courses = Course.objects.annotate(
        chapter_count=Count("chapters", distinct=True),
        courseware_count=Count("chapters__coursewares", distinct=True),
        question_count=Count("questions", distinct=True),
    ).order_by("category", "title")
    if q:
        courses = courses.filter(title__icontains=q)
    page = paginate(request, courses)
    return _render(request, "office/content/course_list.html", {"page": page, "q": q})


def _course_form(request, course=None):
    form = CourseForm(request.POST or None, instance=course)
    if request.method == "POST" and form.is_valid():
        course = editing.save_content(form, what="course")
        messages.success(request, "课程已保存。")
        return redirect("office:content_course_detail", pk=course.pk)
    return _render(request, "office/content/course_form.html", {"form": form, "course": course})


@office_view("content")
def course_create(request):
    return _course_form(request)


@office_view("content")
def course_edit(request, pk):
    return _course_form(request, get_object_or_404(Course, pk=pk))


@office_view("content")
def course_detail(request, pk):
    """A course: its chapters and coursewares in order, the hours check, recent video jobs, and its 题库."""
    course = get_object_or_404(Course.objects.annotate(question_count=Count("questions")), pk=pk)
    chapters = course.chapters.order_by("order", "id").prefetch_related(
        Prefetch("coursewares", queryset=Courseware.objects.order_by("order", "id"))
    )
    jobs = VideoJob.objects.filter(chapter__course=course).exclude(status="done").select_related("chapter")[:10]
    return _render(
        request,
        "office/content/course_detail.html",
        {
            "course": course,
            "chapters": chapters,
            "check": editing.hours_check(course),
            "jobs": jobs,
        },
    )


def _chapter_form(request, course, chapter=None):
    form = ChapterForm(request.POST or None, instance=chapter or Chapter(course=course))
    if request.method == "POST" and form.is_valid():
        editing.save_content(form, what="chapter")
        messages.success(request, "章节已保存。")
        return redirect("office:content_course_detail", pk=course.pk)
    return _render(request, "office/content/chapter_form.html", {"form": form, "course": course, "chapter": chapter})


@office_view("content")
def chapter_create(request, pk):
    course = get_object_or_404(Course, pk=pk)
    if request.method != "POST":
        next_order = (course.chapters.order_by("-order").values_list("order", flat=True).first() or 0) + 1
        form = ChapterForm(initial={"order": next_order})
        return _render(request, "office/content/chapter_form.html", {"form": form, "course": course, "chapter": None})
    return _chapter_form(request, course)


@office_view("content")
def chapter_edit(request, pk):
    chapter = get_object_or_404(Chapter.objects.select_related("course"), pk=pk)
    return _chapter_form(request, chapter.course, chapter)


def _courseware_form(request, chapter, courseware=None):
    form = CoursewareForm(request.POST or None, request.FILES or None, instance=courseware)
    if request.method == "GET" and courseware is None:
        last = chapter.coursewares.order_by("-order").values_list("order", flat=True).first() or 0
        form = CoursewareForm(initial={"order": last + 1})
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("video_file")
        if upload is not None:
            try:
                editing.probe_upload(upload)
            except ValueError:
                form.add_error("video_file", NOT_A_VIDEO)
        if form.is_valid():
            if courseware is not None:
                courseware = editing.save_content(form, what="courseware")
            if upload is None:
                messages.success(request, "课件已保存。")
                return redirect("office:content_course_detail", pk=chapter.course_id)
            job = editing.upload_video(
                chapter=chapter,
                upload=upload,
                courseware=courseware,
                actor=request.user,
                title=form.cleaned_data["title"],
                order=form.cleaned_data["order"],
            )
            return redirect("office:content_job", pk=job.pk)
    status = 400 if request.method == "POST" else 200  # a POST that gets the form back was refused (a video too big …)
    return _render(
        request,
        "office/content/courseware_form.html",
        {
            "form": form,
            "chapter": chapter,
            "course": chapter.course,
            "courseware": courseware,
            "captions": captions.summary(courseware) if courseware is not None else None,
        },
        status=status,
    )


@office_view("content")
def courseware_create(request, pk):
    chapter = get_object_or_404(Chapter.objects.select_related("course"), pk=pk)
    return _courseware_form(request, chapter)


@office_view("content")
def courseware_edit(request, pk):
    courseware = get_object_or_404(Courseware.objects.select_related("chapter__course"), pk=pk)
    return _courseware_form(request, courseware.chapter, courseware)


@office_view("content")
def courseware_poster(request, pk):
    """The courseware's poster frame, for the course page's thumbnails."""
    courseware = get_object_or_404(Courseware.objects.exclude(poster=""), pk=pk)
    response = HttpResponse(courseware.poster.read(), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _job_state(job):
    return {
        "id": job.pk,
        "status": job.status,
        "status_display": job.get_status_display(),
        "progress": job.progress,
        "message": job.message,
        "finished": job.finished,
        "duration": job.duration,
    }


@office_view("content")
def job(request, pk):
    """视频处理进度: the page refreshes itself (a meta refresh, no script) until the job has finished."""
    job = get_object_or_404(VideoJob.objects.select_related("chapter__course", "courseware"), pk=pk)
    return _render(request, "office/content/job.html", {"job": job, "course": job.chapter.course})


@office_view("content")
def job_status(request, pk):
    """The job's state as JSON, for anything that would rather poll than refresh."""
    return JsonResponse(_job_state(get_object_or_404(VideoJob, pk=pk)))


# --- 题库 -----------------------------------------------------------------------------------------------------------


@office_view("content")
def questions(request, pk):
    """A course's 题库: import, export, the template, and the questions themselves."""
    course = get_object_or_404(Course, pk=pk)
    form = QuestionImportForm()
    return _question_page(request, course, form)


def _question_page(request, course, form, errors=()):
    page = paginate(request, course.questions.order_by("id"))
    return _render(
        request, "office/content/questions.html", {"course": course, "form": form, "page": page, "errors": errors}
    )


@office_view("content")
@require_POST
def questions_import(request, pk):
    course = get_object_or_404(Course, pk=pk)
    form = QuestionImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _question_page(request, course, form)
    try:
        count = questionbank.import_questions(course, form.cleaned_data["file"])
    except questionbank.ImportRefused as exc:
        return _question_page(request, course, form, exc.errors)
    messages.success(request, f"已导入 {count} 道题。")
    return redirect("office:content_questions", pk=course.pk)


@office_view("content")
@require_POST
def questions_exam_only(request, pk):
    """保存标记: the 仅用于考试 ticks of the questions one page of the list showed."""
    course = get_object_or_404(Course, pk=pk)
    form = ExamOnlyForm(request.POST, course=course)
    if not form.is_valid():
        messages.error(request, "标记没有保存：页面已过期，请刷新后重试。")
    else:
        marked, cleared = questionbank.mark_exam_only(
            course,
            shown=[q.pk for q in form.cleaned_data["shown"]],
            exam_only=[q.pk for q in form.cleaned_data["exam_only"]],
        )
        messages.success(request, f"已保存：新标记仅用于考试 {marked} 题，取消标记 {cleared} 题。")
    page = request.POST.get("page", "")
    return redirect(reverse("office:content_questions", args=[course.pk]) + (f"?page={page}" if page.isdigit() else ""))


@office_view("content")
def questions_template(request):
    return sheets.download(questionbank.template_workbook(), "题库导入模板.xlsx")


@office_view("content")
def questions_export(request, pk):
    course = get_object_or_404(Course, pk=pk)
    return sheets.download(questionbank.export_workbook(course), f"{course.title}-题库.xlsx")
