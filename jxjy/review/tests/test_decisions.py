"""学习异常 decisions through the office's pages (issue 16 item 2): 确认违规 reverses exactly the flag's learner's
entries, once, whoever asks twice; it revokes the certificate only when the year falls below 合格; 已核实正常
changes nothing; both are audited; the learner is told by 站内消息 only of a confirmed flag."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from conftest import make_staff, staff_client
from jxjy.accounts.models import Message, Role, User
from jxjy.audit.models import AuditRecord, Event
from jxjy.certificates.models import Certificate, CertificateStatus
from jxjy.certificates.services import HOURS_REVERSED, issue_certificate
from jxjy.certificates.tests.helpers import enroll, give_hours, sit_exam
from jxjy.credits.models import CreditEntry
from jxjy.lib.errors import UserError
from jxjy.review import decisions
from jxjy.review.models import Anomaly, Rule, Status

from .helpers import clear_url, confirm, confirm_url, detail_url, entry, flag, reversals

pytestmark = pytest.mark.django_db

NOTE = "核对播放记录，整夜无人值守挂机"


@pytest.fixture
def nanjing(nanjing_reviewer):
    return staff_client(nanjing_reviewer)


def total(user, year=2026):
    return CreditEntry.objects.filter(user=user, year=year).aggregate(s=Sum("hours"))["s"] or Decimal("0")


def test_confirm_reverses_exactly_the_flags_entries_of_its_own_learner(nanjing, nanjing_reviewer, alice, bob):
    flagged_public = entry(alice, "2.5", category="public")
    flagged_professional = entry(alice, 3, category="professional", year=2025)
    kept = entry(alice, 5, category="public")  # the learner's other hours: untouched
    bobs = entry(bob, 4)  # another learner's entry listed by mistake: never reversed
    earlier_reversal = entry(alice, -1, category="public")  # no positive hours: nothing to take
    anomaly = flag(alice, [flagged_public, flagged_professional, bobs, earlier_reversal])

    response = confirm(nanjing, anomaly)

    assert response.status_code == 302
    rows = {r.source_id: r for r in reversals()}
    assert set(rows) == {f"anomaly-entry:{flagged_public.pk}", f"anomaly-entry:{flagged_professional.pk}"}
    first, second = rows[f"anomaly-entry:{flagged_public.pk}"], rows[f"anomaly-entry:{flagged_professional.pk}"]
    assert (first.user, first.year, first.category, first.hours) == (alice, 2026, "public", Decimal("-2.5"))
    assert (second.user, second.year, second.category, second.hours) == (alice, 2025, "professional", Decimal("-3"))
    assert first.note == "学习异常核查确认违规：一天计时超过10学时"
    assert total(alice, 2026) == Decimal("5") - 1 and total(alice, 2025) == 0
    assert total(bob) == Decimal("4") and not reversals(bob).exists()
    assert CreditEntry.objects.filter(pk=kept.pk, hours=5).exists()
    anomaly.refresh_from_db()
    assert anomaly.status == Status.CONFIRMED and anomaly.decided_by == nanjing_reviewer and anomaly.note == NOTE
    audit = AuditRecord.objects.get(event=Event.ANOMALY_CONFIRM)
    assert audit.actor == nanjing_reviewer and audit.object_id == str(anomaly.pk)
    assert Decimal(audit.detail["reversed_hours"]) == Decimal("5.5")
    assert sorted(audit.detail["entries"]) == sorted([flagged_public.pk, flagged_professional.pk])
    page = nanjing.get(detail_url(anomaly)).content.decode()
    assert "已冲销的学时" in page and NOTE in page


def test_confirm_twice_is_refused_and_takes_nothing_more(nanjing, alice):
    anomaly = flag(alice, [entry(alice, 2)])
    confirm(nanjing, anomaly)
    again = confirm(nanjing, anomaly, note="再点一次")
    assert again.status_code == 302
    assert "已经确认违规，未重复处理" in nanjing.get(detail_url(anomaly)).content.decode()
    assert reversals(alice).count() == 1 and total(alice) == 0
    assert AuditRecord.objects.filter(event=Event.ANOMALY_CONFIRM).count() == 1
    assert Message.objects.filter(learner=alice).count() == 1
    anomaly.refresh_from_db()
    assert anomaly.note == NOTE  # the first decision stands


def test_a_decided_flag_cannot_be_decided_the_other_way(nanjing, alice):
    confirmed = flag(alice, [entry(alice, 2)])
    confirm(nanjing, confirmed)
    response = nanjing.post(clear_url(confirmed), {"note": "改为正常"}, follow=True)
    assert "不能再改" in response.content.decode()
    cleared = flag(alice, [entry(alice, 3)])
    nanjing.post(clear_url(cleared), {"note": "单位集中培训，已核实"})
    confirm(nanjing, cleared)
    assert [a.status for a in Anomaly.objects.order_by("pk")] == [Status.CONFIRMED, Status.CLEARED]
    assert reversals(alice).count() == 1 and total(alice) == 3


def test_a_second_flag_naming_the_same_entry_does_not_reverse_it_again(nanjing, alice):
    shared, own = entry(alice, 2), entry(alice, "1.5")
    first = flag(alice, [shared], rule=Rule.LONG_DAY)
    second = flag(alice, [shared, own], rule=Rule.ALL_NIGHT)
    page = nanjing.get(detail_url(second)).content.decode()
    assert "合计冲销 <strong>3.5</strong> 学时" in page  # before: both still to reverse
    confirm(nanjing, first)
    page = nanjing.get(detail_url(second)).content.decode()
    assert "合计冲销 <strong>1.5</strong> 学时" in page and "已冲销" in page
    confirm(nanjing, second)
    assert sorted(r.source_id for r in reversals(alice)) == sorted(
        [f"anomaly-entry:{shared.pk}", f"anomaly-entry:{own.pk}"]
    )
    assert total(alice) == 0
    audits = AuditRecord.objects.filter(event=Event.ANOMALY_CONFIRM).order_by("pk")
    assert [Decimal(a.detail["reversed_hours"]) for a in audits] == [Decimal("2"), Decimal("1.5")]
    assert "共 1.5 学时" in Message.objects.filter(learner=alice).order_by("pk").last().body


@pytest.fixture
def certified(alice, catalog):
    """alice's 2026 year 合格 (16 / 24 / 8 and the exam passed) with a live certificate."""
    enrollment = enroll(alice, catalog[(2026, "L4")])
    give_hours(alice, public=12, professional=24, elective=8)
    sit_exam(enrollment, 85)
    return enrollment


