"""在线练习, 错题本 and 在线考试 inside a class (manual 五(一) 5–6)."""

import re
from functools import wraps

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from jxjy.accounts.decorators import learner_required
from jxjy.catalog.models import Question
from jxjy.learning.services import class_progress
from jxjy.learning.views import class_context, learner_enrollment
from jxjy.lib import numbers
from jxjy.lib.errors import UserError

from . import services
from .models import AttemptStatus, ExamAttempt, Practice
from .services import ExamInProgress
from .templatetags.exams import exam_state

LETTER = re.compile(r"[A-Za-z]")


def _question_id(data) -> int:
    """The question an answer is for: one plain number a question id can be (jxjy.lib.numbers), checked before
    anything is looked up or stored."""
    try:
        return numbers.int_field(data, "question", Question._meta.pk, low=1)
    except ValueError:
        raise UserError("题目编号无效。") from None


def _practice_size(data) -> int:
    """题量: one plain number; whether the class offers it is the service's to say."""
    try:
        return numbers.parse_int(numbers.one(data, "size"), 1, max(services.PRACTICE_SIZES))
    except ValueError:
        raise UserError("请选择题量。") from None


def _letters(data, name) -> str:
    """The option letters ticked for one question: each value a single letter, at most one per letter."""
    values = data.getlist(name)
    if len(values) > 26 or not all(LETTER.fullmatch(value) for value in values):
        raise UserError("答案无效。")
    return "".join(values)


def _learner_json(view):
    """learner_required for a page's script: a signed-out request gets 401 JSON (the script says so and keeps
    its answers), not a redirect to the sign-in page that fetch would follow and take for a success."""
    page_view = learner_required(view)

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated and _wants_json(request):
            return JsonResponse({"error": "您已退出登录，请重新登录。"}, status=401)
        return page_view(request, *args, **kwargs)

    return wrapped


def _answers_from(post, ids) -> dict:
    """{question id (str): letters} from a form where each question's inputs are named q<id>."""
    return {str(pk): "".join(post.getlist(f"q{pk}")) for pk in ids}


# --- 在线练习 -----------------------------------------------------------------------------------------------


def _closed(request, enrollment, exc: ExamInProgress, to="exams:practice"):
    """A page refused because the learner is sitting an exam: back to 在线练习 (or 在线考试), which says why and
    links to the exam."""
    messages.error(request, exc.message)
    return redirect(to, enrollment_id=enrollment.pk)


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@learner_required
def practice_home(request, enrollment_id):
    """在线练习: 做练习 (choose 题量, 显示答案 or not → 开始), 历史练习, the 错题本. Closed while an exam is on."""
    enrollment = learner_enrollment(request, enrollment_id)
    if request.method == "POST":
        wrong_book = request.POST.get("wrong_book") == "1"
        try:
            size = 0 if wrong_book else _practice_size(request.POST)
        except UserError as exc:
            messages.error(request, exc.message)
            return _practice_home(request, enrollment, status=400)
        try:
            practice = services.start_practice(
                enrollment=enrollment,
                size=size,
                wrong_book=wrong_book,
                show_answers=request.POST.get("show_answers") == "1",
                actor=request.user,
            )
        except UserError as exc:
            messages.error(request, exc.message)
            return redirect("exams:practice", enrollment_id=enrollment.pk)
        return redirect("exams:practice_detail", enrollment_id=enrollment.pk, practice_id=practice.pk)
    return _practice_home(request, enrollment)


def _practice_home(request, enrollment, status=200):
    context = class_context(request, enrollment, "practice")
    sizes = services.practice_sizes(enrollment)
    context.update(
        sizes=[(n, f"{n} 题" if n in services.PRACTICE_SIZES else f"全部 {n} 题") for n in sizes],
        history=Practice.objects.filter(enrollment=enrollment)[:50],
        wrong_count=services.wrong_entries(request.user, enrollment).count(),
        exam_in_progress=services.open_exam_of(request.user),
    )
    return render(request, "exams/practice.html", context, status=status)


