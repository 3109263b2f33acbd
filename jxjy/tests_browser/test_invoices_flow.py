"""发票 in a real browser, on a phone and on a desktop screen: a learner asks for a 单位 invoice on a paid order under
我的订单; finance (signed in with the second factor) marks it issued with the invoice PDF; the learner downloads it."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import make_catalog, make_learner
from jxjy.accounts.models import User
from jxjy.orders import services as orders
from jxjy.orders.models import OrderStatus

from .conftest import DEFAULT_TIMEOUT_MS, VIEWPORTS, Browsing
from .steps import at, log_in, staff_log_in

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
UNIT = "南京市某某科技有限公司"
TAX_ID = "91320102MA1W9HQ21H"


@pytest.fixture
def order(alice):
    """alice's paid order for this year's 中级工 class (she is a 中级工)."""
    User.objects.filter(pk=alice.pk).update(grade="L4")
    year = timezone.localdate().year
    classes = make_catalog(years=(year,))
    order = orders.place_order(user=alice, class_ids=[classes[(year, "L4")].pk], invoice={"invoice_type": "none"})
    return orders.transition(order, OrderStatus.PAID, reason="test setup")


def test_request_issue_and_download_an_invoice(browsing, browser, viewport, live_server, alice, order, finance_user,
                                               tmp_path):  # fmt: skip
    page = browsing.page
    log_in(browsing, alice, "inv-01-login")
    page.get_by_role("navigation", name="学员中心菜单").get_by_role("link", name="我的订单").click()
    browsing.snap("inv-02-orders")
    page.get_by_role("link", name="查看订单").click()
    expect(page).to_have_url(at(f"/orders/{order.number}/"))
    page.get_by_role("link", name="申请开票").click()
    page.get_by_label("单位", exact=True).check()
    page.get_by_label("单位名称").fill(UNIT)
    page.get_by_label("统一社会信用代码", exact=True).fill(TAX_ID)
    page.get_by_label("接收邮箱").fill("cw@example.cn")
    browsing.snap("inv-03-request")
    page.get_by_role("button", name="提交开票申请").click()
    expect(page.locator(".messages")).to_contain_text("开票申请已提交")
    expect(page.locator(".invoice-state")).to_contain_text("待开票")
    browsing.snap("inv-04-requested")

    # Finance marks it issued with the PDF.
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **VIEWPORTS[viewport])
    office = context.new_page()
    office.set_default_timeout(DEFAULT_TIMEOUT_MS)
    staff_log_in(office, finance_user, "/office/finance/invoices/")
    finance = Browsing(office, viewport, live_server.url)
    finance.snap("inv-04-finance-list")
    office.get_by_role("row").filter(has_text=order.number).get_by_role("link", name="开票").click()
    expect(office.locator("dl")).to_contain_text(TAX_ID)
    office.get_by_label("发票号码").fill("24322000000012345678")
    office.get_by_label("电子发票 PDF").set_input_files(
        [{"name": "发票.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    finance.snap("inv-05-finance-issue")
    office.get_by_role("button", name="确认已开票").click()
    expect(office.locator(".messages")).to_contain_text("已标记为已开票")
    finance.snap("inv-06-finance-issued")
    context.close()

    # The learner downloads it from 我的订单.
    page.reload()
    expect(page.locator(".invoice-state")).to_contain_text("24322000000012345678")
    browsing.snap("inv-07-issued")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载电子发票").click()
    saved = tmp_path / "invoice.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes() == PDF


# --- 单位统一报名缴费: list → each learner confirms on their own phone → the unit pays → their classes open -----------

PHONE_360 = {"viewport": {"width": 360, "height": 780}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


@pytest.fixture
def unit_staff(db):
    """Two of the unit's staff with accounts, a 中级工 and a 高级工, and this year's classes."""
    year = timezone.localdate().year
    classes = make_catalog(years=(year,))
    chen = make_learner("陈刚", "32010519800101001", "13900000001")
    liu = make_learner("刘敏", "32010519810202002", "13900000002")
    User.objects.filter(pk=chen.pk).update(grade="L4")
    User.objects.filter(pk=liu.pk).update(grade="L3")
    return {"year": year, "classes": classes, "chen": chen, "liu": liu}


def learner_browser(browser, viewport, live_server, errors):
    """A learner's own device: a 360-px phone in the phone run, the desktop in the desktop run."""
    options = PHONE_360 if viewport == "phone" else VIEWPORTS["desktop"]
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **options)
    page = context.new_page()
    page.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    browsing = Browsing(page, viewport, live_server.url)
    browsing.width = options["viewport"]["width"]
    return context, browsing


