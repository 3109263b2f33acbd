"""学习提醒: the city office (or the province) reminds its learners who are behind, by SMS and 站内消息.

Two rules (RULES): 进度低于 50% 且距学习截止不足 30 天 (the yearly standing of a live enrollment, read with
credits.standing's SQL form, so one statement covers any number of learners), and 有待支付订单. A learner is
reminded at most once per REMINDER_INTERVAL: the rule's statement leaves out anyone reminded in the interval, and
`create_reminders` checks again with the learners' rows locked, so two sends at once cannot both remind one
learner. Each reminder is a 站内消息 (accounts.Message, kind 学习提醒); its SMS goes through the SMS back end in
batches from a Celery task (office.tasks), which checks a third time before sending. The scope is a city (a 市工考办
its own) or None (the province: every city). One audit record per send action, with the count, never a number."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Case, Exists, F, OuterRef, Value, When
from django.utils import timezone

from jxjy.accounts.models import Message, MessageKind, Role, User
from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.credits import standing
from jxjy.learning.models import Enrollment
from jxjy.orders.models import Order, OrderStatus

REMINDER_INTERVAL = timedelta(days=7)
BATCH = 500  # learners locked and written per transaction; SMS messages per task
SIGNATURE = "【工勤继续教育】"
NAME = "{name}"


@dataclass(frozen=True, slots=True)
class Rule:
    key: str
    label: str
    title: str
    text: str  # NAME is the learner's name


# Each text with the signature stays within one 70-character SMS for a name of up to 4 characters.
BEHIND_PERCENT = 50
BEHIND_DAYS = 30
RULES = {
    rule.key: rule
    for rule in (
        Rule(
            "behind",
            f"学习进度低于 {BEHIND_PERCENT}%，离学习截止不到 {BEHIND_DAYS} 天",
            "学习提醒：请抓紧时间学习",
            f"{NAME}您好：您本年度网络班的学习进度还不到一半，离学习截止不到 {BEHIND_DAYS} 天。"
            "请尽快登录平台，在学员中心进班学习。",
        ),
        Rule(
            "unpaid",
            "有待支付的订单",
            "缴费提醒：您有订单还没有支付",
            f"{NAME}您好：您有网络班订单还没有支付，付款后才能开始学习。请尽快登录平台，在学员中心“我的订单”里付款。",
        ),
    )
}


def render_text(rule: Rule, name: str) -> str:
    return rule.text.replace(NAME, name)


def sms_text(body: str) -> str:
    return SIGNATURE + body


def _recently_reminded(learner_path: str, now):
    return Exists(
        Message.objects.filter(
            learner=OuterRef(learner_path), kind=MessageKind.REMINDER, created_at__gt=now - REMINDER_INTERVAL
        )
    )


def _learners(city):
    learners = User.objects.filter(role=Role.LEARNER, is_active=True)
    return learners.filter(city_id=city) if city else learners


def _has_mobile(path: str):
    return Case(When(**{f"{path}mobile_verified_at__isnull": False}, then=Value(1)), default=Value(0))


def eligible_sql(rule_key: str, city, now) -> tuple[str, list]:
    """One statement (and its parameters) with a row per learner the rule reminds in `city` (None: every city):
    `learner` and `has_mobile` (1 when an SMS can reach them)."""
    if rule_key == "behind":
        enrollments = Enrollment.objects.live().filter(
            user__in=_learners(city),
            training_class__study_deadline__gt=now,
            training_class__study_deadline__lte=now + timedelta(days=BEHIND_DAYS),
        )
        enrollments = enrollments.exclude(_recently_reminded("user", now))
        rows, params = standing.standing_sql(
            enrollments, user="user", **standing.class_rule("training_class"), has_mobile=_has_mobile("user__")
        )
        sql = f"SELECT DISTINCT learner, has_mobile FROM ({rows}) p WHERE percent < %s"  # noqa: S608 - parameters
        return sql, [*params, BEHIND_PERCENT]
    if rule_key == "unpaid":
        unpaid = Order.objects.filter(user=OuterRef("pk"), status=OrderStatus.PENDING, expires_at__gt=now)
        learners = _learners(city).filter(Exists(unpaid)).exclude(_recently_reminded("pk", now))
        learners = learners.annotate(learner=F("pk"), has_mobile=_has_mobile("")).values("learner", "has_mobile")
        sql, params = learners.query.sql_with_params()
        return sql, list(params)
    raise KeyError(rule_key)


@dataclass(frozen=True, slots=True)
class Preview:
    rule: Rule
    count: int
    by_sms: int
    example: str  # the text as one learner gets it, or the text with a stand-in name when nobody is due


def preview(rule_key: str, city, now=None) -> Preview:
    """The count and the text, in two statements whatever the number of learners."""
    now = now or timezone.now()
    rule = RULES[rule_key]
    sql, params = eligible_sql(rule_key, city, now)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*), SUM(has_mobile), MIN(learner) FROM ({sql}) e", params)  # noqa: S608
        count, by_sms, first = cursor.fetchone()
    name = User.objects.filter(pk=first).values_list("name", flat=True).first() if first else None
    return Preview(rule, count, int(by_sms or 0), render_text(rule, name or "张三"))


def _eligible_ids(rule_key: str, city, now) -> list[int]:
    sql, params = eligible_sql(rule_key, city, now)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT learner FROM ({sql}) e ORDER BY learner", params)  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


def create_reminders(rule_key: str, city, *, actor_id: int | None = None, now=None) -> list[int]:
    """Remind every learner the rule finds now: a 站内消息 each (in batches, the learners' rows locked and the
    interval checked again under the lock), then one audit record with the count. Returns the new messages' ids,
    whose SMS `office.tasks.send_reminder_sms` sends."""
    now = now or timezone.now()
    rule = RULES[rule_key]
    ids = _eligible_ids(rule_key, city, now)
    created: list[int] = []
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        with transaction.atomic():
            # Lock first, then read the reminders in a new statement: it sees a send that committed meanwhile.
            locked = list(
                User.objects.select_for_update().filter(pk__in=batch).order_by("pk").values_list("pk", "name")
            )
            recent = set(
                Message.objects.filter(
                    learner__in=batch, kind=MessageKind.REMINDER, created_at__gt=now - REMINDER_INTERVAL
                ).values_list("learner_id", flat=True)
            )
            messages = [
                Message(learner_id=pk, kind=MessageKind.REMINDER, title=rule.title, body=render_text(rule, name))
                for pk, name in locked
                if pk not in recent
            ]
            created += [m.pk for m in Message.send(messages)]
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    record(Event.REMINDER_SEND, actor=actor, rule=rule_key, city=city or "全省", count=len(created))
    return created


def due_for_sms(message_ids, now=None) -> list[Message]:
    """Of these reminders, the ones whose SMS may go now: not sent yet, a verified mobile, and no other reminder
    SMS to the learner in the interval. Call inside a transaction: the rows are locked until it ends."""
    now = now or timezone.now()
    messages = list(
        Message.objects.select_for_update(of=("self",))
        .select_related("learner")
        .filter(pk__in=message_ids, kind=MessageKind.REMINDER, sms_sent_at__isnull=True)
        .order_by("pk")
    )
    learners = [m.learner_id for m in messages]
    texted = set(
        Message.objects.filter(
            learner__in=learners, kind=MessageKind.REMINDER, sms_sent_at__gt=now - REMINDER_INTERVAL
        ).values_list("learner_id", flat=True)
    )
    due, seen = [], set()
    for message in messages:
        learner = message.learner
        if learner.pk in texted or learner.pk in seen or not (learner.mobile and learner.mobile_verified_at):
            continue
        seen.add(learner.pk)
        due.append(message)
    return due
