"""视同申报: the learner files, the city office reviews; hours reach the ledger within the caps, scoped by city."""

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time

from conftest import hours_by_category, staff_client
from jxjy.audit.models import AuditRecord, Event
from jxjy.credits.models import CreditEntry
from jxjy.declarations.models import Attachment, Declaration, Status

from .conftest import PDF, claim, image, pdf

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalog")]
TODAY = "2026-11-28 10:00"


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def file(client, files=None, follow=False, **overrides):
    data = claim(**overrides)
    data["attachments"] = files if files is not None else [pdf()]
    return client.post(reverse("declarations:new"), data, follow=follow)


def filed(user, **overrides):
    with freeze_time(TODAY):
        response = file(client_for(user), **overrides)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Declaration.objects.filter(user=user).latest("pk")


def review(reviewer, declaration, **data):
    return staff_client(reviewer).post(reverse("office:declarations_detail", args=[declaration.pk]), data, follow=True)


def approve(reviewer, declaration, hours):
    return review(reviewer, declaration, action="approve", **{"approve-hours": hours})


def messages_of(response):
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


# --- Filing --------------------------------------------------------------------------------------------------------


def test_filing_a_claim_with_a_pdf(alice):
    with freeze_time(TODAY):
        response = file(client_for(alice), follow=True)
    declaration = Declaration.objects.get()
    assert declaration.status == Status.PENDING and declaration.year_id == 2026
    assert "请携带培训证书、课程表等材料原件到所在地市工考办审核" in response.content.decode()
    attachment = declaration.attachments.get()
    assert attachment.original_name == "结业证书.pdf" and attachment.content_type == "application/pdf"
    assert re.fullmatch(r"declarations/[0-9a-f]{32}\.pdf", attachment.file.name)
    assert AuditRecord.objects.filter(event=Event.DECLARATION_FILE, object_id=str(declaration.pk)).exists()


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([], "请上传 1 至 5 个附件"),
        ([pdf(f"{i}.pdf") for i in range(6)], "请上传 1 至 5 个附件"),
        ([SimpleUploadedFile("病毒.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")], "不是 PDF、JPG 或 PNG 文件"),
        ([SimpleUploadedFile("假图.png", b"\x89PNG\r\n\x1a\n garbage", "image/png")], "不是有效的图片"),
        ([SimpleUploadedFile("大.pdf", PDF + b"0" * (10 * 1024 * 1024), "application/pdf")], "超过 10 MB"),
        ([SimpleUploadedFile("空.pdf", b"", "application/pdf")], "是空文件"),
    ],
)
def test_bad_attachments_are_refused_and_nothing_is_saved(alice, files, message):
    with freeze_time(TODAY):
        response = file(client_for(alice), files=files)
    assert response.status_code in (400, 413) and message in response.content.decode()
    assert not Declaration.objects.exists() and not Attachment.objects.exists()


def test_jpg_and_png_attachments_are_accepted_by_content(alice):
    declaration = filed(alice, files=[image("a.png", "PNG"), image("b.jpg", "JPEG"), pdf()])
    assert sorted(declaration.attachments.values_list("content_type", flat=True)) == [
        "application/pdf", "image/jpeg", "image/png"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        (("2025-12-01", "2025-12-02"), "视同申报只限本年度：只能申报 2026 年内参加的培训"),
        (("2025-12-31", "2026-01-02"), "视同申报只限本年度"),
        (("2026-12-01", "2026-12-02"), "培训结束后才能申报"),
        (("2026-10-13", "2026-10-12"), "结束日期不能早于开始日期"),
    ],
)
def test_only_this_years_finished_training_can_be_claimed(alice, dates, message):
    with freeze_time(TODAY):
        response = file(client_for(alice), start_date=dates[0], end_date=dates[1])
    assert message in response.content.decode()
    assert not Declaration.objects.exists()


def test_bad_fields_get_clear_messages(alice):
    with freeze_time(TODAY):
        response = file(client_for(alice), hours_claimed="0", title="", category="public")
    html = response.content.decode()
    assert "申报学时须在 0.5 至 200 之间" in html and "请填写培训名称。" in html and "请从列表中选择抵扣类别。" in html
    assert not Declaration.objects.exists()


