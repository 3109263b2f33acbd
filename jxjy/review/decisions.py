"""The city office's decision on a 学习异常 flag: 已核实正常 (nothing changes but the flag) or 确认违规, which takes
back exactly what the flag names — its learner's hours (new 冲销 entries in the ledger, never an edit) and exam
attempts (成绩作废) — revokes a certificate whose year is no longer 合格, and tells the learner by 站内消息.

Both go through `jxjy.lib.states.move`: the flag's row is locked, so two staff deciding at once decide once (the
second finds it decided: quiet when it wants the same outcome, refused when the other), and the work of 确认违规
runs inside the move, once the move is known to be legal, and is reported in the move's one audit record. A
reversal's source is keyed by the entry it reverses (`anomaly-entry:<id>`), so an entry named by two flags is
reversed once. Only the province or the office of the learner's own city may decide."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from jxjy.accounts.models import Message
from jxjy.accounts.permissions import in_scope
from jxjy.audit.models import Event
from jxjy.certificates.models import Certificate, CertificateStatus
from jxjy.certificates.services import EXAM_VOIDED, HOURS_REVERSED, revoke_if_no_longer_qualified
from jxjy.credits.models import CreditEntry, CreditSource
from jxjy.credits.services import post_entry
from jxjy.exams.models import ExamAttempt
from jxjy.exams.voiding import void_attempt
from jxjy.lib.errors import UserError
from jxjy.lib.hours import hours as hours_text
from jxjy.lib.states import move

from .models import Anomaly, Rule, Status

REVERSAL_PREFIX = "anomaly-entry:"
NOTE_REQUIRED = "请填写核查意见：确认违规的依据（学员会收到扣减学时的通知）。"
NOT_YOURS = "该学员不属于本单位的核查范围。"
DECIDED = "这条学习异常已是“{state}”，不能再改。"
MESSAGE_TITLE = "学习异常核查结果通知"
EXAM_RULES = {Rule.SIMILAR_SHEETS, Rule.FAST_EXAM}


def reversal_source_id(entry_id: int) -> str:
    """The ledger key of the 冲销 of entry `entry_id`: one reversal per entry, whichever flag asks."""
    return f"{REVERSAL_PREFIX}{entry_id}"


def _check(anomaly, staff) -> None:
    """The province decides any flag; a city office only its own city's learners' (the learner's 所属地市 now)."""
    if not in_scope(staff, anomaly.user):
        raise UserError(NOT_YOURS, status=404)


@dataclass
class Outcome:
    """What a decision did. `moved` is False when the flag already had this outcome (a second click, another
    staff member first): nothing was done again."""

    anomaly: Anomaly
    moved: bool
    reversed_hours: Decimal = Decimal("0")
    reversed_entries: list = field(default_factory=list)
    voided_attempts: list = field(default_factory=list)
    revoked: list = field(default_factory=list)  # numbers of the certificates revoked


def clear(anomaly, *, staff, note: str = "") -> Outcome:
    """已核实正常: the flag is closed and nothing else changes (the ledger, the attempts, the learner's pages)."""
    _check(anomaly, staff)
    locked, before = move(
        anomaly,
        Status.CLEARED,
        event=Event.ANOMALY_CLEAR,
        actor=staff,
        message=DECIDED,
        detail={"rule": anomaly.rule, "learner": anomaly.user_id, "day": anomaly.day.isoformat()},
        decided_at=timezone.now(),
        decided_by=staff,
        note=note.strip()[:500],
    )
    return Outcome(locked, moved=before is not None)


def confirm(anomaly, *, staff, note: str) -> Outcome:
    """确认违规 (a note required): in one transaction, reverse each of the flag's entries that is its learner's and
    still positive, void each of its attempts, revoke each affected year's certificate that is no longer 合格, tell
    the learner; one audit record with the reversed total."""
    note = note.strip()
    if not note:
        raise UserError(NOTE_REQUIRED, field="note")
    _check(anomaly, staff)
    outcome = Outcome(anomaly, moved=False)

    def take_back(locked) -> dict:
        _take_back(locked, staff, outcome)
        _tell_learner(locked, outcome)
        return {
            "rule": locked.rule,
            "learner": locked.user_id,
            "day": locked.day.isoformat(),
            "reversed_hours": str(outcome.reversed_hours),
            "entries": outcome.reversed_entries,
            "attempts": outcome.voided_attempts,
            "revoked": outcome.revoked,
        }

    locked, before = move(
        anomaly,
        Status.CONFIRMED,
        event=Event.ANOMALY_CONFIRM,
        actor=staff,
        message=DECIDED,
        detail=take_back,
        decided_at=timezone.now(),
        decided_by=staff,
        note=note[:500],
    )
    outcome.anomaly, outcome.moved = locked, before is not None
    return outcome


def entries_to_reverse(anomaly):
    """The flag's entries a 确认违规 may reverse: its own learner's, with hours to take (an id of another learner's
    entry, listed by mistake, is never touched)."""
    return CreditEntry.objects.filter(pk__in=anomaly.entries, user_id=anomaly.user_id, hours__gt=0).order_by("pk")


def attempts_to_void(anomaly):
    return ExamAttempt.objects.filter(pk__in=anomaly.attempts, user_id=anomaly.user_id).order_by("pk")


def already_reversed(entry_ids) -> set[int]:
    """Of these entries, those a 确认违规 (of any flag) has reversed already."""
    keys = CreditEntry.objects.filter(
        source=CreditSource.REVERSAL, source_id__in=[reversal_source_id(pk) for pk in entry_ids]
    ).values_list("source_id", flat=True)
    return {int(key.removeprefix(REVERSAL_PREFIX)) for key in keys}


@dataclass
class Preview:
    """What a 确认违规 of the flag would take back now, for the desk: its learner's entries it names, each with
    whether a 确认违规 has reversed it already, the hours still to reverse, and the attempts to void."""

    entries: list  # [(CreditEntry, reversed already?)]
    total: Decimal
    attempts: list

    @property
    def reversed_before(self) -> bool:
        return any(done for _, done in self.entries)


def preview(anomaly) -> Preview:
    entries = list(entries_to_reverse(anomaly))
    done = already_reversed([entry.pk for entry in entries])
    total = sum((entry.hours for entry in entries if entry.pk not in done), Decimal("0"))
    attempts = list(attempts_to_void(anomaly).select_related("enrollment__training_class"))
    return Preview([(entry, entry.pk in done) for entry in entries], total, attempts)


def _take_back(locked, staff, outcome: Outcome) -> None:
    """Reverse, void, revoke (inside the move's transaction, the flag locked)."""
    learner = locked.user
    live = dict(Certificate.objects.filter(user=learner, status=CertificateStatus.ISSUED).values_list("pk", "number"))
    years, exam_years = set(), set()
    note = f"学习异常核查确认违规：{locked.get_rule_display()}"[:200]
    for entry in entries_to_reverse(locked):
        posted = post_entry(
            user=learner,
            year=entry.year,
            category=entry.category,
            hours=-entry.hours,
            source=CreditSource.REVERSAL,
            source_id=reversal_source_id(entry.pk),
            note=note,
        )
        if posted:  # False: another flag's 确认违规 reversed this entry already
            outcome.reversed_hours += entry.hours
            outcome.reversed_entries.append(entry.pk)
            years.add(entry.year)
    for attempt in attempts_to_void(locked).select_related("enrollment__training_class__year"):
        if void_attempt(attempt, actor=staff, reason=note):
            outcome.voided_attempts.append(attempt.pk)
            exam_years.add(attempt.enrollment.training_class.year.year)
    for year in sorted(years | exam_years):
        # The ledger's own receiver has revoked on each negative entry already; this also covers a voided exam.
        reason = EXAM_VOIDED if year not in years else HOURS_REVERSED
        revoke_if_no_longer_qualified(user=learner, year=year, actor=staff, reason=reason)
    gone = Certificate.objects.filter(pk__in=live, status=CertificateStatus.REVOKED).values_list("pk", flat=True)
    outcome.revoked = sorted(live[pk] for pk in gone)


def contact_link() -> str:
    """Where the learner finds their city office's telephone: the 联系我们 page (a full address when the site's
    public address is configured)."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("portal:contact")


def _tell_learner(locked, outcome: Outcome) -> None:
    """The 站内消息: what was found, what was taken, where to ask."""
    found = f"{locked.day.month}月{locked.day.day}日"
    what = "考试记录" if locked.rule in EXAM_RULES else "学习记录"
    lines = [
        f"{locked.user.name}您好：",
        f"经工考办核查，您{found}的{what}存在异常（{locked.get_rule_display()}），已确认不符合要求。",
    ]
    if outcome.reversed_hours:
        lines.append(f"已按规定扣减相关学时共 {hours_text(outcome.reversed_hours)} 学时，可在“学习记录”中查看。")
    if outcome.voided_attempts:
        lines.append(f"相关的 {len(outcome.voided_attempts)} 次考试成绩已作废。")
    if outcome.revoked:
        lines.append("因此该年度不再合格，已打印的继续教育证书已撤销；重新达到合格后可以再打印。")
    lines.append(f"如有疑问，请联系所在地市工考办（联系电话见“联系我们”：{contact_link()}）。")
    Message.send([Message(learner_id=locked.user_id, title=MESSAGE_TITLE, body="\n".join(lines))])
