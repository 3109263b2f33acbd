"""学习提醒 (office.reminders): who a rule reaches (with the honest twins: 51 %, 31 days, another city), the 7-day
limit (in the rule's statement, under the lock, and in the SMS task), the city scope, the audit record, the SMS
outbox, the learner's 站内消息 and its unread count, and the preview's cost at 50 and 500 learners."""

import itertools
import re
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import make_learner, staff_client
from jxjy.accounts.models import Message, MessageKind, User
from jxjy.audit.models import AuditRecord, Event
from jxjy.credits.services import post_entry
from jxjy.office import reminders, tasks
from jxjy.orders import services as orders
from jxjy.orders.models import Order, OrderStatus

NANJING, SUZHOU = "320100", "320500"
HOME = reverse("office:reminders_home")
SEND = reverse("office:reminders_send")
_people = itertools.count(1)
_entries = itertools.count(1)


def learner(city=NANJING, *, mobile=True, grade="L4"):
    n = next(_people)
    first17 = f"{city}{1960 + n % 40}0101{n % 1000:03d}"
    return make_learner(f"学员{n}", first17, f"137{n:08d}" if mobile else None, city=city, grade=grade)


def enrol(user, training_class, hours=0):
    """A paid class with `hours` of 公共课+专业课 (the class requires 100: the hours are the percent)."""
    placed = orders.place_order(user=user, class_ids=[training_class.pk], invoice={"invoice_type": "none"})
    orders.transition(placed, OrderStatus.PAID)
    for category, value in (("public", min(hours, 40)), ("professional", max(hours - 40, 0))):
        if value:
            post_entry(user=user, year=training_class.year_id, category=category, hours=Decimal(value),
                       source="online", source_id=f"reminder-test-{next(_entries)}")  # fmt: skip
    return placed


@pytest.fixture
def classes(catalog):
    """2026 中级工 ends in 20 days, 2026 高级工 in 31 days (the twin); each requires 40 + 40 + 20 学时."""
    now = timezone.now()
    due = catalog[(2026, "L4")]
    later = catalog[(2026, "L3")]
    for training_class, days in ((due, 20), (later, 31)):
        training_class.study_deadline = now + timedelta(days=days)
        training_class.public_hours, training_class.professional_hours, training_class.elective_hours = 40, 40, 20
        training_class.save()
    return due, later


@pytest.fixture
def behind(classes):
    """Who the 进度 rule reaches in 南京: `slow` (49 %, mobile) and `no_phone` (10 %, no mobile). Not: `half` (50 %),
    `ahead` (51 %), `later` (49 % but 31 days left), `refunded` (49 %, class refunded). 苏州: `elsewhere` (49 %)."""
    due, later_class = classes
    people = {
        "slow": learner(),
        "no_phone": learner(mobile=False),
        "half": learner(),
        "ahead": learner(),
        "later": learner(grade="L3"),
        "refunded": learner(),
        "elsewhere": learner(SUZHOU),
    }
    for key, hours in (("slow", 49), ("no_phone", 10), ("half", 50), ("ahead", 51), ("elsewhere", 49)):
        enrol(people[key], due, hours)
    enrol(people["later"], later_class, 49)
    orders.transition(enrol(people["refunded"], due, 49), OrderStatus.REFUNDED)
    return people


def preview(client, **query):
    response = client.get(HOME, query)
    assert response.status_code == 200
    html = response.content.decode()
    count = int(re.search(r"<strong data-count>(\d+)</strong>", html).group(1))
    by_sms = int(re.search(r"<strong data-sms>(\d+)</strong>", html).group(1))
    return count, by_sms, html


@pytest.mark.django_db
def test_preview_counts_exactly_the_learners_behind_and_shows_the_text(behind, nanjing_reviewer, province_admin):
    count, by_sms, html = preview(staff_client(nanjing_reviewer), rule="behind")
    assert (count, by_sms) == (2, 1)
    example = reminders.render_text(reminders.RULES["behind"], behind["slow"].name)
    assert reminders.SIGNATURE + example in html  # the exact text, one learner's name filled in
    for person in behind.values():  # no ID number, no mobile on the page
        assert person.id_number not in html and (not person.mobile or person.mobile not in html)
    assert preview(staff_client(province_admin), rule="behind")[:2] == (3, 2)
    assert preview(staff_client(province_admin), rule="behind", city=SUZHOU)[:2] == (1, 1)
    assert not Message.objects.exists() and not AuditRecord.objects.filter(event=Event.REMINDER_SEND).exists()


