"""新增收件地址 inside 提交订单 (issue 15 item 7): the address is added with accounts' own form and service (their
checks, their limit, their audit record) by posting the whole order form to the checkout view, which shows the
order form again with everything the learner had filled in and the new address chosen — no order is placed until
提交订单, and a wrong address keeps both the address fields and the order's values."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from jxjy.accounts.models import Address
from jxjy.accounts.services import MAX_ADDRESSES
from jxjy.audit.models import AuditRecord, Event
from jxjy.orders.models import Order

pytestmark = pytest.mark.django_db
CHECKOUT = reverse("orders:checkout")
ORDER = {
    "invoice_type": "unit",
    "unit_name": "南京市玄武区机关事务管理局",
    "tax_id": "11100000000013127D",
    "delivery": "post",
}
NEW_ADDRESS = {
    "addr-recipient": "张伟",
    "addr-mobile": "13800138000",
    "addr-region": "江苏省 南京市 玄武区",
    "addr-detail": "北京东路 41 号",
    "addr-postcode": "210008",
}


@pytest.fixture
def client(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    return client


def post(client, training_class, data):
    page = client.get(CHECKOUT, {"classes": training_class.pk}).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    return client.post(CHECKOUT, {"classes": training_class.pk, "csrfmiddlewaretoken": token, **data})


def checked(html, name):
    """The values of the checked radios named `name`."""
    return re.findall(rf'<input type="radio" name="{name}" value="([^"]*)"[^>]*checked', html)


def test_the_checkout_page_offers_the_address_form_inline(client, catalog):
    html = client.get(CHECKOUT, {"classes": catalog[(2026, "L4")].pk}).content.decode()
    form = re.search(r'<form method="post" novalidate class="invoice-form">(.*?)</form>', html, re.S).group(1)
    assert '<details class="address-add">' in form and "<summary>新增收件地址</summary>" in form
    for name in ("recipient", "mobile", "region", "detail", "postcode"):
        assert f'name="addr-{name}"' in form
    assert 'name="add_address"' in form and ">保存这个地址</button>" in form
    # The first submit button (the one Enter presses) is 提交订单, not 保存这个地址.
    first = re.search(r"<button[^>]*>([^<]*)</button>", form).group(1)
    assert first == "提交订单"


def test_adding_an_address_keeps_the_order_form_and_chooses_it(client, alice, catalog):
    home = Address.objects.create(user=alice, recipient="张伟", mobile="13800138000", region="南京", detail="家里")
    Address.objects.filter(pk=home.pk).update(is_default=True)  # the one chosen by default: the new one must win
    response = post(client, catalog[(2026, "L4")], {**ORDER, **NEW_ADDRESS, "add_address": "1"})
    html = response.content.decode()
    assert response.status_code == 200 and not Order.objects.exists()
    address = Address.objects.exclude(pk=home.pk).get(user=alice)
    assert (address.recipient, address.mobile, address.detail) == ("张伟", "13800138000", "北京东路 41 号")
    assert AuditRecord.objects.filter(event=Event.ADDRESS_CHANGE, actor=alice).count() == 1
    assert "已新增收件地址，并已选中。" in html
    assert checked(html, "address") == [str(address.pk)]
    assert checked(html, "invoice_type") == ["unit"] and checked(html, "delivery") == ["post"]
    assert 'value="南京市玄武区机关事务管理局"' in html and 'value="11100000000013127D"' in html
    assert '<details class="address-add">' in html  # folded again
    assert 'class="errorlist' not in html  # nothing unfinished is called wrong yet
    # 提交订单 with the new address: its snapshot is on the order.
    response = post(client, catalog[(2026, "L4")], {**ORDER, "address": str(address.pk)})
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.invoice_recipient == "张伟" and order.invoice_address == "江苏省 南京市 玄武区 北京东路 41 号"


def test_a_wrong_address_is_shown_open_with_its_errors_and_the_order_values(client, alice, catalog):
    bad = {**NEW_ADDRESS, "addr-mobile": "12345", "addr-postcode": "21000A", "addr-detail": ""}
    html = post(client, catalog[(2026, "L4")], {**ORDER, **bad, "add_address": "1"}).content.decode()
    assert not Address.objects.exists() and not Order.objects.exists()
    assert '<details class="address-add" open>' in html
    assert "邮政编码应为 6 位数字。" in html
    assert html.count('class="errorlist') >= 3  # 联系电话, 详细地址, 邮政编码: each next to its field
    assert 'value="12345"' in html and 'value="南京市玄武区机关事务管理局"' in html
    assert checked(html, "invoice_type") == ["unit"] and checked(html, "delivery") == ["post"]


def test_the_address_book_limit_of_accounts_applies(client, alice, catalog):
    for n in range(MAX_ADDRESSES):
        Address.objects.create(user=alice, recipient="张伟", mobile="13800138000", region="南京", detail=f"{n} 号")
    html = post(client, catalog[(2026, "L4")], {**ORDER, **NEW_ADDRESS, "add_address": "1"}).content.decode()
    assert f"最多保存 {MAX_ADDRESSES} 个收件地址。" in html
    assert Address.objects.filter(user=alice).count() == MAX_ADDRESSES


def test_the_new_address_is_the_learners_own_only(client, alice, bob, catalog):
    post(client, catalog[(2026, "L4")], {**ORDER, **NEW_ADDRESS, "add_address": "1"})
    address = Address.objects.get()
    assert address.user == alice
    other = Client()
    other.force_login(bob)
    html = other.get(CHECKOUT, {"classes": catalog[(2026, "L4")].pk}).content.decode()
    assert "北京东路 41 号" not in html
    response = other.post(CHECKOUT, {"classes": catalog[(2026, "L4")].pk, **ORDER, "address": str(address.pk)})
    assert response.status_code == 200 and "请选择收件地址" in response.content.decode()
    assert not Order.objects.exists()
