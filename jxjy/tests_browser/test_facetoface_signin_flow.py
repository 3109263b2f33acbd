"""面授签到 by QR code in real browsers (issue 16 item 3).

The 南京 city office, on a desktop, opens the 签到二维码 of today's session. alice's phone opens the scan URL read
from the page (the camera's part) and signs in. Then dave signs in on the same phone (alice signed out, the phone's
device cookie stays) and is refused; a code older than 60 seconds is refused too. The office settles the class:
alice (4 of 5 sessions) becomes 已参训 and her hours post, dave (3 of 5) becomes 缺勤 with the count. The learner
runs on the phone and the desktop viewport; the office on the desktop."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from conftest import make_catalog, make_learner
from jxjy.credits.models import CreditEntry
from jxjy.facetoface import services, signin
from jxjy.facetoface.models import BookingStatus, FaceToFaceBooking, FaceToFaceSession, SessionCheck
from jxjy.facetoface.tests.helpers import make_class

from .conftest import browsing_session
from .steps import at, log_in, staff_log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def office_screen(browser, live_server):
    yield from browsing_session(browser, "desktop", live_server)


@pytest.fixture
def learner_phone(browser, viewport, live_server):
    """The learner's browser; the refused scans answer 409 and 410, which the console reports."""
    yield from browsing_session(
        browser, viewport, live_server, expected_error="the server responded with a status of 4"
    )


@pytest.fixture
def signin_class(alice):
    """A class ending today with five half-days; alice and dave each signed in to three earlier ones."""
    make_catalog(years=(services.current_year(),))
    face_class = make_class("320100", start_in=-2, days=3, title="南京市面授班（扫码签到）")
    dave = make_learner("赵强", "32010219800505111", "13700137000")
    today = timezone.localdate()
    days = [(today - timedelta(days=2), "am"), (today - timedelta(days=2), "pm"), (today - timedelta(days=1), "am")]
    days += [(today - timedelta(days=1), "pm"), (today, "am")]
    sessions = [FaceToFaceSession.objects.create(face_class=face_class, date=d, half=h) for d, h in days]
    bookings = {}
    for user in (alice, dave):
        bookings[user.name] = FaceToFaceBooking.objects.create(
            face_class=face_class, user=user, booked_at=timezone.now() - timedelta(days=10)
        )
        for s in sessions[:3]:
            SessionCheck.objects.create(session=s, booking=bookings[user.name], kind="in", device=f"{user.pk}-{s.pk}")
    return {"class": face_class, "today": sessions[-1], "dave": dave, "bookings": bookings}


def scan_path(screen):
    """The scan URL the code on the screen holds (what the phone's camera would open)."""
    url = screen.page.locator("[data-scan-url]").get_attribute("data-scan-url")
    return url.removeprefix(screen.base_url)


def sign_out_keeping_the_phone(page):
    """Another person signs in on the same phone: the session goes, the phone's device cookie stays."""
    kept = [c for c in page.context.cookies() if c["name"] == signin.DEVICE_COOKIE]
    assert kept, "the first scan set the phone's device cookie"
    page.context.clear_cookies()
    page.context.add_cookies(kept)


def test_qr_sign_in_one_phone_one_learner_and_the_80_percent_rule(
    learner_phone, office_screen, alice, nanjing_reviewer, signin_class, monkeypatch
):
    face_class, today = signin_class["class"], signin_class["today"]
    screen = office_screen.page
    staff_log_in(screen, nanjing_reviewer, reverse("office:facetoface_detail", args=[face_class.pk]))
    row = screen.locator(".f2f-sessions li", has_text=f"{today.date:%Y-%m-%d} 上午")
    row.get_by_role("link", name="签到二维码").click()
    expect(screen).to_have_url(at(reverse("office:facetoface_qr", args=[today.pk])))
    expect(screen.get_by_role("img", name="签到二维码，用手机相机扫描")).to_be_visible()
    expect(screen.locator(".f2f-qr-count")).to_contain_text("已签到 0 / 2 人")
    office_screen.snap("f2f-signin-01-qr")

    browsing = learner_phone
    phone = browsing.page
    log_in(browsing, alice, "f2f-signin-02-login")
    first = scan_path(office_screen)
    phone.goto(first)
    expect(phone.get_by_role("heading", name="扫码签到", exact=True)).to_be_visible()
    browsing.snap("f2f-signin-03-confirm")
    phone.get_by_role("button", name="确认签到").click()
    expect(phone.locator(".f2f-scan").get_by_role("status")).to_contain_text("签到成功")
    browsing.snap("f2f-signin-04-done")
    # The screen fetches a new code every 20 seconds, with the count of those signed in.
    expect(screen.locator(".f2f-qr-count")).to_contain_text("已签到 1 / 2 人", timeout=25_000)
    assert scan_path(office_screen) != first

    sign_out_keeping_the_phone(phone)
    log_in(browsing, signin_class["dave"], "f2f-signin-05-second-learner")
    phone.goto(scan_path(office_screen))
    phone.get_by_role("button", name="确认签到").click()
    expect(phone.locator(".f2f-scan").get_by_role("alert")).to_contain_text("这部手机已为其他学员签到")
    browsing.snap("f2f-signin-06-same-phone-refused")

    stale = scan_path(office_screen)
    monkeypatch.setattr(signin, "TOKEN_SECONDS", -signin.TAP_SECONDS - 1)  # the minute has passed
    phone.goto(stale)
    expect(phone.locator(".f2f-scan").get_by_role("alert")).to_have_text("二维码已过期，请扫描屏幕上最新的二维码。")
    browsing.snap("f2f-signin-07-expired")
    monkeypatch.undo()

    screen.goto(reverse("office:facetoface_detail", args=[face_class.pk]))
    screen.get_by_role("button", name="结算考勤").click()
    expect(screen.get_by_text("已结算考勤：已参训 1 人，缺勤 1 人。")).to_be_visible()
    expect(screen.locator(f"#booking-{signin_class['bookings']['赵强'].pk}")).to_contain_text("出勤 3/5 次，未达到 80%")
    office_screen.snap("f2f-signin-08-settled")
    alice_booking, dave_booking = signin_class["bookings"]["张伟"], signin_class["bookings"]["赵强"]
    alice_booking.refresh_from_db()
    dave_booking.refresh_from_db()
    assert alice_booking.status == BookingStatus.ATTENDED and dave_booking.status == BookingStatus.ABSENT
    assert sum(e.hours for e in CreditEntry.objects.filter(user=alice)) == face_class.total_hours
    assert not CreditEntry.objects.filter(user=signin_class["dave"]).exists()