@pytest.mark.django_db
def test_sending_texts_exactly_the_expected_learners_once_per_seven_days(behind, nanjing_reviewer, outbox):
    client = staff_client(nanjing_reviewer)
    assert client.post(SEND, {"rule": "behind"}).status_code == 302
    slow, no_phone = behind["slow"], behind["no_phone"]
    rule = reminders.RULES["behind"]
    assert [(m.mobile, m.text) for m in outbox] == [
        (slow.mobile, reminders.SIGNATURE + reminders.render_text(rule, slow.name))
    ]
    inbox = Message.objects.filter(kind=MessageKind.REMINDER)
    assert sorted(inbox.values_list("learner_id", flat=True)) == sorted([slow.pk, no_phone.pk])
    assert inbox.get(learner=slow).body == reminders.render_text(rule, slow.name)
    assert inbox.get(learner=slow).sms_sent_at is not None and inbox.get(learner=no_phone).sms_sent_at is None
    audit = AuditRecord.objects.get(event=Event.REMINDER_SEND)
    assert (audit.actor, audit.detail["count"], audit.detail["rule"]) == (nanjing_reviewer, 2, "behind")
    assert slow.mobile not in str(audit.detail) and slow.mobile[-4:] not in str(audit.detail)

    # Again within 7 days: nobody is due, nothing is sent, the action is still recorded (count 0).
    assert preview(client, rule="behind")[:2] == (0, 0)
    client.post(SEND, {"rule": "behind"})
    assert len(outbox) == 1 and inbox.count() == 2
    assert list(AuditRecord.objects.filter(event=Event.REMINDER_SEND).values_list("detail__count", flat=True)) in (
        [2, 0],
        [0, 2],
    )

    # 6 days on: still not; 8 days on: due again.
    inbox.update(created_at=timezone.now() - timedelta(days=6), sms_sent_at=timezone.now() - timedelta(days=6))
    assert preview(client, rule="behind")[:2] == (0, 0)
    inbox.update(created_at=timezone.now() - timedelta(days=8), sms_sent_at=timezone.now() - timedelta(days=8))
    assert preview(client, rule="behind")[:2] == (2, 1)
    client.post(SEND, {"rule": "behind"})
    assert [m.mobile for m in outbox] == [slow.mobile, slow.mobile]


@pytest.mark.django_db
def test_a_city_office_reaches_only_its_own_city(behind, suzhou_reviewer, province_admin, outbox):
    client = staff_client(suzhou_reviewer)
    assert preview(client, rule="behind", city=NANJING)[:2] == (1, 1)  # the city asked for is ignored
    client.post(SEND, {"rule": "behind", "city": NANJING})
    assert [m.mobile for m in outbox] == [behind["elsewhere"].mobile]
    assert list(Message.objects.values_list("learner_id", flat=True)) == [behind["elsewhere"].pk]
    # The province may send to one city or to all.
    staff_client(province_admin).post(SEND, {"rule": "behind", "city": ""})
    assert sorted(m.mobile for m in outbox) == sorted([behind["elsewhere"].mobile, behind["slow"].mobile])


@pytest.mark.django_db
def test_other_roles_and_learners_cannot_send(behind, finance_user, outbox):
    assert staff_client(finance_user).post(SEND, {"rule": "behind"}).status_code == 403
    assert staff_client(finance_user).get(HOME).status_code == 403
    client = Client()
    client.force_login(behind["slow"])
    assert client.post(SEND, {"rule": "behind"}).status_code in (302, 403)
    assert not outbox and not Message.objects.exists()


@pytest.mark.django_db
def test_sending_needs_the_csrf_token(behind, nanjing_reviewer, outbox):
    client = staff_client(nanjing_reviewer)
    client.handler.enforce_csrf_checks = True
    assert client.post(SEND, {"rule": "behind"}).status_code == 403
    assert not outbox and not Message.objects.exists()


