"""单位统一报名缴费: the contact lists the unit's staff → each listed learner confirms (or declines) on their own account
→ the contact submits the order for the confirmed learners and pays once → their classes open."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time
from openpyxl import Workbook

from conftest import make_learner, staff_client
from jxjy.accounts.models import User
from jxjy.audit.models import AuditRecord, Event
from jxjy.catalog.models import YearClaim
from jxjy.learning.models import Enrollment
from jxjy.lib.idcard import check_char
from jxjy.orders import services as orders
from jxjy.orders.models import InvitationStatus, InvoiceRequest, Order, OrderLine, OrderStatus, UnitInvitation
from jxjy.orders.tests.helpers import place
from jxjy.payments.models import Payment

from .invoice_helpers import PDF, TAX_ID, pay

pytestmark = pytest.mark.django_db
NO_ACCOUNT = "32010519900101234" + check_char("32010519900101234")
GENERIC = "身份证号与姓名不匹配或该学员不能由单位报名"
CAPTCHA = {"captcha_0": "x", "captcha_1": "PASSED"}
INVOICE = {"invoice_type": "unit", "unit_name": "南京市某某科技有限公司", "tax_id": TAX_ID, "delivery": "email",
           "email": "cw@example.cn"}  # fmt: skip


@pytest.fixture
def contact(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def staff(db):
    """Three of the unit's staff, with learner accounts and their 技术等级 (中级工, 高级工, 中级工)."""
    a = make_learner("陈刚", "32010519800101001", "13900000001")
    b = make_learner("刘敏", "32010519810202002", "13900000002")
    c = make_learner("赵强", "32010519820303003", "13900000003")
    for user, grade in ((a, "L4"), (b, "L3"), (c, "L4")):
        User.objects.filter(pk=user.pk).update(grade=grade)
    return [User.objects.get(pk=u.pk) for u in (a, b, c)]


def submit(client, roster="", year=2026, **extra):
    data = {"year": year, "roster": roster, **INVOICE, **CAPTCHA, **extra}
    return client.post(reverse("orders:unit_enrollment"), data)


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def invitation_of(user):
    return UnitInvitation.objects.get(learner=user)


def answer(user, action, back="orders"):
    """确认 / 拒绝 the user's invitation, as the user, from 我的订单 (or 学员中心)."""
    return signed_in(user).post(
        reverse(f"orders:invitation_{action}", args=[invitation_of(user).pk]), {"back": back}, follow=True
    )