def test_a_pending_claim_can_be_edited_and_withdrawn(alice):
    declaration = filed(alice)
    client = client_for(alice)
    first = declaration.attachments.get()
    with freeze_time(TODAY):
        data = claim(title="节能管理研修班（第二期）", hours_claimed="10")
        data.update(remove=[first.pk], attachments=[image()])
        client.post(reverse("declarations:edit", args=[declaration.pk]), data)
    declaration.refresh_from_db()
    assert declaration.title == "节能管理研修班（第二期）" and declaration.hours_claimed == 10
    assert list(declaration.attachments.values_list("content_type", flat=True)) == ["image/png"]
    client.post(reverse("declarations:withdraw", args=[declaration.pk]))
    declaration.refresh_from_db()
    assert declaration.status == Status.WITHDRAWN
    with freeze_time(TODAY):
        refused = client.post(reverse("declarations:edit", args=[declaration.pk]), claim(), follow=True)
    assert "只有待审核的申报可以修改" in refused.content.decode()


def test_an_approved_claim_cannot_be_withdrawn_or_edited(alice, nanjing_reviewer):
    declaration = filed(alice)
    approve(nanjing_reviewer, declaration, "12")
    response = client_for(alice).post(reverse("declarations:withdraw", args=[declaration.pk]), follow=True)
    assert "该申报当前为“已通过”，不能再操作。" in response.content.decode()
    assert Declaration.objects.get().status == Status.APPROVED


# --- Review --------------------------------------------------------------------------------------------------------


def test_approval_posts_the_hours_to_the_ledger_and_the_learner_sees_it(alice, nanjing_reviewer):
    declaration = filed(alice)
    response = approve(nanjing_reviewer, declaration, "12")
    assert "已通过" in messages_of(response)
    entry = CreditEntry.objects.get()
    assert (entry.year, entry.category, entry.hours, entry.source) == (2026, "professional", 12, "declaration")
    assert hours_by_category(alice, 2026)["professional"] == Decimal("12")
    page = client_for(alice).get(reverse("declarations:detail", args=[declaration.pk])).content.decode()
    assert "已通过" in page and "<strong>12</strong> 学时" in page
    assert AuditRecord.objects.filter(event=Event.DECLARATION_APPROVE, actor=nanjing_reviewer).exists()


def test_class_progress_reflects_approved_hours_at_once(alice, nanjing_reviewer, catalog):
    from jxjy.learning.models import Enrollment
    from jxjy.learning.services import class_progress
    from jxjy.orders import services as orders
    from jxjy.orders.models import OrderStatus

    order = orders.place_order(user=alice, class_ids=[catalog[(2026, "L4")].pk], invoice={"invoice_type": "none"})
    orders.transition(order, OrderStatus.PAID)
    enrollment = Enrollment.objects.get()
    before = {c["key"]: c["missing"] for c in class_progress(enrollment)["categories"]}
    approve(nanjing_reviewer, filed(alice), "12")
    after = {c["key"]: c["missing"] for c in class_progress(enrollment)["categories"]}
    assert before["professional"] - after["professional"] == 12 and before["public"] == after["public"]


def test_approved_hours_never_exceed_the_claim_or_the_types_cap(alice, nanjing_reviewer):
    declaration = filed(alice, hours_claimed="20", start_date="2026-10-12", end_date="2026-10-13")
    assert "不能超过申报学时（20 学时）" in messages_of(approve(nanjing_reviewer, declaration, "21"))
    assert "本条最多可认定 12 学时" in messages_of(approve(nanjing_reviewer, declaration, "13"))
    assert not CreditEntry.objects.exists() and Declaration.objects.get().status == Status.PENDING


def test_technical_exchange_is_4_a_time_and_8_a_year(alice, nanjing_reviewer):
    first, second, third = (filed(alice, kind="exchange", title=f"交流{i}", hours_claimed="6") for i in range(3))
    assert "本条最多可认定 4 学时" in messages_of(approve(nanjing_reviewer, first, "5"))
    approve(nanjing_reviewer, first, "4")
    approve(nanjing_reviewer, second, "4")
    assert "本条最多可认定 0 学时" in messages_of(approve(nanjing_reviewer, third, "1"))
    assert sum(CreditEntry.objects.values_list("hours", flat=True)) == 8


def test_the_years_cap_is_half_the_professional_requirement(alice, nanjing_reviewer):
    first = filed(alice, title="研修一", hours_claimed="10", start_date="2026-09-01", end_date="2026-09-02")
    second = filed(alice, title="研修二", hours_claimed="10", start_date="2026-09-08", end_date="2026-09-09")
    approve(nanjing_reviewer, first, "10")
    response = approve(nanjing_reviewer, second, "3")
    assert "该学员本年度最多还可认定 2 学时" in messages_of(response)
    approve(nanjing_reviewer, second, "2")
    assert sum(CreditEntry.objects.values_list("hours", flat=True)) == 12


