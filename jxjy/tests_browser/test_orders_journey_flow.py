"""报名缴费 as a new learner meets it (issue 15 items 3, 7, 8), on a 360-px phone in 大字模式 and on a desktop:
网络班报名 asks 您的技术等级 first (large cards, then a confirmation), the list shows the learner's grade with
「与您的技术等级相符」 and 查看全部等级; 提交订单 adds a 收件地址 inline without losing the invoice fields; 支付失败
leaves the order 待支付 in 我的订单 with its deadline, 去支付 and 取消订单; 去支付 then pays it; 取消订单 in the list
cancels another. Every page: a screenshot, no sideways scroll, every target ≥ 44 px, and in 大字模式 no text under
18 px (measures.py, shared with test_a11y_audit)."""

import re

import pytest
from playwright.sync_api import expect

from conftest import make_learner

from .measures import check
from .steps import at, class_card, log_in, order_entry, pay

pytestmark = pytest.mark.browser

SENIOR_2026 = "2026年度工勤人员继续教育网络班（高级工）"
SENIOR_2025 = "2025年度工勤人员继续教育网络班（高级工）"
JUNIOR_2026 = "2026年度工勤人员继续教育网络班（中级工）"
UNIT_NAME = "南京市玄武区机关事务管理局"


@pytest.fixture
def newcomer(db):
    """A learner who has just activated the account: no 技术等级 yet."""
    return make_learner("王芳", "32010219680808002", "13800138002", grade="")


def place_order_from_list(page, title):
    """立即报名 on `title` → 提交订单 (no invoice) → 确认订单信息; returns the order number."""
    page.goto("/classes/?year=")
    class_card(page, title).get_by_role("button", name="立即报名").click()
    expect(page).to_have_url(at("/checkout/"))
    page.get_by_role("button", name="提交订单").click()
    expect(page).to_have_url(re.compile(r"/orders/JX\d+/confirm/$"))
    return page.locator("p", has_text="订单号：").locator("strong").inner_text().strip()


