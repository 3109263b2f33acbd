from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time

from conftest import staff_client
from jxjy.accounts.models import Address
from jxjy.audit.models import AuditRecord, Event
from jxjy.lib.states import IllegalMove
from jxjy.orders import invoices
from jxjy.orders.models import InvoiceRequest, InvoiceStatus, InvoiceType
from jxjy.orders.tests.helpers import UNIT_INVOICE, place

from .invoice_helpers import PDF, TAX_ID, paid_order

pytestmark = pytest.mark.django_db

UNIT = {"invoice_type": "unit", "unit_name": "南京市某某科技有限公司", "tax_id": TAX_ID, "delivery": "email",
        "email": "cw@example.cn"}  # fmt: skip


@pytest.fixture
def learner(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def order(learner, catalog):
    return paid_order(learner, catalog[(2026, "L4")])


def ask(client, order, follow=False, **data):
    return client.post(reverse("orders:invoice_request", args=[order.number]), data, follow=follow)


def issue(client, item, **data):
    return client.post(reverse("office:finance_invoice", args=[item.pk]), {"action": "issue", **data})


def test_learner_requests_a_unit_invoice_on_a_paid_order(learner, alice, order):
    page = learner.get(reverse("orders:detail", args=[order.number])).content.decode()
    assert "申请开票" in page
    response = ask(learner, order, **UNIT)
    assert response.status_code == 302
    item = InvoiceRequest.objects.get(order=order)
    order.refresh_from_db()
    assert item.status == InvoiceStatus.PENDING and item.requested_by == alice
    assert (order.invoice_type, order.invoice_title, order.invoice_tax_id) == ("unit", UNIT["unit_name"], TAX_ID)
    assert order.invoice_email == "cw@example.cn"
    assert AuditRecord.objects.filter(event=Event.INVOICE_REQUEST, actor=alice).exists()
    assert "待开票" in learner.get(reverse("orders:detail", args=[order.number])).content.decode()


@pytest.mark.parametrize(
    "data, field_error",
    [
        ({**UNIT, "tax_id": "91320102MA1W9HQ21A"}, "校验位不正确"),
        ({**UNIT, "tax_id": ""}, "企业单位须填写统一社会信用代码"),
        ({**UNIT, "unit_name": ""}, "请填写单位名称"),
        ({**UNIT, "delivery": "post"}, "请选择收件地址"),
        ({**UNIT, "email": ""}, "电子发票需要填写接收邮箱"),
        ({**UNIT, "invoice_type": "none"}, "请从列表中选择发票抬头"),
    ],
)
def test_invalid_requests_are_refused_next_to_the_field(learner, order, data, field_error):
    response = ask(learner, order, **data)
    assert response.status_code == 200 and field_error in response.content.decode()
    assert not InvoiceRequest.objects.exists()


def test_public_institution_may_leave_the_tax_id_blank_and_personal_needs_none(learner, order, catalog, alice):
    response = ask(learner, order, **{**UNIT, "tax_id": "", "public_institution": "on"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.invoice_tax_id == "" and order.invoice_type == InvoiceType.UNIT


def test_paper_invoice_snapshots_the_learners_address(learner, order, alice):
    address = Address.objects.create(user=alice, recipient="张伟", mobile="13800138000", region="江苏省南京市玄武区",
                                      detail="北京东路 1 号", is_default=True)  # fmt: skip
    response = ask(learner, order, invoice_type="personal", personal_name="张伟", delivery="post",
                   address=str(address.pk))  # fmt: skip
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.invoice_address == "江苏省南京市玄武区 北京东路 1 号" and order.invoice_mobile == "13800138000"
    assert order.invoice_tax_id == ""


def test_checkout_choice_prefills_the_request(learner, catalog):
    order = paid_order(learner, catalog[(2026, "L4")], **UNIT_INVOICE)
    page = learner.get(reverse("orders:invoice_request", args=[order.number])).content.decode()
    assert UNIT_INVOICE["unit_name"] in page and UNIT_INVOICE["tax_id"] in page


def test_only_paid_orders_within_90_days_once_and_only_my_own(learner, order, catalog, alice, bob):
    unpaid = place(learner, catalog[(2025, "L4")])
    assert ask(learner, unpaid, **UNIT).status_code == 302
    assert not InvoiceRequest.objects.filter(order=unpaid).exists()
    other = Client()
    other.force_login(bob)
    assert ask(other, order, **UNIT).status_code == 404
    with freeze_time(order.paid_at + timedelta(days=91)):
        learner.force_login(alice)
        assert "超过期限" in ask(learner, order, **UNIT, follow=True).content.decode()
        assert not InvoiceRequest.objects.exists()
    learner.force_login(alice)  # the frozen jump ended the idle session
    assert ask(learner, order, **UNIT).status_code == 302
    assert ask(learner, order, **UNIT).status_code == 302
    assert InvoiceRequest.objects.count() == 1


def test_finance_issues_an_electronic_invoice_and_the_learner_downloads_it(learner, order, finance_user, alice, bob):
    ask(learner, order, **UNIT)
    item = InvoiceRequest.objects.get()
    finance = staff_client(finance_user)
    assert "待开票" in finance.get(reverse("office:finance_invoices")).content.decode()
    response = issue(
        finance,
        item,
        **{
            "issue-invoice_number": "24322000000012345678",
            "issue-pdf": SimpleUploadedFile("../../x.pdf", PDF, "application/pdf"),
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == InvoiceStatus.ISSUED and item.issued_by == finance_user and item.issued_at
    assert item.pdf.name.startswith("invoices/") and "x.pdf" not in item.pdf.name
    assert AuditRecord.objects.filter(event=Event.INVOICE_ISSUE, actor=finance_user).exists()
    page = learner.get(reverse("orders:detail", args=[order.number])).content.decode()
    url = reverse("orders:invoice_pdf", args=[order.number, item.pk])
    assert "24322000000012345678" in page and url in page
    response = learner.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf" and "no-store" in response["Cache-Control"]
    assert finance.get(url).status_code == 200
    other = Client()
    other.force_login(bob)
    assert other.get(url).status_code == 404
    assert Client().get(url).status_code == 404


def test_the_file_is_404_for_city_offices_and_content_editors(learner, order, nanjing_reviewer, content_editor,
                                                              finance_user):  # fmt: skip
    ask(learner, order, **UNIT)
    item = InvoiceRequest.objects.get()
    issue(
        staff_client(finance_user), item, **{"issue-invoice_number": "1", "issue-pdf": SimpleUploadedFile("a.pdf", PDF)}
    )
    url = reverse("orders:invoice_pdf", args=[order.number, item.pk])
    assert staff_client(nanjing_reviewer).get(url).status_code == 404
    assert staff_client(content_editor).get(url).status_code == 404
    assert learner.get(reverse("orders:invoice_pdf", args=["JX0", item.pk])).status_code == 404


@pytest.mark.parametrize(
    "content, error",
    [
        (b"<html><script>alert(1)</script></html>", "不是 PDF 文件"),
        (b"\x89PNG\r\n\x1a\n" + b"0" * 100, "不是 PDF 文件"),
        (b"%PDF-1.4 truncated", "PDF 文件不完整"),
        (b"", "文件是空的"),
    ],
)
def test_the_pdf_is_checked_by_its_content(learner, order, finance_user, content, error):
    ask(learner, order, **UNIT)
    item = InvoiceRequest.objects.get()
    upload = SimpleUploadedFile("invoice.pdf", content, "application/pdf")
    response = issue(staff_client(finance_user), item, **{"issue-invoice_number": "1", "issue-pdf": upload})
    assert error in response.content.decode()
    item.refresh_from_db()
    assert item.status == InvoiceStatus.PENDING and not item.pdf


def test_paper_invoice_needs_a_tracking_number_which_the_learner_sees(learner, order, alice, finance_user):
    address = Address.objects.create(user=alice, recipient="张伟", mobile="13800138000", region="江苏省南京市",
                                      detail="中山路 2 号", is_default=True)  # fmt: skip
    ask(learner, order, invoice_type="personal", personal_name="张伟", delivery="post", address=str(address.pk))
    item = InvoiceRequest.objects.get()
    finance = staff_client(finance_user)
    assert "纸质发票请填写快递单号" in issue(finance, item, **{"issue-invoice_number": "9"}).content.decode()
    issue(finance, item, **{"issue-invoice_number": "9", "issue-tracking_number": "SF1234567890"})
    item.refresh_from_db()
    assert item.status == InvoiceStatus.ISSUED and item.tracking_number == "SF1234567890" and not item.pdf
    assert "SF1234567890" in learner.get(reverse("orders:detail", args=[order.number])).content.decode()


def test_void_lets_the_learner_ask_again_and_an_issued_invoice_blocks_refund(learner, order, finance_user):
    ask(learner, order, **UNIT)
    item = InvoiceRequest.objects.get()
    finance = staff_client(finance_user)
    issue(finance, item, **{"issue-invoice_number": "1", "issue-pdf": SimpleUploadedFile("a.pdf", PDF)})
    payment = order.payments.get()
    response = finance.post(reverse("office:finance_refund", args=[payment.number]), {"reason": "学员申请"},
                            follow=True)  # fmt: skip
    assert "请先开具红字发票" in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    finance.post(reverse("office:finance_invoice", args=[item.pk]), {"action": "void", "void-reason": "抬头有误"})
    item.refresh_from_db()
    assert item.status == InvoiceStatus.VOID and item.void_reason == "抬头有误"
    assert AuditRecord.objects.filter(event=Event.INVOICE_VOID).exists()
    assert ask(learner, order, **UNIT).status_code == 302
    assert InvoiceRequest.objects.filter(status=InvoiceStatus.PENDING).count() == 1


def test_issue_twice_is_quiet_and_void_is_final(learner, order, finance_user):
    ask(learner, order, **UNIT)
    item = InvoiceRequest.objects.get()
    invoices.issue_invoice(item=item, invoice_number="1", pdf=SimpleUploadedFile("a.pdf", PDF), actor=finance_user)
    invoices.issue_invoice(item=item, invoice_number="2", pdf=SimpleUploadedFile("a.pdf", PDF), actor=finance_user)
    item.refresh_from_db()
    assert item.invoice_number == "1"
    assert AuditRecord.objects.filter(event=Event.INVOICE_ISSUE).count() == 1
    audit = AuditRecord.objects.get(event=Event.INVOICE_ISSUE)  # named on the order, as every invoice record is
    assert (audit.object_type, audit.object_id) == ("orders.Order", str(order.pk))
    assert audit.detail == {"before": "pending", "after": "issued", "invoice": item.pk, "invoice_number": "1"}
    invoices.void_invoice(item=item, reason="x", actor=finance_user)
    with pytest.raises(IllegalMove) as refused:
        invoices.issue_invoice(item=item, invoice_number="3", pdf=SimpleUploadedFile("a.pdf", PDF), actor=finance_user)
    assert refused.value.status == 409 and refused.value.message == "该发票申请当前为“已作废”，不能再操作。"


def test_finance_filters_requests_by_status_and_date(learner, order, finance_user, catalog):
    ask(learner, order, **UNIT)
    finance = staff_client(finance_user)
    url = reverse("office:finance_invoices")
    assert order.number in finance.get(url, {"status": "pending"}).content.decode()
    assert order.number not in finance.get(url, {"status": "issued"}).content.decode()
    assert order.number not in finance.get(url, {"start": "2000-01-01", "end": "2000-01-02"}).content.decode()
    assert order.number in finance.get(url, {"q": order.number[-6:]}).content.decode()


def test_req_26_finance_sees_the_recipients_mobile_masked_until_it_asks_audited(learner, order, alice, finance_user):
    address = Address.objects.create(user=alice, recipient="张伟", mobile="13800138000", region="江苏省南京市",
                                      detail="中山路 2 号", is_default=True)  # fmt: skip
    ask(learner, order, invoice_type="personal", personal_name="张伟", delivery="post", address=str(address.pk))
    item = InvoiceRequest.objects.get()
    finance = staff_client(finance_user)
    url = reverse("office:finance_invoice", args=[item.pk])
    page = finance.get(url).content.decode()
    assert "13800138000" not in page and "138****8000" in page
    page = finance.post(url, {"action": "reveal_mobile"}).content.decode()
    assert "13800138000" in page
    entry = AuditRecord.objects.get(event=Event.PI_REVEAL)
    assert entry.actor == finance_user and entry.detail["field"] == "invoice_mobile"
