"""个人信息 across the apps (security requirements 26, 29, 30): the download holds every app's records; the city
office completes a 注销申请 in 学员管理 (its own city only), which empties what the law lets go and keeps the ledger,
orders, payments, invoices and certificates; 查看完整号码 is a POST for authorised roles, audited."""

import io
import json
import zipfile
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessLog
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from conftest import staff_client
from jxjy.accounts import personal_data
from jxjy.accounts.models import Address, ClosureRequest, ClosureState, Message, SmsCode, User, id_number_index
from jxjy.accounts.tests.helpers import login, register
from jxjy.audit.models import AuditRecord, Event
from jxjy.certificates.models import Certificate, CertificateStatus
from jxjy.credits.models import CreditEntry
from jxjy.declarations.models import Attachment, Declaration
from jxjy.exams.models import ExamAttempt, Practice, WrongQuestion
from jxjy.facetoface.models import BookingStatus, FaceToFaceBooking
from jxjy.learning.models import Enrollment
from jxjy.orders.models import InvoiceRequest, Order, PreEnrollment
from jxjy.payments.models import Payment

from .privacy_data import ADDRESS_MOBILE, ATTACHMENT_NAME, INVOICE_MOBILE, full_history

pytestmark = pytest.mark.django_db
PASSWORD = "Demo1234"
CLOSURES = reverse("office:closures_list")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def history(alice, bob, catalog):
    return full_history(alice, catalog, waiting_learner=bob)


@pytest.fixture
def learner(alice):
    client = Client()
    client.force_login(alice)
    return client


def ask_for_closure(client, **extra):
    response = client.post(reverse("accounts:closure_request"), {"password": PASSWORD, "understood": "on", **extra})
    assert response.status_code == 302
    return ClosureRequest.objects.get(state=ClosureState.PENDING)


def complete(client, closure, confirm=True):
    return client.post(reverse("office:closures_detail", args=[closure.pk]), {"confirm": "on"} if confirm else {})


# --- 29: the export first: every app's part ----------------------------------------------------------------


def test_req_29_download_holds_every_apps_records(learner, alice, history):
    response = learner.post(reverse("accounts:settings_privacy"), {"action": "download", "password": PASSWORD})
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    data = json.loads(archive.read("my-personal-data.json").decode("utf-8-sig"))
    assert data["账号信息"]["身份证号"] == alice.id_number and data["账号信息"]["手机号"] == alice.mobile
    assert data["收件地址"][0]["联系电话"] == ADDRESS_MOBILE
    order = data["订单"][0]
    assert order["订单号"] == history.order.number and order["发票"]["收件人电话"] == INVOICE_MOBILE
    assert data["支付记录"][0]["订单号"] == history.order.number
    assert data["发票"][0]["发票号码"] == "04400012"
    assert data["预报名清单"] and data["班级与学习进度"][0]["课件学习记录"][0]["课件"] == "安全生产概述"
    assert {row["类别"] for row in data["学时记录"]} == {"公共课", "专业课", "选修课"}
    assert data["考试记录"][0]["成绩"] == 85
    assert data["练习与错题本"]["错题本"][0]["题目"].startswith("发现火灾")
    assert data["视同申报"][0]["附件"] == [ATTACHMENT_NAME]
    assert data["面授班报名"][0]["状态"] == "已报名"
    assert data["证书"][0]["证书编号"] == history.certificate.number
    assert data["站内消息"][0]["标题"] == "学习提醒" and data["站内消息"][0]["阅读时间"] == ""
    assert data["操作记录"]
    assert archive.read("avatar.jpg") == b"\xff\xd8avatar"
    # Sections come in a fixed, readable order.
    keys = list(data)
    assert keys.index("订单") < keys.index("学时记录") < keys.index("证书") < keys.index("操作记录")


def test_req_29_download_query_count_does_not_grow_with_the_history(learner, alice, history):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jxjy.certificates.tests.helpers import give_hours

    def queries():
        with CaptureQueriesContext(connection) as captured:
            learner.post(reverse("accounts:settings_privacy"), {"action": "download", "password": PASSWORD})
        return len(captured)

    first = queries()
    assert first <= 30  # 28 measured with one of everything
    for i in range(3):
        Address.objects.create(user=alice, recipient="张伟", mobile=ADDRESS_MOBILE, region="江苏省", detail=f"{i}号")
        declaration = Declaration.objects.get(pk=history.declaration.pk)
        declaration.pk = None
        declaration.save()
        Attachment.objects.create(declaration=declaration, file="declarations/x.pdf", original_name="a.pdf",
                                  content_type="application/pdf", size=1)  # fmt: skip
    give_hours(alice, year=2026, public=2, professional=3, elective=1)
    assert queries() == first


