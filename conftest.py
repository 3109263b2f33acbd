"""Shared fixtures: personas (healthchecks-style), a clean cache and SMS outbox for every test."""

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
# inside one unless told it is safe (it is: the loop only talks to the browser).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "Demo1234"
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def _celery_in_process():
    """Tasks run in the test's own process (the one Celery integration test starts a real worker)."""
    from jxjy.celery import app

    app.conf.task_always_eager = True
    yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Transactional tests empty every table with TRUNCATE between tests (Django's flush), and on PostgreSQL the
    audit log refuses TRUNCATE (migration audit 0009). In the test database only, that trigger is switched off;
    jxjy/audit/tests/test_db_roles.py switches it back on inside its own transaction to prove the rule."""
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ALTER TABLE audit_auditrecord DISABLE TRIGGER audit_no_truncate")


@pytest.fixture(autouse=True)
def _isolation(settings):
    from django.core.cache import cache

    from jxjy.accounts import authcard
    from jxjy.learning import playstate
    from jxjy.lib.sms import locmem

    settings.SMS_BACKEND = "jxjy.lib.sms.locmem.SmsBackend"
    settings.PAYMENT_PROVIDERS = {"mockbank": "jxjy.payments.providers.mockbank.MockBankProvider"}
    settings.PASSWORD_HASHERS = FAST_HASHERS
    cache.clear()
    playstate.store().clear()
    authcard.clear()
    locmem.outbox.clear()
    yield
    locmem.outbox.clear()


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests (live server, parallel connections) flush the database, data
    migrations included: put the cities back."""
    marker = request.node.get_closest_marker("django_db")
    transactional = {"transactional_db", "live_server"} & set(request.fixturenames) or (
        marker is not None and marker.kwargs.get("transaction")
    )
    if transactional:
        request.getfixturevalue("transactional_db")
        from jxjy.accounts.models import City
        from jxjy.lib.regions import CITIES

        for code, name in CITIES:
            City.objects.update_or_create(code=code, defaults={"name": name})


@pytest.fixture
def outbox():
    from jxjy.lib.sms import locmem

    return locmem.outbox


def make_learner(name, first17, mobile=None, *, city="320100", password=PASSWORD, grade="L4"):
    """A learner; 中级工 by default, the grade of the catalog's classes a learner may order (the rule of issue 12)."""
    from jxjy.accounts.models import User, id_number_index
    from jxjy.lib.idcard import check_char

    id_number = first17 + check_char(first17)
    user = User(username=id_number_index(id_number), name=name, id_number=id_number, city_id=city, grade=grade)
    if mobile:
        user.set_mobile(mobile)
    user.set_password(password)
    user.save()
    return user


def make_staff(username, role, city=None):
    from jxjy.accounts.models import User

    user = User(username=username, name=username, role=role, city_id=city, is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def alice(db):
    """A learner in 南京 with a verified mobile."""
    return make_learner("张伟", "32010219900101123", "13800138000")


@pytest.fixture
def bob(db):
    """A second learner, in 苏州."""
    return make_learner("李娜", "32050219850315234", "13912345678", city="320500")


@pytest.fixture
def charlie(db):
    """A learner imported from a unit's roster: no mobile yet."""
    return make_learner("王芳", "32030319720918456", None, city="320300")


@pytest.fixture
def nanjing_reviewer(db):
    return make_staff("nanjing", "city", "320100")


@pytest.fixture
def suzhou_reviewer(db):
    return make_staff("suzhou", "city", "320500")


@pytest.fixture
def province_admin(db):
    from jxjy.accounts.models import User

    user = make_staff("province", "province")
    User.objects.filter(pk=user.pk).update(is_superuser=True)
    user.refresh_from_db()
    return user


@pytest.fixture
def finance_user(db):
    return make_staff("finance", "finance")


@pytest.fixture
def content_editor(db):
    return make_staff("content", "content")


def make_catalog(years=(2025, 2026)):
    """Two training years with a 网络班 for 中级工 and 高级工 in each, open for enrollment now."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from jxjy.catalog.models import Category, Course, TrainingClass, TrainingYear

    now = timezone.now()
    course = Course.objects.create(title="安全生产与应急处置常识", category=Category.PUBLIC, hours=Decimal("4"))
    classes = {}
    for year in years:
        training_year = TrainingYear.objects.create(year=year)
        for grade, fee in (("L4", "120.00"), ("L3", "150.00")):
            training_class = TrainingClass.objects.create(
                year=training_year,
                grade=grade,
                title=f"{year}年度工勤人员继续教育网络班（{'中级工' if grade == 'L4' else '高级工'}）",
                fee=Decimal(fee),
                enroll_start=now - timedelta(days=30),
                enroll_end=now + timedelta(days=30),
                study_deadline=now + timedelta(days=60),
            )
            training_class.courses.add(course)
            classes[(year, grade)] = training_class
    return classes


@pytest.fixture
def catalog(db):
    return make_catalog()


def staff_client(user):
    """A test client signed in as a staff member, past the back office's second factor: a confirmed TOTP
    device and a session verified with it the way django-otp's login() records it, and a fresh password
    (a never-changed staff password must otherwise be changed first)."""
    from django.test import Client
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from jxjy.accounts.models import User

    User.objects.filter(pk=user.pk, password_changed_at__isnull=True).update(password_changed_at=timezone.now())
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="动态码", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def hours_by_category(user, year: int) -> dict:
    """{category: Decimal hours} the ledger holds for the learner's year as posted (no cap, every category present):
    what a test checks was posted; what counts is credits.standing's."""
    from decimal import Decimal

    from django.db.models import Sum

    from jxjy.catalog.models import Category
    from jxjy.credits.models import CreditEntry

    totals = dict(CreditEntry.objects.filter(user=user, year=year).values_list("category").annotate(total=Sum("hours")))
    return {value: totals.get(value) or Decimal("0") for value, _ in Category.choices}
