"""账号设置 → 个人信息 (security requirements 26–30, the learner's side): the full numbers and the download only after
the password again, audited and never cached; the consent record and its withdrawal; 申请注销账号 and 撤回.

The city office's side (办理注销, every app's data) is in jxjy/office/tests/test_learners_closures.py."""

import io
import json
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from jxjy.accounts.forms import AddressForm, AvatarForm, ProfileForm, RegisterForm
from jxjy.accounts.models import Address, ClosureRequest, ClosureState, User
from jxjy.accounts.services import PRIVACY_POLICY_VERSION
from jxjy.audit.models import AuditRecord, Event

from .helpers import login, register

pytestmark = pytest.mark.django_db

PRIVACY = reverse("accounts:settings_privacy")
CLOSURE = reverse("accounts:closure_request")
CONSENT_WITHDRAW = reverse("accounts:consent_withdraw")
CLOSURE_WITHDRAW = reverse("accounts:closure_withdraw")
PASSWORD = "Demo1234"
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def signed_in(client, alice):
    client.force_login(alice)
    return client


def download(client, password=PASSWORD):
    return client.post(PRIVACY, {"action": "download", "password": password})


def unzip(response) -> tuple[dict, zipfile.ZipFile]:
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    data = json.loads(archive.read("my-personal-data.json").decode("utf-8-sig"))
    return data, archive


def events(event, **filters):
    return AuditRecord.objects.filter(event=event, **filters)


# --- 26: numbers masked, the full value only by an explicit, audited step --------------------------------


def test_req_26_privacy_page_masks_numbers_until_the_password_is_given(signed_in, alice):
    html = signed_in.get(PRIVACY).content.decode()
    assert alice.id_number_masked in html and alice.mobile_masked in html
    assert alice.id_number not in html and alice.mobile not in html

    wrong = signed_in.post(PRIVACY, {"action": "show", "password": "Wrong2026x"}).content.decode()
    assert "密码不正确" in wrong and alice.id_number not in wrong
    assert events(Event.PI_REVEAL, result="failed", actor=alice).count() == 1

    shown = signed_in.post(PRIVACY, {"action": "show", "password": PASSWORD})
    assert shown.status_code == 200 and "no-store" in shown["Cache-Control"]
    html = shown.content.decode()
    assert alice.id_number in html and alice.mobile in html
    reveal = events(Event.PI_REVEAL, result="ok").get()
    assert reveal.actor == alice and reveal.object_id == str(alice.pk)
    assert alice.id_number not in json.dumps(reveal.detail) and alice.mobile not in json.dumps(reveal.detail)
    # Shown once: the next visit is masked again.
    assert alice.id_number not in signed_in.get(PRIVACY).content.decode()


def test_req_26_own_addresses_show_masked_mobiles(signed_in, alice):
    Address.objects.create(
        user=alice, recipient="张伟", mobile="13900001234", region="江苏省 南京市", detail="北京东路41号"
    )
    html = signed_in.get(reverse("accounts:settings_addresses")).content.decode()
    assert "139****1234" in html and "13900001234" not in html


# --- 27: only the inventory's fields, optional ones block nothing ---------------------------------------


class _InventoryParser(HTMLParser):
    """The `data-fields` of every row of the privacy page's #data-inventory table."""

    def __init__(self):
        super().__init__()
        self.in_table, self.fields = False, set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == "data-inventory":
            self.in_table = True
        elif tag == "tr" and self.in_table and attrs.get("data-fields"):
            self.fields.update(attrs["data-fields"].split())

    def handle_endtag(self, tag):
        if tag == "table":
            self.in_table = False


def test_req_27_every_collected_field_is_in_the_data_inventory(client):
    parser = _InventoryParser()
    parser.feed(client.get(reverse("portal:privacy")).content.decode())
    collected = {f"register.{name}" for name in RegisterForm.base_fields}
    collected |= {f"profile.{name}" for name in ProfileForm.base_fields}
    collected |= {f"avatar.{name}" for name in AvatarForm.base_fields}
    collected |= {f"address.{name}" for name in AddressForm.base_fields}
    assert collected - parser.fields == set(), "a form collects a field the data inventory does not list"
    assert "register.id_number" in parser.fields and "register.mobile" in parser.fields