@pytest.mark.django_db
def test_unpaid_orders_rule(classes, nanjing_reviewer, outbox):
    due, _ = classes
    unpaid, paid, expired = learner(), learner(), learner()
    orders.place_order(user=unpaid, class_ids=[due.pk], invoice={"invoice_type": "none"})
    enrol(paid, due)
    late = orders.place_order(user=expired, class_ids=[due.pk], invoice={"invoice_type": "none"})
    Order.objects.filter(pk=late.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    client = staff_client(nanjing_reviewer)
    count, by_sms, html = preview(client, rule="unpaid")
    assert (count, by_sms) == (1, 1)
    assert reminders.render_text(reminders.RULES["unpaid"], unpaid.name) in html
    client.post(SEND, {"rule": "unpaid"})
    assert [m.mobile for m in outbox] == [unpaid.mobile]
    assert Message.objects.get().title == reminders.RULES["unpaid"].title


@pytest.mark.django_db
def test_the_learner_sees_the_message_and_the_unread_count_drops(behind, nanjing_reviewer):
    staff_client(nanjing_reviewer).post(SEND, {"rule": "behind"})
    slow = behind["slow"]
    message = Message.objects.get(learner=slow)
    client = Client()
    client.force_login(slow)
    center = client.get(reverse("learning:center")).content.decode()
    assert "1 条未读" in center and reverse("accounts:messages") in center
    listing = client.get(reverse("accounts:messages")).content.decode()
    assert message.title in listing and "未读" in listing
    page = client.get(reverse("accounts:message_detail", args=[message.pk])).content.decode()
    assert message.body in page and "条未读" not in page  # the header already counts it read
    message.refresh_from_db()
    assert message.read_at is not None
    assert User.objects.get(pk=slow.pk).unread_messages == 0
    client.get(reverse("accounts:message_detail", args=[message.pk]))  # opening again counts nothing
    assert User.objects.get(pk=slow.pk).unread_messages == 0
    assert "没有未读消息" in client.get(reverse("learning:center")).content.decode()

    # Another learner cannot open it, and does not see it.
    other = Client()
    other.force_login(behind["ahead"])
    assert other.get(reverse("accounts:message_detail", args=[message.pk])).status_code == 404
    assert message.title not in other.get(reverse("accounts:messages")).content.decode()


@pytest.mark.django_db
def test_the_limit_is_checked_again_under_the_lock_and_in_the_sms_task(behind, monkeypatch, outbox):
    slow = behind["slow"]
    first = reminders.create_reminders("behind", NANJING)
    # A second action whose list was read before the first committed: the locked re-check leaves them out.
    monkeypatch.setattr(reminders, "_eligible_ids", lambda *args: [slow.pk, behind["no_phone"].pk])
    assert reminders.create_reminders("behind", NANJING) == []
    assert Message.objects.count() == 2
    # The SMS task: a batch run twice texts once; a learner texted in the last 7 days is not texted again.
    tasks.send_reminder_sms(first)
    tasks.send_reminder_sms(first)
    assert [m.mobile for m in outbox] == [slow.mobile]
    extra = Message.send([Message(learner=slow, kind=MessageKind.REMINDER, title="t", body="b")])
    tasks.send_reminder_sms([extra[0].pk])
    assert len(outbox) == 1
    # A reminder whose SMS went 8 days ago is not texted a second time when its batch runs again.
    Message.objects.filter(pk__in=first).update(sms_sent_at=timezone.now() - timedelta(days=8))
    Message.objects.filter(pk=extra[0].pk).delete()
    tasks.send_reminder_sms(first)
    assert len(outbox) == 1


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)")
@pytest.mark.django_db(transaction=True)
def test_two_sends_at_once_remind_each_learner_once(behind, monkeypatch, outbox):
    """Both actions read the same list before either wrote (the rule's statement cannot see the other's rows):
    the lock on the learners' rows and the re-check under it leave one reminder each."""
    from jxjy.accounts.tests.test_concurrency import run_parallel

    due = sorted([behind["slow"].pk, behind["no_phone"].pk])
    monkeypatch.setattr(reminders, "_eligible_ids", lambda *args: due)
    send = Message.send.__func__

    def slow_send(cls, messages):  # widen the window between the re-check and the write
        time.sleep(0.3)
        return send(cls, messages)

    monkeypatch.setattr(Message, "send", classmethod(slow_send))
    results = run_parallel([lambda: reminders.create_reminders("behind", NANJING) for _ in range(4)])
    assert sorted(len(r) for r in results) == [0, 0, 0, 2]
    assert sorted(Message.objects.values_list("learner_id", flat=True)) == due
    assert sorted(User.objects.filter(pk__in=due).values_list("unread_messages", flat=True)) == [1, 1]


def crowd(due, n):
    for _ in range(n):
        enrol(learner(), due, 10)


@pytest.mark.django_db
def test_the_preview_costs_the_same_for_50_and_500_learners(classes, nanjing_reviewer):
    due, _ = classes
    client = staff_client(nanjing_reviewer)
    client.get(HOME)  # warm the session and the menu
    counts = []
    for total in (50, 500):
        crowd(due, total - (counts and 50 or 0))
        with CaptureQueriesContext(connection) as queries:
            assert preview(client, rule="behind")[0] == total
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_each_text_fits_one_sms_and_names_no_number():
    for rule in reminders.RULES.values():
        text = reminders.sms_text(reminders.render_text(rule, "欧阳小明"))
        assert len(text) <= 70 and not re.search(r"\d{6,}", text)
