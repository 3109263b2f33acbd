"""视同申报 in a real browser, on a phone and on a desktop screen: a learner files a 研修班 claim with a PDF; the
南京 office approves 12 学时 in the back office; the learner sees 已通过 and the class's 专业课 还差 drops by 12; the
苏州 office neither sees nor opens the claim (404)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import make_catalog
from jxjy.accounts.models import User
from jxjy.certificates.tests.helpers import enroll

from .conftest import DEFAULT_TIMEOUT_MS, VIEWPORTS, Browsing
from .steps import at, log_in, staff_log_in

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
TITLE = "公共机构节能管理研修班"


@pytest.fixture
def learner(alice):
    """alice (南京) with this year's 中级工 class paid: 专业课 requires 24 学时."""
    year = timezone.localdate().year
    classes = make_catalog(years=(year,))
    enroll(alice, classes[(year, "L4")])
    return alice


def staff_session(browser, viewport, live_server, username, step_name):
    """A back-office user signed in through the staff sign-in page and the second factor, in a browser of their own."""
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **VIEWPORTS[viewport])
    page = context.new_page()
    page.set_default_timeout(DEFAULT_TIMEOUT_MS)
    staff_log_in(page, User.objects.get(username=username), "/office/declarations/")
    browsing = Browsing(page, viewport, live_server.url)
    browsing.snap(step_name)
    return context, browsing


def test_file_a_claim_and_have_it_approved(browsing, browser, viewport, live_server, learner,
                                           nanjing_reviewer, suzhou_reviewer):  # fmt: skip
    page = browsing.page
    log_in(browsing, learner, "decl-01-login")
    page.get_by_role("navigation", name="学员中心菜单").get_by_role("link", name="视同申报").click()
    expect(page).to_have_url(at("/declarations/"))
    browsing.snap("decl-02-list-empty")
    page.get_by_role("link", name="新增申报").click()
    end = timezone.localdate() - timedelta(days=3)
    page.get_by_label("申报类型").select_option(label="研修班")
    page.get_by_label("抵扣类别").select_option(label="专业课")
    page.get_by_label("培训名称").fill(TITLE)
    page.get_by_label("主办单位").fill("江苏省机关事务管理局")
    page.get_by_label("开始日期").fill((end - timedelta(days=1)).isoformat())
    page.get_by_label("结束日期").fill(end.isoformat())
    page.get_by_label("申报学时").fill("12")
    page.get_by_label("培训内容").fill("两天全日制研修，含节能诊断实训。")
    page.get_by_label("附件").set_input_files([{"name": "结业证书.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    browsing.snap("decl-03-form")
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator(".messages")).to_contain_text("请携带培训证书、课程表等材料原件到所在地市工考办审核")
    expect(page.locator(".readonly")).to_contain_text("待审核")
    browsing.snap("decl-04-submitted")
    claim_url = browsing.path()

    # The 南京 office approves 12 学时.
    nanjing_context, nanjing = staff_session(browser, viewport, live_server, "nanjing", "decl-05-office-list")
    office = nanjing.page
    row = office.get_by_role("row").filter(has_text=TITLE)
    row.get_by_role("link", name="审核").click()
    expect(office.get_by_role("link", name="结业证书.pdf")).to_be_visible()
    office.get_by_label("核定学时").fill("12")
    nanjing.snap("decl-06-office-review")
    office.get_by_role("button", name="通过").click()
    expect(office.locator(".messages")).to_contain_text("已通过")
    review_path = nanjing.path()
    nanjing_context.close()

    # The learner sees 已通过, and 还差 on the class home drops by 12 (专业课 24 → 12).
    page.goto(claim_url)
    expect(page.locator(".readonly")).to_contain_text("已通过")
    browsing.snap("decl-07-approved")
    page.goto("/center/")
    page.locator(".class-card a.enter-btn").first.click()
    professional = page.locator(".category-progress li").filter(has_text="专业课")
    expect(professional).to_contain_text("还差 12 学时")
    browsing.snap("decl-08-class-home")

    # The 苏州 office: not in its list, and the claim's page is a 404.
    suzhou_context, suzhou = staff_session(browser, viewport, live_server, "suzhou", "decl-09-suzhou-list")
    expect(suzhou.page.get_by_text(TITLE)).to_have_count(0)
    response = suzhou.page.goto(review_path)
    assert response.status == 404
    suzhou_context.close()
