import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from jxjy.accounts.models import Address
from jxjy.audit.models import AuditRecord, Event

pytestmark = pytest.mark.django_db
PROFILE = reverse("accounts:settings_profile")
AVATAR = reverse("accounts:settings_avatar")
PASSWORD = reverse("accounts:settings_password")
ADDRESSES = reverse("accounts:settings_addresses")


@pytest.fixture
def signed_in(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


# --- 基础信息 ---


def test_req_26_profile_shows_own_numbers_masked(signed_in, alice):
    # The full numbers are one explicit step away (个人信息 → 查看完整号码, the password again; test_privacy.py).
    html = signed_in.get(PROFILE).content.decode()
    assert alice.id_number_masked in html and alice.mobile_masked in html
    assert alice.id_number not in html and alice.mobile not in html
    center = signed_in.get("/center/").content.decode()
    assert alice.id_number not in center and alice.mobile not in center


def test_profile_saves_editable_fields_and_ignores_the_rest(signed_in, alice):
    alice.grade = ""  # not set yet: the learner may set it once
    alice.save(update_fields=["grade"])
    response = signed_in.post(
        PROFILE,
        {
            "gender": "M",
            "work_unit": "南京市玄武区机关事务管理局",
            "city": "320500",
            "grade": "L3",
            "email": "zhangwei@example.cn",
            # Fields a learner must not change, sent anyway:
            "name": "黑客",
            "id_number": "11010519491231002X",
            "role": "province",
            "is_superuser": "on",
            "is_staff": "on",
        },
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.work_unit, alice.city_id, alice.grade, alice.email) == (
        "南京市玄武区机关事务管理局",
        "320500",
        "L3",
        "zhangwei@example.cn",
    )
    assert alice.name == "张伟" and alice.id_number.startswith("320102")
    assert alice.role == "learner" and not alice.is_superuser and not alice.is_staff
    record = AuditRecord.objects.get(event=Event.PROFILE_CHANGE)
    assert set(record.detail["fields"]) == {"gender", "work_unit", "city", "grade", "email"}


def test_bad_email_is_refused(signed_in, alice):
    response = signed_in.post(PROFILE, {"email": "not-an-email", "city": "320100"})
    assert response.status_code == 200
    assert "请输入正确的电子邮箱地址" in response.content.decode()
    alice.refresh_from_db()
    assert alice.email == ""


def test_unknown_city_is_refused(signed_in):
    response = signed_in.post(PROFILE, {"city": "999999"})
    assert response.status_code == 200
    assert "请选择列表中的地市" in response.content.decode()


def test_escaping_of_user_text(signed_in, alice):
    signed_in.post(PROFILE, {"work_unit": "<script>alert(1)</script>", "city": "320100"})
    html = signed_in.get(PROFILE).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- 头像 ---


def image_bytes(fmt, size=(300, 200), exif=False):
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    kwargs = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "SecretCameraMaker"  # Make
        data[0x8825] = {2: (32.0, 3.0, 0.0)}  # GPS latitude
        kwargs["exif"] = data
    image.save(out, fmt, **kwargs)
    return out.getvalue()


def upload(client, name, data, content_type="image/jpeg"):
    return client.post(AVATAR, {"avatar": SimpleUploadedFile(name, data, content_type=content_type)})


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_avatar_is_reencoded_without_metadata(signed_in, alice, fmt):
    response = upload(signed_in, f"me.{fmt.lower()}", image_bytes(fmt, exif=fmt in ("JPEG", "WEBP")))
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.avatar.startswith("avatars/") and alice.avatar.endswith(".jpg")
    assert "me" not in alice.avatar  # random name, not the uploaded one
    with default_storage.open(alice.avatar) as stored:
        data = stored.read()
    assert b"SecretCameraMaker" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert max(image.size) <= 400
        assert not image.getexif()
    served = signed_in.get(reverse("accounts:avatar_image"))
    assert served["Content-Type"] == "image/jpeg"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert AuditRecord.objects.filter(event=Event.AVATAR_CHANGE).exists()


def test_oversized_avatar_is_refused(signed_in, alice):
    big = image_bytes("PNG") + b"\0" * (2 * 1024 * 1024)
    response = upload(signed_in, "big.png", big, "image/png")
    assert response.status_code == 400
    assert "不能超过 2 MB" in response.content.decode()
    alice.refresh_from_db()
    assert alice.avatar == ""


@pytest.mark.parametrize(
    "name, data",
    [
        ("photo.jpg", b"<html><script>alert(1)</script></html>"),
        ("photo.jpg", b"<?php system($_GET['c']); ?>"),
        ("photo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 10),
        ("photo.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
    ],
)
def test_fake_or_unsupported_images_are_refused(signed_in, alice, name, data):
    response = upload(signed_in, name, data)
    assert response.status_code == 400
    assert "只支持 JPG、PNG 或 WebP" in response.content.decode()
    alice.refresh_from_db()
    assert alice.avatar == ""


def test_real_gif_is_refused(signed_in):
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    assert upload(signed_in, "a.gif", out.getvalue(), "image/gif").status_code == 400


def test_decompression_bomb_is_refused(signed_in, settings):
    settings.AVATAR_MAX_PIXELS = 1000
    response = upload(signed_in, "wide.png", image_bytes("PNG", size=(100, 100)), "image/png")
    assert response.status_code == 400
    assert "尺寸过大" in response.content.decode()


def test_avatar_url_serves_only_your_own(client, alice, bob):
    client.force_login(alice)
    upload(client, "a.png", image_bytes("PNG"), "image/png")
    client.force_login(bob)
    assert client.get(reverse("accounts:avatar_image")).status_code == 404
    client.logout()
    assert client.get(reverse("accounts:avatar_image")).status_code == 302


# --- 修改密码 ---


def test_req_5_change_password_without_the_current_one_is_refused(signed_in, alice, outbox):
    response = signed_in.post(
        PASSWORD, {"old_password": "Wrong2026x", "new_password1": "Anquan2026ok", "new_password2": "Anquan2026ok"}
    )
    assert response.status_code == 400
    assert "原密码不正确" in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password("Demo1234")
    response = signed_in.post(PASSWORD, {"new_password1": "Anquan2026ok", "new_password2": "Anquan2026ok"})
    assert response.status_code == 400
    alice.refresh_from_db()
    assert alice.check_password("Demo1234")
    assert outbox == []
    assert AuditRecord.objects.filter(event=Event.PASSWORD_CHANGE, result="failed").count() == 1


def test_req_5_change_password_sends_a_notice_without_secrets(signed_in, alice, outbox):
    response = signed_in.post(
        PASSWORD, {"old_password": "Demo1234", "new_password1": "Anquan2026ok", "new_password2": "Anquan2026ok"}
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("Anquan2026ok")
    assert AuditRecord.objects.filter(event=Event.PASSWORD_CHANGE, actor=alice, result="ok").exists()
    assert [(m.template, m.mobile) for m in outbox] == [("notice", alice.mobile)]
    for secret in ("Anquan2026ok", "Demo1234", alice.mobile, alice.id_number):
        assert secret not in outbox[-1].text


def test_wrong_current_passwords_are_limited(signed_in, alice):
    """A session left open cannot be used to guess the password: 5 wrong ones, then even the right one waits."""
    for _ in range(5):
        wrong = signed_in.post(
            PASSWORD, {"old_password": "Wrong2026x", "new_password1": "Anquan2026ok", "new_password2": "Anquan2026ok"}
        )
        assert "原密码不正确" in wrong.content.decode()
    right = signed_in.post(
        PASSWORD, {"old_password": "Demo1234", "new_password1": "Anquan2026ok", "new_password2": "Anquan2026ok"}
    )
    assert right.status_code == 400 and "错误次数过多" in right.content.decode()
    alice.refresh_from_db()
    assert alice.check_password("Demo1234")


def test_new_password_rules_apply(signed_in, alice):
    bad = "x" + alice.mobile
    response = signed_in.post(PASSWORD, {"old_password": "Demo1234", "new_password1": bad, "new_password2": bad})
    assert "不能包含身份证号或手机号" in response.content.decode()


# --- 收件地址 ---


def address_data(**overrides):
    data = {
        "recipient": "张伟",
        "mobile": "13800138000",
        "region": "江苏省 南京市 玄武区",
        "detail": "北京东路41号",
        "postcode": "210008",
    }
    data.update(overrides)
    return data


def test_first_address_becomes_default_and_only_one_default(signed_in, alice):
    signed_in.post(reverse("accounts:address_new"), address_data())
    first = Address.objects.get()
    assert first.is_default
    signed_in.post(reverse("accounts:address_new"), address_data(detail="中山路1号", is_default="on"))
    second = Address.objects.get(detail="中山路1号")
    first.refresh_from_db()
    assert second.is_default and not first.is_default
    signed_in.post(reverse("accounts:address_default", args=[first.pk]))
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.is_default and not second.is_default
    assert Address.objects.filter(user=alice, is_default=True).count() == 1


def test_deleting_the_default_promotes_another(signed_in, alice):
    signed_in.post(reverse("accounts:address_new"), address_data())
    signed_in.post(reverse("accounts:address_new"), address_data(detail="中山路1号"))
    default = Address.objects.get(is_default=True)
    signed_in.post(reverse("accounts:address_delete", args=[default.pk]))
    assert Address.objects.get().is_default


def test_edit_address(signed_in):
    signed_in.post(reverse("accounts:address_new"), address_data())
    address = Address.objects.get()
    signed_in.post(reverse("accounts:address_edit", args=[address.pk]), address_data(detail="珠江路88号"))
    address.refresh_from_db()
    assert address.detail == "珠江路88号"


def test_address_list_masks_the_phone(signed_in):
    signed_in.post(reverse("accounts:address_new"), address_data())
    html = signed_in.get(ADDRESSES).content.decode()
    assert "138****8000" in html and "13800138000" not in html


@pytest.mark.parametrize("field, value, message", [("mobile", "12345", "手机号"), ("postcode", "21000", "邮政编码")])
def test_bad_address_input(signed_in, field, value, message):
    response = signed_in.post(reverse("accounts:address_new"), address_data(**{field: value}))
    assert message in response.content.decode()
    assert not Address.objects.exists()


def test_someone_elses_address_is_404(client, alice, bob):
    client.force_login(alice)
    client.post(reverse("accounts:address_new"), address_data())
    address = Address.objects.get()
    client.force_login(bob)
    assert client.get(reverse("accounts:address_edit", args=[address.pk])).status_code == 404
    assert client.post(reverse("accounts:address_delete", args=[address.pk])).status_code == 404
    assert client.post(reverse("accounts:address_default", args=[address.pk])).status_code == 404
    assert Address.objects.filter(pk=address.pk).exists()


def test_address_limit(signed_in, alice):
    for i in range(10):
        signed_in.post(reverse("accounts:address_new"), address_data(detail=f"中山路{i}号"))
    response = signed_in.post(reverse("accounts:address_new"), address_data(detail="多余的"))
    assert "最多保存 10 个" in response.content.decode()
    assert Address.objects.filter(user=alice).count() == 10


def test_settings_need_login(client):
    for url in (PROFILE, AVATAR, PASSWORD, ADDRESSES):
        assert client.get(url).status_code == 302


def test_pages_with_personal_data_are_not_cached(signed_in):
    assert "no-store" in signed_in.get(PROFILE)["Cache-Control"]