@learner_required
def practice_detail(request, enrollment_id, practice_id):
    """A practice: answer, with 显示答案 per question (or every answer, when chosen before starting); 提交 → the
    score and a review with explanations. Nothing of it is shown while the learner sits an exam."""
    enrollment = learner_enrollment(request, enrollment_id)
    practice = get_object_or_404(Practice, pk=practice_id, enrollment=enrollment, user=request.user)
    try:
        services.refuse_during_exam(request.user)
        if request.method == "POST" and not practice.submitted_at:
            answers = _answers_from(request.POST, practice.questions)
            practice = services.submit_practice(practice=practice, answers=answers, actor=request.user)
            return redirect("exams:practice_detail", enrollment_id=enrollment.pk, practice_id=practice.pk)
    except ExamInProgress as exc:
        return _closed(request, enrollment, exc)
    given, submitted, revealed = practice.answers, practice.submitted_at is not None, set(practice.revealed)
    rows = [
        _row(
            number,
            q,
            list(zip(q.letters, q.options, strict=True)),
            given.get(str(q.pk), ""),
            q.answer.upper(),
            reveal=submitted,
            hint=not submitted and q.pk in revealed,
        )
        for number, q in enumerate(services.practice_questions(practice), 1)
    ]
    context = class_context(request, enrollment, "practice")
    context.update(practice=practice, rows=rows)
    return render(request, "exams/practice_paper.html", context)


@_learner_json
@require_POST
def practice_reveal(request, enrollment_id, practice_id, question_id):
    """显示答案 for one question: JSON for the page's script; without script the paper's form posts here, the
    answers given so far are kept, and the page comes back with this question's answer."""
    enrollment = learner_enrollment(request, enrollment_id)
    practice = get_object_or_404(Practice, pk=practice_id, enrollment=enrollment, user=request.user)
    page = reverse("exams:practice_detail", args=[enrollment.pk, practice.pk])
    if practice.submitted_at:
        if _wants_json(request):
            return JsonResponse({"error": "练习已提交，请刷新页面查看答案。"}, status=409)
        return redirect(page)
    try:
        question = services.reveal_answer(practice=practice, question_id=question_id, actor=request.user)
    except ExamInProgress as exc:
        if _wants_json(request):
            exam = reverse("exams:attempt", args=[exc.attempt.enrollment_id, exc.attempt.pk])
            return JsonResponse({"error": exc.message, "exam": exam}, status=exc.status)
        return _closed(request, enrollment, exc)
    except UserError as exc:
        if _wants_json(request):
            return JsonResponse({"error": exc.message}, status=exc.status)
        messages.error(request, exc.message)
        return redirect(page)
    if _wants_json(request):
        return JsonResponse(
            {"question": question.pk, "answer": question.answer.upper(), "explanation": question.explanation}
        )
    services.keep_practice_answers(practice=practice, answers=_answers_from(request.POST, practice.questions))
    return redirect(f"{page}#q-{practice.questions.index(question.pk) + 1}")


@learner_required
def wrong_book(request, enrollment_id):
    """错题本: the questions this learner got wrong in the class's courses; their answers when asked for."""
    enrollment = learner_enrollment(request, enrollment_id)
    try:
        services.refuse_during_exam(request.user, "您正在考试，交卷后才能查看错题本。")
    except ExamInProgress as exc:
        return _closed(request, enrollment, exc)
    entries = services.wrong_entries(request.user, enrollment).select_related("question").order_by("-last_wrong_at")
    rows = [
        {"entry": e, "question": e.question, "options": list(zip(e.question.letters, e.question.options, strict=True))}
        for e in entries[:200]
    ]
    context = class_context(request, enrollment, "practice")
    context.update(rows=rows, show_answers=request.GET.get("answers") == "1")
    return render(request, "exams/wrong_book.html", context)


# --- 在线考试 -----------------------------------------------------------------------------------------------


@learner_required
def exam_home(request, enrollment_id):
    """在线考试: the class's exam with 进入 (only at 100 %, else disabled with the reason), the best score with
    再考一次 or 去继续教育档案打印证书, and 查看历史考试记录."""
    enrollment = learner_enrollment(request, enrollment_id)
    progress = class_progress(enrollment)
    context = class_context(request, enrollment, "exam")
    in_progress = services.open_exam_of(request.user)
    context.update(
        progress=progress,
        summary=exam_state(enrollment, progress),  # with the gate's reason and the attempts left, in plain words
        open_attempt=in_progress if in_progress and in_progress.enrollment_id == enrollment.pk else None,
        other_exam=in_progress if in_progress and in_progress.enrollment_id != enrollment.pk else None,
    )
    return render(request, "exams/exam.html", context)


@learner_required
@require_POST
def exam_enter(request, enrollment_id):
    enrollment = learner_enrollment(request, enrollment_id)
    try:
        attempt = services.start_attempt(enrollment=enrollment)
    except ExamInProgress as exc:
        return _closed(request, enrollment, exc, to="exams:exam")
    except UserError as exc:
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


