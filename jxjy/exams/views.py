"""在线练习, 错题本 and 在线考试 inside a class (manual 五(一) 5–6)."""

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from jxjy.accounts.decorators import learner_required
from jxjy.learning.services import class_progress
from jxjy.learning.views import class_context, learner_enrollment

from . import services
from .models import AttemptStatus, ExamAttempt, Practice, WrongQuestion
from .services import ExamError


def _answers_from(post, ids) -> dict:
    """{question id (str): letters} from a form where each question's inputs are named q<id>."""
    return {str(pk): "".join(post.getlist(f"q{pk}")) for pk in ids}


# --- 在线练习 -----------------------------------------------------------------------------------------------


@learner_required
def practice_home(request, enrollment_id):
    """在线练习: 做练习 (choose 题量 → 开始), 历史练习, the 错题本."""
    enrollment = learner_enrollment(request, enrollment_id)
    if request.method == "POST":
        wrong_book = request.POST.get("wrong_book") == "1"
        try:
            size = int(request.POST.get("size") or 0)
            practice = services.start_practice(enrollment=enrollment, size=size, wrong_book=wrong_book)
        except (ValueError, ExamError) as exc:
            messages.error(request, getattr(exc, "message", "请选择题量。"))
            return redirect("exams:practice", enrollment_id=enrollment.pk)
        return redirect("exams:practice_detail", enrollment_id=enrollment.pk, practice_id=practice.pk)
    context = class_context(request, enrollment, "practice")
    sizes = services.practice_sizes(enrollment)
    context.update(
        sizes=[(n, f"{n} 题" if n in services.PRACTICE_SIZES else f"全部 {n} 题") for n in sizes],
        history=Practice.objects.filter(enrollment=enrollment)[:50],
        wrong_count=WrongQuestion.objects.filter(
            user=request.user, question__in=services.question_pool(enrollment)
        ).count(),
    )
    return render(request, "exams/practice.html", context)


@learner_required
def practice_detail(request, enrollment_id, practice_id):
    """A practice: answer (with 显示答案 / 隐藏答案), 提交 → the score and a review with explanations."""
    enrollment = learner_enrollment(request, enrollment_id)
    practice = get_object_or_404(Practice, pk=practice_id, enrollment=enrollment, user=request.user)
    if request.method == "POST" and not practice.submitted_at:
        practice = services.submit_practice(practice=practice, answers=_answers_from(request.POST, practice.questions))
        return redirect("exams:practice_detail", enrollment_id=enrollment.pk, practice_id=practice.pk)
    given = practice.answers
    rows = [
        _row(number, q, list(zip(q.letters, q.options, strict=True)), given.get(str(q.pk), ""), q.answer.upper(),
             reveal=True)
        for number, q in enumerate(services.practice_questions(practice), 1)
    ]  # fmt: skip
    context = class_context(request, enrollment, "practice")
    context.update(practice=practice, rows=rows)
    return render(request, "exams/practice_paper.html", context)


@learner_required
def wrong_book(request, enrollment_id):
    """错题本: the questions this learner got wrong in the class's courses."""
    enrollment = learner_enrollment(request, enrollment_id)
    entries = (
        WrongQuestion.objects.filter(user=request.user, question__in=services.question_pool(enrollment))
        .select_related("question")
        .order_by("-last_wrong_at")[:200]
    )
    rows = [
        {"entry": e, "question": e.question, "options": list(zip(e.question.letters, e.question.options, strict=True))}
        for e in entries
    ]
    context = class_context(request, enrollment, "practice")
    context["rows"] = rows
    return render(request, "exams/wrong_book.html", context)


# --- 在线考试 -----------------------------------------------------------------------------------------------


@learner_required
def exam_home(request, enrollment_id):
    """在线考试: the class's exam with 进入 (only at 100 %), the best score and 查看历史考试记录."""
    enrollment = learner_enrollment(request, enrollment_id)
    progress = class_progress(enrollment)
    context = class_context(request, enrollment, "exam")
    context.update(
        progress=progress,
        gate=services.exam_gate(enrollment, progress),
        summary=services.exam_summary(enrollment),
        open_attempt=services.open_attempt(enrollment),
    )
    return render(request, "exams/exam.html", context)


@learner_required
@require_POST
def exam_enter(request, enrollment_id):
    enrollment = learner_enrollment(request, enrollment_id)
    try:
        attempt = services.start_attempt(enrollment=enrollment, request=request)
    except ExamError as exc:
        messages.error(request, exc.message)
        return redirect("exams:exam", enrollment_id=enrollment.pk)
    return redirect("exams:attempt", enrollment_id=enrollment.pk, attempt_id=attempt.pk)


def _attempt(request, enrollment, attempt_id):
    attempt = get_object_or_404(ExamAttempt, pk=attempt_id, enrollment=enrollment, user=request.user)
    if attempt.status == AttemptStatus.STARTED and services.open_attempt(enrollment) is None:
        attempt.refresh_from_db()  # its time was up: it has just been submitted with the saved answers
    return attempt


