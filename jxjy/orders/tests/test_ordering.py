from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from conftest import staff_client
from jxjy.audit.models import AuditRecord, Event
from jxjy.catalog.models import YearClaim
from jxjy.lib.errors import UserError
from jxjy.lib.states import IllegalMove
from jxjy.orders import services
from jxjy.orders.models import Order, OrderLine, OrderStatus, PreEnrollment

from .helpers import UNIT_INVOICE, another_class, checkout, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner(client, alice):
    client.force_login(alice)
    return client


def test_class_list_filters_and_statuses(learner, alice, catalog):
    html = learner.get(reverse("orders:classes"), {"year": 2026, "grade": "L4"}).content.decode()
    assert catalog[(2026, "L4")].title in html and catalog[(2025, "L4")].title not in html
    assert "可报名" in html and "立即报名" in html and "¥120.00" in html
    second = another_class(catalog[(2026, "L4")])
    place(learner, catalog[(2026, "L4")])
    html = learner.get(reverse("orders:classes"), {"year": 2026}).content.decode()
    assert "已报名" in html and "本年度已报其他班" in html and second.title in html


def test_closed_class_shows_closed_and_cannot_be_ordered(learner, catalog):
    training_class = catalog[(2026, "L4")]
    training_class.enroll_end = timezone.now() - timedelta(days=1)
    training_class.enroll_start = timezone.now() - timedelta(days=10)
    training_class.save()
    assert "已截止" in learner.get(reverse("orders:classes"), {"year": 2026, "grade": "L4"}).content.decode()
    response = checkout(learner, training_class)
    assert response.status_code == 400
    assert "报名已截止" in response.content.decode()
    assert not Order.objects.exists()


def test_immediate_enroll_goes_to_checkout(learner, catalog):
    training_class = catalog[(2026, "L4")]
    response = learner.post(reverse("orders:enroll", args=[training_class.pk]))
    assert response.url == f"{reverse('orders:checkout')}?classes={training_class.pk}"
    page = learner.get(response.url).content.decode()
    assert training_class.title in page and "发票抬头" in page and "发票配送方式" in page


def test_order_lines_copy_title_fee_and_hours(learner, alice, catalog):
    training_class = catalog[(2026, "L4")]
    order = place(learner, training_class, **UNIT_INVOICE)
    assert order.status == OrderStatus.PENDING
    assert order.amount == Decimal("120.00")
    assert order.invoice_title == "南京市玄武区机关事务管理局" and order.invoice_tax_id == "11100000000013127D"
    line = order.lines.get()
    training_class.title, training_class.fee = "改过的名称", Decimal("999.00")
    training_class.save()
    line.refresh_from_db()
    order.refresh_from_db()
    assert (line.title, line.fee, line.hours, line.year) == (
        "2026年度工勤人员继续教育网络班（中级工）",
        Decimal("120.00"),
        Decimal("48.0"),
        2026,
    )
    assert order.amount == Decimal("120.00")
    assert order.expires_at - order.created_at == timedelta(minutes=30)
    assert AuditRecord.objects.filter(event=Event.ORDER_PLACE, object_id=str(order.pk)).exists()


@pytest.mark.parametrize(
    "invoice, field_message",
    [
        ({"invoice_type": "personal", "personal_name": "", "delivery": "pickup"}, "请填写发票抬头（个人姓名）"),
        ({"invoice_type": "unit", "unit_name": "", "tax_id": "11100000000013127D", "delivery": "pickup"}, "请填写单位名称"),
        ({"invoice_type": "unit", "unit_name": "某公司", "tax_id": "", "delivery": "pickup"}, "企业单位须填写统一社会信用代码"),
        ({"invoice_type": "unit", "unit_name": "某公司", "tax_id": "91350100M000100Y44", "delivery": "pickup"}, "校验位不正确"),
        ({"invoice_type": "personal", "personal_name": "张伟", "delivery": "email", "email": ""}, "接收邮箱"),
        ({"invoice_type": "personal", "personal_name": "张伟", "delivery": "post"}, "请选择收件地址"),
    ],
)  # fmt: skip
def test_invoice_rules(learner, catalog, invoice, field_message):
    response = checkout(learner, catalog[(2026, "L4")], **invoice)
    assert response.status_code == 200
    assert field_message in response.content.decode()
    assert not Order.objects.exists()


