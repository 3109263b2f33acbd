"""Help in a real browser (issue 15 item 9), phone and desktop: from the footer to 联系我们 and a city's phone, then
常见问题 opens a question, then the 学员操作手册 downloads as a PDF holding the manual's headings.

Screenshots: test-artifacts/screenshots/<viewport>-help-*.png; no page may scroll sideways."""

import pytest
from playwright.sync_api import expect

from jxjy.portal.models import ContactOffice, Faq

from .steps import at, pdf_text

pytestmark = pytest.mark.browser


@pytest.fixture
def help_data(db):
    """The data migration's rows, or (after an earlier transactional test flushed them) the same ones again."""
    ContactOffice.objects.update_or_create(
        city_id="320500", defaults={"name": "苏州市工考办", "phones": "0512-65000000", "hours": "工作日 9:00—17:00"}
    )
    ContactOffice.objects.update_or_create(
        city_id="320100", defaults={"name": "南京市工考办", "phones": "", "hours": "工作日 9:00—17:00"}
    )
    Faq.objects.all().delete()
    Faq.objects.create(question="为什么我的学习进度不涨？", answer="1. 先选课。\n2. 按正常速度观看。", sort_order=1)


def _height(locator) -> float:
    return locator.bounding_box()["height"]


def test_footer_to_contact_faq_and_manual(browsing, help_data, tmp_path):
    page = browsing.page
    page.goto("/")
    footer = page.locator(".site-footer")
    footer.get_by_role("link", name="联系我们").click()
    expect(page).to_have_url(at("/contact/"))
    expect(page.get_by_role("heading", name="联系我们", level=1)).to_be_visible()
    phone = page.get_by_role("link", name="☎ 0512-65000000")
    expect(phone).to_have_attribute("href", "tel:051265000000")
    assert _height(phone) >= 44
    nanjing = page.locator(".contact-office", has_text="南京市工考办")
    expect(nanjing).to_contain_text("电话请咨询所在单位")
    browsing.snap("help-contact")

    page.locator(".site-footer").get_by_role("link", name="常见问题").click()
    expect(page).to_have_url(at("/faq/"))
    question = page.get_by_text("为什么我的学习进度不涨？")
    assert _height(question) >= 44
    answer = page.get_by_text("2. 按正常速度观看。")
    expect(answer).to_be_hidden()
    question.click()
    expect(answer).to_be_visible()
    browsing.snap("help-faq-open")

    with page.expect_download() as download_info:
        page.locator(".site-footer").get_by_role("link", name="学员操作手册").click()
    download = download_info.value
    assert download.suggested_filename == "学员操作手册.pdf"
    target = tmp_path / "manual.pdf"
    download.save_as(target)
    text = pdf_text(target)
    for heading in ("学员操作手册", "一、培训流程", "五、学员中心"):
        assert heading in text