def test_listed_learners_confirm_and_the_unit_pays_for_the_confirmed_only(
    contact, alice, staff, catalog, outbox, finance_user, django_capture_on_commit_callbacks
):
    a, b, c = staff
    roster = f"{a.id_number} 陈刚\n{b.id_number}，刘敏\n{c.id_number}\t赵强\t中级工\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(contact, roster)
    assert response.status_code == 302, response.content.decode()[-3000:]
    order = Order.objects.get()
    assert response.url == reverse("orders:detail", args=[order.number])
    assert order.user == alice and order.status == OrderStatus.AWAITING and order.amount == 0
    assert order.invoice_type == "unit" and order.invoice_tax_id == TAX_ID
    invited = {i.learner: i.training_class for i in order.invitations.all()}
    assert invited == {a: catalog[(2026, "L4")], b: catalog[(2026, "L3")], c: catalog[(2026, "L4")]}
    assert not YearClaim.objects.exists() and not order.lines.exists()  # listing holds nobody's year
    assert sorted(m.mobile for m in outbox) == ["13900000001", "13900000002", "13900000003"]
    assert all("确认或拒绝" in m.text and "南京市某某" not in m.text and m.template == "notice" for m in outbox)
    assert AuditRecord.objects.filter(event=Event.UNIT_INVITE, actor=alice, detail__learners=3).exists()
    page = contact.get(response.url).content.decode()
    assert "单位统一报名名单（3 人）" in page and "待确认" in page and "名学员提交订单" not in page

    # Each learner sees the invitation with 确认 / 拒绝 in 学员中心 and 我的订单.
    for user in (a, b, c):
        for url in (reverse("learning:center"), reverse("orders:list")):
            html = signed_in(user).get(url).content.decode()
            assert "单位统一报名" in html and "南京市某某科技有限公司" in html and "张*" in html
            assert ">确认</button>" in html and ">拒绝</button>" in html

    # a and b confirm: their lines join the order and take their years; c declines: nothing of c's is held.
    assert "已确认参加单位统一报名" in answer(a, "confirm", back="center").content.decode()
    answer(b, "confirm")
    assert "已拒绝" in answer(c, "decline").content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING and order.amount == Decimal("270.00")
    claims = dict(YearClaim.objects.filter(year_id=2026).values_list("user_id", "source_id"))
    assert claims == {a.pk: invitation_of(a).line_id, b.pk: invitation_of(b).line_id}
    assert invitation_of(c).status == InvitationStatus.DECLINED and invitation_of(c).line is None
    assert AuditRecord.objects.filter(event=Event.UNIT_INVITATION_CONFIRM, actor=a).exists()
    assert AuditRecord.objects.filter(event=Event.UNIT_INVITATION_DECLINE, actor=c).exists()
    assert "已确认，等待单位提交订单并缴费" in signed_in(a).get(reverse("orders:list")).content.decode()
    assert "单位统一报名" not in signed_in(a).get(reverse("learning:center")).content.decode()  # nothing to answer

    # The contact submits for the two confirmed learners and pays once.
    page = contact.get(reverse("orders:detail", args=[order.number])).content.decode()
    assert "已确认 2 人" in page and "为已确认的 2 名学员提交订单" in page
    response = contact.post(reverse("orders:unit_submit", args=[order.number]))
    assert response.url == reverse("orders:confirm", args=[order.number])
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING and order.amount == Decimal("270.00")
    assert AuditRecord.objects.filter(event=Event.UNIT_ORDER_PLACE, actor=alice, detail__learners=2).exists()
    payment = pay(contact, order)
    assert Payment.objects.count() == 1 and payment.amount == Decimal("270.00")
    assert order.status == OrderStatus.PAID
    opened = {e.user_id: e.training_class_id for e in Enrollment.objects.all()}
    assert opened == {a.pk: catalog[(2026, "L4")].pk, b.pk: catalog[(2026, "L3")].pk}
    assert catalog[(2026, "L3")].title in signed_in(b).get(reverse("learning:center")).content.decode()
    assert "单位已缴费，班级已开通" in signed_in(b).get(reverse("orders:list")).content.decode()

    # one 单位 invoice for the whole order
    page = contact.get(reverse("orders:detail", args=[order.number])).content.decode()
    assert "单位统一报名名单（3 人）" in page and "申请开票" in page
    personal = {"invoice_type": "personal", "personal_name": "张伟", "delivery": "email", "email": "a@example.cn"}
    contact.post(reverse("orders:invoice_request", args=[order.number]), personal)
    assert not InvoiceRequest.objects.exists()
    contact.post(reverse("orders:invoice_request", args=[order.number]), INVOICE)
    item = InvoiceRequest.objects.get()
    finance = staff_client(finance_user)
    finance.post(
        reverse("office:finance_invoice", args=[item.pk]),
        {"action": "issue", "issue-invoice_number": "8", "issue-pdf": SimpleUploadedFile("f.pdf", PDF)},
    )
    assert contact.get(reverse("orders:invoice_pdf", args=[order.number, item.pk])).status_code == 200
    assert signed_in(b).get(reverse("orders:invoice_pdf", args=[order.number, item.pk])).status_code == 404


def listed_and_confirmed(contact, *people):
    submit(contact, "\n".join(f"{p.id_number} {p.name}" for p in people))
    for person in people:
        answer(person, "confirm")
    return Order.objects.get()


