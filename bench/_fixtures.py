"""What the benchmarks share: the production-like environment they run the app in, and one class learners can study
(made through the ORM, once the caller has set Django up)."""

import base64
import os
import secrets


def configure_environment(var_dir: str, database_url: str, redis_url: str) -> dict:
    """The production settings, in os.environ before django.setup(), so the benchmark process writes the data and
    the sessions with the keys gunicorn (and Celery) read them with. Returns the environment for those processes."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "jxjy.settings",
            "DEBUG": "0",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "SECURE_SSL_REDIRECT": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "VAR_DIR": var_dir,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "FIELD_ENCRYPTION_KEYS": base64.b64encode(secrets.token_bytes(32)).decode(),
            "BLIND_INDEX_KEY": secrets.token_urlsafe(32),
            "CERTIFICATE_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        }
    )
    return dict(os.environ)


def create_class(duration: float) -> int:
    """One year, one class, one 公共课 with one chapter and one courseware of `duration` seconds, three pop-up
    questions (so each learner gets checkpoints as in real use; they sit past 15 % of the video). Returns the class's
    id."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from jxjy.catalog.models import Category, Chapter, Course, Courseware, Question, TrainingClass, TrainingYear

    now = timezone.now()
    year, _ = TrainingYear.objects.get_or_create(year=now.year)
    training_class = TrainingClass.objects.create(
        year=year,
        grade="L4",
        title=f"{now.year}年度工勤人员继续教育网络班（中级工）",
        fee=Decimal("120.00"),
        enroll_start=now - timedelta(days=30),
        enroll_end=now + timedelta(days=30),
        study_deadline=now + timedelta(days=60),
    )
    course = Course.objects.create(title="安全生产与应急处置常识", category=Category.PUBLIC, hours=Decimal("4"))
    training_class.courses.add(course)
    chapter = Chapter.objects.create(course=course, title="第一章 安全生产基础")
    Courseware.objects.create(chapter=chapter, title="1.1 概述", video="coursewares/bench.mp4", duration=duration)
    Question.objects.bulk_create(
        [
            Question(course=course, text=f"知识点 {i}", options=["正确", "错误"], answer="A", kind="judge")
            for i in range(3)
        ]
    )
    return training_class.pk


def new_learners(first: int, count: int) -> list:
    """Learners numbered first … first + count − 1 (南京, 中级工, a verified mobile, no password), made in bulk;
    returned in the order of their ids."""
    from datetime import date, timedelta

    from jxjy.accounts.models import User, id_number_index
    from jxjy.lib.idcard import check_char

    users = []
    for i in range(first, first + count):
        born = date(1970, 1, 1) + timedelta(days=i // 1000)
        first17 = f"320102{born:%Y%m%d}{i % 1000:03d}"
        id_number = first17 + check_char(first17)
        user = User(
            username=id_number_index(id_number), name=f"学员{i}", id_number=id_number, city_id="320100", grade="L4"
        )
        user.set_mobile(f"1370{i:07d}")
        user.set_unusable_password()
        users.append(user)
    User.objects.bulk_create(users, batch_size=500)
    return list(User.objects.filter(username__in=[u.username for u in users]).order_by("pk"))


def enrolled_learners(class_id: int, first: int, count: int) -> list[tuple]:
    """Learners numbered first … first + count − 1, each with a verified mobile, a paid order for the class (opened,
    the 公共课 selected). Returns (user, enrollment id) in the order of their ids."""
    from jxjy.learning.models import Enrollment
    from jxjy.learning.services import class_courses
    from jxjy.orders.models import OrderStatus
    from jxjy.orders.services import place_order, transition

    users = new_learners(first, count)
    for user in users:
        order = place_order(user=user, class_ids=[class_id], invoice={"invoice_type": "none"})
        transition(order, OrderStatus.PAID)
    enrollments = {}
    for enrollment in Enrollment.objects.filter(user__in=users).select_related("training_class"):
        class_courses(enrollment)  # assigns the 公共课 (a no-op if opening the class already did)
        enrollments[enrollment.user_id] = enrollment.pk
    return [(user, enrollments[user.pk]) for user in users]


def signed_in(user) -> tuple[str, str]:
    """(session key, CSRF secret) of a Django session as the sign-in leaves it, written straight into the session
    engine (Redis): no sign-in form, whose Argon2 and captcha are not what the benchmarks measure."""
    import time
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.middleware.csrf import _get_new_csrf_string

    from jxjy.accounts.middleware import LAST_SEEN, SIGNED_IN_AT

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[SIGNED_IN_AT] = store[LAST_SEEN] = time.time()
    store.save()
    return store.session_key, _get_new_csrf_string()


# --- H2 (issue 17: latency and the year-end rush): exams, practice and unpaid orders ------------------------------


def add_questions(single: int, multiple: int, judge: int) -> None:
    """Questions for the one course of create_class, enough for the class's exam paper (10 单选, 5 多选, 5 判断 by
    default) and for 10-question practices besides the three pop-up ones."""
    from jxjy.catalog.models import Course, Question

    course = Course.objects.get()
    rows = [
        Question(course=course, text=f"单选 {i}", options=["甲", "乙", "丙", "丁"], answer="A", kind="single")
        for i in range(single)
    ]
    rows += [
        Question(course=course, text=f"多选 {i}", options=["甲", "乙", "丙", "丁"], answer="AB", kind="multiple")
        for i in range(multiple)
    ]
    rows += [
        Question(course=course, text=f"判断 {i}", options=["正确", "错误"], answer="A", kind="judge")
        for i in range(judge)
    ]
    Question.objects.bulk_create(rows)


def open_exam(enrollment_id: int, minutes: int = 120) -> tuple[int, list[int]]:
    """An exam attempt in progress for the learner, its paper drawn as 进入 draws it: (attempt id, question ids).
    Made directly, past the 100 %-progress gate that the load's learners (who have just begun) have not met: the
    load measures the autosave, not the gate. `minutes` longer than the class's 30, so no paper closes mid-run."""
    from datetime import timedelta

    from django.utils import timezone

    from jxjy.exams import services
    from jxjy.exams.models import ExamAttempt
    from jxjy.learning.models import Enrollment

    enrollment = Enrollment.objects.select_related("training_class", "user").get(pk=enrollment_id)
    paper = services._draw_paper(enrollment)  # the service's own draw: the paper's shape is the real one
    now = timezone.now()
    attempt = ExamAttempt.objects.create(
        enrollment=enrollment,
        user=enrollment.user,
        number=1,
        paper=paper,
        started_at=now,
        deadline=now + timedelta(minutes=minutes),
    )
    return attempt.pk, [entry["q"] for entry in paper]


def start_practice(enrollment_id: int, size: int = 10) -> tuple[int, list[int]]:
    """A 10-question practice begun through the service, as 开始 begins it: (practice id, question ids)."""
    from jxjy.exams import services
    from jxjy.learning.models import Enrollment

    enrollment = Enrollment.objects.select_related("training_class", "user").get(pk=enrollment_id)
    practice = services.start_practice(enrollment=enrollment, size=size, actor=enrollment.user)
    return practice.pk, list(practice.questions)


def unpaid_learners(class_id: int, first: int, count: int) -> list[tuple]:
    """Learners numbered first … first + count − 1 (numbers apart from enrolled_learners'), each with an order for
    the class placed and not paid: (user, order number), for payments through the 模拟银行."""
    from jxjy.orders.services import place_order

    users = new_learners(first, count)
    return [(u, place_order(user=u, class_ids=[class_id], invoice={"invoice_type": "none"}).number) for u in users]


# --- /H2 ---------------------------------------------------------------------------------------------------------