def confirm_invitation(browsing, user, where, large_text, step):
    """The listed learner signs in on their own device and finds the 待确认 invitation in 学员中心 or 我的订单."""
    page = browsing.page
    log_in(browsing, user, f"{step}-login")
    if large_text:
        page.get_by_role("button", name="大字模式").click()  # larger text, higher contrast
        expect(page.get_by_role("button", name="标准模式")).to_be_visible()
    if where == "orders":
        page.get_by_role("navigation", name="学员中心菜单").get_by_role("link", name="我的订单").click()
        expect(page).to_have_url(at("/orders/"))
    invitations = page.locator("section.invitations")
    expect(invitations.get_by_role("heading", name=re.compile("单位统一报名"))).to_contain_text("1 个待确认")
    item = invitations.locator("li.invitation")
    expect(item).to_contain_text(UNIT)
    expect(item.locator(".tag")).to_have_text("待确认")
    browsing.snap(f"{step}-invited")
    item.get_by_role("button", name="确认", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("已确认参加单位统一报名")
    browsing.snap(f"{step}-confirmed")


def test_a_unit_lists_two_staff_who_confirm_then_the_unit_pays(browsing, browser, viewport, live_server, alice,
                                                               unit_staff):  # fmt: skip
    from jxjy.catalog.models import YearClaim
    from jxjy.learning.models import Enrollment
    from jxjy.orders.models import Order

    page, year = browsing.page, unit_staff["year"]
    chen, liu = unit_staff["chen"], unit_staff["liu"]
    l4, l3 = unit_staff["classes"][(year, "L4")], unit_staff["classes"][(year, "L3")]

    # The unit's contact person lists the two of them.
    log_in(browsing, alice, "unit-01-login")
    page.get_by_role("navigation", name="学员中心菜单").get_by_role("link", name="我的订单").click()
    page.get_by_role("link", name="单位统一报名缴费").click()
    expect(page).to_have_url(at("/unit-enrollment/"))
    page.get_by_label("参训人员名单").fill(f"{chen.id_number} 陈刚\n{liu.id_number} 刘敏")
    page.get_by_label("单位名称").fill(UNIT)
    page.get_by_label("统一社会信用代码", exact=True).fill(TAX_ID)
    page.get_by_label("接收邮箱").fill("cw@example.cn")
    page.get_by_label("图形验证码", exact=True).fill("PASSED")
    browsing.snap("unit-02-list")
    page.get_by_role("button", name="提交名单，通知学员确认").click()
    expect(page.locator(".messages")).to_contain_text("已向 2 名学员发出报名邀请")
    expect(page.locator(".page-title .tag")).to_have_text("待学员确认")
    roster = page.locator("table.unit-roster tbody tr")
    expect(roster).to_have_count(2)
    expect(roster.locator(".tag")).to_have_text(["待确认", "待确认"])
    browsing.snap("unit-03-awaiting")
    number = page.url.rstrip("/").rsplit("/", 1)[-1]
    assert not YearClaim.objects.exists()  # nobody's year is held by being listed

    # Each confirms on their own phone: 陈刚 in 学员中心, 刘敏 in 我的订单 in 大字模式.
    errors = []
    for user, where, large_text, step in ((chen, "center", False, "unit-04-chen"),
                                          (liu, "orders", True, "unit-05-liu")):  # fmt: skip
        context, own = learner_browser(browser, viewport, live_server, errors)
        confirm_invitation(own, user, where, large_text, step)
        context.close()
    assert not errors, f"errors in the learners' browsers: {errors}"
    assert set(YearClaim.objects.values_list("user_id", flat=True)) == {chen.pk, liu.pk}

    # The contact submits the order for the two confirmed and pays through the 模拟银行.
    page.reload()
    expect(roster.locator(".tag")).to_have_text(["已确认", "已确认"])
    expect(page.locator(".notice-box")).to_contain_text("已确认 2 人")
    browsing.snap("unit-06-confirmed")
    page.get_by_role("button", name="为已确认的 2 名学员提交订单").click()
    expect(page).to_have_url(at(f"/orders/{number}/confirm/"))
    expect(page.locator(".total-row .money")).to_have_text("¥270.00")
    browsing.snap("unit-07-confirm")
    page.get_by_role("button", name="立即支付").click()
    expect(page).to_have_url(re.compile(r"/mockbank/[^/]+/$"))
    expect(page.locator("dl.readonly dd.money")).to_have_text("¥270.00")
    browsing.snap("unit-08-mockbank")
    page.get_by_role("button", name="支付成功").click()
    expect(page).to_have_url(at(f"/orders/{number}/result/"))
    expect(page.get_by_role("heading", name="支付成功，学员的班级已开通")).to_be_visible(timeout=15_000)
    browsing.snap("unit-09-paid")
    assert Order.objects.get(number=number).status == "paid"
    opened = dict(Enrollment.objects.values_list("user_id", "training_class_id"))
    assert opened == {chen.pk: l4.pk, liu.pk: l3.pk}

    # Their classes are open in 我的班级.
    context, own = learner_browser(browser, viewport, live_server, errors)
    log_in(own, liu, "unit-10-liu-again")
    card = own.page.locator(".class-card").filter(has=own.page.get_by_role("heading", name=l3.title, exact=True))
    expect(card.locator(".tag-ok")).to_have_text("已开通")
    own.snap("unit-11-liu-class")
    context.close()
    assert not errors, f"errors in the learners' browsers: {errors}"
