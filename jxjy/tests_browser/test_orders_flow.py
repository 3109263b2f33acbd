"""报名缴费 in a real browser, on a phone and on a desktop screen: 网络班报名, 预报名清单, 提交订单, 确认订单信息,
立即支付 through the 模拟银行, the result page, 我的班级 and 我的订单.

The 模拟银行's 支付成功 / 支付失败 sends a real signed HTTP notification to the live server's notify URL (Celery
runs in-process) before it returns the browser to the order's result page. Every page visited is screenshotted to
test-artifacts/screenshots/<viewport>-<step>.png and must not scroll sideways. The image captcha accepts PASSED.
"""

import re

import pytest
from playwright.sync_api import expect

from .steps import at, log_in

pytestmark = pytest.mark.browser

RESULT_TIMEOUT_MS = 15_000
ORDER_NUMBER = re.compile(r"^JX\d{20}$")

UNIT_NAME = "南京市玄武区机关事务管理局"
UNIT_TAX_ID = "11100000000013127D"
INVOICE_EMAIL = "zhangwei@example.com"


def class_title(year, grade):
    return f"{year}年度工勤人员继续教育网络班（{grade}）"


@pytest.fixture
def classes(catalog):
    """The catalogue by (year, 中级工/高级工)."""
    return {(year, "中级工" if grade == "L4" else "高级工"): c for (year, grade), c in catalog.items()}


@pytest.fixture
def alice(alice):
    """alice, a 中级工: a learner orders only the classes of their own 技术等级."""
    return with_grade(alice, "L4")


def with_grade(user, grade):
    from jxjy.accounts.models import User

    User.objects.filter(pk=user.pk).update(grade=grade)
    user.refresh_from_db()
    return user


# --- Steps ------------------------------------------------------------------------------------------


def side_menu(page):
    return page.get_by_role("navigation", name="学员中心菜单")


def open_menu(page, name):
    fold = side_menu(page).locator("summary.menu-toggle")  # a phone folds the menu away on every page but 学员中心
    if fold.is_visible():
        fold.click()
    side_menu(page).get_by_role("link", name=re.compile(rf"^{name}")).click()


def class_card(page, title):
    return page.locator(".class-card").filter(has=page.get_by_role("heading", name=title, exact=True))


def open_class_list(browsing, step):
    page = browsing.page
    open_menu(page, "网络班报名")
    expect(page).to_have_url(at("/classes/"))
    expect(page.get_by_role("heading", name="网络班报名")).to_be_visible()
    browsing.snap(step)


def filter_year(browsing, year, step):
    page = browsing.page
    page.get_by_label("培训年度").select_option(label=f"{year}年度")
    page.get_by_role("button", name="搜索").click()
    expect(page).to_have_url(re.compile(rf"/classes/\?(.*&)?year={year}\b"))
    expect(page.locator(".class-card")).to_have_count(1)  # the learner's own 技术等级 is chosen by default
    for card in page.locator(".class-card").all():
        expect(card.locator(".tag-year")).to_have_text(f"{year}年度")
    browsing.snap(step)


def enroll_now(browsing, title, step):
    """立即报名 on a class's card → 提交订单."""
    page = browsing.page
    card = class_card(page, title)
    expect(card.locator(".tag").last).to_have_text("可报名")
    card.get_by_role("button", name="立即报名").click()
    expect(page).to_have_url(at("/checkout/"))
    expect(page.get_by_role("heading", name="提交订单")).to_be_visible()
    expect(page.locator("table.lines tbody")).to_contain_text(title)
    browsing.snap(step)


def submit_order(browsing, titles, total, step):
    """提交订单 → 确认订单信息; returns the order number shown."""
    page = browsing.page
    page.get_by_role("button", name="提交订单").click()
    expect(page).to_have_url(re.compile(r"/orders/JX\d+/confirm/$"))
    expect(page.get_by_role("heading", name="确认订单信息")).to_be_visible()
    number = page.locator("p", has_text="订单号：").locator("strong").inner_text().strip()
    assert ORDER_NUMBER.match(number), f"order number {number!r}"
    rows = page.locator("table.lines tbody tr")
    expect(rows).to_have_count(len(titles))
    for title in titles:
        expect(rows.filter(has_text=title)).to_have_count(1)
    expect(page.locator("table.lines tfoot")).to_contain_text(total)
    expect(page.locator(".total-row .money")).to_have_text(total)
    expect(page.get_by_role("radio", name="模拟银行")).to_be_checked()
    browsing.snap(step)
    return number