def _paper_rows(attempt, reveal: bool):
    """The paper as this attempt shows it: options in its own order, letters relabelled. `reveal` adds the
    correct answers and explanations — only ever for a submitted attempt."""
    from jxjy.catalog.models import Question

    questions = Question.objects.in_bulk([e["q"] for e in attempt.paper])
    given = dict(attempt.answers.values_list("question_id", "given"))
    rows = []
    for number, entry in enumerate(attempt.paper, 1):
        question = questions[entry["q"]]
        letters = services.shown_letters(entry)
        options = [(letters[i], question.options[o]) for i, o in enumerate(entry["o"])]
        shown = services.to_shown(entry, given.get(question.pk, ""))
        answer = services.to_shown(entry, question.answer.upper()) if reveal else ""
        rows.append(_row(number, question, options, shown, answer, reveal=reveal))
    return rows


def _row(number, question, options, given, answer, *, reveal):
    """What templates/exams/_question.html shows of one question; the answer only when `reveal`."""
    row = {
        "id": question.pk,
        "number": number,
        "kind": question.get_kind_display(),
        "multiple": question.kind == "multiple",
        "text": question.text,
        "options": options,
        "given": given,
    }
    if reveal:
        row.update(
            answer=answer, explanation=question.explanation, correct=bool(given) and given == "".join(sorted(answer))
        )
    return row


@learner_required
def attempt_page(request, enrollment_id, attempt_id):
    """The paper with a countdown to the server's deadline; after submission, the score and a review."""
    enrollment = learner_enrollment(request, enrollment_id)
    attempt = _attempt(request, enrollment, attempt_id)
    context = class_context(request, enrollment, "exam")
    graded = attempt.status == AttemptStatus.GRADED
    context.update(attempt=attempt, rows=_paper_rows(attempt, reveal=graded))
    if graded:
        return render(request, "exams/review.html", context)
    from django.utils import timezone

    context["remaining"] = max(0, int((attempt.deadline - timezone.now()).total_seconds()))
    return render(request, "exams/attempt.html", context)


@learner_required
@require_POST
def attempt_answer(request, enrollment_id, attempt_id):
    """Save one answer as it is given (the page's script calls this on every change)."""
    enrollment = learner_enrollment(request, enrollment_id)
    attempt = get_object_or_404(ExamAttempt, pk=attempt_id, enrollment=enrollment, user=request.user)
    try:
        question_id = int(request.POST.get("question", ""))
        services.save_answer(attempt=attempt, question_id=question_id, shown="".join(request.POST.getlist("answer")))
    except ValueError:
        return JsonResponse({"error": "请求无效。"}, status=400)
    except ExamError as exc:
        return JsonResponse({"error": exc.message}, status=exc.status)
    return JsonResponse({"saved": True})


@learner_required
@require_POST
def attempt_save(request, enrollment_id, attempt_id):
    """The paper's form: saves every answer on it (without script, or before 我要交卷), then goes on."""
    enrollment = learner_enrollment(request, enrollment_id)
    attempt = _attempt(request, enrollment, attempt_id)
    if attempt.status == AttemptStatus.STARTED:
        given = _answers_from(request.POST, [e["q"] for e in attempt.paper])
        try:
            for question_id, shown in given.items():
                if shown:
                    services.save_answer(attempt=attempt, question_id=int(question_id), shown=shown)
        except ExamError as exc:
            messages.error(request, exc.message)
    if request.POST.get("action") == "submit" and attempt.status == AttemptStatus.STARTED:
        return redirect("exams:submit", enrollment_id=enrollment.pk, attempt_id=attempt.pk)
    if attempt.status == AttemptStatus.STARTED:
        messages.success(request, "答案已保存。")
    return redirect("exams:attempt", enrollment_id=enrollment.pk, attempt_id=attempt.pk)


@learner_required
def attempt_submit(request, enrollment_id, attempt_id):
    """我要交卷: a confirmation that lists the unanswered questions; 确认交卷 grades at once."""
    enrollment = learner_enrollment(request, enrollment_id)
    attempt = _attempt(request, enrollment, attempt_id)
    if attempt.status != AttemptStatus.STARTED:
        return redirect("exams:attempt", enrollment_id=enrollment.pk, attempt_id=attempt.pk)
    if request.method == "POST":
        attempt = services.submit_attempt(attempt=attempt, request=request)
        if attempt.auto_submitted:
            messages.info(request, "考试时间已到，系统已按截止前保存的答案交卷。")
        else:
            messages.success(request, "交卷成功。")
        return redirect("exams:attempt", enrollment_id=enrollment.pk, attempt_id=attempt.pk)
    rows = _paper_rows(attempt, reveal=False)
    context = class_context(request, enrollment, "exam")
    context.update(attempt=attempt, unanswered=[r["number"] for r in rows if not r["given"]], total=len(rows))
    return render(request, "exams/confirm.html", context)


@learner_required
def exam_history(request, enrollment_id):
    """查看历史考试记录."""
    enrollment = learner_enrollment(request, enrollment_id)
    services.open_attempt(enrollment)  # an attempt whose time ran out is graded before it is listed
    context = class_context(request, enrollment, "exam")
    context["attempts"] = ExamAttempt.objects.filter(enrollment=enrollment).order_by("-number")
    context["summary"] = services.exam_summary(enrollment)
    return render(request, "exams/history.html", context)