# --- 29: the city office completes the request ---------------------------------------------------------------


def test_req_29_city_office_completes_and_what_the_law_keeps_stays(
    learner, alice, history, nanjing_reviewer, django_capture_on_commit_callbacks
):
    closure = ask_for_closure(learner, reason="已退休")
    old_index, old_mobile_index = alice.username, alice.mobile_index
    AccessAttempt.objects.create(username=old_index, ip_address="10.0.0.1", user_agent="x", failures_since_start=2,
                                 get_data="", post_data="", http_accept="", path_info="/login/")  # fmt: skip
    AccessLog.objects.create(username=old_index, ip_address="10.0.0.1", user_agent="x", http_accept="", path_info="/")
    logs = AccessLog.objects.filter(username=old_index).count()
    SmsCode.objects.create(mobile_index=old_mobile_index, purpose="bind", code_hash="x", expires_at="2030-01-01T00:00Z")
    office = staff_client(nanjing_reviewer)

    listing = office.get(CLOSURES).content.decode()
    assert alice.id_number_masked in listing and alice.id_number not in listing
    page = office.get(reverse("office:closures_detail", args=[closure.pk])).content.decode()
    assert "办理注销" in page and "已退休" in page and alice.mobile not in page
    complete(office, closure, confirm=False)  # the box not ticked: nothing happens
    assert ClosureRequest.objects.get(pk=closure.pk).state == ClosureState.PENDING

    with django_capture_on_commit_callbacks(execute=True):
        assert complete(office, closure).status_code == 302
    closure.refresh_from_db()
    assert closure.state == ClosureState.DONE and closure.handled_by == nanjing_reviewer and closure.reason == ""

    # What the law lets go is gone.
    user = User.objects.get(pk=alice.pk)
    assert user.name == personal_data.CLOSED_NAME and user.id_number == "" and user.mobile == ""
    assert user.mobile_index is None and user.email == "" and user.work_unit == "" and user.gender == ""
    assert user.username.startswith("closed-") and user.username != old_index
    assert not user.is_active and not user.has_usable_password() and user.avatar == ""
    assert not default_storage.exists(history.avatar)
    assert not Address.objects.filter(user=user).exists()
    assert not Message.objects.filter(learner=user).exists() and user.unread_messages == 0  # 站内消息 name her
    assert not Attachment.objects.filter(declaration__user=user).exists()
    assert not default_storage.exists(history.attachment_file)
    assert not Practice.objects.filter(user=user).exists() and not WrongQuestion.objects.filter(user=user).exists()
    assert not PreEnrollment.objects.filter(user=user).exists()
    assert not AccessAttempt.objects.filter(username=old_index).exists()
    assert not AccessLog.objects.filter(username=old_index).exists()
    assert AccessLog.objects.filter(username=user.username).count() == logs  # the log stays, unlinked
    assert not SmsCode.objects.filter(mobile_index=old_mobile_index).exists()
    order = Order.objects.get(pk=history.order.pk)
    assert order.invoice_mobile == "" and order.invoice_recipient == "" and order.invoice_address == ""

    # What the law keeps stays, tied to the emptied account.
    assert order.invoice_title == "张伟" and order.status == "paid" and order.user_id == user.pk
    assert Payment.objects.filter(order=order).count() == 1 and InvoiceRequest.objects.filter(order=order).count() == 1
    assert CreditEntry.objects.filter(user=user).count() == 3
    assert Enrollment.objects.filter(user=user).count() == 1 and ExamAttempt.objects.filter(user=user).count() == 1
    assert Certificate.objects.get(pk=history.certificate.pk).status == CertificateStatus.ISSUED
    assert Declaration.objects.filter(user=user).count() == 1

    # The seat of a class not started goes to the learner waiting for it.
    assert FaceToFaceBooking.objects.get(pk=history.booking.pk).status == BookingStatus.CANCELLED
    assert FaceToFaceBooking.objects.get(pk=history.waiting.pk).status == BookingStatus.BOOKED

    # Audited on both sides, with no personal number in either record.
    asked = AuditRecord.objects.get(event=Event.CLOSURE_REQUEST, result="ok")
    done = AuditRecord.objects.get(event=Event.CLOSURE_COMPLETE)
    assert asked.actor_id == alice.pk and done.actor == nanjing_reviewer and done.object_id == str(alice.pk)
    text = json.dumps([asked.detail, done.detail], ensure_ascii=False)
    assert alice.id_number not in text and alice.mobile not in text and "删除附件 1 个" in text