def pay_at_bank(browsing, number, total, step, button="立即支付"):
    """立即支付 / 继续支付 → the 模拟银行's page; returns the 支付流水号."""
    page = browsing.page
    page.get_by_role("button", name=button).click()
    expect(page).to_have_url(re.compile(r"/mockbank/[^/]+/$"))
    expect(page.get_by_role("heading", name="确认付款")).to_be_visible()
    facts = page.locator("dl.readonly")
    expect(facts).to_contain_text(number)
    expect(facts.locator("dd.money")).to_have_text(total)
    browsing.snap(step)
    return page.url.rstrip("/").rsplit("/", 1)[-1]


def bank_says(browsing, result, number, step):
    """支付成功 / 支付失败 on the 模拟银行's page → the order's result page."""
    page = browsing.page
    page.get_by_role("button", name=result).click()
    expect(page).to_have_url(at(f"/orders/{number}/result/"))
    if result == "支付成功":
        expect(page.get_by_role("heading", name="支付成功，班级已开通")).to_be_visible(timeout=RESULT_TIMEOUT_MS)
    browsing.snap(step)


def my_classes_show(browsing, titles, step):
    """The result page leads into each class with its next step (去选课); 查看我的全部班级 → 我的班级 lists each
    class as 已开通."""
    page = browsing.page
    expect(page.locator(".result-box .next-step-btn")).to_have_text(["去选课"] * len(titles))
    page.get_by_role("link", name="查看我的全部班级").click()
    expect(page).to_have_url(at("/center/"))
    section = page.locator("section").filter(has=page.get_by_role("heading", name="我的班级"))
    expect(section.locator(".class-card")).to_have_count(len(titles))
    for title in titles:
        card = section.locator(".class-card").filter(has=page.get_by_role("heading", name=title, exact=True))
        expect(card).to_have_count(1)
        expect(card.locator(".tag-ok")).to_have_text("已开通")
    browsing.snap(step)


def open_order(browsing, number, status, list_step, detail_step):
    """我的订单 → the order shows `status` → 查看订单."""
    page = browsing.page
    open_menu(page, "我的订单")
    expect(page).to_have_url(at("/orders/"))
    entry = page.locator(".order-list > li").filter(has_text=number)
    expect(entry).to_have_count(1)
    expect(entry.locator(".tag")).to_have_text(status)
    browsing.snap(list_step)
    entry.get_by_role("link", name="查看订单").click()
    expect(page).to_have_url(at(f"/orders/{number}/"))
    expect(page.get_by_role("heading", name="订单详情")).to_be_visible()
    expect(page.locator(".page-title .tag")).to_have_text(status)
    browsing.snap(detail_step)


def payment_rows(page):
    return page.locator(".payment-list li")


def enrollments(user):
    from jxjy.learning.models import Enrollment

    return Enrollment.objects.filter(user=user)


# --- 1. 立即报名 with a 单位 invoice → 支付成功 → 我的班级, 我的订单 ----------------------------------------


