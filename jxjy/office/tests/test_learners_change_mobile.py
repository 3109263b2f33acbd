"""学员管理 → 更换绑定手机: the remedy for an account activated by someone else (issue 12 item 4).

The city office records what it checked in person, the new mobile is proven by a code the learner reads out, then
the account is bound to it: the password stops working, every session ends, the old mobile is told, all audited
with masked numbers. Another city's learner is a 404."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from conftest import make_learner, staff_client
from jxjy.accounts.models import SmsCode, User
from jxjy.accounts.services import BAD_CODE_MESSAGE
from jxjy.accounts.tests.helpers import CAPTCHA, last_code, login
from jxjy.audit.models import AuditRecord, Event

pytestmark = pytest.mark.django_db
NEW_MOBILE = "13700005555"
FORM = {"checked": "id_card", "note": "本人持身份证原件到场，原手机号被他人绑定"}


def page(learner):
    return reverse("office:learners_change_mobile", args=[learner.pk])


def send(office, learner, mobile=NEW_MOBILE, **overrides):
    return office.post(page(learner), {**FORM, "mobile": mobile, "action": "send_code", **overrides})


def confirm(office, learner, code, mobile=NEW_MOBILE, **overrides):
    return office.post(page(learner), {**FORM, "mobile": mobile, "sms_code": code, "action": "save", **overrides})


def test_city_office_rebinds_a_squatted_account(alice, nanjing_reviewer, outbox):
    squatter_phone, squatter_pc = Client(), Client()
    assert login(squatter_phone, alice.id_number).status_code == 302
    assert login(squatter_pc, alice.id_number).status_code == 302
    office = staff_client(nanjing_reviewer)

    detail = office.get(reverse("office:learners_detail", args=[alice.pk])).content.decode()
    assert page(alice) in detail and "更换绑定手机" in detail
    form = office.get(page(alice))
    assert form.status_code == 200 and "no-store" in form["Cache-Control"]
    assert "本人持身份证原件到场核验" in form.content.decode() and alice.mobile not in form.content.decode()

    sent = send(office, alice)
    assert sent.status_code == 200
    assert "验证码已发送至 137****5555" in sent.content.decode()
    assert [m.mobile for m in outbox] == [NEW_MOBILE]
    code = last_code(NEW_MOBILE)
    assert code not in sent.content.decode()
    assert SmsCode.objects.get().purpose == "rebind"

    done = confirm(office, alice, code)
    assert done.status_code == 302 and done.url == reverse("office:learners_detail", args=[alice.pk])
    alice.refresh_from_db()
    assert alice.mobile == NEW_MOBILE and alice.mobile_verified_at is not None
    assert not alice.has_usable_password()  # the squatter's password is gone
    # Every session of the account ends at its next request; the old password signs in nowhere.
    assert squatter_phone.get("/center/").status_code == 302
    assert squatter_pc.get("/center/").status_code == 302
    assert login(Client(), alice.id_number).status_code != 302

    old_notice, new_notice = outbox[-2], outbox[-1]
    assert (old_notice.mobile, old_notice.template) == ("13800138000", "notice")
    assert "工考办" in old_notice.text
    for text in (old_notice.text, new_notice.text):
        assert not re.search(r"[0-9]{4}", text)  # no code, no number, not even a masked one
    assert (new_notice.mobile, new_notice.template) == (NEW_MOBILE, "notice") and "找回密码" in new_notice.text

    record = AuditRecord.objects.get(event=Event.MOBILE_REBIND)
    assert record.actor == nanjing_reviewer and record.object_id == str(alice.pk)
    assert record.detail["old"] == "138****8000" and record.detail["new"] == "137****5555"
    assert record.detail["checked"] == "id_card" and record.detail["note"] == FORM["note"]
    everything = str(list(AuditRecord.objects.values()))
    assert alice.mobile not in everything and "13800138000" not in everything

    # A minute later (one code a minute per mobile) the learner sets a new password with 找回密码: the code goes to
    # the new mobile.
    with freeze_time(timezone.now() + timedelta(seconds=61)):
        learner = Client()
        start = {"name": alice.name, "id_number": alice.id_number, **CAPTCHA}
        assert learner.post(reverse("accounts:password_reset"), start).status_code == 302
        assert (outbox[-1].mobile, outbox[-1].template) == (NEW_MOBILE, "code")
        reset = learner.post(reverse("accounts:password_reset_verify"), {"sms_code": last_code(NEW_MOBILE),
                             "new_password1": "Benren2026ok", "new_password2": "Benren2026ok"})  # fmt: skip
        assert reset.url == reverse("accounts:login")
        assert login(Client(), alice.id_number, password="Benren2026ok").status_code == 302


def test_another_citys_learner_is_a_404_and_audited(alice, suzhou_reviewer, outbox):
    office = staff_client(suzhou_reviewer)
    assert office.get(page(alice)).status_code == 404
    assert send(office, alice).status_code == 404
    assert confirm(office, alice, "123456").status_code == 404
    assert outbox == []
    assert AuditRecord.objects.filter(event=Event.ACCESS_DENIED, actor=suzhou_reviewer).count() == 3
    alice.refresh_from_db()
    assert alice.mobile == "13800138000"


def test_the_province_may_rebind_any_learner(bob, province_admin, outbox):
    office = staff_client(province_admin)
    send(office, bob)
    assert confirm(office, bob, last_code(NEW_MOBILE)).status_code == 302
    bob.refresh_from_db()
    assert bob.mobile == NEW_MOBILE


def test_learners_and_other_staff_do_not_reach_the_page(alice, finance_user, content_editor):
    learner = Client()
    learner.force_login(alice)
    assert learner.get(page(alice)).status_code in (302, 403)
    for staff in (finance_user, content_editor):
        assert staff_client(staff).get(page(alice)).status_code == 403


def test_what_was_checked_and_a_note_are_required(alice, nanjing_reviewer, outbox):
    office = staff_client(nanjing_reviewer)
    response = send(office, alice, checked="", note="")
    assert response.status_code == 400
    html = response.content.decode()
    assert "请选择核验方式" in html and "请写明核验情况和更换原因" in html
    assert outbox == []
    response = confirm(office, alice, "")
    assert response.status_code == 400 and "请填写学员新手机收到的短信验证码" in response.content.decode()


def test_a_wrong_code_changes_nothing(alice, nanjing_reviewer, outbox):
    office = staff_client(nanjing_reviewer)
    send(office, alice)
    wrong = f"{(int(last_code(NEW_MOBILE)) + 1) % 1_000_000:06d}"
    response = confirm(office, alice, wrong)
    assert response.status_code == 400 and BAD_CODE_MESSAGE in response.content.decode()
    alice.refresh_from_db()
    assert alice.mobile == "13800138000" and alice.check_password("Demo1234")
    assert not AuditRecord.objects.filter(event=Event.MOBILE_REBIND).exists()


def test_a_code_of_another_purpose_does_not_rebind(alice, nanjing_reviewer):
    office = staff_client(nanjing_reviewer)
    Client().post(reverse("accounts:send_code"), {"mobile": NEW_MOBILE, "purpose": "register", **CAPTCHA})
    response = confirm(office, alice, last_code(NEW_MOBILE))
    assert BAD_CODE_MESSAGE in response.content.decode()
    # and the desk's purpose cannot be asked for from the public page
    refused = Client().post(reverse("accounts:send_code"), {"mobile": NEW_MOBILE, "purpose": "rebind", **CAPTCHA})
    assert refused.status_code == 400


def test_a_mobile_of_another_account_is_refused(alice, bob, province_admin):
    office = staff_client(province_admin)
    send(office, alice, mobile=bob.mobile)
    response = confirm(office, alice, last_code(bob.mobile), mobile=bob.mobile)
    assert response.status_code == 400 and "已被其他账号使用" in response.content.decode()
    alice.refresh_from_db()
    assert alice.mobile == "13800138000"


def test_the_same_mobile_is_refused_before_any_send(alice, nanjing_reviewer, outbox):
    response = send(staff_client(nanjing_reviewer), alice, mobile=alice.mobile)
    assert response.status_code == 400 and "相同" in response.content.decode()
    assert outbox == []


def test_a_closed_account_is_not_rebound(alice, nanjing_reviewer, outbox):
    User.objects.filter(pk=alice.pk).update(is_active=False)
    response = send(staff_client(nanjing_reviewer), alice)
    assert response.status_code == 400 and "已停用" in response.content.decode()
    assert outbox == []


def test_personal_numbers_in_the_note_are_masked_in_the_audit(alice, nanjing_reviewer):
    office = staff_client(nanjing_reviewer)
    note = f"凭身份证 {alice.id_number} 核验，原号 {alice.mobile} 已停用"
    send(office, alice, note=note)
    confirm(office, alice, last_code(NEW_MOBILE), note=note)
    detail = AuditRecord.objects.get(event=Event.MOBILE_REBIND).detail
    assert alice.id_number not in detail["note"] and alice.mobile not in detail["note"]
    assert "已停用" in detail["note"]


def test_send_limits_apply_at_the_desk(alice, nanjing_reviewer, outbox):
    office = staff_client(nanjing_reviewer)
    assert send(office, alice).status_code == 200
    again = send(office, alice)
    assert again.status_code == 400 and "1 分钟" in again.content.decode()
    assert len(outbox) == 1


def test_a_roster_account_waiting_for_activation_keeps_waiting_with_the_new_mobile(nanjing_reviewer, outbox):
    pre = make_learner("陈静", "32010419800101001", "13600001234")
    User.objects.filter(pk=pre.pk).update(password="!unusable", mobile_verified_at=None)
    office = staff_client(nanjing_reviewer)
    form = office.get(page(pre)).content.decode()
    assert "新用户注册" in form
    send(office, pre)
    assert confirm(office, pre, last_code(NEW_MOBILE)).status_code == 302
    pre.refresh_from_db()
    assert pre.mobile == NEW_MOBILE and pre.mobile_verified_at is None  # activation proves it again, with consent
    assert [m.mobile for m in outbox[-2:]] == ["13600001234", NEW_MOBILE]
    assert "新用户注册" in outbox[-1].text