def test_unanswered_invitations_lapse_when_the_unit_submits(contact, staff, catalog):
    a, b, _ = staff
    submit(contact, f"{a.id_number} 陈刚\n{b.id_number} 刘敏")
    answer(a, "confirm")
    order = Order.objects.get()
    contact.post(reverse("orders:unit_submit", args=[order.number]))
    assert invitation_of(b).status == InvitationStatus.EXPIRED
    html = answer(b, "confirm").content.decode()
    assert "这个报名邀请已失效" in html
    assert not YearClaim.objects.filter(user=b).exists()
    order.refresh_from_db()
    assert order.amount == Decimal("120.00") and order.lines.count() == 1


def test_nothing_confirmed_cannot_be_submitted(contact, staff, catalog):
    submit(contact, f"{staff[0].id_number} 陈刚")
    order = Order.objects.get()
    response = contact.post(reverse("orders:unit_submit", args=[order.number]), follow=True)
    assert "还没有学员确认参加" in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.AWAITING
    contact.post(reverse("payments:pay", args=[order.number]), {"provider": "mockbank"})  # not payable yet
    assert not Payment.objects.exists()


def test_a_learner_with_a_class_of_their_own_is_refused_cleanly(contact, staff, catalog):
    a = staff[0]
    submit(contact, f"{a.id_number} 陈刚")
    own = place(signed_in(a), catalog[(2026, "L4")])  # a orders it themselves meanwhile
    html = answer(a, "confirm").content.decode()
    assert own.number in html and "待支付" in html  # the reason is a's own order, told to a only
    assert invitation_of(a).status == InvitationStatus.PENDING and not OrderLine.objects.filter(learner=a).exists()
    assert YearClaim.objects.get(user=a).source_id == own.lines.get().pk


def test_a_confirmed_learner_cannot_then_order_another_class_of_the_year(contact, staff, catalog):
    a = staff[0]
    listed_and_confirmed(contact, a)
    response = signed_in(a).post(reverse("orders:enroll", args=[catalog[(2026, "L4")].pk]), follow=True)
    assert "您已由单位统一报名2026年度的班级" in response.content.decode()
    assert Order.objects.count() == 1


def test_someone_elses_invitation_is_404(contact, alice, staff, catalog, bob):
    a = staff[0]
    submit(contact, f"{a.id_number} 陈刚")
    invitation = invitation_of(a)
    for client in (contact, signed_in(bob)):  # the contact cannot confirm for them, nor anyone else
        for action in ("confirm", "decline"):
            response = client.post(reverse(f"orders:invitation_{action}", args=[invitation.pk]))
            assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING and not YearClaim.objects.exists()
    other = signed_in(bob)
    assert other.post(reverse("orders:unit_submit", args=[invitation.order.number])).status_code == 404


def test_the_unit_cancelling_or_the_deadline_frees_the_confirmed_years(contact, staff, catalog, settings):
    a, b, c = staff
    settings.UNIT_INVITATION_DAYS = 7
    start = timezone.now()
    with freeze_time(start):
        order = listed_and_confirmed(contact, a)
    assert YearClaim.objects.filter(user=a).exists()
    contact.post(reverse("orders:cancel", args=[order.number]))
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and not YearClaim.objects.filter(user=a).exists()

    with freeze_time(start):
        submit(contact, f"{b.id_number} 刘敏\n{c.id_number} 赵强")
        answer(b, "confirm")
    second = Order.objects.get(status=OrderStatus.AWAITING)
    assert second.expires_at == start + timedelta(days=7)
    with freeze_time(start + timedelta(days=7) - timedelta(seconds=1)):
        assert orders.close_expired_orders() == 0
    with freeze_time(start + timedelta(days=7, seconds=1)):
        assert orders.close_expired_orders() == 1
    second.refresh_from_db()
    assert second.status == OrderStatus.CLOSED
    assert not YearClaim.objects.filter(user__in=[b, c]).exists()
    assert invitation_of(c).status == InvitationStatus.EXPIRED


