"""Every URL pattern of the project, walked from `get_resolver()` (security §A6, §C14, issue 12 items 1–2).

1. Each staff role signed in with its password only (no second factor yet) gets no 200 anywhere but the sign-in
   steps, on GET and on POST — a new page is covered the day it is added.
2. Each role fully signed in, given real objects of another city (another learner's, for a learner), gets a 404 on
   every page of its own kind that names one, never a 200, and every 404 is audited.

A pattern whose arguments this file cannot fill fails the walk: classify the new argument in `foreign_value`."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from freezegun import freeze_time

from conftest import make_staff, staff_client
from jxjy.accounts.models import Address, ClosureRequest, Message, Role
from jxjy.audit.models import AuditRecord, Event
from jxjy.catalog.models import Category, Chapter, Course, Courseware, Question
from jxjy.certificates.models import Certificate
from jxjy.certificates.tests.helpers import sit_exam
from jxjy.declarations.tests.test_declarations import filed
from jxjy.exams.models import Practice
from jxjy.facetoface.models import FaceToFaceBooking, FaceToFaceSession
from jxjy.facetoface.tests.helpers import make_class
from jxjy.learning.models import Checkpoint, CoursewareProgress, Enrollment
from jxjy.orders.models import InvoiceRequest, PreEnrollment, UnitInvitation
from jxjy.orders.tests.invoice_helpers import paid_order
from jxjy.payments.models import Payment
from jxjy.portal.models import Notice
from jxjy.review.models import Anomaly, Rule

pytestmark = [pytest.mark.django_db]

STAFF_ROLES = [Role.PROVINCE, Role.CITY, Role.FINANCE, Role.CONTENT, Role.SYSTEM, Role.SECURITY, Role.AUDITOR]
# What a password-only staff account may open: the sign-in steps and their captcha.
SIGN_IN_STEPS = {"office:login", "office:otp_enrol", "office:otp_verify", "office:logout",
                 "captcha-image", "captcha-image-2x", "captcha-audio", "captcha-refresh"}  # fmt: skip


def patterns(resolver=None, prefix="", namespace=""):
    """(view name or None, the pattern, the URL prefix before it, its argument names) for every URL pattern."""
    resolver = resolver or get_resolver()
    for item in resolver.url_patterns:
        if isinstance(item, URLResolver):
            inner = ":".join(part for part in (namespace, item.namespace) if part)
            yield from patterns(item, prefix + str(item.pattern), inner)
        elif isinstance(item, URLPattern):
            regex = item.pattern.regex
            name = f"{namespace}:{item.name}" if namespace and item.name else item.name
            yield name, item, prefix, list(regex.groupindex)


def url_for(name, item, prefix, args: dict):
    if name:
        return reverse(name, kwargs=args)
    route = prefix + str(item.pattern)
    assert not args and "<" not in route and "(" not in route, f"unnamed pattern with arguments: {route}"
    return "/" + route.lstrip("^").rstrip("$")


@pytest.fixture
def world(catalog, alice, bob, settings, tmp_path):
    """bob of 苏州 with one of everything a learner can own, a 苏州 面授班, and a 苏州 office."""

    settings.MEDIA_ROOT = tmp_path

    training_class = catalog[(2026, "L4")]
    learner_client = Client()
    learner_client.force_login(bob)
    order = paid_order(learner_client, training_class)
    enrollment = Enrollment.objects.get(user=bob, training_class=training_class)
    payment = Payment.objects.filter(order=order).latest("pk")
    course = Course.objects.create(title="苏州的课程", category=Category.PUBLIC, hours=Decimal("4"))
    training_class.courses.add(course)
    chapter = Chapter.objects.create(course=course, title="第一章")
    courseware = Courseware.objects.create(chapter=chapter, title="1.1", video="coursewares/x.mp4", duration=300)
    question = Question.objects.create(course=course, kind="single", text="题", options=["甲", "乙"], answer="A",
                                       explanation="解析")  # fmt: skip
    progress = CoursewareProgress.objects.create(enrollment=enrollment, courseware=courseware)
    checkpoint = Checkpoint.objects.create(progress=progress, position=30, question=question)
    practice = Practice.objects.create(enrollment=enrollment, user=bob, questions=[question.pk])
    attempt = sit_exam(enrollment, 80)
    with freeze_time("2026-11-28 10:00"):
        declaration = filed(bob)
    face_class = make_class("320500", start_in=-1)
    session = FaceToFaceSession.objects.create(face_class=face_class, date=timezone.localdate(), half="am")
    booking = FaceToFaceBooking.objects.create(face_class=face_class, user=bob,
                                               booked_at=timezone.now() - timedelta(days=9))  # fmt: skip
    invoice = InvoiceRequest.objects.create(order=order, requested_by=bob)
    certificate = Certificate.objects.create(user=bob, year=2026, number="JS20260000000001", token="t" * 40,
                                             check_code="ABCD1234", content={}, issued_at=timezone.now())  # fmt: skip
    address = Address.objects.create(user=bob, recipient="李娜", mobile="13912345678", region="江苏省苏州市姑苏区",
                                     detail="人民路 1 号")  # fmt: skip
    pre = PreEnrollment.objects.create(user=bob, training_class=catalog[(2025, "L4")])
    notice = Notice.objects.create(title="通知", body="内容", is_published=True)
    suzhou = make_staff("suzhou-office", Role.CITY, "320500")
    closure = ClosureRequest.objects.create(user=bob, reason="不再需要")
    invitation = UnitInvitation.objects.create(order=order, learner=bob, training_class=catalog[(2025, "L4")])
    message = Message.send([Message(learner=bob, title="学习提醒", body="李娜您好")])[0]
    anomaly = Anomaly.objects.create(rule=Rule.LONG_DAY, user=bob, day=timezone.localdate(), key=f"long_day:{bob.pk}",
                                     summary="计时 11 小时")  # fmt: skip
    return {"bob": bob, "order": order, "payment": payment, "enrollment": enrollment, "courseware": courseware,
            "checkpoint": checkpoint, "practice": practice, "attempt": attempt, "declaration": declaration,
            "attachment": declaration.attachments.first(), "face_class": face_class, "booking": booking, "session": session,
            "invoice": invoice, "certificate": certificate, "address": address, "pre": pre, "notice": notice,
            "course": course, "chapter": chapter, "question": question, "closure": closure, "invitation": invitation, "message": message, "suzhou": suzhou, "class": training_class,
            "progress": progress, "anomaly": anomaly}  # fmt: skip


# Arguments that name something a learner owns (so another city's / another learner's copy must be a 404).
OWNED = {"enrollment_id", "courseware_id", "checkpoint_id", "practice_id", "attempt_id", "booking_id", "session_id",
         "progress_id"}  # fmt: skip
OWNED_PK = (
    "declarations:",
    "office:declarations_",
    "office:facetoface_",
    "orders:invoice_pdf",
    "office:finance_invoice",
    "office:learners_",
    "office:closures_",
    "accounts:address",
    "accounts:message",
    "office:anomalies_",
)


def foreign_value(name, arg, w):
    """(value, owned?) for argument `arg` of the pattern `name`, from bob's world."""
    by_arg = {
        "enrollment_id": w["enrollment"].pk, "courseware_id": w["courseware"].pk, "checkpoint_id": w["checkpoint"].pk,
        "practice_id": w["practice"].pk, "attempt_id": w["attempt"].pk, "booking_id": w["booking"].pk,
        "session_id": w["session"].pk, "progress_id": w["progress"].pk,
        "class_id": w["face_class"].pk, "token": w["certificate"].token, "provider": "mockbank",
        "question_id": w["question"].pk, "key": "0" * 40,
    }  # fmt: skip
    if arg in by_arg:
        return by_arg[arg], arg in OWNED
    if arg == "number":
        if name == "payments:mockbank":  # the simulated bank's own page (development only): the bank's, not ours
            return w["payment"].number, False
        if name == "payments:qr" or name.startswith("office:finance_") and "payment" in name:
            return w["payment"].number, True
        if name in ("office:finance_refund", "office:finance_accept_late"):
            return w["payment"].number, True
        if name == "certificates:download":
            return w["certificate"].number, True
        return w["order"].number, True
    if arg == "pk":
        pks = {
            "declarations:attachment": w["attachment"].pk, "orders:invoice_pdf": w["invoice"].pk,
            "office:finance_invoice": w["invoice"].pk, "orders:enroll": w["class"].pk,
            "orders:pre_enrollment_add": w["class"].pk, "orders:pre_enrollment_remove": w["class"].pk,  # a class id: removes the learner's own entry
            "portal:notice_detail": w["notice"].pk, "portal:notice_attachment": w["notice"].pk, "office:content_chapter_edit": w["chapter"].pk,
            "office:content_chapter_create": w["course"].pk, "office:content_courseware_create": w["chapter"].pk,
            "office:content_courseware_edit": w["courseware"].pk, "office:content_courseware_poster": w["courseware"].pk,
            "office:content_job": 1, "office:content_job_status": 1, "orders:invitation_confirm": w["invitation"].pk,
            "orders:invitation_decline": w["invitation"].pk,
        }  # fmt: skip
        if name in pks:
            value = pks[name]
        elif name.startswith(("declarations:", "office:declarations_")):
            value = w["declaration"].pk
        elif name.startswith("office:facetoface_"):
            value = w["face_class"].pk
        elif name == "office:closures_detail":
            value = w["closure"].pk
        elif name.startswith("office:anomalies_"):
            value = w["anomaly"].pk
        elif name.startswith("office:learners_"):
            value = w["bob"].pk
        elif name.startswith("accounts:address"):
            value = w["address"].pk
        elif name.startswith("accounts:message"):
            value = w["message"].pk
        elif name.startswith("office:content_"):
            value = w["course"].pk
        elif name.startswith("office:"):
            value = w["suzhou"].pk
        else:
            raise AssertionError(f"{name}: classify its pk in foreign_value")
        return value, name.startswith(OWNED_PK) or name.startswith("orders:invitation")
    raise AssertionError(f"{name}: classify the argument {arg!r} in foreign_value")


