"""面授签到 by the rotating QR code, 补签, and 结算考勤 by the 80 % rule (issue 16 item 3), through HTTP."""

import base64
import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from conftest import make_learner
from jxjy.audit.models import AuditRecord, Event
from jxjy.credits.models import CreditEntry
from jxjy.facetoface import signin, tasks
from jxjy.facetoface.models import BookingStatus, FaceToFaceBooking, FaceToFaceSession, SessionCheck

from .conftest import client_for
from .helpers import make_class

pytestmark = pytest.mark.django_db


def book(face_class, user):
    return FaceToFaceBooking.objects.create(face_class=face_class, user=user, booked_at=timezone.now())


def sessions(face_class, n):
    """`n` half-days of the class, the last ones today (sign-in refuses any other day)."""
    today = timezone.localdate()
    halves = [(today - timedelta(days=i // 2), "pm" if i % 2 == 0 else "am") for i in range(n)]
    return [FaceToFaceSession.objects.create(face_class=face_class, date=d, half=h) for d, h in reversed(halves)]


@pytest.fixture
def today_class(online):
    return make_class("320100", start_in=-2, days=3, title="南京市面授班（签到）")


@pytest.fixture
def session(today_class):
    return sessions(today_class, 1)[0]


@pytest.fixture
def alice_booking(today_class, alice):
    return book(today_class, alice)


def scan_path(session, kind="in"):
    return reverse("facetoface:scan", args=[signin.make_token(session, kind)])


def scan(client, path):
    """Open the scan URL (GET) then tap 确认 (POST), as the phone does."""
    page = client.get(path)
    if page.status_code != 200:
        return page
    return client.post(path)


def test_scan_signs_in_the_learner_and_sets_the_device_cookie(learner, session, alice_booking):
    path = scan_path(session)
    page = learner.get(path)
    assert page.status_code == 200 and "确认签到" in page.content.decode()
    assert signin.DEVICE_COOKIE in page.cookies
    done = learner.post(path)
    assert "签到成功" in done.content.decode()
    check = SessionCheck.objects.get(booking=alice_booking)
    assert check.kind == "in" and check.device and check.marked_by is None
    again = learner.post(path)  # a second tap is quiet
    assert again.status_code == 200 and SessionCheck.objects.count() == 1


def test_signed_out_scan_goes_to_login_with_next(session):
    path = scan_path(session)
    response = Client().get(path)
    assert response.status_code == 302 and "next=" in response["Location"]
    assert signin.make_token(session, "in")[:10] in response["Location"]  # it comes back to the same code


def test_the_token_expires_after_60_seconds(learner, session, alice_booking):
    now = timezone.now()
    with freeze_time(now):
        path = scan_path(session)
    with freeze_time(now + timedelta(seconds=59)):
        assert learner.get(path).status_code == 200
    with freeze_time(now + timedelta(seconds=61)):
        response = learner.get(path)
    assert response.status_code == 410
    assert "二维码已过期，请扫描屏幕上最新的二维码。" in response.content.decode()
    with freeze_time(now + timedelta(seconds=60 + signin.TAP_SECONDS - 1)):
        assert learner.post(path).status_code == 200  # tapped 确认 on the page opened in time
    SessionCheck.objects.all().delete()
    with freeze_time(now + timedelta(seconds=60 + signin.TAP_SECONDS + 1)):
        assert learner.post(path).status_code == 410
    assert not SessionCheck.objects.exists()


def test_a_tampered_token_is_refused(learner, session, alice_booking, today_class):
    """The payload rewritten to name another session (or 签退), keeping the signature: refused."""
    other = FaceToFaceSession.objects.create(face_class=today_class, date=session.date, half="am")
    payload, rest = signin.make_token(session, "in").split(":", 1)
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert body == [session.pk, "in"]
    for forged_body in ([other.pk, "in"], [session.pk, "out"]):
        forged = base64.urlsafe_b64encode(json.dumps(forged_body, separators=(",", ":")).encode()).decode()
        response = scan(learner, reverse("facetoface:scan", args=[f"{forged.rstrip('=')}:{rest}"]))
        assert response.status_code == 400 and "二维码无效" in response.content.decode()
    assert not SessionCheck.objects.exists()


def test_a_learner_without_a_booking_or_of_another_class_is_refused(learner, session, alice, online):
    other_class = make_class("320100", start_in=-2, days=3, title="另一个面授班")
    book(other_class, alice)  # booked, but in another class
    response = scan(learner, scan_path(session))
    assert response.status_code == 403 and "您没有报名这个面授班" in response.content.decode()
    assert not SessionCheck.objects.exists()


def test_a_cancelled_booking_cannot_sign_in(learner, session, alice_booking):
    FaceToFaceBooking.objects.filter(pk=alice_booking.pk).update(status=BookingStatus.CANCELLED)
    assert learner.get(scan_path(session)).status_code == 403


def test_one_phone_cannot_sign_in_two_learners(learner, session, alice_booking, alice, today_class):
    dave = make_learner("赵强", "32010219800505111", "13700137000")
    dave_booking = book(today_class, dave)
    assert scan(learner, scan_path(session)).status_code == 200
    device = learner.cookies[signin.DEVICE_COOKIE].value
    phone = client_for(dave)
    phone.cookies[signin.DEVICE_COOKIE] = device  # the same phone, signed in as dave
    response = scan(phone, scan_path(session))
    assert response.status_code == 409
    assert "这部手机已为其他学员签到" in response.content.decode()
    assert not SessionCheck.objects.filter(booking=dave_booking).exists()
    refused = AuditRecord.objects.get(event=Event.FACETOFACE_ATTENDANCE, result="refused")
    assert refused.actor == dave and refused.detail["other_booking"] == alice_booking.pk
    # dave's own phone works; and alice's phone may still 签退 for alice
    assert scan(client_for(dave), scan_path(session)).status_code == 200
    assert scan(learner, scan_path(session, "out")).status_code == 200
    assert SessionCheck.objects.filter(booking=alice_booking).count() == 2


def test_a_session_of_another_day_is_refused(learner, today_class, alice_booking):
    tomorrow = FaceToFaceSession.objects.create(
        face_class=today_class, date=timezone.localdate() + timedelta(days=1), half="am"
    )
    response = scan(learner, scan_path(tomorrow))
    assert response.status_code == 409 and "不在今天" in response.content.decode()


def office_detail(client, face_class):
    return client.get(reverse("office:facetoface_detail", args=[face_class.pk]))


def test_hand_marking_needs_a_reason_and_is_audited(nanjing_office, nanjing_reviewer, session, alice_booking):
    url = reverse("office:facetoface_hand_mark", args=[alice_booking.pk])
    nanjing_office.post(url, {"session": session.pk, "reason": " "})
    assert not SessionCheck.objects.exists()
    nanjing_office.post(url, {"session": session.pk, "reason": "手机没电，经核实本人到场"})
    check = SessionCheck.objects.get(booking=alice_booking)
    assert check.marked_by == nanjing_reviewer and check.reason == "手机没电，经核实本人到场" and check.device == ""
    audit = AuditRecord.objects.get(event=Event.FACETOFACE_ATTENDANCE, detail__by="hand")
    assert audit.actor == nanjing_reviewer and audit.detail["reason"] == "手机没电，经核实本人到场"


def posted_hours(user):
    return sum(e.hours for e in CreditEntry.objects.filter(user=user))


@pytest.mark.parametrize(("attended", "passes"), [(4, True), (3, False)])
def test_the_80_percent_rule_posts_the_hours_or_not(nanjing_office, today_class, alice, attended, passes):
    booking = book(today_class, alice)
    five = sessions(today_class, 5)
    for s in five[:attended]:
        SessionCheck.objects.create(session=s, booking=booking, kind="in", device=f"d{s.pk}")
    page = office_detail(nanjing_office, today_class).content.decode()
    assert f"{attended}/5" in page
    assert ("出勤 3/5 次，未达到 80%" in page) is not passes
    nanjing_office.post(reverse("office:facetoface_settle", args=[today_class.pk]))
    booking.refresh_from_db()
    if passes:
        assert booking.status == BookingStatus.ATTENDED and posted_hours(alice) == today_class.total_hours
    else:
        assert booking.status == BookingStatus.ABSENT and posted_hours(alice) == 0


def test_a_hand_mark_after_settling_turns_absent_into_attended(nanjing_office, today_class, alice):
    booking = book(today_class, alice)
    five = sessions(today_class, 5)
    for s in five[:3]:
        SessionCheck.objects.create(session=s, booking=booking, kind="in", device=f"d{s.pk}")
    settle = reverse("office:facetoface_settle", args=[today_class.pk])
    nanjing_office.post(settle)
    nanjing_office.post(
        reverse("office:facetoface_hand_mark", args=[booking.pk]), {"session": five[4].pk, "reason": "签到时手机没电"}
    )
    nanjing_office.post(settle)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.ATTENDED and posted_hours(alice) == today_class.total_hours


def test_the_attendance_share_is_set_per_class(nanjing_office, today_class, alice):
    today_class.attendance_percent = 60
    today_class.save(update_fields=["attendance_percent"])
    booking = book(today_class, alice)
    five = sessions(today_class, 5)
    for s in five[:3]:
        SessionCheck.objects.create(session=s, booking=booking, kind="in", device=f"d{s.pk}")
    nanjing_office.post(reverse("office:facetoface_settle", args=[today_class.pk]))
    booking.refresh_from_db()
    assert booking.status == BookingStatus.ATTENDED


def test_settling_waits_for_the_last_day_and_hand_outcomes_give_way(nanjing_office, online, alice):
    future = make_class("320100", start_in=-1, days=3)
    booking = book(future, alice)
    FaceToFaceSession.objects.create(face_class=future, date=timezone.localdate(), half="am")
    nanjing_office.post(reverse("office:facetoface_settle", args=[future.pk]))
    nanjing_office.post(reverse("office:facetoface_attendance", args=[booking.pk]), {"outcome": "attended"})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED and posted_hours(alice) == 0


def test_the_qr_page_shows_a_scan_url_that_works(nanjing_office, learner, session, alice_booking):
    page = nanjing_office.get(reverse("office:facetoface_qr", args=[session.pk]) + "?kind=in").content.decode()
    url = re.search(r'data-scan-url="([^"]+)"', page).group(1)
    assert 'src="data:image/svg+xml;base64,' in page
    code = nanjing_office.get(reverse("office:facetoface_qr_code", args=[session.pk]) + "?kind=out").json()
    assert code["qr"].startswith("data:image/svg+xml") and "/f2f/scan/" in code["url"]
    assert scan(learner, url.removeprefix("http://testserver")).status_code == 200
    assert SessionCheck.objects.filter(booking=alice_booking, kind="in").exists()


def test_the_office_pages_are_scoped_by_city(suzhou_office, session, alice_booking, today_class):
    urls = [
        reverse("office:facetoface_qr", args=[session.pk]),
        reverse("office:facetoface_qr_code", args=[session.pk]),
    ]
    for url in urls:
        assert suzhou_office.get(url).status_code == 404
    posts = [
        (reverse("office:facetoface_hand_mark", args=[alice_booking.pk]), {"session": session.pk, "reason": "x"}),
        (reverse("office:facetoface_settle", args=[today_class.pk]), {}),
        (reverse("office:facetoface_session_add", args=[today_class.pk]), {"date": session.date, "half": "am"}),
        (reverse("office:facetoface_session_delete", args=[session.pk]), {}),
    ]
    for url, data in posts:
        assert suzhou_office.post(url, data).status_code == 404
    assert FaceToFaceSession.objects.count() == 1 and not SessionCheck.objects.exists()


def test_the_office_adds_and_deletes_sessions(nanjing_office, today_class):
    add = reverse("office:facetoface_session_add", args=[today_class.pk])
    nanjing_office.post(add, {"date": today_class.start_date.isoformat(), "half": "am"})
    nanjing_office.post(add, {"date": today_class.start_date.isoformat(), "half": "am"})  # a duplicate
    nanjing_office.post(add, {"date": (today_class.end_date + timedelta(days=1)).isoformat(), "half": "pm"})
    assert list(today_class.sessions.values_list("half", flat=True)) == ["am"]
    session = today_class.sessions.get()
    nanjing_office.post(reverse("office:facetoface_session_delete", args=[session.pk]))
    assert not today_class.sessions.exists()


def test_the_learner_sees_the_count_when_absent(learner, nanjing_office, today_class, alice):
    booking = book(today_class, alice)
    five = sessions(today_class, 5)
    for s in five[:3]:
        SessionCheck.objects.create(session=s, booking=booking, kind="in", device=f"d{s.pk}")
    assert "已签到 3/5 次" in learner.get(reverse("facetoface:home")).content.decode()
    nanjing_office.post(reverse("office:facetoface_settle", args=[today_class.pk]))
    page = learner.get(reverse("facetoface:home")).content.decode()
    assert "缺勤" in page and "出勤 3/5 次，未达到 80%" in page


def test_hand_marking_refuses_a_session_of_another_class(nanjing_office, session, online, alice):
    other = make_class("320100", start_in=-2, days=3, title="另一个面授班")
    booking = book(other, alice)
    url = reverse("office:facetoface_hand_mark", args=[booking.pk])
    nanjing_office.post(url, {"session": session.pk, "reason": "手机没电"})
    assert not SessionCheck.objects.exists()
    with pytest.raises(signin.UserError):
        signin.mark_by_hand(session=session, booking=booking, actor=None, reason="手机没电")


def test_the_nightly_job_settles_ended_classes_with_sessions_only(online, alice, bob):
    ended = make_class("320100", start_in=-3, days=2, title="已结束的面授班")
    booking = book(ended, alice)
    session = FaceToFaceSession.objects.create(face_class=ended, date=ended.end_date, half="am")
    SessionCheck.objects.create(session=session, booking=booking, kind="in", device="d1")
    old_style = make_class("320500", start_in=-3, days=2, title="没有课次的面授班")
    untouched = book(old_style, bob)
    assert tasks.settle_ended_classes() == 1
    booking.refresh_from_db()
    untouched.refresh_from_db()
    assert booking.status == BookingStatus.ATTENDED and posted_hours(alice) == ended.total_hours
    assert untouched.status == BookingStatus.BOOKED
    assert tasks.settle_ended_classes() == 0  # nothing left 已报名


def test_scanning_and_the_office_list_take_few_queries(
    learner, nanjing_office, session, alice_booking, today_class, django_assert_max_num_queries
):
    for i in range(10):
        user = make_learner(f"学员{i}", f"32010219800101{i:03d}", f"1370000{i:04d}")
        SessionCheck.objects.create(session=session, booking=book(today_class, user), kind="in", device=f"d{i}")
    path = scan_path(session)
    learner.get(path)
    with django_assert_max_num_queries(13):
        assert learner.post(path).status_code == 200
    with django_assert_max_num_queries(16):
        assert office_detail(nanjing_office, today_class).status_code == 200
