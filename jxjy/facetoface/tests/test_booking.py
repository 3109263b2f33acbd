"""The learner's 面授班 (manual 五(五)): 报名面授, one class a year shared with the online class, capacity and the
waiting list (候补), 取消报名 within 3 days, and what the page shows."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from conftest import make_learner
from jxjy.audit.models import AuditRecord, Event
from jxjy.catalog.models import YearClaim
from jxjy.facetoface import services
from jxjy.facetoface.models import BookingStatus, FaceToFaceBooking
from jxjy.lib.errors import UserError
from jxjy.orders import services as orders
from jxjy.orders.models import OrderStatus

from .conftest import client_for
from .helpers import make_class

pytestmark = pytest.mark.django_db

NO_INVOICE = {"invoice_type": "none"}


def book(client, face_class, **data):
    return client.post(reverse("facetoface:book", args=[face_class.pk]), data, follow=True)


def page(client):
    return client.get(reverse("facetoface:home")).content.decode()


def flat(html):
    return re.sub(r"\s+", "", html)


def other_learner(n, city="320100"):
    return make_learner(f"学员{n}", f"32010219800101{n:03d}", city=city)


# --- 报名面授 ----------------------------------------------------------------------------------------------


def test_booking_takes_a_seat_and_the_year(learner, alice, nanjing_class, year):
    confirm = learner.get(reverse("facetoface:book", args=[nanjing_class.pk])).content.decode()
    assert "确认报名" in confirm and "本年度不能再报网络班" in confirm
    response = book(learner, nanjing_class)
    assert "报名成功" in response.content.decode()
    booking = FaceToFaceBooking.objects.get(user=alice)
    assert booking.status == BookingStatus.BOOKED and booking.booked_at is not None
    claim = YearClaim.objects.get(user=alice, year_id=year)
    assert (claim.source, claim.source_id) == ("facetoface", booking.pk)
    assert AuditRecord.objects.filter(event=Event.FACETOFACE_BOOK, object_id=str(booking.pk)).exists()
    html = page(learner)
    assert "我的" in html and "打印报名表" in html and "取消报名" in html and booking.number in html


def test_booking_refused_with_a_paid_online_class(learner, alice, nanjing_class, online, year):
    order = orders.place_order(user=alice, class_ids=[online[(year, "L4")].pk], invoice=NO_INVOICE)
    orders.transition(order, OrderStatus.PAID)
    response = book(learner, nanjing_class)
    assert "您已报名本年度网络班" in response.content.decode()
    assert not FaceToFaceBooking.objects.exists()
    assert YearClaim.objects.get(user=alice, year_id=year).source == "online"


def test_booking_refused_with_an_unpaid_online_order(learner, alice, nanjing_class, online, year):
    order = orders.place_order(user=alice, class_ids=[online[(year, "L4")].pk], invoice=NO_INVOICE)
    html = page(learner)
    # The page says why up front, and 报名面授 is disabled.
    assert f"您有本年度网络班的待支付订单（{order.number}），不能再报名面授班" in html
    assert 'disabled aria-describedby="f2f-refusal">报名面授</button>' in html
    assert reverse("facetoface:book", args=[nanjing_class.pk]) not in html
    response = book(learner, nanjing_class)  # and the server refuses a POST anyway
    assert "待支付订单" in response.content.decode() and "“我的订单”取消该订单" in response.content.decode()
    assert not FaceToFaceBooking.objects.exists()
    # Once the order is cancelled the year is free again.
    orders.transition(order, OrderStatus.CANCELLED, actor=alice)
    book(learner, nanjing_class)
    assert FaceToFaceBooking.objects.get(user=alice).status == BookingStatus.BOOKED


def test_online_order_refused_after_a_booking(learner, alice, nanjing_class, online, year):
    book(learner, nanjing_class)
    with pytest.raises(UserError) as refused:
        orders.place_order(user=alice, class_ids=[online[(year, "L4")].pk], invoice=NO_INVOICE)
    assert refused.value.message.startswith(f"您已报名{year}年度面授班，不能再报名网络班。")
    # Through the checkout page too, and the 网络班报名 list says why.
    response = learner.post(reverse("orders:checkout"), {"classes": online[(year, "L4")].pk, **NO_INVOICE})
    assert "面授班，不能再报名网络班" in response.content.decode()
    assert "本年度已报面授班" in learner.get(reverse("orders:classes"), {"year": year}).content.decode()
    # Another year's online class is unaffected.
    orders.place_order(user=alice, class_ids=[online[(year - 1, "L4")].pk], invoice=NO_INVOICE)


def test_one_class_a_year(learner, alice, nanjing_class, suzhou_class):
    book(learner, nanjing_class)
    response = book(learner, suzhou_class)
    assert f"您已报名本年度面授班“{nanjing_class.title}”" in response.content.decode()
    response = book(learner, nanjing_class)
    assert "无需重复报名" in response.content.decode()
    assert FaceToFaceBooking.objects.filter(user=alice).count() == 1


def test_only_this_years_classes_that_have_not_started(learner, alice, online, year):
    started = make_class(start_in=0, title="今天开班的面授班")
    last_year = make_class(year=year - 1, title="去年的面授班", start_in=-300)
    assert "不能报名" in learner.get(reverse("facetoface:book", args=[started.pk]), follow=True).content.decode()
    assert "该面授班已开班，不能再报名" in book(learner, started).content.decode()
    assert "只能报名当前年度的面授班" in book(learner, last_year).content.decode()
    assert not FaceToFaceBooking.objects.exists()
    html = page(learner)
    assert "今天开班的面授班" in html and "已开班" in html and "去年的面授班" not in html


# --- Capacity and the waiting list --------------------------------------------------------------------------


def test_a_full_class_refuses_a_booking(learner, alice, bob, online):
    small = make_class(capacity=1, title="只有一个名额的面授班")
    services.book(user=bob, face_class=small)
    response = book(learner, small)
    assert services.FULL in response.content.decode()
    assert FaceToFaceBooking.objects.filter(face_class=small, status__in=["booked"]).count() == 1
    assert not YearClaim.objects.filter(user=alice).exists()
    html = page(learner)
    assert "剩余名额 <strong>0</strong> 个" in html and "候补报名" in html


def test_waiting_list_is_promoted_in_order_when_a_seat_frees(
    learner, alice, bob, charlie, online, year, outbox, django_capture_on_commit_callbacks
):
    small = make_class(capacity=1, title="只有一个名额的面授班")
    first = services.book(user=bob, face_class=small)
    confirm = learner.get(reverse("facetoface:book", args=[small.pk])).content.decode()
    assert "候补报名" in confirm and "该面授班名额已满" in confirm
    book(learner, small, wait="1")
    waiting = FaceToFaceBooking.objects.get(user=alice)
    assert waiting.status == BookingStatus.WAITING and waiting.booked_at is None
    assert YearClaim.objects.get(user=alice, year_id=year).source == "facetoface"  # the year is held while waiting
    later = services.book(user=charlie, face_class=small, wait=True)
    assert "候补中" in page(learner) and "取消候补" in page(learner) and "打印报名表" not in page(learner)

    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(booking=first, user=bob)
    waiting.refresh_from_db()
    later.refresh_from_db()
    assert waiting.status == BookingStatus.BOOKED and waiting.booked_at is not None
    assert later.status == BookingStatus.WAITING  # first come, first served
    assert AuditRecord.objects.filter(event=Event.FACETOFACE_PROMOTE, object_id=str(waiting.pk)).exists()
    assert [m.mobile for m in outbox] == [alice.mobile] and "已为您报名成功" in outbox[0].text
    assert "打印报名表" in page(learner)


def test_more_capacity_promotes_the_waiting_list(nanjing_office, alice, bob, charlie, online):
    small = make_class(capacity=1)
    services.book(user=alice, face_class=small)
    services.book(user=bob, face_class=small, wait=True)
    services.book(user=charlie, face_class=small, wait=True)
    data = {
        "year": small.year_id, "title": small.title, "venue": small.venue, "start_date": small.start_date,
        "end_date": small.end_date, "capacity": 2, "public_hours": 16, "professional_hours": 24, "elective_hours": 8,
    }  # fmt: skip
    assert nanjing_office.post(reverse("office:facetoface_edit", args=[small.pk]), data).status_code == 302
    statuses = dict(FaceToFaceBooking.objects.values_list("user__name", "status"))
    assert statuses == {alice.name: "booked", bob.name: "booked", charlie.name: "waiting"}


def test_waiting_bookings_lapse_when_the_class_starts(alice, bob, online, year):
    small = make_class(capacity=1, start_in=3)
    services.book(user=bob, face_class=small)
    waiting = services.book(user=alice, face_class=small, wait=True)
    assert services.lapse_waiting() == 0
    with freeze_time(timezone.now() + timedelta(days=4)):
        assert services.lapse_waiting() == 1
    waiting.refresh_from_db()
    assert waiting.status == BookingStatus.CANCELLED and waiting.cancel_reason == "开班时未候补到名额"
    assert not YearClaim.objects.filter(user=alice).exists()  # she may now order an online class


# --- 取消报名 -----------------------------------------------------------------------------------------------


def test_cancel_within_three_days_frees_the_seat_and_the_year(learner, alice, bob, online, year):
    small = make_class(capacity=1)
    book(learner, small)
    booking = FaceToFaceBooking.objects.get(user=alice)
    with freeze_time(timezone.now() + timedelta(hours=71)):
        learner.force_login(alice)  # the idle session has long expired
        confirm = learner.get(reverse("facetoface:cancel", args=[booking.pk])).content.decode()
        assert "确认取消" in confirm
        response = learner.post(reverse("facetoface:cancel", args=[booking.pk]), follow=True)
    assert "已取消报名" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED and booking.cancelled_at is not None
    assert not YearClaim.objects.filter(user=alice).exists()
    assert AuditRecord.objects.filter(event=Event.FACETOFACE_CANCEL, object_id=str(booking.pk)).exists()
    services.book(user=bob, face_class=small)  # the seat is free again
    orders.place_order(user=alice, class_ids=[online[(year, "L4")].pk], invoice=NO_INVOICE)  # and the year


def test_cancel_after_three_days_is_refused_and_the_button_is_gone(learner, alice, nanjing_class):
    book(learner, nanjing_class)
    booking = FaceToFaceBooking.objects.get(user=alice)
    cancel_url = reverse("facetoface:cancel", args=[booking.pk])
    assert cancel_url in page(learner)
    with freeze_time(booking.booked_at + timedelta(hours=72, seconds=1)):
        learner.force_login(alice)  # the idle session has long expired
        html = page(learner)
        assert cancel_url not in html and "取消报名</a>" not in html
        assert "报名已超过 3 天" in html and "打印报名表" in html
        assert services.TOO_LATE_TO_CANCEL in learner.get(cancel_url).content.decode()
        response = learner.post(cancel_url, follow=True)
    assert services.TOO_LATE_TO_CANCEL in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED
    assert YearClaim.objects.filter(user=alice, source="facetoface").exists()


def test_someone_elses_booking_cannot_be_cancelled(learner, bob, nanjing_class):
    booking = services.book(user=bob, face_class=nanjing_class)
    assert learner.get(reverse("facetoface:cancel", args=[booking.pk])).status_code == 404
    assert learner.post(reverse("facetoface:cancel", args=[booking.pk])).status_code == 404
    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED


# --- The page ------------------------------------------------------------------------------------------------


def test_own_city_first_then_other_cities_with_seats_left(learner, alice, bob, online):
    suzhou = make_class("320500", title="苏州面授班", start_in=5)
    nanjing = make_class("320100", title="南京面授班", start_in=20, capacity=40)
    services.book(user=bob, face_class=nanjing)
    html = page(learner)
    own, others = html.split('id="other-title"')
    assert "南京面授班" in own and "苏州面授班" not in own and "苏州面授班" in others
    card = own[own.index("南京面授班") :]
    for text in ("南京市", nanjing.venue, "共 40 个名额，剩余名额 <strong>39</strong> 个", "48 学时", "报名面授"):
        assert text in card, text
    assert suzhou.venue in others


def test_past_years_records_with_outcome_and_hours(learner, alice, nanjing_reviewer, online, year):
    attended = make_class(year=year - 1, start_in=-400, title="去年参训的面授班")
    absent = make_class(year=year - 2, start_in=-800, title="前年缺勤的面授班")
    for face_class, outcome in ((attended, True), (absent, False)):
        booking = FaceToFaceBooking.objects.create(
            face_class=face_class, user=alice, status="booked", booked_at=timezone.now()
        )
        services.mark_attendance(booking=booking, attended=outcome, actor=nanjing_reviewer)
    html = flat(page(learner))
    assert "往年面授记录" in html
    assert (
        f"{year - 1}年度" in html
        and "去年参训的面授班" in html
        and "已参训" in html
        and "获得学时：<strong>48学时</strong>" in html
    )
    assert (
        f"{year - 2}年度" in html
        and "前年缺勤的面授班" in html
        and "缺勤" in html
        and "获得学时：<strong>0学时</strong>" in html
    )


def test_the_menu_links_to_facetoface(learner):
    html = learner.get(reverse("learning:center")).content.decode()
    assert f'href="{reverse("facetoface:home")}"' in html and '面授班 <span class="tag">即将开放' not in html


def test_page_query_count_does_not_grow(learner, alice, online, year, django_assert_max_num_queries):
    def add(n):
        for i in range(n):
            face_class = make_class("320100" if i % 2 else "320500", title=f"面授班{i}")
            services.book(user=other_learner(len(FaceToFaceBooking.objects.all()) + 10), face_class=face_class)
            past = make_class(year=year - 1, start_in=-300 - i)
            FaceToFaceBooking.objects.create(face_class=past, user=alice, status="absent", booked_at=timezone.now())

    add(2)
    with django_assert_max_num_queries(8) as small:
        page(learner)
    add(8)
    with django_assert_max_num_queries(8) as large:
        html = page(learner)
    assert len(large.captured_queries) == len(small.captured_queries)
    assert html.count('class="class-card f2f-card"') == 10
    with django_assert_max_num_queries(8):
        learner.get(reverse("facetoface:book", args=[FaceToFaceBooking.objects.first().face_class_id]))


def test_staff_are_not_learners(nanjing_office, nanjing_class):
    response = nanjing_office.get(reverse("facetoface:home"))
    assert response.status_code == 302 and response.url == reverse("office:home")


def test_unauthenticated_learner_is_sent_to_login(client, nanjing_class):
    response = client.get(reverse("facetoface:home"))
    assert response.status_code == 302 and "/login/" in response.url


def test_two_browsers_of_one_learner(alice, nanjing_class, suzhou_class):
    """A learner booking two classes from two tabs gets one (the year claim decides)."""
    first, second = client_for(alice), client_for(alice)
    book(first, nanjing_class)
    book(second, suzhou_class)
    assert FaceToFaceBooking.objects.filter(user=alice).exclude(status="cancelled").count() == 1