def test_grade_inline_address_failed_payment_pay_from_my_orders(browsing, newcomer, catalog):
    from jxjy.accounts.models import Address
    from jxjy.orders.models import Order, OrderStatus

    page = browsing.page
    large = browsing.viewport == "phone"
    log_in(browsing, newcomer, "journey-01-login")
    if large:
        page.get_by_role("button", name="大字模式").click()
        expect(page.locator("html")).to_have_class(re.compile(r"\ba11y\b"))

    # 网络班报名: 您的技术等级 first, one large card each, then a confirmation.
    page.goto("/classes/")
    expect(page.get_by_role("group", name="您的技术等级")).to_be_visible()
    expect(page.locator(".grade-card")).to_have_count(6)
    expect(page.get_by_role("button", name="立即报名")).to_have_count(0)
    check(browsing, "journey-02-grade-ask", large)
    page.get_by_role("button", name="下一步").click()  # nothing chosen: asked again, plainly
    expect(page.get_by_role("alert").filter(has_text="请选择您的技术等级。")).to_be_visible()
    page.locator(".grade-card").filter(has_text="高级工").click()
    expect(page.get_by_role("radio", name=re.compile("^高级工"))).to_be_checked()
    page.get_by_role("button", name="下一步").click()
    expect(page.get_by_role("heading", name="请确认您的技术等级")).to_be_visible()
    check(browsing, "journey-03-grade-confirm", large)
    page.get_by_role("button", name="确定，我是高级工").click()
    expect(page).to_have_url(at("/classes/"))
    expect(page.get_by_role("status").filter(has_text="已保存您的技术等级：高级工")).to_be_visible()
    card = class_card(page, SENIOR_2026)
    expect(card.locator(".grade-match")).to_have_text("与您的技术等级相符")
    expect(class_card(page, JUNIOR_2026)).to_have_count(0)
    check(browsing, "journey-04-classes-mine", large)
    newcomer.refresh_from_db()
    assert newcomer.grade == "L3"

    page.get_by_role("link", name="查看全部等级").click()
    other = class_card(page, JUNIOR_2026)
    expect(other).to_contain_text("只能报名高级工的班级")
    expect(other.get_by_role("button", name="立即报名")).to_have_count(0)
    check(browsing, "journey-05-classes-all", large)
    page.get_by_role("link", name="只看高级工的班级").click()
    expect(class_card(page, JUNIOR_2026)).to_have_count(0)

    # 提交订单: 个人 paper invoice; the 收件地址 is added inline and the invoice fields stay filled in.
    class_card(page, SENIOR_2026).get_by_role("button", name="立即报名").click()
    expect(page).to_have_url(at("/checkout/"))
    page.get_by_role("radio", name="单位", exact=True).check()
    page.get_by_role("textbox", name="单位名称").fill(UNIT_NAME)
    page.get_by_label("本单位为机关、事业单位或社会团体").check()
    page.get_by_role("radio", name="邮寄", exact=True).check()
    expect(page.locator(".notice-box.info").filter(has_text="您还没有收件地址")).to_be_visible()
    page.locator(".address-add summary").click()
    page.get_by_role("textbox", name="收件人").fill("王芳")
    page.get_by_role("textbox", name="联系电话").fill("13800138002")
    page.get_by_role("textbox", name="所在地区").fill("江苏省 南京市 玄武区")
    page.get_by_role("textbox", name="详细地址").fill("北京东路 41 号")
    check(browsing, "journey-06-checkout-address", large)
    page.get_by_role("button", name="保存这个地址").click()
    expect(page.get_by_role("status").filter(has_text="已新增收件地址，并已选中。")).to_be_visible()
    expect(page.get_by_role("radio", name="单位", exact=True)).to_be_checked()
    expect(page.get_by_role("textbox", name="单位名称")).to_have_value(UNIT_NAME)
    expect(page.get_by_label("本单位为机关、事业单位或社会团体")).to_be_checked()
    expect(page.get_by_role("radio", name="邮寄", exact=True)).to_be_checked()
    expect(page.get_by_role("radio", name=re.compile("北京东路 41 号"))).to_be_checked()
    check(browsing, "journey-07-checkout-address-added", large)
    address = Address.objects.get(user=newcomer)

    page.get_by_role("button", name="提交订单").click()
    expect(page).to_have_url(re.compile(r"/orders/JX\d+/confirm/$"))
    check(browsing, "journey-08-confirm", large)
    number = page.locator("p", has_text="订单号：").locator("strong").inner_text().strip()
    order = Order.objects.get(number=number)
    assert order.invoice_recipient == address.recipient and order.invoice_address.endswith("北京东路 41 号")

    # 支付失败 → 我的订单: a large 待支付, the deadline in words, 去支付 → 立即支付 → 支付成功.
    pay(browsing, "支付失败", number, "journey-09-failed")
    page.goto("/orders/")
    entry = order_entry(page, number)
    expect(entry.locator(".tag-big")).to_have_text("待支付")
    expect(entry.locator(".pay-by")).to_have_text(
        re.compile(r"^请在 (\d+月\d+日 )?\d\d:\d\d 前支付，还剩 (\d+|不到 1) 分钟$")
    )
    expect(entry.get_by_role("button", name="取消订单")).to_be_visible()
    check(browsing, "journey-10-my-orders-unpaid", large)
    entry.get_by_role("link", name="去支付").click()
    expect(page).to_have_url(at(f"/orders/{number}/confirm/"))
    pay(browsing, "支付成功", number, "journey-11-paid")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID

    # Another order, cancelled from the list (the confirmation answered 确定).
    second = place_order_from_list(page, SENIOR_2025)
    page.goto("/orders/")
    page.once("dialog", lambda dialog: dialog.accept())
    order_entry(page, second).get_by_role("button", name="取消订单").click()
    expect(page).to_have_url(at("/orders/"))
    expect(order_entry(page, second).locator(".tag")).to_have_text("已取消")
    expect(order_entry(page, number).locator(".tag")).to_have_text("已支付")
    check(browsing, "journey-12-my-orders-cancelled", large)
    assert Order.objects.get(number=second).status == OrderStatus.CANCELLED