def test_req_29_closed_account_is_signed_out_and_cannot_sign_in_and_may_register_again(
    learner, alice, history, nanjing_reviewer
):
    id_number = alice.id_number
    closure = ask_for_closure(learner)
    complete(staff_client(nanjing_reviewer), closure)

    response = learner.get(reverse("learning:center"))
    assert response.status_code == 302 and "/login/" in response["Location"]  # the open session has ended
    fresh = Client()
    assert login(fresh, id_number).status_code == 200 and "_auth_user_id" not in fresh.session
    # The same person can open a new account (it does not inherit the old one's records).
    assert register(fresh, id_number=id_number, name="张伟", mobile="13700009999").status_code == 302
    new = User.objects.get(username=id_number_index(id_number))
    assert new.pk != alice.pk and not CreditEntry.objects.filter(user=new).exists()


def test_req_29_other_cities_cannot_see_or_complete(learner, alice, bob, nanjing_reviewer, suzhou_reviewer):
    closure = ask_for_closure(learner)
    suzhou = staff_client(suzhou_reviewer)
    assert alice.name not in suzhou.get(CLOSURES).content.decode()
    assert suzhou.get(reverse("office:closures_detail", args=[closure.pk])).status_code == 404
    assert complete(suzhou, closure).status_code == 404
    assert ClosureRequest.objects.get(pk=closure.pk).state == ClosureState.PENDING
    assert AuditRecord.objects.filter(event=Event.ACCESS_DENIED, actor=suzhou_reviewer).count() == 2
    assert User.objects.get(pk=alice.pk).name == "张伟"


def test_req_29_province_may_complete_and_finance_may_not(learner, alice, province_admin, finance_user):
    closure = ask_for_closure(learner)
    assert complete(staff_client(finance_user), closure).status_code == 403
    assert ClosureRequest.objects.get(pk=closure.pk).state == ClosureState.PENDING
    assert complete(staff_client(province_admin), closure).status_code == 302
    assert ClosureRequest.objects.get(pk=closure.pk).state == ClosureState.DONE


def test_req_29_withdrawn_request_is_not_completed_and_completing_twice_is_quiet(learner, alice, nanjing_reviewer):
    office = staff_client(nanjing_reviewer)
    closure = ask_for_closure(learner)
    learner.post(reverse("accounts:closure_withdraw"))
    complete(office, closure)
    assert User.objects.get(pk=alice.pk).is_active and ClosureRequest.objects.get(pk=closure.pk).state == "withdrawn"

    again = ask_for_closure(learner)
    complete(office, again)
    complete(office, again)
    personal_data.complete_closure(closure=again, actor=nanjing_reviewer)
    assert AuditRecord.objects.filter(event=Event.CLOSURE_COMPLETE).count() == 1


def test_req_29_completion_is_all_or_nothing(learner, alice, history, nanjing_reviewer, monkeypatch):
    closure = ask_for_closure(learner)

    def broken(user):
        raise RuntimeError("disk full")

    monkeypatch.setitem(personal_data._anonymisers, "坏的一步", broken)
    with pytest.raises(RuntimeError):
        personal_data.complete_closure(closure=closure, actor=nanjing_reviewer)
    user = User.objects.get(pk=alice.pk)
    assert user.name == "张伟" and user.id_number == alice.id_number and user.is_active
    assert Attachment.objects.filter(declaration__user=user).count() == 1 and default_storage.exists(history.avatar)
    assert ClosureRequest.objects.get(pk=closure.pk).state == ClosureState.PENDING


# --- 26: masked everywhere, the full number only by 查看完整号码 ----------------------------------------------


def test_req_26_reveal_is_a_post_for_the_learners_city_office_and_the_province_and_is_audited(
    alice, nanjing_reviewer, suzhou_reviewer, province_admin, finance_user
):
    url = reverse("office:learners_reveal", args=[alice.pk])
    nanjing = staff_client(nanjing_reviewer)
    detail = nanjing.get(reverse("office:learners_detail", args=[alice.pk])).content.decode()
    assert "查看完整号码" in detail and alice.id_number not in detail and alice.mobile not in detail
    assert nanjing.get(url).status_code == 405
    refused = nanjing.post(url, {})  # a reason is required
    assert refused.status_code == 302 and not AuditRecord.objects.filter(event=Event.PI_REVEAL).exists()

    for staff in (nanjing_reviewer, province_admin):
        response = staff_client(staff).post(url, {"reason": "verify"})
        html = response.content.decode()
        assert response.status_code == 200 and alice.id_number in html and alice.mobile in html
        assert "no-store" in response["Cache-Control"]
    assert staff_client(suzhou_reviewer).post(url, {"reason": "verify"}).status_code == 404
    assert staff_client(finance_user).post(url, {"reason": "verify"}).status_code == 403

    reveals = AuditRecord.objects.filter(event=Event.PI_REVEAL).order_by("id")
    assert [r.actor for r in reveals] == [nanjing_reviewer, province_admin]
    assert all(r.object_id == str(alice.pk) and r.detail["reason"] == "verify" for r in reveals)
    assert alice.id_number not in json.dumps([r.detail for r in reveals])
    assert AuditRecord.objects.filter(event=Event.ACCESS_DENIED, actor=suzhou_reviewer).exists()