def test_refund_frees_each_listed_learners_year(contact, staff, catalog, finance_user):
    a, b, _ = staff
    order = listed_and_confirmed(contact, a, b)
    contact.post(reverse("orders:unit_submit", args=[order.number]))
    payment = pay(contact, order)
    staff_client(finance_user).post(reverse("office:finance_refund", args=[payment.number]), {"reason": "单位申请"})
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert not YearClaim.objects.filter(user__in=[a, b]).exists()
    assert set(Enrollment.objects.values_list("status", flat=True)) == {"refunded"}


def test_bad_rows_say_only_what_is_wrong_with_the_row_itself(contact, staff, catalog, bob):
    a, b, c = staff
    no_grade = make_learner("孙丽", "32010519830404004", grade="")
    User.objects.filter(pk=bob.pk).update(grade="L4")
    place(signed_in(User.objects.get(pk=bob.pk)), catalog[(2026, "L4")])  # bob already holds 2026
    roster = "\n".join([
        f"{a.id_number} 陈刚",
        "320105198001010010 不存在",  # a bad check digit
        f"{b.id_number} 刘小敏",  # another name
        f"{NO_ACCOUNT} 无账号",
        f"{no_grade.id_number} 孙丽",  # no grade on the account
        f"{bob.id_number} 李娜 中级工",  # enrolled already
        f"{a.id_number} 陈刚",  # the same person twice
        f"{c.id_number} 赵强 特级工",  # an unknown grade word
        f"{c.id_number} 赵强 高级工",  # not the grade on the account
    ])  # fmt: skip
    response = submit(contact, roster)
    assert response.status_code == 400
    page = response.content.decode()
    assert "第 2 行：身份证号校验位不正确" in page
    assert "第 7 行：与第 1 行重复" in page and "第 8 行：技术等级“特级工”无法识别" in page
    for number in (3, 4, 5, 6, 9):
        assert f"第 {number} 行：{GENERIC}" in page, number
    for leak in ("没有学员账号", "姓名与该身份证号码", "已报名2026年度", "请填写技术等级", "没有中级工"):
        assert leak not in page, leak
    assert not Order.objects.filter(user__name="张伟").exists() and not UnitInvitation.objects.exists()
    assert YearClaim.objects.filter(year_id=2026).count() == 1


def test_id_numbers_are_masked_in_the_check_table(contact, staff, catalog):
    """The table of results shows ID numbers masked (the contact's own typing stays in the text box to correct)."""
    a = staff[0]
    page = submit(contact, f"{a.id_number} 陈刚\n{NO_ACCOUNT} 无账号").content.decode()
    table = page[page.index('<table class="stack roster-check">') : page.index("</table>")]
    assert a.id_number not in table and NO_ACCOUNT not in table
    assert a.id_number_masked in table


def test_captcha_is_required(contact, staff, catalog):
    response = submit(contact, f"{staff[0].id_number} 陈刚", captcha_1="WRONG")
    assert response.status_code == 400 and "图形验证码不对" in response.content.decode()
    assert not Order.objects.exists()
    page = contact.get(reverse("orders:unit_enrollment")).content.decode()
    assert 'name="captcha_1"' in page


def test_the_sms_notice_goes_once_a_day_per_learner(alice, bob, staff, catalog, outbox,
                                                    django_capture_on_commit_callbacks):  # fmt: skip
    a = staff[0]
    for person in (alice, bob):
        with django_capture_on_commit_callbacks(execute=True):
            submit(signed_in(person), f"{a.id_number} 陈刚")
    assert UnitInvitation.objects.filter(learner=a).count() == 2
    assert [m.mobile for m in outbox] == ["13900000001"]


def test_the_same_contact_cannot_list_the_same_learner_twice_while_awaiting(contact, staff, catalog):
    a = staff[0]
    submit(contact, f"{a.id_number} 陈刚")
    response = submit(contact, f"{a.id_number} 陈刚")
    assert response.status_code == 400 and f"第 1 行：{GENERIC}" in response.content.decode()
    assert UnitInvitation.objects.count() == 1


