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
