import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from conftest import make_learner, staff_client
from jxjy.accounts.models import User
from jxjy.audit.models import AuditRecord, Event
from jxjy.catalog.models import YearClaim
from jxjy.invoices.models import InvoiceRequest
from jxjy.learning.models import Enrollment
from jxjy.lib.idcard import check_char
from jxjy.orders.models import Order, OrderLine, OrderStatus
from jxjy.orders.tests.helpers import place
from jxjy.payments.models import Payment

from .helpers import PDF, TAX_ID, pay

pytestmark = pytest.mark.django_db
NO_ACCOUNT = "32010519900101234" + check_char("32010519900101234")

INVOICE = {"invoice_type": "unit", "unit_name": "南京市某某科技有限公司", "tax_id": TAX_ID, "delivery": "email",
           "email": "cw@example.cn"}  # fmt: skip


@pytest.fixture
def contact(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def staff(db):
    """Three of the unit's staff, with learner accounts; two have their grade on the account."""
    a = make_learner("陈刚", "32010519800101001", "13900000001")
    b = make_learner("刘敏", "32010519810202002", "13900000002")
    c = make_learner("赵强", "32010519820303003", "13900000003")
    User.objects.filter(pk=a.pk).update(grade="L4")
    User.objects.filter(pk=b.pk).update(grade="L3")
    return [User.objects.get(pk=u.pk) for u in (a, b, c)]


def submit(client, roster="", year=2026, **extra):
    data = {"year": year, "roster": roster, **INVOICE, **extra}
    return client.post(reverse("invoices:unit_enrollment"), data)


def test_one_order_for_the_listed_staff_paid_once_opens_each_class(contact, alice, staff, catalog, finance_user):
    a, b, c = staff
    roster = f"{a.id_number} 陈刚\n{b.id_number}，刘敏\n{c.id_number}\t赵强\t中级工\n"
    response = submit(contact, roster)
    assert response.status_code == 302, response.content.decode()[-3000:]
    order = Order.objects.get()
    assert order.user == alice and order.status == OrderStatus.PENDING
    assert order.amount == 120 + 150 + 120 and order.invoice_type == "unit" and order.invoice_tax_id == TAX_ID
    lines = {line.learner: line.training_class for line in order.lines.all()}
    assert lines == {a: catalog[(2026, "L4")], b: catalog[(2026, "L3")], c: catalog[(2026, "L4")]}
    assert set(YearClaim.objects.filter(year_id=2026).values_list("user_id", flat=True)) == {a.pk, b.pk, c.pk}
    assert AuditRecord.objects.filter(event=Event.UNIT_ORDER_PLACE, actor=alice).exists()

    payment = pay(contact, order)
    assert Payment.objects.count() == 1 and payment.amount == order.amount
    assert order.status == OrderStatus.PAID
    opened = {e.user_id: e.training_class_id for e in Enrollment.objects.all()}
    assert opened == {a.pk: catalog[(2026, "L4")].pk, b.pk: catalog[(2026, "L3")].pk, c.pk: catalog[(2026, "L4")].pk}
    assert not Enrollment.objects.filter(user=alice).exists()
    staff_member = Client()
    staff_member.force_login(b)
    assert catalog[(2026, "L3")].title in staff_member.get(reverse("learning:center")).content.decode()

    # one 单位 invoice for the whole order
    page = contact.get(reverse("orders:detail", args=[order.number])).content.decode()
    assert "单位统一报名名单（3 人）" in page and "申请开票" in page
    personal = {"invoice_type": "personal", "personal_name": "张伟", "delivery": "email", "email": "a@example.cn"}
    contact.post(reverse("invoices:request", args=[order.number]), personal)
    assert not InvoiceRequest.objects.exists()
    contact.post(reverse("invoices:request", args=[order.number]), {**INVOICE, "unit_name": INVOICE["unit_name"]})
    item = InvoiceRequest.objects.get()
    finance = staff_client(finance_user)
    finance.post(
        reverse("invoices:finance_invoice", args=[item.pk]),
        {"action": "issue", "issue-invoice_number": "8", "issue-pdf": SimpleUploadedFile("f.pdf", PDF)},
    )
    assert contact.get(reverse("invoices:pdf", args=[order.number, item.pk])).status_code == 200
    assert staff_member.get(reverse("invoices:pdf", args=[order.number, item.pk])).status_code == 404


def test_refund_frees_each_listed_learners_year(contact, staff, catalog, finance_user):
    a, b, _ = staff
    submit(contact, f"{a.id_number} 陈刚\n{b.id_number} 刘敏")
    order = Order.objects.get()
    payment = pay(contact, order)
    staff_client(finance_user).post(reverse("invoices:finance_refund", args=[payment.number]), {"reason": "单位申请"})
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert not YearClaim.objects.filter(user__in=[a, b]).exists()
    assert set(Enrollment.objects.values_list("status", flat=True)) == {"refunded"}


def test_every_bad_row_is_named_and_nothing_is_ordered(contact, staff, catalog, bob):
    a, b, c = staff
    d = make_learner("孙丽", "32010519830404004")
    bob_client = Client()
    bob_client.force_login(bob)
    place(bob_client, catalog[(2026, "L4")])  # bob already holds 2026
    roster = "\n".join([
        f"{a.id_number} 陈刚",
        "320105198001010010 不存在",  # a bad check digit
        f"{b.id_number} 刘小敏",
        f"{NO_ACCOUNT} 无账号",
        f"{c.id_number} 赵强",  # no grade on the account, none given
        f"{bob.id_number} 李娜 中级工",
        f"{a.id_number} 陈刚",
        f"{d.id_number} 孙丽 特级工",
    ])  # fmt: skip
    response = submit(contact, roster)
    assert response.status_code == 400
    page = response.content.decode()
    for expected in ["校验位不正确", "姓名与该身份证号码的学员账号不一致", "没有学员账号", "请填写技术等级",
                     "已报名2026年度班级", "与第 1 行重复", "技术等级“特级工”无法识别"]:  # fmt: skip
        assert expected in page, expected
    assert "第 8 行" in page
    assert not Order.objects.filter(user__name="张伟").exists() and OrderLine.objects.count() == 1
    assert YearClaim.objects.filter(year_id=2026).count() == 1


def test_unit_order_needs_a_unit_invoice(contact, staff, catalog):
    a = staff[0]
    page = contact.get(reverse("invoices:unit_enrollment")).content.decode()
    assert "单位统一报名缴费" in page and "2026年度" in page and 'value="personal"' not in page
    response = submit(contact, f"{a.id_number} 陈刚", invoice_type="personal", personal_name="张伟")
    assert response.status_code == 400
    assert "选择一个有效的选项" in response.content.decode()
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
    response = contact.post(reverse("invoices:unit_enrollment"), {"year": 2026, "roster_file": upload, **INVOICE})
    assert response.status_code == 302
    assert set(Order.objects.get().lines.values_list("learner__name", flat=True)) == {"陈刚", "刘敏"}


def test_a_disguised_excel_file_is_refused(contact, staff, catalog):
    upload = SimpleUploadedFile("名单.xlsx", b"<html>not excel</html>")
    response = contact.post(reverse("invoices:unit_enrollment"), {"year": 2026, "roster_file": upload, **INVOICE})
    assert response.status_code == 400 and "请上传 .xlsx 格式" in response.content.decode()
    assert not Order.objects.exists()


def test_roster_check_queries_are_bounded(contact, catalog, django_assert_max_num_queries):
    people = [make_learner(f"职工{i}", f"320105197001{i:02d}{i:03d}") for i in range(1, 21)]
    User.objects.filter(pk__in=[p.pk for p in people]).update(grade="L4")
    roster = "\n".join(f"{p.id_number} {p.name}" for p in people)
    with django_assert_max_num_queries(15):  # checking the rows costs the same for 20 rows as for 1
        assert submit(contact, roster.replace("职工", "某")).status_code == 400
    with django_assert_max_num_queries(20 * 4 + 20):  # then a line and a year claim (in a savepoint) per person
        assert submit(contact, roster).status_code == 302
    assert Order.objects.get().lines.count() == 20


def test_listed_learner_is_told_the_unit_enrolled_them_and_closing_frees_the_years(contact, staff, catalog):
    from jxjy.orders import services as orders

    a, b, _ = staff
    submit(contact, f"{a.id_number} 陈刚\n{b.id_number} 刘敏")
    order = Order.objects.get()
    listed = Client()
    listed.force_login(a)
    response = listed.post(reverse("orders:enroll", args=[catalog[(2026, "L4")].pk]), follow=True)
    assert "您已由单位统一报名2026年度的班级" in response.content.decode()
    assert order.number not in response.content.decode()
    orders.transition(order, OrderStatus.CLOSED, reason="timeout")
    assert not YearClaim.objects.filter(user__in=[a, b]).exists()
