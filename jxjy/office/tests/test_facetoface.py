"""面授班管理 in the back office: a city office runs its own city's classes only (404 elsewhere), creates and edits
them with validated forms, exports the booking list (audited) and marks attendance into the hours ledger."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from conftest import hours_by_category, make_learner, staff_client
from jxjy.audit.models import AuditRecord, Event
from jxjy.credits.models import CreditEntry
from jxjy.facetoface import services
from jxjy.facetoface.models import BookingStatus, FaceToFaceBooking, FaceToFaceClass
from jxjy.facetoface.tests.helpers import UNIT, make_class

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    start = timezone.localdate() + timedelta(days=20)
    data = {
        "year": services.current_year(),
        "title": "鼓楼区工勤人员面授班",
        "venue": "南京市鼓楼区中山北路 100 号",
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=1)).isoformat(),
        "capacity": "50",
        "public_hours": "",
        "professional_hours": "",
        "elective_hours": "",
        "contact": "025-83270000",
    }
    return {**data, **overrides}


@pytest.fixture
def started(online, alice, bob):
    """A 南京 class that began yesterday, with alice (南京) and bob (苏州) booked before it began."""
    face_class = make_class("320100", start_in=-1, days=3, title="南京市面授班（已开班）", public_hours=Decimal("6"),
                            professional_hours=Decimal("12"), elective_hours=Decimal("0"))  # fmt: skip
    alice.work_unit = UNIT
    alice.save(update_fields=["work_unit"])
    for user in (alice, bob):
        FaceToFaceBooking.objects.create(face_class=face_class, user=user, booked_at=timezone.now() - timedelta(days=5))
    return face_class


def mark(client, booking, outcome):
    return client.post(reverse("office:facetoface_attendance", args=[booking.pk]), {"outcome": outcome})


# --- Creating and editing -----------------------------------------------------------------------------------


def test_a_city_office_creates_its_own_citys_class_with_the_years_hours(nanjing_office, nanjing_reviewer, online):
    page = nanjing_office.get(reverse("office:facetoface_create")).content.decode()
    assert "新建面授班" in page and 'name="city"' not in page and 'value="16.0"' in page
    response = nanjing_office.post(reverse("office:facetoface_create"), form_data())
    face_class = FaceToFaceClass.objects.get()
    assert response.status_code == 302 and response.url == reverse("office:facetoface_detail", args=[face_class.pk])
    assert face_class.city_id == "320100" and face_class.created_by == nanjing_reviewer
    assert (face_class.public_hours, face_class.professional_hours, face_class.elective_hours) == (16, 24, 8)
    record = AuditRecord.objects.get(event=Event.FACETOFACE_CLASS_SAVE)
    assert record.actor == nanjing_reviewer and record.detail["created"] is True


def test_the_province_chooses_the_city(province, online):
    assert 'name="city"' in province.get(reverse("office:facetoface_create")).content.decode()
    response = province.post(reverse("office:facetoface_create"), form_data(city="320500", elective_hours="4"))
    assert response.status_code == 302
    assert FaceToFaceClass.objects.get().city_id == "320500" and FaceToFaceClass.objects.get().elective_hours == 4


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"end_date": (timezone.localdate() + timedelta(days=5)).isoformat()}, "结束日期不能早于开始日期。"),
        ({"capacity": "0"}, "人数上限至少为 1 人。"),
        ({"capacity": "-3"}, "人数上限至少为 1 人。"),
        ({"public_hours": "-1"}, "学时不能为负数。"),
        ({"public_hours": "0", "professional_hours": "0", "elective_hours": "0"}, "学时合计须大于 0。"),
        ({"title": ""}, "请填写班级名称。"),
        ({"start_date": "明天"}, "请按 年-月-日 填写开始日期。"),
    ],
)
def test_form_errors_are_plain_chinese(nanjing_office, online, overrides, message):
    response = nanjing_office.post(reverse("office:facetoface_create"), form_data(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not FaceToFaceClass.objects.exists()


def test_capacity_cannot_drop_below_the_bookings(nanjing_office, nanjing_class, alice, bob):
    services.book(user=alice, face_class=nanjing_class)
    services.book(user=bob, face_class=nanjing_class)
    url = reverse("office:facetoface_edit", args=[nanjing_class.pk])
    edit = nanjing_office.get(url).content.decode()
    assert "已有学员报名，不能更改年度" in edit
    response = nanjing_office.post(url, form_data(capacity="1"))
    assert response.status_code == 400 and "人数上限不能少于已报名人数（2 人）。" in response.content.decode()
    assert nanjing_office.post(url, form_data(capacity="2")).status_code == 302
    nanjing_class.refresh_from_db()
    assert nanjing_class.capacity == 2 and nanjing_class.title == "鼓楼区工勤人员面授班"


# --- Scoping --------------------------------------------------------------------------------------------------


def test_req_15_a_city_office_sees_only_its_own_classes(
    suzhou_office, nanjing_office, nanjing_class, suzhou_class, alice
):
    booking = services.book(user=alice, face_class=nanjing_class)
    listing = suzhou_office.get(reverse("office:facetoface_list")).content.decode()
    assert suzhou_class.title in listing and nanjing_class.title not in listing
    for name in ("detail", "edit", "export"):
        assert suzhou_office.get(reverse(f"office:facetoface_{name}", args=[nanjing_class.pk])).status_code == 404, name
    assert (
        suzhou_office.post(reverse("office:facetoface_edit", args=[nanjing_class.pk]), form_data()).status_code == 404
    )
    assert mark(suzhou_office, booking, "attended").status_code == 404
    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED
    assert not AuditRecord.objects.filter(event=Event.FACETOFACE_EXPORT).exists()
    # 南京 sees its class, with a 苏州 learner's booking on it too.
    services.book(user=make_learner("周强", "32050219790101123", city="320500"), face_class=nanjing_class)
    detail = nanjing_office.get(reverse("office:facetoface_detail", args=[nanjing_class.pk])).content.decode()
    assert alice.name in detail and "周强" in detail and alice.id_number not in detail


def test_the_province_sees_every_city(province, nanjing_class, suzhou_class):
    listing = province.get(reverse("office:facetoface_list")).content.decode()
    assert nanjing_class.title in listing and suzhou_class.title in listing
    assert province.get(reverse("office:facetoface_detail", args=[nanjing_class.pk])).status_code == 200


def test_other_roles_and_learners_are_kept_out(finance_user, learner, nanjing_class):
    client = staff_client(finance_user)
    assert client.get(reverse("office:facetoface_list")).status_code == 403
    assert learner.get(reverse("office:facetoface_list")).status_code == 403
    assert AuditRecord.objects.filter(event=Event.ACCESS_DENIED).count() == 2


def test_the_office_menu_links_here(nanjing_office):
    html = nanjing_office.get(reverse("office:home")).content.decode()
    assert f'href="{reverse("office:facetoface_list")}"' in html and "面授班管理" in html


# --- Attendance and the ledger ---------------------------------------------------------------------------------


def test_attended_posts_the_hours_once(nanjing_office, nanjing_reviewer, started, alice):
    booking = FaceToFaceBooking.objects.get(user=alice)
    assert mark(nanjing_office, booking, "attended").status_code == 302
    assert mark(nanjing_office, booking, "attended").status_code == 302  # twice: posted once
    booking.refresh_from_db()
    assert booking.status == BookingStatus.ATTENDED and booking.attendance_by == nanjing_reviewer
    entries = CreditEntry.objects.filter(user=alice).order_by("category")
    assert [(e.category, e.hours, e.source) for e in entries] == [
        ("professional", Decimal("12"), "facetoface"),
        ("public", Decimal("6"), "facetoface"),
    ]  # 选修课 0: no entry
    assert {e.source_id for e in entries} == {
        f"facetoface:{booking.pk}:public:0",
        f"facetoface:{booking.pk}:professional:0",
    }
    year = started.year_id
    assert hours_by_category(alice, year) == {"public": 6, "professional": 12, "elective": 0}
    assert AuditRecord.objects.filter(event=Event.FACETOFACE_ATTENDANCE).count() == 1


def test_absent_after_attended_reverses_with_new_entries(nanjing_office, started, alice):
    booking = FaceToFaceBooking.objects.get(user=alice)
    mark(nanjing_office, booking, "attended")
    originals = {e.pk: (e.hours, e.source_id) for e in CreditEntry.objects.all()}
    mark(nanjing_office, booking, "absent")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.ABSENT and booking.reversals == 1
    assert {e.pk: (e.hours, e.source_id) for e in CreditEntry.objects.filter(pk__in=originals)} == originals
    reversals = CreditEntry.objects.filter(source="reversal").order_by("category")
    assert [(e.category, e.hours) for e in reversals] == [("professional", Decimal("-12")), ("public", Decimal("-6"))]
    assert hours_by_category(alice, started.year_id) == {"public": 0, "professional": 0, "elective": 0}
    # Corrected once more: 已参训 posts the hours again under new source ids.
    mark(nanjing_office, booking, "attended")
    assert hours_by_category(alice, started.year_id) == {"public": 6, "professional": 12, "elective": 0}
    assert CreditEntry.objects.count() == 6
    assert AuditRecord.objects.filter(event=Event.FACETOFACE_ATTENDANCE).count() == 3


def test_absent_posts_nothing(nanjing_office, started, bob):
    mark(nanjing_office, FaceToFaceBooking.objects.get(user=bob), "absent")
    assert FaceToFaceBooking.objects.get(user=bob).status == BookingStatus.ABSENT
    assert not CreditEntry.objects.exists()


def test_no_attendance_before_the_class_or_for_a_cancelled_booking(nanjing_office, nanjing_class, alice, bob):
    booking = services.book(user=alice, face_class=nanjing_class)
    response = nanjing_office.post(
        reverse("office:facetoface_attendance", args=[booking.pk]), {"outcome": "attended"}, follow=True
    )
    assert "开班后才能登记考勤" in response.content.decode()
    cancelled = services.book(user=bob, face_class=nanjing_class)
    services.cancel(booking=cancelled, user=bob)
    response = nanjing_office.post(
        reverse("office:facetoface_attendance", args=[cancelled.pk]), {"outcome": "attended"}, follow=True
    )
    assert "该报名已取消，不能登记考勤" in response.content.decode()
    assert not CreditEntry.objects.exists()


# --- Export ------------------------------------------------------------------------------------------------------


def test_export_is_an_excel_of_the_bookings_with_masked_numbers(nanjing_office, nanjing_reviewer, started, alice, bob):
    bob.work_unit = '=HYPERLINK("http://evil.example","点我")'
    bob.save(update_fields=["work_unit"])
    response = nanjing_office.get(reverse("office:facetoface_export", args=[started.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert started.title in rows[0][0]
    assert rows[2] == ["序号", "姓名", "身份证号", "手机号", "工作单位", "所属地市", "状态", "报名时间", "报名编号"]
    by_name = {row[1]: row for row in rows[3:]}
    assert by_name[alice.name][1:7] == [
        alice.name,
        alice.id_number_masked,
        alice.mobile_masked,
        UNIT,
        "南京市",
        "已报名",
    ]
    assert (
        by_name[bob.name][4] == bob.work_unit and sheet.cell(row=5, column=5).data_type == "s"
    )  # text, never a formula
    assert alice.id_number not in str(rows) and alice.mobile not in str(rows)
    record = AuditRecord.objects.get(event=Event.FACETOFACE_EXPORT)
    assert record.actor == nanjing_reviewer and record.object_id == str(started.pk) and record.detail["rows"] == 2


# --- Query counts -------------------------------------------------------------------------------------------------


def test_office_pages_have_bounded_query_counts(nanjing_office, started, online, django_assert_max_num_queries):
    def add(n, offset):
        for i in range(n):
            user = make_learner(f"学员{offset + i}", f"32010219800101{offset + i:03d}")
            FaceToFaceBooking.objects.create(face_class=started, user=user, booked_at=timezone.now())
            make_class(title=f"面授班{offset + i}")

    counts = []
    for n, offset in ((2, 100), (10, 200)):
        add(n, offset)
        with django_assert_max_num_queries(8) as listing:
            nanjing_office.get(reverse("office:facetoface_list"))
        with django_assert_max_num_queries(8) as detail:
            nanjing_office.get(reverse("office:facetoface_detail", args=[started.pk]))
        with django_assert_max_num_queries(8) as export:
            nanjing_office.get(reverse("office:facetoface_export", args=[started.pk]))
        counts.append((len(listing), len(detail), len(export)))
    assert counts[0] == counts[1], counts
