"""培训证明 → 继续教育档案 → 打印证书 → the QR code's verification page, in a real browser on a phone and a desktop.

alice's 2026 class is at 100 % (hours in the ledger) with the exam passed. She opens 培训证明, clicks the
certificate picture (a dialog sends her to 继续教育档案), picks a year (2025: not 合格, the button disabled with
the reason; then 2026), and 打印证书 downloads the PDF. A stranger (a fresh browser, not signed in) opens the URL
printed under the QR code and sees 有效; a tampered token gets 未查到该证书. Every page is screenshotted to
test-artifacts/screenshots/<viewport>-cert-*.png and must not scroll sideways.
"""

import re

import pytest
from playwright.sync_api import expect

from conftest import make_catalog
from jxjy.certificates.tests.helpers import UNIT, enroll, give_hours, sit_exam

from .steps import at, log_in, pdf_text

pytestmark = pytest.mark.browser

PROMPT = "请到“继续教育档案”中选择年度打印证书"


@pytest.fixture
def earned(alice):
    """alice: the 2026 中级工 class at 100 % (16 / 24 / 8 学时 online), the exam passed with 86."""
    classes = make_catalog()
    alice.work_unit = UNIT
    alice.save(update_fields=["work_unit"])
    enrollment = enroll(alice, classes[(2026, "L4")])
    give_hours(alice, public=16, professional=24, elective=8)
    sit_exam(enrollment, 52)
    sit_exam(enrollment, 86)
    return enrollment


def test_print_a_certificate_and_verify_it(browsing, stranger, earned, alice):
    log_in(browsing, alice, "cert-01-login")
    print_and_verify(browsing, stranger, earned, best=86)


def print_and_verify(browsing, stranger, earned, best):
    """From 学员中心 with a class at 100 % and the exam passed (best score `best`): 培训证明 → 继续教育档案 →
    打印证书 → the QR code's page; a tampered token; the lookup by number and 校验码."""
    page = browsing.page
    alice = earned.user

    # 培训证明: the class with its certificate picture; the picture opens the prompt.
    page.get_by_role("navigation", name="学员中心菜单").get_by_role("link", name="培训证明").click()
    expect(page).to_have_url(at("/certificates/"))
    expect(page.get_by_role("heading", name=earned.training_class.title)).to_be_visible()
    browsing.snap("cert-02-list")
    page.get_by_role("img", name=re.compile("2026年度培训证明")).click()
    dialog = page.get_by_role("dialog", name="打印证书")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(PROMPT)
    browsing.snap("cert-03-prompt")
    dialog.get_by_role("button", name="关闭").click()
    expect(dialog).to_be_hidden()
    page.get_by_role("img", name=re.compile("2026年度培训证明")).click()
    dialog.get_by_role("link", name="去继续教育档案").click()
    expect(page).to_have_url(at("/certificates/archive/"))

    # 继续教育档案: choose a year. 2025 has nothing: not 合格, 打印证书 disabled with the reason.
    page.get_by_label("选择年度").select_option("2025")
    page.get_by_role("button", name="查看").click()
    expect(page.get_by_role("heading", name="2025年度继续教育")).to_be_visible()
    expect(page.get_by_role("button", name="打印证书")).to_be_disabled()
    expect(page.locator(".print-reason")).to_contain_text("还差 48 学时")
    browsing.snap("cert-04-archive-2025")
    page.get_by_label("选择年度").select_option("2026")
    page.get_by_role("button", name="查看").click()
    expect(page.get_by_role("heading", name="2026年度继续教育")).to_be_visible()
    expect(page.locator(".result-badge")).to_have_text("合格")
    expect(page.get_by_text(f"最高成绩 {best} 分")).to_be_visible()
    browsing.snap("cert-05-archive-2026")

    # 打印证书: a PDF download with the holder's name and the year.
    with page.expect_download() as download_info:
        page.get_by_role("button", name="打印证书").click()
    download = download_info.value
    assert download.suggested_filename == "继续教育证书-2026.pdf"
    text = pdf_text(download.path())
    flat = re.sub(r"\s+", "", text)
    assert alice.name in flat and "2026年度" in flat and "48学时" in flat
    page.reload()
    expect(page.get_by_role("link", name="再次下载证书")).to_be_visible()
    browsing.snap("cert-06-archive-printed")
    page.get_by_role("button", name="大字模式").click()  # for older eyes: larger text, higher contrast
    expect(page.get_by_role("button", name="标准模式")).to_be_visible()
    expect(page.get_by_role("button", name="打印证书")).to_be_enabled()
    browsing.snap("cert-06b-archive-large-text")

    # The QR code's URL, as printed under it, opened by a stranger.
    url = re.search(r"核验网址：(\S+)", text).group(1)
    assert url.startswith(browsing.base_url + "/verify/")
    checker = stranger.page
    checker.goto(url)
    expect(checker.locator(".verify-status")).to_have_text("有效")
    expect(checker.get_by_text("签名有效")).to_be_visible()
    expect(checker.locator(".verify-facts")).to_contain_text("张*")
    expect(checker.locator(".verify-facts")).not_to_contain_text(alice.name)
    stranger.snap("cert-07-verify-valid")

    # A tampered token: 未查到该证书 / 证书无效 (HTTP 404).
    tampered = url[:-2] + ("A" if url[-2] != "A" else "B") + "/"
    response = checker.goto(tampered)
    assert response.status == 404
    expect(checker.get_by_role("heading", name="未查到该证书")).to_be_visible()
    expect(checker.locator(".verify-status")).to_have_text("证书无效")
    stranger.snap("cert-08-verify-tampered")

    # The lookup by 证书编号 + 校验码 (POSTed) from the same page.
    number = re.search(r"证书编号：(JS\d{14})", text).group(1)
    code = re.search(r"校\s*验\s*码：([A-Z0-9]{4}-[A-Z0-9]{4})", text).group(1)
    checker.get_by_role("link", name="输入证书编号查询").click()
    checker.get_by_label("证书编号").fill(number)
    checker.get_by_label("校验码").fill(code.lower())
    stranger.snap("cert-09-verify-form")
    checker.get_by_role("button", name="查询").click()
    expect(checker.locator(".verify-status")).to_have_text("有效")
    expect(checker.locator(".verify-facts")).to_contain_text(number)
