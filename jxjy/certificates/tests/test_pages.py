"""培训证明 and 继续教育档案: what appears, from which figures, and when 打印证书 is allowed."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from jxjy.audit.models import AuditRecord, Event
from jxjy.catalog.models import TrainingYear
from jxjy.certificates.archive import year_record
from jxjy.certificates.models import Certificate, CertificateStatus
from jxjy.certificates.services import REISSUED

from .helpers import enroll, give_hours, sit_exam

pytestmark = pytest.mark.django_db

PROMPT = "请到“继续教育档案”中选择年度打印证书"
TITLE = "2026年度工勤人员继续教育网络班（中级工）"


# --- 培训证明 ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("elective", "score", "shown"),
    [
        ("8", 60, True),  # 100 % and exactly the pass score
        ("8", 100, True),
        ("7.6", 100, False),  # 47.6 / 48 = 99 %
        ("8", 59, False),
        ("8", None, False),  # no exam yet
    ],
)
def test_certificate_appears_only_at_100_percent_and_a_passing_exam(learner, enrolled, elective, score, shown):
    give_hours(enrolled.user, public=16, professional=24, elective=elective)
    if score is not None:
        sit_exam(enrolled, 40)  # a failed first attempt: the best one counts
        sit_exam(enrolled, score)
    html = learner.get(reverse("certificates:list")).content.decode()
    assert (TITLE in html) is shown
    assert (PROMPT in html) is shown
    assert ("暂无培训证明" in html) is not shown


def test_pass_score_is_the_classs_own(learner, enrolled):
    enrolled.training_class.exam_pass_score = 80
    enrolled.training_class.save(update_fields=["exam_pass_score"])
    give_hours(enrolled.user, public=16, professional=24, elective=8)
    sit_exam(enrolled, 75)
    assert TITLE not in learner.get(reverse("certificates:list")).content.decode()
    sit_exam(enrolled, 80)
    assert TITLE in learner.get(reverse("certificates:list")).content.decode()


def test_certificate_picture_prompts_to_print_in_the_archive(learner, qualified):
    html = learner.get(reverse("certificates:list")).content.decode()
    # The picture is the <summary> of a <details> holding the prompt: it works without the script.
    details = re.search(r"<details class=\"cert-prompt\".*?</details>", html, re.S).group(0)
    assert re.search(r"<summary>\s*<img [^>]*alt=\"2026年度培训证明", details)
    assert PROMPT in details
    assert f'href="{reverse("certificates:archive")}?year=2026"' in details
    assert '<dialog class="cert-dialog"' in html and "js/certificates.js" in html


def test_refunded_class_is_not_listed(learner, qualified):
    from jxjy.learning.models import EnrollmentStatus

    type(qualified).objects.filter(pk=qualified.pk).update(status=EnrollmentStatus.REFUNDED)
    assert TITLE not in learner.get(reverse("certificates:list")).content.decode()


def test_menu_links_to_both_pages(learner, enrolled):
    html = learner.get(reverse("learning:center")).content.decode()
    assert f'href="{reverse("certificates:list")}"' in html and f'href="{reverse("certificates:archive")}"' in html
    page = learner.get(reverse("certificates:archive")).content.decode()
    assert re.search(r'href="/certificates/archive/" aria-current="page">继续教育档案', page)


# --- 继续教育档案 ---------------------------------------------------------------------------------------------


def test_archive_figures_come_from_the_ledger_by_source_and_category(learner, enrolled, bob):
    user = enrolled.user
    give_hours(user, source="online", public=10, professional=12, elective=6)
    give_hours(user, source="facetoface", public=6, professional=4)
    give_hours(user, source="declaration", professional=5, elective=1)
    give_hours(user, source="reversal", elective=-2)
    give_hours(user, year=2025, source="online", elective=30)  # another year
    give_hours(bob, source="online", professional=40)  # another learner

    response = learner.get(reverse("certificates:archive"), {"year": 2026})
    record = response.context["record"]
    lines = {c.key: c for c in record.categories}
    assert [label for _, label in record.sources] == ["网络学习", "面授班", "视同申报", "冲销"]
    assert list(lines["public"].cells) == [("网络学习", Decimal("10")), ("面授班", Decimal("6")),
                                           ("视同申报", Decimal("0")), ("冲销", Decimal("0"))]  # fmt: skip
    assert list(lines["professional"].cells) == [("网络学习", 12), ("面授班", 4), ("视同申报", 5), ("冲销", 0)]
    assert list(lines["elective"].cells) == [("网络学习", 6), ("面授班", 0), ("视同申报", 1), ("冲销", -2)]
    assert [c.counted for c in record.categories] == [16, 21, 5]
    assert [c.required for c in record.categories] == [16, 24, 8]
    assert not record.qualified
    html = response.content.decode()
    assert "还差 6 学时（专业课还差 3 学时，选修课还差 3 学时）" in html
    assert "已达标" in html and "2026年度继续教育" in html
    assert re.search(r'<option value="2025"', html) and re.search(r'<option value="2026" selected', html)


def test_declarations_count_only_toward_professional_and_elective_up_to_half_the_professional_requirement(enrolled):
    user = enrolled.user
    give_hours(user, source="online", public=16, professional=4, elective=4)
    give_hours(user, source="declaration", public=3, professional=10, elective=6)
    record = year_record(user, 2026)
    # Cap: 50 % of 24 = 12 — 10 toward 专业课, the remaining 2 toward 选修课; never toward 公共课.
    assert [c.counted for c in record.categories] == [16, 14, 6]
    assert record.declaration_cap == 12 and record.declaration_over_cap


def test_requirement_is_the_online_classs_or_else_the_training_years(enrolled, catalog):
    klass = enrolled.training_class
    klass.public_hours = Decimal("20")
    klass.save(update_fields=["public_hours"])
    assert [c.required for c in year_record(enrolled.user, 2026).categories] == [20, 24, 8]
    TrainingYear.objects.filter(year=2025).update(professional_hours=Decimal("30"))
    record_2025 = year_record(enrolled.user, 2025)  # no class that year: the year's rule, no exam
    assert [c.required for c in record_2025.categories] == [16, 30, 8]
    assert record_2025.enrollment is None and not record_2025.exam_required


def test_year_without_online_class_is_qualified_on_hours_alone(learner, enrolled):
    give_hours(enrolled.user, year=2025, source="facetoface", public=16, professional=24, elective=8)
    response = learner.get(reverse("certificates:archive"), {"year": 2025})
    assert response.context["record"].qualified
    assert "本年度无需考试" in response.content.decode()


def test_print_button_disabled_with_the_reason(learner, enrolled):
    give_hours(enrolled.user, public=16, professional=24, elective=5)
    html = learner.get(reverse("certificates:archive"), {"year": 2026}).content.decode()
    assert re.search(r'<button class="btn btn-large" type="button" disabled[^>]*>打印证书</button>', html)
    assert "还差 3 学时" in html and "考试未通过：尚未参加考试" in html
    assert reverse("certificates:print") not in html

    give_hours(enrolled.user, elective=3)
    sit_exam(enrolled, 55)
    html = learner.get(reverse("certificates:archive"), {"year": 2026}).content.decode()
    assert "还差" not in html and "考试未通过：最高 55 分，60 分合格" in html
    assert "未完成（本年度进行中）" in html and "不合格" not in html  # the year runs until the class's deadline

    sit_exam(enrolled, 70)
    html = learner.get(reverse("certificates:archive"), {"year": 2026}).content.decode()
    assert re.search(r'<button class="btn btn-large" type="submit">打印证书</button>', html)
    assert "考试合格" in html and "disabled" not in html


@pytest.mark.parametrize("what", ["hours", "exam"])
def test_print_refused_and_nothing_created_when_not_qualified(learner, enrolled, what):
    give_hours(enrolled.user, public=16, professional=24, elective=8 if what == "exam" else 7)
    sit_exam(enrolled, 59 if what == "exam" else 90)
    response = learner.post(reverse("certificates:print"), {"year": 2026}, follow=True)
    assert response.redirect_chain[-1][0] == f"{reverse('certificates:archive')}?year=2026"
    assert "不能打印证书" in response.content.decode()
    assert ("考试未通过" if what == "exam" else "还差 1 学时") in response.content.decode()
    assert not Certificate.objects.exists()
    assert not AuditRecord.objects.filter(event=Event.CERTIFICATE_ISSUE).exists()


def test_print_issues_once_and_reissues_when_the_year_changed(learner, qualified):
    response = learner.post(reverse("certificates:print"), {"year": 2026})
    first = Certificate.objects.get()
    assert response.status_code == 302 and response.url == reverse("certificates:download", args=[first.number])
    assert re.fullmatch(r"JS2026\d{10}", first.number)
    assert first.enrollment == qualified and first.content["hours"] == {"public": "16", "professional": "24",
                                                                        "elective": "8"}  # fmt: skip
    learner.post(reverse("certificates:print"), {"year": 2026})  # again: the same certificate
    assert Certificate.objects.count() == 1
    assert AuditRecord.objects.filter(event=Event.CERTIFICATE_ISSUE, object_id=str(first.pk)).count() == 1
    html = learner.get(reverse("certificates:archive"), {"year": 2026}).content.decode()
    assert first.number in html and first.check_code_display in html and "再次下载证书" in html

    give_hours(qualified.user, source="declaration", elective="2.5")  # approved later: the hours changed
    learner.post(reverse("certificates:print"), {"year": 2026})
    first.refresh_from_db()
    second = Certificate.objects.get(status=CertificateStatus.ISSUED)
    assert first.status == CertificateStatus.REVOKED and first.revoke_reason == REISSUED
    assert second.number != first.number and second.token != first.token
    assert second.content["hours"]["elective"] == "10.5" and second.content["total"] == "50.5"
    assert AuditRecord.objects.filter(event=Event.CERTIFICATE_REVOKE, object_id=str(first.pk)).exists()
    assert AuditRecord.objects.filter(event=Event.CERTIFICATE_ISSUE, object_id=str(second.pk)).exists()
    html = learner.get(reverse("certificates:archive"), {"year": 2026}).content.decode()
    assert "已撤销的证书（1）" in html and REISSUED in html


def test_one_live_certificate_per_learner_and_year(qualified):
    from django.db import IntegrityError, transaction

    from jxjy.certificates.services import issue_certificate

    certificate = issue_certificate(user=qualified.user, year=2026)
    clone = {f.name: getattr(certificate, f.name) for f in Certificate._meta.fields if f.name != "id"}
    clone.update(number="JS20260000000001", token="x" * 27)
    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.create(**clone)


def test_archive_defaults_to_the_current_year_and_rejects_nonsense(learner, enrolled):
    from django.utils import timezone

    response = learner.get(reverse("certificates:archive"))
    assert response.context["year"] == timezone.localdate().year
    assert learner.get(reverse("certificates:archive"), {"year": "abc"}).status_code == 200
    assert learner.post(reverse("certificates:print"), {"year": "abc"}).status_code == 302
    assert not Certificate.objects.exists()


# --- Access and queries ---------------------------------------------------------------------------------------


def test_pages_need_a_signed_in_learner(client, qualified):
    for url in (reverse("certificates:list"), reverse("certificates:archive")):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response.url
    assert client.post(reverse("certificates:print"), {"year": 2026}).status_code == 302
    assert not Certificate.objects.exists()


def test_query_counts_are_bounded(learner, qualified, catalog, django_assert_max_num_queries):
    # A second class (last year's) and a revoked certificate must not add queries.
    earlier = enroll(qualified.user, catalog[(2025, "L4")])
    give_hours(qualified.user, year=2025, public=16, professional=24, elective=8)
    sit_exam(earlier, 90)
    learner.post(reverse("certificates:print"), {"year": 2026})
    give_hours(qualified.user, source="declaration", elective=1)
    learner.post(reverse("certificates:print"), {"year": 2026})
    with django_assert_max_num_queries(7):
        html = learner.get(reverse("certificates:list")).content.decode()
    assert html.count('class="cert-card"') == 2
    with django_assert_max_num_queries(11):
        learner.get(reverse("certificates:archive"), {"year": 2026})
    live = Certificate.objects.get(year=2026, status=CertificateStatus.ISSUED)
    with django_assert_max_num_queries(4):
        assert learner.get(reverse("certificates:download", args=[live.number])).status_code == 200
