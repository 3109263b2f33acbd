"""统计报表 in a real browser, on a phone and a desktop (issue 7).

The province signs in (password, captcha, second factor), opens 统计报表 from the back-office menu, picks the year
2026, and sees the figures of two cities with the SVG bar charts drawn (one bar per figure, widths in proportion);
it narrows the report to 苏州, then downloads the Excel export, whose sheet holds 苏州's row and the total.
"""

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from conftest import make_catalog
from jxjy.audit.models import AuditRecord, Event
from jxjy.office.tests.report_data import build

from .steps import at, staff_log_in

pytestmark = pytest.mark.browser


def test_province_views_the_year_report_and_downloads_the_excel(browsing, province_admin):
    build(make_catalog())
    page = browsing.page
    staff_log_in(page, province_admin, "/office/")
    page.get_by_role("navigation", name="业务后台菜单").get_by_role("link", name="统计报表").click()
    expect(page).to_have_url(at("/office/reports/"))
    page.get_by_label("培训年度", exact=True).select_option("2026")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("heading", name="2026年度统计 · 全省")).to_be_visible()
    expect(page.locator('[data-figure="paid"] dd')).to_have_text("4")
    expect(page.locator('[data-figure="exam_pass_rate"] dd')).to_have_text("66.7%")

    progress = page.get_by_role("img", name="学习进度分布（人）")
    expect(progress).to_be_visible()
    bars = progress.locator("rect.bar")
    expect(bars).to_have_count(4)
    widths = [float(bars.nth(i).get_attribute("width")) for i in range(4)]
    assert all(w > 0 for w in widths)  # one learner in each bucket: four equal, visible bars
    assert bars.first.bounding_box()["width"] > 20
    cities = page.get_by_role("img", name="各地市已缴费人数")
    expect(cities.locator("text.bar-label")).to_have_text(["南京市", "苏州市"])
    browsing.snap("reports-01-province")

    page.get_by_label("地市", exact=True).select_option(label="苏州市")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("heading", name="2026年度统计 · 苏州市")).to_be_visible()
    expect(page.locator('[data-figure="paid"] dd')).to_have_text("2")
    browsing.snap("reports-02-suzhou")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="导出 Excel").click()
    download = download_info.value
    assert download.suggested_filename == "年度统计-2026.xlsx"
    with open(download.path(), "rb") as file:
        rows = list(load_workbook(io.BytesIO(file.read())).active.iter_rows(values_only=True))
    assert [row[0] for row in rows[3:]] == ["苏州市", "合计"]
    assert rows[3][2] == 2  # 已缴费人数
    assert AuditRecord.objects.filter(event=Event.REPORT_EXPORT, actor=province_admin).count() == 1