def test_req_27_registration_asks_only_what_the_inventory_lists_as_required(client):
    """The registration page has no input beyond its form's fields (and the captcha of 获取验证码)."""
    html = client.get(reverse("accounts:register")).content.decode()
    names = set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', html))
    technical = {"csrfmiddlewaretoken", "captcha_0", "captcha_1", "action", "purpose", "next"}  # next: 大字模式
    allowed = set(RegisterForm.base_fields) | technical
    assert names - allowed == set()
    assert "work_unit" not in names and "email" not in names and "gender" not in names


def test_req_27_optional_fields_left_empty_block_nothing_unrelated(signed_in, alice):
    assert not alice.email and not alice.work_unit and not alice.avatar and not alice.gender
    assert not Address.objects.filter(user=alice).exists()
    for name in ("learning:center", "orders:classes", "orders:list", "certificates:list", "declarations:list",
                 "facetoface:home", "accounts:settings_profile", "accounts:settings_addresses"):  # fmt: skip
        assert signed_in.get(reverse(name)).status_code == 200, name
    saved = signed_in.post(reverse("accounts:settings_profile"), {"city": "320100", "gender": "", "grade": "",
                                                                  "work_unit": "", "email": ""})  # fmt: skip
    assert saved.status_code == 302
    assert download(signed_in).status_code == 200


# --- 28: consent: separate, unticked, naming the purpose; recorded; withdrawable in settings ----------


def test_req_28_consent_is_a_separate_unticked_checkbox_naming_the_purpose(client):
    html = client.get(reverse("accounts:register")).content.decode()
    boxes = re.findall(r'<input[^>]*type="checkbox"[^>]*>', html)
    assert len(boxes) == 1 and 'name="consent"' in boxes[0] and "checked" not in boxes[0]
    label = re.search(r'<label[^>]*for="id_consent"[^>]*>(.*?)</label>', html, re.S).group(1)
    assert "身份证号和手机号" in label and "继续教育" in label and "个人信息保护说明" in label


def test_req_28_consent_record_holds_user_version_and_time(client):
    assert register(client).status_code == 302
    user = User.objects.get()
    assert user.privacy_consent_at is not None and user.privacy_policy_version == PRIVACY_POLICY_VERSION
    assert PRIVACY_POLICY_VERSION in client.get(reverse("portal:privacy")).content.decode()


def test_req_28_withdrawing_consent_in_settings_is_a_closure_request(
    signed_in, alice, outbox, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=alice.pk).update(
        privacy_consent_at="2025-03-01T09:00:00+08:00", privacy_policy_version="2025-01"
    )
    page = signed_in.get(CONSENT_WITHDRAW).content.decode()
    assert "撤回同意就是申请注销账号" in page
    refused = signed_in.post(CONSENT_WITHDRAW, {"password": "Wrong2026x", "understood": "on"})
    assert refused.status_code == 200 and not ClosureRequest.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert signed_in.post(CONSENT_WITHDRAW, {"password": PASSWORD, "understood": "on"}).status_code == 302
    closure = ClosureRequest.objects.get(user=alice)
    assert closure.state == ClosureState.PENDING and closure.withdraws_consent
    assert events(Event.CONSENT_WITHDRAW, actor=alice).count() == 1
    assert [m.mobile for m in outbox] == [alice.mobile]  # the learner hears of it on their own phone

    # Withdrawing the request means consenting again: refused without the box, recorded with it.
    before = User.objects.get(pk=alice.pk).privacy_consent_at
    html = signed_in.post(CLOSURE_WITHDRAW, {}).content.decode()
    assert "请勾选后再撤回注销申请" in html
    assert ClosureRequest.objects.get(pk=closure.pk).state == ClosureState.PENDING
    assert signed_in.post(CLOSURE_WITHDRAW, {"consent": "on"}).status_code == 302
    closure.refresh_from_db()
    alice.refresh_from_db()
    assert closure.state == ClosureState.WITHDRAWN and closure.withdrawn_at is not None
    assert alice.privacy_consent_at > before and alice.privacy_policy_version == PRIVACY_POLICY_VERSION
    assert events(Event.CONSENT_GIVE, actor=alice).count() == 1


