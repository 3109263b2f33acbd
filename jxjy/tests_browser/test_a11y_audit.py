"""The accessibility audit of every learner page (issue 15 item 12): each page a learner can open with GET is found
by walking the URL resolver, filled with data this test makes (a paid class with a courseware, a practice, an
exam, an unpaid order, a 视同申报, a 面授班 booking, a notice, a 收件地址), and visited in three modes: a
360 × 740 phone, the same phone in 大字模式, and a 1366 × 900 desktop. On every page:

- axe-core finds no serious or critical violation (the CSP is bypassed in this test only, to inject axe);
- the page does not scroll sideways;
- every visible link, button, field, select and summary is at least 44 × 44 px (links inside running text are
  exempt, as WCAG 2.5.8's inline exception says);
- in 大字模式, no visible text is rendered under 18 px;
- a screenshot goes to test-artifacts/screenshots/a11y-<mode>-<url name>.png.

The findings of a mode are gathered and reported together, naming the page and the element.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from conftest import make_catalog

from .conftest import DEFAULT_TIMEOUT_MS, OVERFLOW_JS, SCREENSHOTS, wait_for_requests_to_end
from .measures import axe_findings, small_targets, small_text
from .steps import CAPTCHA, PASSWORD

pytestmark = pytest.mark.browser

LEARNER_APPS = (
    "portal",
    "accounts",
    "learning",
    "orders",
    "payments",
    "exams",
    "certificates",
    "declarations",
    "facetoface",
)
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "device_scale_factor": 1}
MODES = {
    "phone": (PHONE, False),
    "phone-large": (PHONE, True),
    "desktop": ({"viewport": {"width": 1366, "height": 900}}, False),
}
# URL names a learner never opens as a page, and why (the rest are classified by what a GET answers).
NOT_PAGES = {
    "portal:healthz": "a health probe for the load balancer",
    "portal:readyz": "a readiness probe for the load balancer",
    "portal:a11y": "the 大字模式 switch (POST only)",
    "accounts:logout": "退出登录 (POST only)",
    "payments:notify": "the bank's server-to-server notification",
    "certificates:verify_token": "needs a printed certificate's signed token; covered by test_certificates_flow",
}


def make_world(user):
    """A learner with something on every page; returns the values that fill URL kwargs, by URL name."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jxjy.accounts.models import Address
    from jxjy.catalog.models import Category, Chapter, Course, Courseware
    from jxjy.certificates.tests.helpers import UNIT, give_hours, sit_exam
    from jxjy.declarations import services as declarations
    from jxjy.exams.services import practice_sizes, start_practice
    from jxjy.exams.tests.conftest import make_bank
    from jxjy.facetoface.tests.helpers import make_class
    from jxjy.learning.models import Enrollment
    from jxjy.learning.services import class_courses
    from jxjy.orders import services as orders
    from jxjy.orders.models import OrderStatus
    from jxjy.portal.models import Notice

    classes = make_catalog()
    type(user).objects.filter(pk=user.pk).update(work_unit=UNIT)
    training_class = classes[(2026, "L4")]
    course = Course.objects.create(title="公共机构节能管理", category=Category.PUBLIC, hours=Decimal("16"))
    make_bank(course)
    training_class.courses.add(course)
    chapter = Chapter.objects.create(course=course, title="第一章 节能基础")
    courseware = Courseware.objects.create(chapter=chapter, title="1.1 概述", video="coursewares/x.mp4", duration=300)
    paid = orders.place_order(user=user, class_ids=[training_class.pk], invoice={"invoice_type": "none"})
    orders.transition(paid, OrderStatus.PAID)
    enrollment = Enrollment.objects.get(user=user, training_class=training_class)
    class_courses(enrollment)
    progress = watched_with_reasons(enrollment, courseware)
    give_hours(user, public=8, professional=6)
    practice = start_practice(enrollment=enrollment, size=practice_sizes(enrollment)[0])
    attempt = sit_exam(enrollment, 52)
    unpaid = orders.place_order(user=user, class_ids=[classes[(2025, "L4")].pk], invoice={"invoice_type": "none"})
    notice = Notice.objects.create(
        title="关于2026年度继续教育网络培训的通知", body="请各位学员按时学习。", is_pinned=True
    )
    Notice.objects.create(
        title="平台操作说明", body="学员操作手册可在首页下载。", published_at=timezone.now() - timedelta(days=1)
    )
    address = Address.objects.create(
        user=user,
        recipient="张伟",
        mobile="13800138000",
        region="江苏省 南京市 玄武区",
        detail="北京东路 41 号",
        is_default=True,
    )
    Address.objects.create(
        user=user, recipient="张伟", mobile="13800138000", region="江苏省 南京市 鼓楼区", detail="中山北路 100 号"
    )
    pdf = SimpleUploadedFile(
        "结业证书.pdf",
        b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
        content_type="application/pdf",
    )
    year = timezone.localdate().year
    claim = declarations.file_claim(
        user=user,
        uploads=[pdf],
        data={
            "kind": "research",
            "category": "professional",
            "title": "公共机构节能管理研修班",
            "organiser": "江苏省机关事务管理局",
            "start_date": timezone.localdate().replace(month=1, day=12),
            "end_date": timezone.localdate().replace(month=1, day=13),
            "hours_claimed": Decimal("12"),
            "description": "两天全日制研修",
        },
    )
    # One class a year: alice's year is held by her 网络班, so 面授班 shows her the class and the reason.
    face_class = make_class("320100", year=year)
    common = {
        "enrollment_id": enrollment.pk,
        "courseware_id": courseware.pk,
        "number": unpaid.number,
        "practice_id": practice.pk,
        "attempt_id": attempt.pk,
        "class_id": face_class.pk,
        "question_id": practice.questions[0],
        "progress_id": progress.pk,
    }
    pks = {
        "portal:notice_detail": notice.pk,
        "accounts:address_edit": address.pk,
        "declarations:detail": claim.pk,
        "declarations:edit": claim.pk,
        "declarations:attachment": claim.attachments.first().pk,
        "orders:enroll": training_class.pk,
        "orders:pre_enrollment_add": training_class.pk,
    }
    return common, pks