# Signing out would end the walk's own session; it is open to everyone anyway.
SIGN_OUT = {"accounts:logout", "office:logout"}


def walk(w):
    """(name, url, owned) for every project pattern outside the Django admin and the sign-outs, with bob's objects
    filled in."""
    for name, item, prefix, args in patterns():
        if (name or "").startswith("admin:") or prefix.startswith(("admin/", "^admin/")) or name in SIGN_OUT:
            continue
        values = {arg: foreign_value(name, arg, w) for arg in args}
        yield (
            name,
            url_for(name, item, prefix, {a: v for a, (v, _) in values.items()}),
            any(owned for _, owned in values.values()),
        )


def password_only(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_req_6_password_only_staff_get_nothing_but_the_sign_in_steps(world, role):
    user = make_staff(f"pw-{role}", role, "320100" if role == Role.CITY else None)
    client = password_only(user)
    opened = []
    for name, url, _owned in walk(world):
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if response.status_code == 200 and name not in SIGN_IN_STEPS:
                opened.append(f"{method.upper()} {url} ({name})")
            if response.status_code == 302:
                assert response["Location"].startswith(("/office/otp/", "/office/login/", "/office/")), url
    assert not opened, opened
    # The Django admin too (its own catch-all included).
    for url in ("/admin/", "/admin/accounts/user/", f"/admin/accounts/user/{world['bob'].pk}/change/",
                "/admin/audit/auditrecord/"):  # fmt: skip
        assert client.get(url).status_code != 200, url


def test_req_6_a_staff_password_older_than_the_limit_opens_nothing_either(world, settings):
    """Past the second factor but with an expired password: every page but the sign-in steps and 修改密码 waits."""
    user = make_staff("expired", Role.PROVINCE)
    client = staff_client(user)
    user.password_changed_at = timezone.now() - settings.STAFF_PASSWORD_MAX_AGE - timedelta(days=1)
    user.save(update_fields=["password_changed_at"])
    opened = [
        url
        for name, url, _owned in walk(world)
        if name not in SIGN_IN_STEPS | {"office:password_change"} and client.get(url).status_code == 200
    ]
    assert not opened, opened


# Pages of each kind that name one of bob's objects: another city's office / another learner must get 404.
OFFICE_OBJECT_PAGES = {
    "office:declarations_detail", "declarations:attachment", "office:learners_detail", "office:learners_reset_password",
    "office:learners_unlock", "office:learners_city_grade", "office:learners_change_mobile", "office:closures_detail",
    "office:learners_reveal", "office:learners_end_sessions", "office:facetoface_detail", "office:facetoface_edit",
    "office:facetoface_export", "office:facetoface_attendance", "office:facetoface_session_add",
    "office:facetoface_session_delete", "office:facetoface_qr", "office:facetoface_qr_code",
    "office:facetoface_hand_mark", "office:facetoface_settle", "office:learners_study_detail",
    "office:anomalies_detail", "office:anomalies_clear", "office:anomalies_confirm",
}  # fmt: skip


def _denials(url):
    return AuditRecord.objects.filter(event=Event.ACCESS_DENIED, detail__path=url).count()


def _check_foreign(client, w, must_404):
    seen = set()
    for name, url, owned in walk(w):
        if not owned:
            continue
        for method in ("get", "post"):
            before = _denials(url)
            response = getattr(client, method)(url)
            status = response.status_code
            assert status != 200, f"{method.upper()} {url} ({name}) answered 200 with another city's object"
            if status == 404:
                assert _denials(url) > before, f"{method.upper()} {url}: 404 not audited"
                seen.add(name)
            elif name in must_404 and not (method == "get" and status == 405):
                raise AssertionError(f"{method.upper()} {url} ({name}) answered {status}, not 404")
    return seen


def test_req_14_a_city_office_gets_404_and_an_audit_record_for_every_object_of_another_city(world, nanjing_reviewer):
    seen = _check_foreign(staff_client(nanjing_reviewer), world, OFFICE_OBJECT_PAGES)
    assert seen >= OFFICE_OBJECT_PAGES
    # bob's records are untouched.
    world["declaration"].refresh_from_db()
    world["booking"].refresh_from_db()
    assert world["declaration"].status == "pending" and world["booking"].status == "booked"


def test_req_14_a_learner_gets_404_and_an_audit_record_for_every_object_of_another_learner(world, alice):
    client = Client()
    client.force_login(alice)
    learner_pages = {
        name
        for name, _url, owned in walk(world)
        if owned
        and name
        and not name.startswith(
            ("office:finance", "office:learners_", "office:closures_", "office:facetoface_", "office:anomalies_")
        )
        and name not in ("office:declarations_detail", "payments:mockbank")
    }
    seen = _check_foreign(client, world, learner_pages)
    assert learner_pages - seen == set(), learner_pages - seen
    world["order"].refresh_from_db()
    assert world["order"].status == "paid"


@pytest.mark.parametrize("role", [Role.FINANCE, Role.CONTENT, Role.SYSTEM, Role.SECURITY, Role.AUDITOR])
def test_req_14_other_roles_never_get_another_citys_learner_object(world, role):
    """Roles without a city's learners to serve: refused (403/redirect) or 404 — never the object."""
    client = staff_client(make_staff(f"full-{role}", role))
    for name, url, owned in walk(world):
        if owned and not name.startswith("office:finance"):
            assert client.get(url).status_code != 200, (role, url)


def test_the_walk_covers_every_pattern(world):
    """Guard for the walk itself: every project pattern is reached, and the object pages are all classified."""
    names = [name for name, _url, _owned in walk(world)]
    assert len(names) > 100
    assert set(OFFICE_OBJECT_PAGES) <= set(names)
    named = [name for name in names if name]
    assert len(named) == len(set(named)), "two patterns share a name: reverse() would reach only one of them"


# Pages anyone may open, signed in or not: the portal, public certificate verification, the sign-in and recovery
# pages, the gateways' notifications and the development bank.
PUBLIC = ("portal:", "certificates:verify", "accounts:login", "accounts:register", "accounts:password_reset",
          "accounts:send_code", "payments:notify", "payments:mockbank", "captcha-", "dev_outbox")  # fmt: skip
# Learner pages that reviewers in scope open too (a claim's attachment).
SHARED = ("declarations:attachment",)


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_req_16_learner_pages_are_learner_only_for_every_staff_role(world, role):
    """Fully signed in, a staff account opens no learner page (its own 账号设置 included): each sends it back to the
    back office or refuses it."""
    client = staff_client(make_staff(f"only-{role}", role, "320100" if role == Role.CITY else None))
    opened = [
        url
        for name, url, _owned in walk(world)
        if name
        and not name.startswith(PUBLIC + SHARED)
        and not url.startswith("/office/")
        and client.get(url).status_code == 200
    ]
    assert not opened, opened