# --- 29: the export first, then the request (withdrawable) -------------------------------------------------


def test_req_29_download_needs_the_password_and_is_audited(signed_in, alice):
    refused = download(signed_in, password="Wrong2026x")
    assert refused.status_code == 200 and refused["Content-Type"].startswith("text/html")
    assert events(Event.PI_EXPORT, result="failed", actor=alice).exists()
    assert not events(Event.PI_EXPORT, result="ok").exists()

    response = download(signed_in)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment") and alice.id_number[-4:] not in disposition
    assert events(Event.PI_EXPORT, result="ok", actor=alice).count() == 1


def test_req_29_download_holds_own_numbers_addresses_consent_avatar_and_trail(client, alice):
    login(client, alice.id_number)  # a real sign-in: it is in the trail
    Address.objects.create(
        user=alice, recipient="张伟", mobile="13900001234", region="江苏省 南京市", detail="北京东路41号"
    )
    alice.avatar = default_storage.save("avatars/test.jpg", ContentFile(b"\xff\xd8jpeg-bytes"))
    User.objects.filter(pk=alice.pk).update(avatar=alice.avatar, privacy_consent_at="2026-11-02T09:00:00+08:00",
                                            privacy_policy_version="2026-11")  # fmt: skip
    data, archive = unzip(download(client))
    account = data["账号信息"]
    assert account["身份证号"] == alice.id_number and account["手机号"] == alice.mobile and account["姓名"] == "张伟"
    assert data["收件地址"][0]["联系电话"] == "13900001234"
    assert data["个人信息处理同意"]["同意时间"] == "2026-11-02 09:00:00"
    assert data["个人信息处理同意"]["同意的说明版本"] == "2026-11"
    assert any(row["事件"] == "登录成功" and row["操作人"] == "本人" for row in data["操作记录"])
    assert archive.read("avatar.jpg") == b"\xff\xd8jpeg-bytes"
    for section in ("订单", "支付记录", "发票", "班级与学习进度", "学时记录", "考试记录", "练习与错题本", "视同申报",
                    "面授班报名", "证书"):  # fmt: skip
        assert section in data, section  # every higher app registered its part


def test_req_29_closure_request_needs_the_password_and_understanding(
    signed_in, alice, outbox, django_capture_on_commit_callbacks
):
    page = signed_in.get(CLOSURE).content.decode()
    for words in ("注销后删除的信息", "依法保留的记录", "学时记录", "订单", "发票", "工考办"):
        assert words in page
    signed_in.post(CLOSURE, {"password": PASSWORD})  # not ticked
    signed_in.post(CLOSURE, {"password": "Wrong2026x", "understood": "on"})
    assert not ClosureRequest.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(CLOSURE, {"password": PASSWORD, "understood": "on", "reason": "已退休"})
    assert response.status_code == 302
    closure = ClosureRequest.objects.get(user=alice)
    assert closure.state == ClosureState.PENDING and closure.reason == "已退休" and not closure.withdraws_consent
    assert events(Event.CLOSURE_REQUEST, actor=alice, result="ok").count() == 1
    assert events(Event.CLOSURE_REQUEST, actor=alice, result="failed").count() == 1  # the wrong password
    assert len(outbox) == 1 and "注销" in outbox[0].text

    # Asking again changes nothing: one pending request per learner.
    signed_in.post(CLOSURE, {"password": PASSWORD, "understood": "on"})
    assert ClosureRequest.objects.count() == 1
    html = signed_in.get(PRIVACY).content.decode()
    assert "注销申请待办理" in html and "撤回注销申请" in html