def test_public_institution_may_leave_the_code_blank(learner, catalog):
    order = place(
        learner,
        catalog[(2026, "L4")],
        invoice_type="unit",
        unit_name="南京市玄武区人民政府办公室",
        tax_id="",
        public_institution="on",
        delivery="pickup",
    )
    assert order.invoice_tax_id == "" and order.invoice_delivery == "pickup"


def test_post_delivery_snapshots_the_address(learner, alice, catalog):
    from jxjy.accounts.models import Address

    address = Address.objects.create(
        user=alice,
        recipient="张伟",
        mobile="13800138000",
        region="江苏省 南京市",
        detail="北京东路41号",
        is_default=True,
    )
    order = place(
        learner, catalog[(2026, "L4")], invoice_type="personal", personal_name="张伟", delivery="post",
        address=str(address.pk),
    )  # fmt: skip
    address.detail = "搬家了"
    address.save()
    order.refresh_from_db()
    assert order.invoice_address == "江苏省 南京市 北京东路41号" and order.invoice_mobile == "13800138000"


def test_someone_elses_address_cannot_be_used(learner, bob, catalog):
    from jxjy.accounts.models import Address

    address = Address.objects.create(user=bob, recipient="李娜", mobile="13912345678", region="苏州", detail="1号")
    response = checkout(
        learner, catalog[(2026, "L4")], invoice_type="personal", personal_name="张伟", delivery="post",
        address=str(address.pk),
    )  # fmt: skip
    assert response.status_code == 200 and not Order.objects.exists()


def test_same_class_again_is_refused_with_the_order_number(learner, catalog):
    order = place(learner, catalog[(2026, "L4")])
    response = checkout(learner, catalog[(2026, "L4")])
    html = response.content.decode()
    assert response.status_code == 400
    assert order.number in html and "待支付" in html
    assert Order.objects.count() == 1


def test_another_class_of_the_same_year_is_refused(learner, catalog):
    place(learner, catalog[(2026, "L4")])
    response = checkout(learner, another_class(catalog[(2026, "L4")]))
    assert "每个培训年度只能报一个班" in response.content.decode()
    assert Order.objects.count() == 1


def test_two_classes_of_one_year_in_one_order_are_refused(learner, catalog):
    response = checkout(learner, catalog[(2026, "L4")], another_class(catalog[(2026, "L4")]))
    assert "同一年度" in response.content.decode()
    assert not Order.objects.exists()


def test_the_rule_holds_in_the_service_too(alice, catalog):
    services.place_order(user=alice, class_ids=[catalog[(2026, "L4")].pk], invoice={"invoice_type": "none"})
    second = another_class(catalog[(2026, "L4")])
    with pytest.raises(UserError):
        services.place_order(user=alice, class_ids=[second.pk], invoice={"invoice_type": "none"})
    assert YearClaim.objects.filter(user=alice).count() == 1


def test_other_learners_are_independent(client, alice, bob, catalog):
    client.force_login(alice)
    place(client, catalog[(2026, "L4")])
    client.force_login(bob)
    place(client, catalog[(2026, "L4")])
    assert Order.objects.count() == 2


def test_cancel_releases_the_year(learner, alice, catalog):
    order = place(learner, catalog[(2026, "L4")])
    response = learner.post(reverse("orders:cancel", args=[order.number]))
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.ended_at is not None
    assert not YearClaim.objects.filter(user=alice).exists()
    place(learner, another_class(catalog[(2026, "L4")]))
    transition = AuditRecord.objects.filter(event=Event.ORDER_TRANSITION, object_id=str(order.pk)).get()
    assert transition.detail["after"] == "cancelled" and transition.actor == alice


def test_paid_order_cannot_be_cancelled(learner, catalog):
    order = place(learner, catalog[(2026, "L4")])
    services.transition(order, OrderStatus.PAID)
    learner.post(reverse("orders:cancel", args=[order.number]))
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_illegal_transitions_are_refused_and_repeats_are_quiet(learner, catalog):
    order = place(learner, catalog[(2026, "L4")])
    services.transition(order, OrderStatus.CANCELLED)
    services.transition(order, OrderStatus.CANCELLED)  # already there: quiet
    with pytest.raises(IllegalMove):
        services.transition(order, OrderStatus.REFUNDED)
    assert AuditRecord.objects.filter(event=Event.ORDER_TRANSITION).count() == 1


