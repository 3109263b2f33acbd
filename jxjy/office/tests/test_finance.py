import pytest
from django.test import Client
from django.urls import reverse

from conftest import staff_client
from jxjy.audit.models import AuditRecord, Event
from jxjy.catalog.models import YearClaim
from jxjy.learning.models import Enrollment, EnrollmentStatus
from jxjy.orders import services as orders
from jxjy.orders.models import OrderStatus
from jxjy.orders.tests.helpers import place
from jxjy.orders.tests.invoice_helpers import pay
from jxjy.payments.models import MockBankTrade, Payment, PaymentFlag, PaymentStatus, Refund
from jxjy.payments.tests.helpers import body_for, notify, start

pytestmark = pytest.mark.django_db

PAGES = ["finance_orders", "finance_payments", "finance_refunds", "finance_invoices"]


@pytest.fixture
def learner(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def order(learner, catalog):
    order = place(learner, catalog[(2026, "L4")])
    pay(learner, order)
    return order


def desk_urls(order):
    payment = order.payments.get()
    return [reverse(f"office:{name}") for name in PAGES] + [
        reverse("office:finance_order", args=[order.number]),
        reverse("office:finance_payment", args=[payment.number]),
    ]


def test_finance_and_the_province_see_the_desk(order, finance_user, province_admin):
    for user in (finance_user, province_admin):
        client = staff_client(user)
        for url in desk_urls(order):
            response = client.get(url)
            assert response.status_code == 200, url
        assert "发票管理" in client.get(reverse("office:finance_orders")).content.decode()


def test_city_offices_content_editors_and_learners_are_refused(order, nanjing_reviewer, content_editor, learner):
    for user in (nanjing_reviewer, content_editor):
        client = staff_client(user)
        for url in desk_urls(order):
            assert client.get(url).status_code == 403, url
        payment = order.payments.get()
        assert client.post(reverse("office:finance_refund", args=[payment.number]), {"reason": "x"}).status_code == 403
        assert "订单管理" not in client.get(reverse("office:home")).content.decode()
    assert AuditRecord.objects.filter(event=Event.ACCESS_DENIED, actor=content_editor).exists()
    assert learner.get(reverse("office:finance_orders")).status_code in (302, 403)
    assert Client().get(reverse("office:finance_orders")).status_code == 302
    assert order.payments.get().status == PaymentStatus.SUCCEEDED


def test_order_list_filters_by_status_year_date_and_number(order, learner, catalog, finance_user):
    other = place(learner, catalog[(2025, "L4")])
    client = staff_client(finance_user)
    url = reverse("office:finance_orders")

    def shown(**params):
        page = client.get(url, params).content.decode()
        return {o.number for o in (order, other) if o.number in page}

    assert shown() == {order.number, other.number}
    assert shown(status="paid") == {order.number}
    assert shown(status="pending") == {other.number}
    assert shown(year=2025) == {other.number}
    assert shown(q=order.number) == {order.number}
    assert shown(start="2000-01-01", end="2000-12-31") == set()


def test_order_list_queries_are_bounded(learner, catalog, finance_user, alice, bob, django_assert_max_num_queries):
    client = staff_client(finance_user)
    url = reverse("office:finance_orders")
    place(learner, catalog[(2026, "L4")])
    client.get(url)
    for learner_client, user in ((Client(), bob),):
        learner_client.force_login(user)
        for key in ((2025, "L4"), (2026, "L4")):
            place(learner_client, catalog[key])
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("office:finance_payments")).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("office:finance_invoices")).status_code == 200


def test_payment_page_shows_its_notifications(order, finance_user):
    payment = order.payments.get()
    notify(Client(), body_for(payment, trade_no="MB0001"))  # the bank repeats itself
    page = staff_client(finance_user).get(reverse("office:finance_payment", args=[payment.number])).content.decode()
    assert "支付通知（2）" in page and "重复通知" in page and "已处理" in page


def test_refund_from_the_desk_goes_through_the_refund_service(order, alice, finance_user):
    payment = order.payments.get()
    client = staff_client(finance_user)
    assert "请填写退款原因" in client.post(reverse("office:finance_refund", args=[payment.number]), {},
                                          follow=True).content.decode()  # fmt: skip
    response = client.post(reverse("office:finance_refund", args=[payment.number]), {"reason": "学员申请"},
                           follow=True)  # fmt: skip
    assert "已退款 ¥120.00" in response.content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED and Refund.objects.get().actor == finance_user
    assert Enrollment.objects.get(user=alice).status == EnrollmentStatus.REFUNDED
    assert not YearClaim.objects.filter(user=alice).exists()
    assert Refund.objects.get().number in client.get(reverse("office:finance_refunds")).content.decode()


def test_no_refund_once_study_has_begun(order, finance_user):
    Enrollment.objects.update(status=EnrollmentStatus.LEARNING)
    payment = order.payments.get()
    response = staff_client(finance_user).post(reverse("office:finance_refund", args=[payment.number]),
                                               {"reason": "x"}, follow=True)  # fmt: skip
    assert "已开始学习，不能退款" in response.content.decode()
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SUCCEEDED


def late_payment(learner, catalog):
    order = place(learner, catalog[(2025, "L4")])
    payment, _ = start(learner, order)
    orders.transition(order, OrderStatus.CLOSED, reason="timeout")
    MockBankTrade.objects.filter(out_trade_no=payment.number).update(status="SUCCESS", trade_no="MB-LATE")
    notify(Client(), body_for(payment, trade_no="MB-LATE"))
    payment.refresh_from_db()
    assert payment.flag == PaymentFlag.LATE
    return order, payment


def test_flagged_late_payment_is_listed_and_reopened(learner, catalog, alice, finance_user):
    order, payment = late_payment(learner, catalog)
    client = staff_client(finance_user)
    page = client.get(reverse("office:finance_payments"), {"flag": "late"}).content.decode()
    assert payment.number in page and "待处理 1 笔" in page
    response = client.post(reverse("office:finance_accept_late", args=[payment.number]), follow=True)
    assert f"订单 {order.number} 已重新开通" in response.content.decode()
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.PAID and payment.flag == PaymentFlag.RESOLVED
    assert Enrollment.objects.filter(user=alice, order_line__order=order).exists()
    assert payment.number not in client.get(reverse("office:finance_payments"), {"flag": "late"}).content.decode()


def test_flagged_late_payment_can_be_refunded_instead(learner, catalog, finance_user):
    order, payment = late_payment(learner, catalog)
    staff_client(finance_user).post(reverse("office:finance_refund", args=[payment.number]), {"reason": "关闭后到账"})
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED and payment.flag == PaymentFlag.RESOLVED
    assert order.status == OrderStatus.CLOSED
