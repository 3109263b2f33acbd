"""What a city office sees when the platform refuses, on a phone and a desktop: a 花名册 that is a zip bomb (a few
hundred KB inflating to 300 MB) gets one plain sentence next to the file field, and a 面授班 with more 专业课 hours
than the year requires gets the limit next to that field. Screenshots: <viewport>-limits-*.png."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import make_catalog
from jxjy.facetoface import services
from jxjy.facetoface.models import FaceToFaceClass
from jxjy.lib.tests.bombs import deflate_bomb

from .conftest import browsing_session
from .steps import staff_log_in

pytestmark = pytest.mark.browser
REFUSED = "the server responded with a status of 400"


@pytest.fixture
def refusing(browser, viewport, live_server):
    """`browsing`, except that the page refusing the form answers 400 (the browser logs that as a failed load:
    expected here); any other console error still fails the test."""
    yield from browsing_session(browser, viewport, live_server, expected_error=REFUSED)


def test_a_zip_bomb_roster_is_refused_in_plain_words(refusing, nanjing_reviewer, tmp_path):
    bomb = tmp_path / "花名册.xlsx"
    bomb.write_bytes(deflate_bomb())
    page = refusing.page
    staff_log_in(page, nanjing_reviewer, "/office/learners/import/")
    page.get_by_label("花名册文件").set_input_files(str(bomb))
    page.get_by_role("button", name="上传并导入").click()
    expect(page.get_by_text("这个文件解压后过大或内容异常，系统不能读取。")).to_be_visible()
    refusing.snap("limits-01-roster-bomb")


def test_a_class_with_more_hours_than_the_year_requires_is_refused_next_to_the_field(refusing, nanjing_reviewer):
    year = services.current_year()
    make_catalog(years=(year,))
    page = refusing.page
    staff_log_in(page, nanjing_reviewer, "/office/facetoface/new/")
    start = timezone.localdate() + timedelta(days=30)
    page.get_by_label("班级名称").fill("南京市工勤人员面授班（第四期）")
    page.get_by_label("培训地点").fill("南京市鼓楼区中山北路 100 号")
    page.get_by_label("开始日期").fill(start.isoformat())
    page.get_by_label("结束日期").fill((start + timedelta(days=1)).isoformat())
    page.get_by_label("人数上限").fill("60")
    page.get_by_label("专业课学时").fill("40")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text(f"不能超过{year}年度的专业课要求（24 学时）。")).to_be_visible()
    refusing.snap("limits-02-f2f-hours")
    assert not FaceToFaceClass.objects.exists()
