"""我的订单 (issue 15 item 3): every unpaid order in the list shows a large 待支付, its deadline in words, 去支付
(to 确认订单信息 with 立即支付) and 取消订单 (a POST with CSRF and a confirmation, back to the list); an order past
its deadline says 已超时关闭; the order line table stacks on a phone."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from jxjy.orders import services
from jxjy.orders.models import Order, OrderStatus

pytestmark = pytest.mark.django_db
LIST = reverse("orders:list")
BEIJING = ZoneInfo("Asia/Shanghai")
TODAY = timezone.localdate()  # the catalog's classes are open for enrollment around today
NOON = datetime(TODAY.year, TODAY.month, TODAY.day, 12, 48, tzinfo=BEIJING)


def signed_in(user, csrf=False):
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def place(user, training_class, at=NOON, minutes=30):
    with freeze_time(at):
        order = services.place_order(user=user, class_ids=[training_class.pk], invoice={"invoice_type": "none"})
    Order.objects.filter(pk=order.pk).update(expires_at=at + timedelta(minutes=minutes))
    order.refresh_from_db()
    return order


def entry(html, order):
    """The list item of `order`."""
    match = re.search(rf"<li>\s*<div class=\"order-head\"><span>订单号 {order.number}</span>.*?</li>", html, re.S)
    assert match, f"{order.number} not in the list"
    return match.group(0)


def test_an_unpaid_order_shows_its_deadline_and_both_actions(alice, catalog):
    order = place(alice, catalog[(2026, "L4")])
    with freeze_time(NOON + timedelta(minutes=5, seconds=20)):
        html = signed_in(alice).get(LIST).content.decode()
    item = entry(html, order)
    assert '<span class="tag status-pending tag-big">待支付</span>' in item
    assert "请在 13:18 前支付，还剩 24 分钟" in item
    assert f'<a class="btn" href="{reverse("orders:confirm", args=[order.number])}">去支付</a>' in item
    form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', item, re.S)
    assert form.group(1) == reverse("orders:cancel", args=[order.number])
    assert 'name="csrfmiddlewaretoken"' in form.group(2) and 'name="back" value="list"' in form.group(2)
    assert 'data-confirm="确定取消这个订单吗？' in form.group(2) and ">取消订单</button>" in form.group(2)


def test_a_deadline_on_another_day_names_the_date_and_the_hours_left(alice, catalog):
    late = NOON.replace(hour=23, minute=50)
    order = place(alice, catalog[(2026, "L4")], at=late, minutes=90)
    with freeze_time(late):
        item = entry(signed_in(alice).get(LIST).content.decode(), order)
    tomorrow = TODAY + timedelta(days=1)
    assert f"请在 {tomorrow.month}月{tomorrow.day}日 01:20 前支付，还剩 1 小时 30 分钟" in item
    with freeze_time(late + timedelta(minutes=89, seconds=30)):
        item = entry(signed_in(alice).get(LIST).content.decode(), order)
    assert "还剩 不到 1 分钟" in item


def test_go_to_pay_leads_to_the_payment_step(alice, catalog):
    order = place(alice, catalog[(2026, "L4")], at=timezone.now())
    html = signed_in(alice).get(reverse("orders:confirm", args=[order.number])).content.decode()
    assert "确认订单信息" in html and ">立即支付</button>" in html
    assert f'action="{reverse("payments:pay", args=[order.number])}"' in html


def test_cancel_from_the_list_cancels_and_comes_back_to_the_list(alice, catalog):
    order = place(alice, catalog[(2026, "L4")], at=timezone.now())
    client = signed_in(alice, csrf=True)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get(LIST).content.decode()).group(1)
    cancel = reverse("orders:cancel", args=[order.number])
    assert client.post(cancel, {"back": "list"}).status_code == 403  # no CSRF token: refused
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    response = client.post(cancel, {"back": "list", "csrfmiddlewaretoken": token}, follow=True)
    assert response.redirect_chain[-1][0] == LIST
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    item = entry(response.content.decode(), order)
    assert f"订单 {order.number} 已取消。" in response.content.decode()
    assert ">已取消</span>" in item and "去支付" not in item and "取消订单" not in item


def test_another_learner_cannot_cancel_or_see_the_order(alice, bob, catalog):
    order = place(alice, catalog[(2026, "L4")], at=timezone.now())
    client = signed_in(bob)
    assert client.post(reverse("orders:cancel", args=[order.number]), {"back": "list"}).status_code == 404
    assert order.number not in client.get(LIST).content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_an_order_past_its_deadline_says_closed_plainly(alice, bob, catalog):
    waiting = place(alice, catalog[(2026, "L4")])  # past its deadline, not yet closed by the periodic job
    closed = place(bob, catalog[(2026, "L4")])
    with freeze_time(NOON + timedelta(minutes=31)):
        services.close_expired_orders(now=NOON + timedelta(minutes=31) - timedelta(seconds=1))
        Order.objects.filter(pk=waiting.pk).update(status=OrderStatus.PENDING, ended_at=None)
        for user, order in ((alice, waiting), (bob, closed)):
            item = entry(signed_in(user).get(LIST).content.decode(), order)
            assert '<span class="tag status-closed">已超时关闭</span>' in item
            assert "超过支付时间没有支付，订单已关闭" in item
            assert "去支付" not in item and "取消订单" not in item and "待支付" not in item
            detail = signed_in(user).get(reverse("orders:detail", args=[order.number])).content.decode()
            assert "已超时关闭" in detail and "继续支付" not in detail and ">取消订单</button>" not in detail


def test_the_order_line_table_stacks_with_a_label_on_each_cell(alice, catalog):
    order = place(alice, catalog[(2026, "L4")], at=timezone.now())
    client = signed_in(alice)
    for url in (reverse("orders:detail", args=[order.number]), reverse("orders:confirm", args=[order.number])):
        html = client.get(url).content.decode()
        assert '<table class="lines stack">' in html
        for label in ("班级", "培训年度", "要求学时", "费用"):
            assert f'<td data-label="{label}"' in html
        assert re.search(r'<td data-label="要求学时">\d+(\.\d)? 学时</td>', html)


def test_the_list_takes_bounded_queries(alice, catalog, django_assert_max_num_queries):
    for year in (2025, 2026):
        place(alice, catalog[(year, "L4")], at=timezone.now())
    client = signed_in(alice)
    with django_assert_max_num_queries(8):
        assert client.get(LIST).status_code == 200
