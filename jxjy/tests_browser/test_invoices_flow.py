"""发票 in a real browser, on a phone and on a desktop screen: a learner asks for a 单位 invoice on a paid order under
我的订单; finance (signed in with the second factor) marks it issued with the invoice PDF; the learner downloads it."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import make_catalog
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
    """alice's paid order for this year's 中级工 class."""
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