def _row(number, question, options, given, answer, *, reveal, hint=False):
    """What templates/exams/_question.html shows of one question. The answer and explanation only when `reveal`
    (a submitted paper: judged) or `hint` (a practice question whose answer the learner asked for)."""
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
    elif hint:
        row.update(hint=True, answer=answer, explanation=question.explanation)
    return row


@learner_required
def attempt_page(request, enrollment_id, attempt_id):
    """The paper with a countdown to the server's deadline; after submission, the score and a review."""
    enrollment = learner_enrollment(request, enrollment_id)
    attempt = _attempt(request, enrollment, attempt_id)
    graded = attempt.finished  # a voided paper is reviewed like any graded one, marked 成绩作废
    if graded and (in_progress := services.open_exam_of(request.user)):
        # A past paper's answers wait while another paper (of this class or another) is being answered.
        exc = ExamInProgress(in_progress, "您正在考试，交卷后才能查看以往试卷的答案。")
        return _closed(request, enrollment, exc, to="exams:exam")
    context = class_context(request, enrollment, "exam")
    context.update(attempt=attempt, rows=_paper_rows(attempt, reveal=graded))
    if graded:
        context["summary"] = exam_state(enrollment)  # 再考一次 or 去继续教育档案打印证书
        return render(request, "exams/review.html", context)
    from django.utils import timezone

    left = max(0.0, (attempt.deadline - timezone.now()).total_seconds())
    context.update(remaining=int(left), remaining_ms=int(left * 1000))  # ms: the page hands in on the dot
    return render(request, "exams/attempt.html", context)


@_learner_json
@require_POST
def attempt_answer(request, enrollment_id, attempt_id):
    """Save one answer as it is given (the page's script calls this on every change, and with its last queued
    answers at zero): {"saved": true}, or 400 / 404 / 409 with a message the page shows."""
    enrollment = learner_enrollment(request, enrollment_id)
    attempt = get_object_or_404(ExamAttempt, pk=attempt_id, enrollment=enrollment, user=request.user)
    try:
        question_id = _question_id(request.POST)
        shown = _letters(request.POST, "answer")
        services.save_answer(attempt=attempt, question_id=question_id, shown=shown)
    except UserError as exc:
        return JsonResponse({"error": exc.message}, status=exc.status)
    return JsonResponse({"saved": True})


@learner_required
@require_POST
def attempt_save(request, enrollment_id, attempt_id):
    """The paper's form: saves every answer on it (without script, or before 我要交卷), then goes on."""
    enrollment = learner_enrollment(request, enrollment_id)
    attempt = _attempt(request, enrollment, attempt_id)
    if attempt.status == AttemptStatus.STARTED:
        try:
            given = {entry["q"]: _letters(request.POST, f"q{entry['q']}") for entry in attempt.paper}
            for question_id, shown in given.items():
                if shown:
                    services.save_answer(attempt=attempt, question_id=question_id, shown=shown)
        except UserError as exc:
            messages.error(request, exc.message)
    if request.POST.get("action") == "submit" and attempt.status == AttemptStatus.STARTED:
        return redirect("exams:submit", enrollment_id=enrollment.pk, attempt_id=attempt.pk)
    if attempt.status == AttemptStatus.STARTED:
        messages.success(request, "答案已保存。")
    return redirect("exams:attempt", enrollment_id=enrollment.pk, attempt_id=attempt.pk)


@_learner_json
def attempt_submit(request, enrollment_id, attempt_id):
    """我要交卷: a confirmation that lists the unanswered questions; 确认交卷 grades at once. The page's script
    posts here too when the time is up, after its last answers are saved, and gets {"result": the paper's
    address} (the graded attempt, whoever handed it in)."""
    enrollment = learner_enrollment(request, enrollment_id)
    attempt = _attempt(request, enrollment, attempt_id)
    result = reverse("exams:attempt", args=[enrollment.pk, attempt.pk])
    if request.method == "POST" and attempt.status == AttemptStatus.STARTED:
        attempt = services.submit_attempt(attempt=attempt)  # audited with the request's address (its context)
        if attempt.auto_submitted:
            messages.info(request, "考试时间已到，系统已按截止前保存的答案交卷。")
        elif attempt.submitted_at >= attempt.deadline or request.POST.get("reason") == "time_up":
            messages.info(request, "考试时间到，已按您保存的全部答案交卷。")
        else:
            messages.success(request, "交卷成功。")
    if attempt.status != AttemptStatus.STARTED:
        return JsonResponse({"result": result}) if _wants_json(request) else redirect(result)
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