@pytest.mark.parametrize("extra_public, revoked", [(0, True), (4, False)])
def test_certificate_revoked_only_when_the_year_falls_below_qualified(nanjing, alice, certified, extra_public, revoked):
    """Twins: the flag takes 4 public hours; with 16 public the year falls to 12 (revoked), with 20 it stays 合格."""
    flagged = entry(alice, 4, category="public")
    if extra_public:
        entry(alice, extra_public, category="public")
    certificate = issue_certificate(user=alice, year=2026)
    confirm(nanjing, flag(alice, [flagged]))
    certificate.refresh_from_db()
    assert reversals(alice).get().hours == -4
    if revoked:
        assert certificate.status == CertificateStatus.REVOKED and certificate.revoke_reason == HOURS_REVERSED
        assert AuditRecord.objects.get(event=Event.ANOMALY_CONFIRM).detail["revoked"] == [certificate.number]
        assert "证书已撤销" in Message.objects.get(learner=alice).body
    else:
        assert certificate.status == CertificateStatus.ISSUED
        assert AuditRecord.objects.get(event=Event.ANOMALY_CONFIRM).detail["revoked"] == []
        assert not AuditRecord.objects.filter(event=Event.CERTIFICATE_REVOKE).exists()
        assert "证书" not in Message.objects.get(learner=alice).body
    assert Certificate.objects.filter(user=alice).count() == 1


def test_clear_changes_nothing_in_the_ledger_and_tells_the_learner_nothing(nanjing, nanjing_reviewer, alice):
    flagged = entry(alice, 2)
    anomaly = flag(alice, [flagged])
    before = list(CreditEntry.objects.order_by("pk").values_list("pk", "hours"))
    response = nanjing.post(clear_url(anomaly), {"note": "单位集中培训，已核实"}, follow=True)
    assert "已核实正常" in response.content.decode()
    assert list(CreditEntry.objects.order_by("pk").values_list("pk", "hours")) == before
    anomaly.refresh_from_db()
    assert anomaly.status == Status.CLEARED and anomaly.decided_by == nanjing_reviewer
    audit = AuditRecord.objects.get(event=Event.ANOMALY_CLEAR)
    assert audit.actor == nanjing_reviewer and audit.object_id == str(anomaly.pk)
    assert not Message.objects.filter(learner=alice).exists()
    assert User.objects.get(pk=alice.pk).unread_messages == 0