def test_req_26_staff_lists_details_and_exports_show_masked_numbers(alice, history, nanjing_reviewer, province_admin):
    from openpyxl import load_workbook

    office = staff_client(nanjing_reviewer)
    pages = [
        office.post(reverse("office:learners_search"), {"name": "张"}, follow=True),
        office.get(reverse("office:learners_detail", args=[alice.pk])),
        office.get(reverse("office:facetoface_detail", args=[history.booking.face_class_id])),
        office.get(CLOSURES),
    ]
    for response in pages:
        html = response.content.decode()
        assert response.status_code == 200
        assert alice.id_number not in html and alice.mobile not in html, response.request["PATH_INFO"]
    assert alice.id_number_masked in pages[0].content.decode()

    export = office.get(reverse("office:facetoface_export", args=[history.booking.face_class_id]))
    cells = [str(c.value) for row in load_workbook(io.BytesIO(export.content)).active.iter_rows() for c in row]
    assert alice.id_number_masked in cells and alice.id_number not in cells and alice.mobile not in cells

    admin = staff_client(province_admin)
    for url in (reverse("admin:accounts_user_changelist"), reverse("admin:accounts_user_change", args=[alice.pk])):
        response = admin.get(url)
        html = response.content.decode()
        assert response.status_code == 200 and alice.id_number_masked in html, url
        assert alice.id_number not in html and alice.mobile not in html, url


# --- 30: never cached; exports leave nothing behind ---------------------------------------------------------------


def test_req_30_office_pages_with_personal_information_are_never_cached(alice, history, nanjing_reviewer):
    office = staff_client(nanjing_reviewer)
    face_class = history.booking.face_class_id
    urls = [
        reverse("office:learners_search"),
        reverse("office:learners_detail", args=[alice.pk]),
        CLOSURES,
        reverse("office:facetoface_detail", args=[face_class]),
        reverse("office:facetoface_export", args=[face_class]),
        reverse("office:declarations_list"),
        reverse("office:declarations_detail", args=[history.declaration.pk]),
    ]
    for url in urls:
        response = office.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response.get("Cache-Control", ""), url
    reveal = office.post(reverse("office:learners_reveal", args=[alice.pk]), {"reason": "contact"})
    assert "no-store" in reveal["Cache-Control"]


def test_req_30_excel_exports_are_streamed_and_never_stored(alice, history, nanjing_reviewer, settings, tmp_path):
    """Every .xlsx is built in memory and sent once: nothing is left in MEDIA_ROOT or the temporary directory,
    so there is nothing to delete after 24 hours."""
    import tempfile

    media = Path(settings.MEDIA_ROOT)
    temp = Path(tempfile.gettempdir())
    before_media, before_temp = set(media.rglob("*")), set(temp.glob("*"))
    office = staff_client(nanjing_reviewer)
    face_class = history.booking.face_class_id
    responses = [
        office.get(reverse("office:facetoface_export", args=[face_class])),
        office.get(reverse("office:learners_import_template")),
        office.get(reverse("office:audit_export")),
    ]
    for response in responses:
        assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
        assert response["Content-Disposition"].startswith("attachment")
    assert set(media.rglob("*")) == before_media
    assert {p for p in temp.glob("*") if p.name.startswith(("tmp", "openpyxl"))} <= before_temp


def test_closure_list_query_count_is_bounded(nanjing_reviewer, django_assert_max_num_queries):
    from conftest import make_learner

    for i in range(6):
        learner = make_learner(f"学员{i}", f"3201021980010{i}123", f"1370000{i:04d}")
        ClosureRequest.objects.create(user=learner, state=ClosureState.DONE if i % 2 else ClosureState.PENDING)
    office = staff_client(nanjing_reviewer)
    with django_assert_max_num_queries(8):
        html = office.get(CLOSURES).content.decode()
    assert html.count("学员") >= 6 and "待办理（3）" in html