def test_req_29_learner_withdraws_a_pending_request(signed_in, alice):
    signed_in.post(CLOSURE, {"password": PASSWORD, "understood": "on"})
    assert signed_in.post(CLOSURE_WITHDRAW).status_code == 302
    closure = ClosureRequest.objects.get()
    assert closure.state == ClosureState.WITHDRAWN
    assert events(Event.CLOSURE_WITHDRAW, actor=alice).count() == 1
    # A new request is possible afterwards.
    signed_in.post(CLOSURE, {"password": PASSWORD, "understood": "on"})
    assert ClosureRequest.objects.filter(state=ClosureState.PENDING).count() == 1


def test_req_29_password_confirmations_are_limited(signed_in, alice):
    for _ in range(10):
        signed_in.post(PRIVACY, {"action": "show", "password": "Wrong2026x"})
    html = signed_in.post(PRIVACY, {"action": "show", "password": PASSWORD}).content.decode()
    assert "操作过于频繁" in html and alice.id_number not in html


def test_req_29_staff_and_strangers_have_no_privacy_pages(client, nanjing_reviewer):
    for url in (PRIVACY, CLOSURE, CONSENT_WITHDRAW):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(nanjing_reviewer)
    response = client.post(PRIVACY, {"action": "download", "password": PASSWORD})
    assert response.status_code == 302 and response["Content-Type"].startswith("text/html")
    assert not ClosureRequest.objects.exists()


# --- 30: never cached, nothing personal in localStorage -------------------------------------------------


def test_req_30_learner_pages_with_personal_information_are_never_cached(signed_in, alice):
    Address.objects.create(
        user=alice, recipient="张伟", mobile="13900001234", region="江苏省 南京市", detail="北京东路41号"
    )
    alice.avatar = default_storage.save("avatars/test.jpg", ContentFile(b"\xff\xd8jpeg-bytes"))
    User.objects.filter(pk=alice.pk).update(avatar=alice.avatar)
    urls = [reverse(name) for name in (
        "accounts:settings_profile", "accounts:settings_avatar", "accounts:avatar_image",
        "accounts:settings_password", "accounts:settings_addresses", "accounts:settings_privacy",
        "accounts:closure_request", "accounts:consent_withdraw", "learning:center", "orders:list",
        "orders:pre_enrollment", "certificates:list", "certificates:archive", "declarations:list", "facetoface:home",
    )]  # fmt: skip
    for url in urls:
        response = signed_in.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response.get("Cache-Control", ""), url
    for response in (download(signed_in), signed_in.post(PRIVACY, {"action": "show", "password": PASSWORD})):
        assert "no-store" in response["Cache-Control"]


def test_req_30_no_personal_data_in_browser_storage():
    """Scripts keep only harmless values in the browser's storage: the tour's 'seen' mark, and the exam page's
    queue of answers not yet saved (question ids and option letters of the open attempt, in the tab's
    sessionStorage: gone when the tab closes, removed as soon as the server has them; no name, no number)."""
    allowed_keys = {"KEY", "storeKey"}  # tour.js: const KEY = "jxjy-tour-seen"; exam.js: the attempt's queue
    scripts = list((REPO / "jxjy" / "static" / "js").glob("*.js"))
    assert scripts
    for script in scripts:
        text = script.read_text()
        assert "indexedDB" not in text and "document.cookie" not in text, script.name
        for key in re.findall(r"(?:localStorage|sessionStorage)\.setItem\(\s*([^,]+),", text):
            assert key.strip() in allowed_keys, f"{script.name} stores {key} in the browser"
    assert 'const KEY = "jxjy-tour-seen"' in (REPO / "jxjy" / "static" / "js" / "tour.js").read_text()
    exam = (REPO / "jxjy" / "static" / "js" / "exam.js").read_text()
    assert "const storeKey = `jxjy-exam-queue-${root.dataset.attempt}`;" in exam
    assert "localStorage" not in exam  # the queue never outlives the tab


def test_req_30_download_leaves_nothing_on_disk(signed_in, settings, tmp_path):
    media = Path(settings.MEDIA_ROOT)
    media.mkdir(parents=True, exist_ok=True)
    before = sorted(media.rglob("*"))
    assert download(signed_in).status_code == 200
    assert sorted(media.rglob("*")) == before