def test_confirm_needs_a_note_and_asks_again_first(nanjing, alice):
    anomaly = flag(alice, [entry(alice, 2), entry(alice, 1)])
    blank = nanjing.post(confirm_url(anomaly), {"note": "  ", "sure": "1"})
    assert blank.status_code == 400 and "请填写核查意见" in blank.content.decode()
    first_step = nanjing.post(confirm_url(anomaly), {"note": NOTE})
    page = first_step.content.decode()
    assert first_step.status_code == 200 and "冲销该学员 <strong>3</strong> 学时" in page and "确认后不能撤回" in page
    anomaly.refresh_from_db()
    assert anomaly.status == Status.PENDING and not reversals().exists()
    assert not AuditRecord.objects.filter(event=Event.ANOMALY_CONFIRM).exists()


def test_the_learner_is_told_in_plain_words(nanjing, alice):
    anomaly = flag(alice, [entry(alice, "2.5"), entry(alice, 1)])
    confirm(nanjing, anomaly)
    message = Message.objects.get(learner=alice)
    assert message.title == "学习异常核查结果通知"
    assert "12月5日" in message.body and "一天计时超过10学时" in message.body
    assert "扣减相关学时共 3.5 学时" in message.body
    assert "如有疑问，请联系所在地市工考办" in message.body and "/contact/" in message.body
    assert alice.id_number not in message.body
    assert User.objects.get(pk=alice.pk).unread_messages == 1


def test_only_the_learners_city_office_or_the_province_may_decide(alice, suzhou_reviewer, province_admin):
    anomaly = flag(alice, [entry(alice, 2)])
    for staff in (suzhou_reviewer, make_staff("fin", Role.FINANCE), make_staff("aud", Role.AUDITOR)):
        with pytest.raises(UserError) as refused:
            decisions.confirm(anomaly, staff=staff, note=NOTE)
        assert refused.value.status == 404
        with pytest.raises(UserError):
            decisions.clear(anomaly, staff=staff)
    assert not reversals().exists() and Anomaly.objects.get().status == Status.PENDING
    outcome = decisions.confirm(anomaly, staff=province_admin, note=NOTE)
    assert outcome.moved and outcome.reversed_hours == 2 and reversals(alice).count() == 1


@pytest.mark.parametrize("other_pass, revoked", [(False, True), (True, False)], ids=["only-pass", "another-pass"])
def test_a_voided_exam_revokes_the_certificate_only_if_the_year_is_no_longer_qualified(
    nanjing, alice, catalog, other_pass, revoked
):
    """A flag naming an exam attempt (考试用时过短): 确认违规 voids it (jxjy.exams.voiding) and checks the year again —
    without its only pass the year is not 合格 and the certificate goes; with another pass it stays. No hours move."""
    enrollment = enroll(alice, catalog[(2026, "L4")])
    give_hours(alice, public=16, professional=24, elective=8)
    if other_pass:
        sit_exam(enrollment, 70)
    fast = sit_exam(enrollment, 95)
    certificate = issue_certificate(user=alice, year=2026)
    hours_before = total(alice)
    anomaly = flag(alice, rule=Rule.FAST_EXAM, attempts=[fast.pk])
    assert "确认违规将作废以下考试成绩" in nanjing.get(detail_url(anomaly)).content.decode()
    confirm(nanjing, anomaly)
    fast.refresh_from_db()
    certificate.refresh_from_db()
    assert fast.status == "voided" and not fast.passed
    assert total(alice) == hours_before and not reversals().exists()
    audit = AuditRecord.objects.get(event=Event.ANOMALY_CONFIRM)
    assert audit.detail["attempts"] == [fast.pk] and audit.detail["reversed_hours"] == "0"
    body = Message.objects.get(learner=alice).body
    assert "相关的 1 次考试成绩已作废" in body and "扣减" not in body
    assert (certificate.status == CertificateStatus.REVOKED) is revoked
    assert ("证书已撤销" in body) is revoked
