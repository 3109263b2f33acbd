"""面授班 in a real browser, on a phone and a desktop (manual 五(五)).

alice (南京, no online class this year) opens 面授班: her city's classes first, then the other cities', and her
record of last year. She books one (报名面授 → 确认报名), prints the 报名表 (a PDF download whose text has the
class), and cancels within 3 days (取消报名 → 确认取消). bob, who has paid for this year's online class, sees why
he cannot book and a disabled button. The 南京 city office signs in, creates a class and marks a booking 已参训.
Learner pages are screenshotted to test-artifacts/screenshots/<viewport>-f2f-*.png and must not scroll sideways.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import make_catalog
from jxjy.credits.models import CreditEntry
from jxjy.facetoface import services
from jxjy.facetoface.models import FaceToFaceBooking
from jxjy.facetoface.tests.helpers import UNIT, make_class
from jxjy.orders import services as orders
from jxjy.orders.models import OrderStatus

from .steps import at, log_in, pdf_text, staff_log_in

pytestmark = pytest.mark.browser

TITLE = "南京市工勤人员面授班（第一期）"


@pytest.fixture
def classes(alice, nanjing_reviewer):
    """This year's 面授班 in 南京 and 苏州, the online classes, and alice's 面授班 of last year (已参训)."""
    year = services.current_year()
    online = make_catalog(years=(year - 1, year))
    alice.work_unit = UNIT
    alice.save(update_fields=["work_unit"])
    nanjing = make_class("320100", title=TITLE, capacity=40, start_in=12, contact="025-83270000")
    make_class("320500", title="苏州市工勤人员面授班（第二期）", capacity=30, start_in=20)
    last_year = make_class("320100", year=year - 1, start_in=-300, title=f"{year - 1}年度南京市面授班")
    booking = FaceToFaceBooking.objects.create(face_class=last_year, user=alice, booked_at=timezone.now())
    services.mark_attendance(booking=booking, attended=True, actor=nanjing_reviewer)
    return {"year": year, "online": online, "nanjing": nanjing}


def open_facetoface(page):
    page.get_by_role("navigation", name="学员中心菜单").get_by_role("link", name="面授班").click()
    expect(page).to_have_url(at("/facetoface/"))


def test_book_print_and_cancel(browsing, alice, classes):
    page = browsing.page
    log_in(browsing, alice, "f2f-01-login")
    open_facetoface(page)
    expect(page.get_by_role("heading", name="面授班", exact=True)).to_be_visible()
    own = page.locator("section", has=page.get_by_role("heading", name=re.compile(r"年度面授班 · 南京市")))
    expect(own.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(page.locator("section", has=page.get_by_role("heading", name="其他地市的面授班"))).to_contain_text("苏州")
    expect(page.locator(".f2f-history")).to_contain_text("已参训")
    browsing.snap("f2f-02-list")

    # 报名面授 → the confirmation → 确认报名.
    card = page.locator(".f2f-card", has=page.get_by_role("heading", name=TITLE))
    expect(card).to_contain_text("剩余名额 40 个")
    card.get_by_role("link", name="报名面授").click()
    expect(page.get_by_role("heading", name="报名面授")).to_be_visible()
    browsing.snap("f2f-03-confirm")
    page.get_by_role("button", name="确认报名").click()
    expect(page).to_have_url(at("/facetoface/"))
    expect(page.locator(".messages")).to_contain_text("报名成功")
    mine = page.locator(".f2f-mine")
    expect(mine).to_contain_text(TITLE)
    expect(mine.locator(".f2f-status")).to_have_text("已报名")
    browsing.snap("f2f-04-booked")

    # 打印报名表: a PDF with the class and the learner.
    with page.expect_download() as download_info:
        mine.get_by_role("link", name="打印报名表").click()
    download = download_info.value
    assert download.suggested_filename.startswith("面授班报名表-MS") and download.suggested_filename.endswith(".pdf")
    text = re.sub(r"\s+", "", pdf_text(download.path()))
    assert TITLE in text and alice.name in text and alice.id_number_masked in text

    # 取消报名 within 3 days.
    mine.get_by_role("link", name="取消报名").click()
    expect(page.get_by_role("heading", name="取消报名")).to_be_visible()
    browsing.snap("f2f-05-cancel")
    page.get_by_role("button", name="确认取消").click()
    expect(page.locator(".messages")).to_contain_text("已取消报名")
    expect(page.locator(".f2f-mine")).to_have_count(0)
    expect(card.get_by_role("link", name="报名面授")).to_be_visible()
    browsing.snap("f2f-06-cancelled")
    page.get_by_role("button", name="大字模式").click()  # larger text, higher contrast: still no sideways scroll
    expect(page.get_by_role("button", name="标准模式")).to_be_visible()
    browsing.snap("f2f-06b-large-text")


def test_a_learner_with_an_online_class_is_refused(browsing, bob, classes):
    year = classes["year"]
    order = orders.place_order(
        user=bob, class_ids=[classes["online"][(year, "L4")].pk], invoice={"invoice_type": "none"}
    )
    orders.transition(order, OrderStatus.PAID)
    page = browsing.page
    log_in(browsing, bob, "f2f-07-login")
    open_facetoface(page)
    expect(page.get_by_role("alert")).to_contain_text("您已报名本年度网络班")
    card = page.locator(".f2f-card", has=page.get_by_role("heading", name=TITLE))
    expect(card.get_by_role("button", name="报名面授")).to_be_disabled()
    browsing.snap("f2f-08-refused")


def test_the_city_office_creates_a_class_and_marks_attendance(browsing, nanjing_reviewer, alice, classes):
    running = make_class("320100", start_in=-1, title="南京市面授班（进行中）")
    FaceToFaceBooking.objects.create(face_class=running, user=alice, booked_at=timezone.now() - timedelta(days=9))
    page = browsing.page
    staff_log_in(page, nanjing_reviewer, "/office/facetoface/")

    page.get_by_role("link", name="新建面授班").first.click()
    start = timezone.localdate() + timedelta(days=30)
    page.get_by_label("班级名称").fill("南京市工勤人员面授班（第三期）")
    page.get_by_label("培训地点").fill("南京市鼓楼区中山北路 100 号")
    page.get_by_label("开始日期").fill(start.isoformat())
    page.get_by_label("结束日期").fill((start + timedelta(days=1)).isoformat())
    page.get_by_label("人数上限").fill("60")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", name="南京市工勤人员面授班（第三期）")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("已保存")

    page.get_by_role("navigation", name="业务后台菜单").get_by_role("link", name="面授班管理").click()
    page.get_by_role("link", name="南京市面授班（进行中）").click()
    browsing.snap("f2f-09-office-class")
    page.get_by_role("button", name=f"{alice.name} 已参训").click()
    expect(page.locator(".messages")).to_contain_text("已登记为已参训")
    expect(page.locator(f"#booking-{FaceToFaceBooking.objects.get(face_class=running).pk} .f2f-status")).to_have_text(
        "已参训"
    )
    assert CreditEntry.objects.filter(user=alice, source="facetoface").count() == 6  # last year's 3 + this class's 3

    # The city office exports its 面授班 list to Excel.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="导出 Excel").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    from openpyxl import load_workbook

    with open(download.path(), "rb") as handle:  # the download has no .xlsx name on disk
        sheet = load_workbook(handle).active
    rows = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert any(alice.name in map(str, row) for row in rows)
    assert not any(alice.id_number in map(str, row) for row in rows)  # masked in the export