def watched_with_reasons(enrollment, courseware):
    """学时明细's data: two watched stretches, a pop-up question, and a playback with a pause and a jump."""
    import uuid

    from jxjy.learning.models import Checkpoint, CoursewareProgress, PlaybackSession

    progress = CoursewareProgress.objects.create(
        enrollment=enrollment, courseware=courseware, intervals=[[0, 90], [150, 200]], watched=140
    )
    question = courseware.chapter.course.questions.first()
    Checkpoint.objects.create(progress=progress, position=120, question=question)
    start = timezone.now() - timedelta(hours=2)
    PlaybackSession.objects.create(
        id=uuid.uuid4(),
        enrollment=enrollment,
        user=enrollment.user,
        courseware=courseware,
        started_at=start,
        last_beat_at=start + timedelta(minutes=6),
        is_current=False,
        device_label="安卓手机 · 微信",
        events=20,
        played=200,
        credited=140,
        lost_paused=130,
        lost_seek=60,
        beats_seek=1,
    )
    return progress


def learner_urls(common, pks):
    """(name, path) for every URL pattern of the learner apps, and {name: reason} for those that cannot be filled."""
    found, skipped = [], {}

    def walk(resolver, namespace=None):
        for item in resolver.url_patterns:
            if isinstance(item, URLResolver):
                walk(item, item.namespace or namespace)
            elif isinstance(item, URLPattern) and namespace in LEARNER_APPS and item.name:
                name = f"{namespace}:{item.name}"
                params = list(item.pattern.regex.groupindex)
                if name in NOT_PAGES:
                    skipped[name] = NOT_PAGES[name]
                    continue
                kwargs = {p: pks.get(name) if p == "pk" else common.get(p) for p in params}
                missing = [p for p, v in kwargs.items() if v is None]
                if missing:
                    skipped[name] = f"no test data for {missing}"
                    continue
                found.append((name, reverse(name, kwargs=kwargs)))

    walk(get_resolver())
    return found, skipped


def classify(urls, user):
    """Split the URLs by what a GET answers: pages for the signed-in learner, pages for a visitor (登录, 注册 …),
    and the rest with the reason (POST only, a file, a redirect to a page audited anyway)."""
    learner, visitor = Client(), Client()
    learner.force_login(user)
    signed_in, anonymous, skipped = [], [], {}
    for name, path in urls:
        response = learner.get(path)
        html = response.get("Content-Type", "").startswith("text/html")
        if response.status_code == 200 and html:
            signed_in.append((name, path))
            continue
        if response.status_code in (301, 302):
            other = visitor.get(path)
            if other.status_code == 200 and other.get("Content-Type", "").startswith("text/html"):
                anonymous.append((name, path))
            else:
                skipped[name] = f"redirects to {response.url}, which is audited itself"
        elif response.status_code == 405:
            skipped[name] = "POST only"
        elif not html:
            skipped[name] = f"not a page ({response.get('Content-Type')})"
        else:
            skipped[name] = f"answers {response.status_code}"
    return signed_in, anonymous, skipped


def audit_page(page, mode, name, large):
    """The findings on the page now open, as lines naming the page and the element."""
    where = f"{mode} {name} ({page.url})"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"a11y-{mode}-{name.replace(':', '-')}.png"), full_page=True)
    findings = axe_findings(page, where)
    width = page.evaluate(OVERFLOW_JS)
    limit = page.viewport_size["width"]
    if width["scrollWidth"] > limit + 1:
        findings.append(f"{where}: scrolls sideways ({width['scrollWidth']} > {limit}); widest: {width['wide']}")
    for target in small_targets(page):
        findings.append(f"{where}: target under 44 px: {target}")
    if large:
        for text in small_text(page):
            findings.append(f"{where}: text under 18 px: {text}")
    return findings