def test_unit_order_needs_a_unit_invoice(contact, staff, catalog):
    a = staff[0]
    page = contact.get(reverse("orders:unit_enrollment")).content.decode()
    assert "单位统一报名缴费" in page and "2026年度" in page and 'value="personal"' not in page
    response = submit(contact, f"{a.id_number} 陈刚", invoice_type="personal", personal_name="张伟")
    assert response.status_code == 400
    assert "请从列表中选择发票抬头" in response.content.decode()
    response = submit(contact, f"{a.id_number} 陈刚", tax_id="91320102MA1W9HQ21A")
    assert response.status_code == 400 and "校验位不正确" in response.content.decode()
    assert not Order.objects.exists()


def test_excel_upload(contact, staff, catalog):
    a, b, _ = staff
    book = Workbook()
    sheet = book.active
    sheet.append(["身份证号", "姓名", "技术等级"])
    sheet.append([a.id_number, "陈刚", None])
    sheet.append([None, None, None])
    sheet.append([b.id_number, "刘敏", "高级工"])
    buffer = io.BytesIO()
    book.save(buffer)
    upload = SimpleUploadedFile("名单.xlsx", buffer.getvalue())
    data = {"year": 2026, "roster_file": upload, **INVOICE, **CAPTCHA}
    response = contact.post(reverse("orders:unit_enrollment"), data)
    assert response.status_code == 302
    assert set(Order.objects.get().invitations.values_list("learner__name", flat=True)) == {"陈刚", "刘敏"}


def test_a_disguised_excel_file_is_refused(contact, staff, catalog):
    upload = SimpleUploadedFile("名单.xlsx", b"<html>not excel</html>")
    data = {"year": 2026, "roster_file": upload, **INVOICE, **CAPTCHA}
    response = contact.post(reverse("orders:unit_enrollment"), data)
    assert response.status_code == 400 and "请上传 .xlsx 格式" in response.content.decode()
    assert not Order.objects.exists()


def test_roster_check_and_invitations_queries_are_bounded(contact, catalog, settings,
                                                          django_assert_max_num_queries):  # fmt: skip
    settings.UNIT_ENROLL_REFUSED_ROWS_PER_USER_DAY = 100
    people = [make_learner(f"职工{i}", f"320105197001{i:02d}{i:03d}", f"1390000{i:04d}") for i in range(1, 21)]
    User.objects.filter(pk__in=[p.pk for p in people]).update(grade="L4")
    roster = "\n".join(f"{p.id_number} {p.name}" for p in people)
    with django_assert_max_num_queries(20):  # checking the rows costs the same for 20 rows as for 1
        assert submit(contact, roster.replace("职工", "某")).status_code == 400
    with django_assert_max_num_queries(30):  # and so does inviting them
        assert submit(contact, roster).status_code == 302
    assert Order.objects.get().invitations.count() == 20


def test_center_and_my_orders_queries_do_not_grow_with_invitations(client, alice, bob, staff, catalog):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    a = staff[0]
    viewer = signed_in(a)

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert viewer.get(url).status_code == 200
        return len(captured)

    submit(signed_in(alice), f"{a.id_number} 陈刚")
    one = {url: queries(url) for url in (reverse("learning:center"), reverse("orders:list"))}
    submit(signed_in(bob), f"{a.id_number} 陈刚")
    submit(signed_in(make_learner("周洁", "32010519850505005")), f"{a.id_number} 陈刚")
    assert {url: queries(url) for url in one} == one


def test_confirming_after_the_grade_changed_is_refused(contact, staff, catalog):
    a = staff[0]
    submit(contact, f"{a.id_number} 陈刚")  # listed for the 中级工 class
    User.objects.filter(pk=a.pk).update(grade="L3")  # the city office then changes a's grade
    html = answer(a, "confirm").content.decode()
    assert "只能报名本人技术等级的班级" in html
    assert not YearClaim.objects.exists() and invitation_of(a).status == InvitationStatus.PENDING