def test_rejection_needs_a_reason_the_learner_sees(alice, nanjing_reviewer):
    declaration = filed(alice)
    response = review(nanjing_reviewer, declaration, action="reject", **{"reason-reason": ""})
    assert Declaration.objects.get().status == Status.PENDING and "请填写" in response.content.decode()
    review(nanjing_reviewer, declaration, action="reject", **{"reason-reason": "缺少结业证书原件"})
    declaration.refresh_from_db()
    assert declaration.status == Status.REJECTED and not CreditEntry.objects.exists()
    page = client_for(alice).get(reverse("declarations:list")).content.decode()
    assert "已驳回" in page and "驳回理由：缺少结业证书原件" in page


def test_reversing_an_approval_reverses_its_ledger_entry(alice, nanjing_reviewer):
    declaration = filed(alice)
    approve(nanjing_reviewer, declaration, "12")
    review(nanjing_reviewer, declaration, action="reverse", **{"reason-reason": "证书不符"})
    declaration.refresh_from_db()
    assert declaration.status == Status.PENDING and declaration.hours_approved is None
    assert hours_by_category(alice, 2026)["professional"] == 0
    assert sorted(CreditEntry.objects.values_list("hours", flat=True)) == [-12, 12]  # nothing edited
    approve(nanjing_reviewer, declaration, "6")  # reviewed again: a new entry
    assert hours_by_category(alice, 2026)["professional"] == 6
    assert AuditRecord.objects.filter(event=Event.DECLARATION_REVERSE).count() == 1


def test_a_decided_claim_cannot_be_decided_again(alice, nanjing_reviewer):
    declaration = filed(alice)
    approve(nanjing_reviewer, declaration, "12")
    assert "不能再审核" in messages_of(approve(nanjing_reviewer, declaration, "12"))
    assert CreditEntry.objects.count() == 1


# --- Scope ---------------------------------------------------------------------------------------------------------


def test_attachments_open_only_for_the_learner_and_the_reviewers_in_scope(alice, bob, nanjing_reviewer):
    attachment = filed(alice).attachments.get()
    url = reverse("declarations:attachment", args=[attachment.pk])
    own = client_for(alice).get(url)
    assert own.status_code == 200 and b"".join(own.streaming_content) == PDF
    assert own["Cache-Control"] == "private, no-store" and "sandbox" in own["Content-Security-Policy"]
    assert client_for(bob).get(url).status_code == 404
    assert Client().get(url).status_code == 404
    assert staff_client(nanjing_reviewer).get(url).status_code == 200
    assert AuditRecord.objects.filter(event=Event.ATTACHMENT_VIEW, actor=nanjing_reviewer).count() == 1


def test_a_learner_sees_only_their_own_claims(alice, bob):
    mine = filed(alice)
    client = client_for(bob)
    assert client.get(reverse("declarations:detail", args=[mine.pk])).status_code == 404
    assert mine.title not in client.get(reverse("declarations:list")).content.decode()


# --- Lists ---------------------------------------------------------------------------------------------------------


def test_cross_filters_by_type_status_and_date(alice, nanjing_reviewer):
    with freeze_time("2026-11-01 10:00"):
        file(client_for(alice), title="研修甲", start_date="2026-10-01", end_date="2026-10-01")
    with freeze_time("2026-11-20 10:00"):
        file(client_for(alice), kind="exchange", title="交流乙", start_date="2026-10-05", end_date="2026-10-05")
    approve(nanjing_reviewer, Declaration.objects.get(title="研修甲"), "6")
    client = client_for(alice)

    def titles(**query):
        html = client.get(reverse("declarations:list"), query).content.decode()
        return {t for t in ("研修甲", "交流乙") if t in html}

    assert titles() == {"研修甲", "交流乙"}
    assert titles(kind="exchange") == {"交流乙"}
    assert titles(status="approved") == {"研修甲"}
    assert titles(since="2026-11-10") == {"交流乙"}
    assert titles(until="2026-11-10", kind="research", status="approved") == {"研修甲"}
    assert titles(until="2026-11-10", kind="exchange") == set()
    office = staff_client(nanjing_reviewer).get(reverse("office:declarations_list"), {"status": "pending"})
    assert "交流乙" in office.content.decode() and "研修甲" not in office.content.decode()


def test_review_list_queries_do_not_grow_with_claims(alice, nanjing_reviewer, django_assert_max_num_queries):
    for i in range(25):
        filed(alice, title=f"研修{i}")
    office, learner = staff_client(nanjing_reviewer), client_for(alice)
    with django_assert_max_num_queries(9):  # + 疑似材料重复 (one query) and 同批培训 counts (one), issue 16
        response = office.get(reverse("office:declarations_list"))
    assert response.content.decode().count(">审核</a>") == 20  # a page of 20
    with django_assert_max_num_queries(6):
        learner.get(reverse("declarations:list"))