def sign_in(page, user):
    page.goto("/login/")
    page.get_by_label("身份证号", exact=True).fill(user.id_number)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("图形验证码", exact=True).fill(CAPTCHA)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(re.compile(r".*/center/$"))


@pytest.mark.parametrize("mode", list(MODES))
def test_every_learner_page_passes_the_audit(browser, live_server, alice, mode, settings):
    settings.DEBUG = False
    common, pks = make_world(alice)
    urls, skipped = learner_urls(common, pks)
    signed_in, anonymous, not_pages = classify(urls, alice)
    skipped.update(not_pages)
    # The walk found the learner's pages: a guard against an enumeration that quietly finds nothing.
    assert len(signed_in) >= 30 and len(anonymous) >= 2, (signed_in, anonymous, skipped)

    options, large = MODES[mode]
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", bypass_csp=True, **options)
    if large:
        host = live_server.url.split("//", 1)[1].split(":")[0]
        context.add_cookies([{"name": "jxjy_a11y", "value": "1", "domain": host, "path": "/"}])
    page = context.new_page()
    page.set_default_timeout(DEFAULT_TIMEOUT_MS)
    findings = []
    try:
        for name, path in anonymous:
            page.goto(path)
            findings += audit_page(page, mode, name, large)
        sign_in(page, alice)
        # A page with a message on it (设为默认 answers 已设为默认地址): the message box is audited too.
        page.goto(reverse("accounts:settings_addresses"))
        page.get_by_role("button", name="设为默认").click()
        page.get_by_role("status").wait_for()
        findings += audit_page(page, mode, "message", large)
        for name, path in signed_in:
            page.goto(path)
            findings += audit_page(page, mode, name, large)
    finally:
        context.close()
        wait_for_requests_to_end()
    print(f"\n{mode}: audited {len(anonymous) + len(signed_in)} pages; skipped: {skipped}")
    assert not findings, f"{len(findings)} accessibility findings:\n" + "\n".join(findings)


def test_large_text_switches_without_a_reload_and_the_forms_help(browsing, alice):
    """大字模式 on the login page: the typed ID number stays and the page is not reloaded (a marker set on window
    survives); 显示密码 shows the password; 看不清？换一张 fetches a new captcha; 登录 says 正在提交… once sent."""
    from playwright.sync_api import expect

    page = browsing.page
    page.goto("/login/")
    page.get_by_label("身份证号", exact=True).fill(alice.id_number)
    page.evaluate("window.__samePage = true")
    page.get_by_role("button", name="大字模式").click()
    expect(page.locator("html")).to_have_class(re.compile(r"\ba11y\b"))
    switch = page.get_by_role("button", name="标准模式")
    expect(switch).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.__samePage === true")
    expect(page.get_by_label("身份证号", exact=True)).to_have_value(alice.id_number)
    assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") >= 22
    assert any(c["name"] == "jxjy_a11y" and c["value"] == "1" for c in page.context.cookies())
    browsing.snap("a11y-toggle-large")

    password = page.get_by_label("密码", exact=True)
    password.fill(PASSWORD)
    peek = page.get_by_role("button", name="显示密码")
    box = peek.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    peek.click()
    expect(password).to_have_attribute("type", "text")
    expect(page.get_by_role("button", name="隐藏密码")).to_have_attribute("aria-pressed", "true")

    key = page.locator("input[name=captcha_0]").input_value()
    page.get_by_role("button", name="看不清？换一张").click()
    expect(page.locator("input[name=captcha_0]")).not_to_have_value(key)

    switch.click()
    expect(page.locator("html")).not_to_have_class(re.compile(r"\ba11y\b"))
    expect(page.get_by_role("button", name="大字模式")).to_have_attribute("aria-pressed", "false")
    assert page.evaluate("window.__samePage === true")

    page.get_by_label("图形验证码", exact=True).fill(CAPTCHA)
    # A listener after site.js's keeps the page here, counting the submissions that would have been sent.
    page.evaluate("""window.__sent = 0; window.addEventListener("submit", (e) => {
        if (!e.defaultPrevented) window.__sent += 1; e.preventDefault(); })""")
    sign_in_button = page.get_by_role("button", name="登录", exact=True)
    sign_in_button.click()
    busy = page.get_by_role("button", name="正在提交…")
    expect(busy).to_be_disabled()
    page.locator("form:has(input[name=captcha_1])").evaluate("(form) => form.requestSubmit()")  # a double tap
    assert page.evaluate("window.__sent") == 1