def test_enroll_now_pay_with_unit_invoice(browsing, alice, classes):
    page = browsing.page
    title = class_title(2026, "中级工")

    log_in(browsing, alice, "order-01-login")
    browsing.snap("order-02-center")
    open_class_list(browsing, "order-03-classes")
    enroll_now(browsing, title, "order-04-checkout")

    expect(page.get_by_role("radio", name="不需要", exact=True)).to_be_checked()
    page.get_by_role("radio", name="单位", exact=True).check()
    page.get_by_role("textbox", name="单位名称").fill(UNIT_NAME)
    page.get_by_role("textbox", name="统一社会信用代码").fill(UNIT_TAX_ID)
    page.get_by_role("radio", name="电子发票", exact=True).check()
    page.get_by_role("textbox", name="接收邮箱").fill(INVOICE_EMAIL)
    expect(page.get_by_role("textbox", name="个人姓名")).to_be_hidden()
    expect(page.locator(".total-row .money")).to_have_text("¥120.00")
    browsing.snap("order-05-checkout-filled")

    number = submit_order(browsing, [title], "¥120.00", "order-06-confirm")
    invoice = page.locator("dl.readonly")
    expect(invoice).to_contain_text(f"单位：{UNIT_NAME}")
    expect(invoice).to_contain_text(UNIT_TAX_ID)
    expect(invoice).to_contain_text(INVOICE_EMAIL)

    pay_at_bank(browsing, number, "¥120.00", "order-07-mockbank")
    bank_says(browsing, "支付成功", number, "order-08-result")
    expect(page.locator(".result-box")).to_contain_text("¥120.00")
    my_classes_show(browsing, [title], "order-09-my-classes")

    open_order(browsing, number, "已支付", "order-10-orders", "order-11-order-detail")
    expect(page.locator("dl.readonly").filter(has_text="发票抬头")).to_contain_text(f"单位：{UNIT_NAME}")
    rows = payment_rows(page)
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("模拟银行")
    expect(rows).to_contain_text("¥120.00")
    expect(rows).to_contain_text("支付成功")
    expect(page.get_by_role("button", name="继续支付")).to_have_count(0)
    expect(page.get_by_role("button", name="取消订单")).to_have_count(0)

    enrolled = list(enrollments(alice).select_related("order_line__order"))
    assert len(enrolled) == 1, enrolled
    assert enrolled[0].training_class == classes[(2026, "中级工")]
    assert enrolled[0].order_line.order.number == number


# --- 2. 预报名清单: two years in one order --------------------------------------------------------------


def test_pre_enrollment_two_years_one_order(browsing, alice, classes):
    from jxjy.orders.models import Order, PreEnrollment

    page = browsing.page
    titles = [class_title(2025, "中级工"), class_title(2026, "中级工")]

    log_in(browsing, alice, "pre-01-login")
    open_class_list(browsing, "pre-02-classes")
    for step, (year, title) in enumerate(zip((2025, 2026), titles, strict=True)):
        filter_year(browsing, year, f"pre-{3 + 2 * step:02d}-classes-{year}")
        class_card(page, title).get_by_role("button", name="加入预报名清单").click()
        expect(page.get_by_role("status")).to_contain_text(f"已加入预报名清单：{title}")
        expect(page).to_have_url(re.compile(rf"/classes/\?(.*&)?year={year}\b"))
        expect(class_card(page, title).get_by_role("link", name="已在预报名清单")).to_be_visible()
        browsing.snap(f"pre-{4 + 2 * step:02d}-added-{year}")

    expect(side_menu(page).locator(".badge")).to_have_text("2")
    open_menu(page, "预报名清单")
    expect(page).to_have_url(at("/pre-enrollment/"))
    expect(page.get_by_role("heading", name="我的预报名清单")).to_be_visible()
    boxes = page.get_by_role("checkbox")
    expect(boxes).to_have_count(2)
    for box in boxes.all():
        expect(box).to_be_checked()
    for title in titles:
        expect(page.locator(".check-list li").filter(has_text=title)).to_contain_text("¥120.00")
    browsing.snap("pre-07-list")

    page.get_by_role("button", name="结算").click()
    expect(page).to_have_url(at("/checkout/"))
    expect(page.locator("table.lines tbody tr")).to_have_count(2)
    expect(page.get_by_role("radio", name="不需要", exact=True)).to_be_checked()
    expect(page.get_by_role("textbox", name="单位名称")).to_be_hidden()
    expect(page.locator(".total-row .money")).to_have_text("¥240.00")
    browsing.snap("pre-08-checkout")

    number = submit_order(browsing, titles, "¥240.00", "pre-09-confirm")
    expect(page.locator("dl.readonly")).to_contain_text("不需要")
    pay_at_bank(browsing, number, "¥240.00", "pre-10-mockbank")
    bank_says(browsing, "支付成功", number, "pre-11-result")
    my_classes_show(browsing, titles, "pre-12-my-classes")
    expect(side_menu(page).get_by_role("link", name=re.compile("^预报名清单"))).to_be_visible()
    expect(side_menu(page).locator(".badge")).to_have_count(0)

    orders = list(Order.objects.filter(user=alice))
    assert len(orders) == 1, orders
    assert orders[0].number == number
    assert sorted(line.training_class_id for line in orders[0].lines.all()) == sorted(
        classes[(year, "中级工")].pk for year in (2025, 2026)
    )
    assert not PreEnrollment.objects.filter(user=alice).exists()
    assert enrollments(alice).count() == 2