def test_unpaid_orders_close_after_the_timeout(learner, alice, catalog, settings):
    settings.ORDER_PAYMENT_TIMEOUT_MINUTES = 30
    start = timezone.now()
    with freeze_time(start):
        order = place(learner, catalog[(2026, "L4")])
    with freeze_time(start + timedelta(minutes=29)):
        assert services.close_expired_orders() == 0
    with freeze_time(start + timedelta(minutes=30, seconds=1)):
        from jxjy.orders.tasks import close_expired_orders

        assert close_expired_orders.delay().get() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED
    assert not YearClaim.objects.filter(user=alice).exists()
    assert AuditRecord.objects.filter(event=Event.ORDER_TRANSITION, detail__reason="timeout").exists()


def test_timeout_is_configurable(learner, catalog, settings):
    settings.ORDER_PAYMENT_TIMEOUT_MINUTES = 5
    order = place(learner, catalog[(2026, "L4")])
    assert order.expires_at - order.created_at == timedelta(minutes=5)


def test_pre_enrollment_list_badge_and_checkout_of_two_years(learner, alice, catalog):
    for key in ((2025, "L4"), (2026, "L4")):
        learner.post(reverse("orders:pre_enrollment_add", args=[catalog[key].pk]))
    page = learner.get(reverse("orders:pre_enrollment")).content.decode()
    assert 'class="badge"' in page and ">2<" in page
    response = learner.post(
        reverse("orders:pre_enrollment"), {"classes": [catalog[(2025, "L4")].pk, catalog[(2026, "L4")].pk]}
    )
    assert response.url.startswith(reverse("orders:checkout"))
    order = place(learner, catalog[(2025, "L4")], catalog[(2026, "L4")])
    assert order.amount == Decimal("240.00")
    assert sorted(order.lines.values_list("year", flat=True)) == [2025, 2026]
    assert not PreEnrollment.objects.filter(user=alice).exists()


def test_pre_enrollment_refuses_what_cannot_be_ordered(learner, catalog):
    place(learner, catalog[(2026, "L4")])
    second = another_class(catalog[(2026, "L4")])
    response = learner.post(reverse("orders:pre_enrollment_add", args=[second.pk]), follow=True)
    assert "每个培训年度只能报一个班" in response.content.decode()
    assert not PreEnrollment.objects.exists()


def test_settling_nothing_is_refused(learner, catalog):
    response = learner.post(reverse("orders:pre_enrollment"), {}, follow=True)
    assert "请勾选要一起报名的班级后再结算" in response.content.decode()


def test_my_orders_are_scoped_to_the_learner(client, alice, bob, catalog, django_assert_max_num_queries):
    client.force_login(alice)
    order = place(client, catalog[(2026, "L4")])
    place(client, catalog[(2025, "L4")])
    with django_assert_max_num_queries(8):
        html = client.get(reverse("orders:list")).content.decode()
    assert order.number in html and "待支付" in html and "查看订单" in html
    detail = client.get(reverse("orders:detail", args=[order.number])).content.decode()
    assert "继续支付" in detail and "取消订单" in detail
    client.force_login(bob)
    assert order.number not in client.get(reverse("orders:list")).content.decode()
    for name in ("orders:detail", "orders:confirm", "orders:result", "orders:status"):
        assert client.get(reverse(name, args=[order.number])).status_code == 404
    assert client.post(reverse("orders:cancel", args=[order.number])).status_code == 404
    assert client.post(reverse("payments:pay", args=[order.number]), {"provider": "mockbank"}).status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_order_list_query_count_does_not_grow(client, alice, catalog):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(alice)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("orders:list")).status_code == 200
        return len(captured)

    services.transition(place(client, catalog[(2026, "L4")]), OrderStatus.CANCELLED)
    one_order = queries()
    for training_class in (another_class(catalog[(2026, "L4")]), catalog[(2025, "L4")], catalog[(2026, "L4")]):
        services.transition(place(client, training_class), OrderStatus.CANCELLED)
    assert queries() == one_order


def test_staff_are_sent_away(province_admin, catalog):
    assert staff_client(province_admin).get(reverse("orders:classes")).url == reverse("office:home")


def test_amounts_are_decimal(alice, catalog):
    order = services.place_order(
        user=alice, class_ids=[catalog[(2025, "L4")].pk, catalog[(2026, "L4")].pk], invoice={"invoice_type": "none"}
    )
    order.refresh_from_db()
    assert isinstance(order.amount, Decimal) and order.amount == Decimal("240.00")
    assert OrderLine.objects.filter(order=order).count() == 2
