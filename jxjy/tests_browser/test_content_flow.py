"""课程管理 in a real browser, on a phone and a desktop: a content editor uploads a short video as a new courseware
of a course that a learner's paid class offers, waits for 已完成, imports a question-bank Excel with an error row
(refused, the row named, nothing imported) and then a valid one; the learner opens the class → 在线学习 and the player
loads the new courseware, whose video answers a Range request with 206."""

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from conftest import make_catalog
from jxjy.catalog.questionbank import HEADERS

from .steps import at, log_in, staff_log_in

pytestmark = pytest.mark.browser

GOOD = ["单选", "发生火灾时应拨打的电话是？", "110", "119", "", "", "", "", "B", "火警 119", "消防", 1, "是"]
BAD = ["单选", "两个答案的单选题", "甲", "乙", "", "", "", "", "AB", "", "", 1, "是"]


def workbook(path, rows):
    book = Workbook()
    book.active.append(HEADERS)
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


@pytest.fixture
def setup(alice, content_editor, tmp_path):
    from jxjy.catalog.models import Chapter
    from jxjy.catalog.video import make_courseware_video
    from jxjy.certificates.tests.helpers import enroll

    training_class = make_catalog()[(2026, "L4")]
    course = training_class.courses.get()
    chapter = Chapter.objects.create(course=course, title="第一章 安全常识", order=1)
    enrollment = enroll(alice, training_class)
    clip = tmp_path / "lesson.mp4"
    make_courseware_video(clip, title=course.title, subtitle="1.1 火灾预防", lines=["浏览器测试"], seconds=3,
                          size=(640, 360))  # fmt: skip
    return {
        "course": course,
        "chapter": chapter,
        "enrollment": enrollment,
        "clip": clip,
        "bad": workbook(tmp_path / "bad.xlsx", [GOOD, BAD]),
        "good": workbook(tmp_path / "good.xlsx", [GOOD, GOOD]),
    }


def test_content_editor_uploads_video_and_questions_then_learner_plays(browsing, setup, alice, content_editor):
    from jxjy.catalog.models import Courseware, Question

    page = browsing.page
    course, enrollment = setup["course"], setup["enrollment"]

    # The content editor: 课程管理 → the course → a new courseware with its video.
    staff_log_in(page, content_editor)
    page.get_by_role("navigation", name="业务后台菜单").get_by_role("link", name="课程管理").click()
    page.get_by_role("link", name=course.title).click()
    expect(page).to_have_url(at(f"/office/content/courses/{course.pk}/"))
    browsing.snap("content-01-course")
    page.get_by_role("link", name="新增课件").click()
    page.get_by_label("课件名称").fill("1.1 火灾预防")
    page.get_by_label("视频文件").set_input_files(str(setup["clip"]))
    browsing.snap("content-02-courseware")
    page.get_by_role("button", name="上传并保存").click()
    expect(page.locator("#job-status")).to_have_text("已完成", timeout=60_000)
    expect(page.get_by_role("status").filter(has_text="转码完成")).to_be_visible()
    browsing.snap("content-03-job-done")
    courseware = Courseware.objects.get(title="1.1 火灾预防")
    assert courseware.duration == pytest.approx(3, abs=0.3)

    # The question bank: a file with an error row is refused whole, naming the row and column.
    page.get_by_role("link", name="返回课程").click()
    page.get_by_role("link", name="题库（0 题）").click()
    page.get_by_label("题库文件（.xlsx）").set_input_files(str(setup["bad"]))
    page.get_by_role("button", name="导入").click()
    errors = page.locator("#import-errors")
    expect(errors).to_contain_text("第 3 行“答案”：单选题的答案只能是一个选项字母。")
    expect(errors).to_contain_text("本次没有导入任何题目")
    browsing.snap("content-04-import-refused")
    assert not Question.objects.filter(course=course).exists()
    page.get_by_label("题库文件（.xlsx）").set_input_files(str(setup["good"]))
    page.get_by_role("button", name="导入").click()
    expect(page.get_by_text("已导入 2 道题。")).to_be_visible()
    expect(page.get_by_role("heading", name="题库（共 2 题）")).to_be_visible()
    browsing.snap("content-05-imported")
    assert Question.objects.filter(course=course).count() == 2

    # The learner: the class → 在线学习 → 播放 loads the new courseware.
    page.context.clear_cookies()
    log_in(browsing, alice, "content-06-login")
    page.goto(f"/study/{enrollment.pk}/")
    tour = page.get_by_role("dialog", name="新手引导")
    if tour.is_visible():
        for _ in range(4):
            button = tour.get_by_role("button", name="我知道了")
            (button if button.is_visible() else tour.get_by_role("button", name="下一步")).click()
        expect(tour).to_be_hidden()
    page.get_by_role("navigation", name="班级").get_by_role("link", name="在线学习", exact=True).click()
    row = page.locator(".course-list > li").filter(has_text=course.title)
    row.get_by_role("link", name="播放").click()
    expect(page).to_have_url(at(f"/study/{enrollment.pk}/play/{courseware.pk}/"))
    expect(page.locator("h1")).to_contain_text("1.1 火灾预防")
    page.wait_for_function("() => document.getElementById('video').readyState >= 1", timeout=15_000)
    browsing.snap("content-07-player")
    state = page.evaluate(
        """async () => {
          const v = document.getElementById("video");
          const r = await fetch(v.currentSrc, {headers: {Range: "bytes=0-99"}});
          return {duration: v.duration, status: r.status, range: r.headers.get("Content-Range"),
                  length: (await r.arrayBuffer()).byteLength};
        }"""
    )
    assert state["status"] == 206 and state["length"] == 100 and state["range"].startswith("bytes 0-99/")
    assert state["duration"] == pytest.approx(3, abs=0.3)