# --- 3. 支付失败 → 我的订单 → 继续支付 → 支付成功 -----------------------------------------------------------


def test_failed_payment_then_pay_again(browsing, alice, classes):
    from jxjy.payments.models import Payment, PaymentStatus

    alice = with_grade(alice, "L3")  # a 高级工 this time
    page = browsing.page
    title = class_title(2026, "高级工")

    log_in(browsing, alice, "fail-01-login")
    open_class_list(browsing, "fail-02-classes")
    enroll_now(browsing, title, "fail-03-checkout")
    number = submit_order(browsing, [title], "¥150.00", "fail-04-confirm")
    first_payment = pay_at_bank(browsing, number, "¥150.00", "fail-05-mockbank")

    bank_says(browsing, "支付失败", number, "fail-06-result")
    box = page.locator(".result-box")
    expect(box).to_be_visible()
    expect(box).not_to_contain_text("支付成功")
    expect(box).not_to_contain_text("已开通")
    expect(box).to_contain_text("支付未成功")
    expect(box.get_by_role("button", name="继续支付")).to_be_visible()
    expect(page.get_by_role("link", name="进入我的班级")).to_have_count(0)
    assert Payment.objects.get(number=first_payment).status == PaymentStatus.FAILED
    assert not enrollments(alice).exists()

    # The result page has no 学员中心 menu: 查看订单 there, then 我的订单 from the order's page.
    box.get_by_role("link", name="查看订单").click()
    expect(page).to_have_url(at(f"/orders/{number}/"))
    expect(page.locator(".page-title .tag")).to_have_text("待支付")
    open_order(browsing, number, "待支付", "fail-07-orders", "fail-08-order-detail")
    rows = payment_rows(page)
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(first_payment)
    expect(rows).to_contain_text("支付失败")
    expect(page.get_by_role("button", name="继续支付")).to_be_visible()
    expect(page.get_by_role("button", name="取消订单")).to_be_visible()
    assert not enrollments(alice).exists()

    second_payment = pay_at_bank(browsing, number, "¥150.00", "fail-09-mockbank-again", button="继续支付")
    assert second_payment != first_payment
    bank_says(browsing, "支付成功", number, "fail-10-result")
    my_classes_show(browsing, [title], "fail-11-my-classes")

    enrolled = list(enrollments(alice))
    assert len(enrolled) == 1, enrolled
    assert enrolled[0].training_class == classes[(2026, "高级工")]
    assert Payment.objects.get(number=second_payment).status == PaymentStatus.SUCCEEDED


# --- 4. A bad 统一社会信用代码 -------------------------------------------------------------------------------


def test_bad_credit_code_is_refused(browsing, alice, classes):
    from jxjy.orders.models import Order

    page = browsing.page
    title = class_title(2026, "中级工")

    log_in(browsing, alice, "uscc-01-login")
    open_class_list(browsing, "uscc-02-classes")
    enroll_now(browsing, title, "uscc-03-checkout")
    page.get_by_role("radio", name="单位", exact=True).check()
    page.get_by_role("textbox", name="单位名称").fill(UNIT_NAME)
    page.get_by_role("textbox", name="统一社会信用代码").fill("91350100M000100Y44")
    page.get_by_role("textbox", name="接收邮箱").fill(INVOICE_EMAIL)
    browsing.snap("uscc-04-filled")
    page.get_by_role("button", name="提交订单").click()

    expect(page).to_have_url(at("/checkout/"))
    tax_id = page.get_by_role("textbox", name="统一社会信用代码")
    field = page.locator(".field").filter(has=tax_id)
    expect(field).to_have_class(re.compile(r"\bhas-error\b"))
    expect(field.locator(".errorlist")).to_have_text("统一社会信用代码校验位不正确，请核对。")
    expect(tax_id).to_be_visible()
    expect(tax_id).to_have_value("91350100M000100Y44")
    expect(page.get_by_role("radio", name="单位", exact=True)).to_be_checked()
    expect(page.get_by_role("textbox", name="单位名称")).to_have_value(UNIT_NAME)
    expect(page.locator(".errorlist")).to_have_count(1)
    browsing.snap("uscc-05-error")
    assert not Order.objects.exists()
