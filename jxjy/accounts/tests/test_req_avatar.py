"""头像 against security requirements 22–24: over 2 MB refused before anything is kept; an HTML/PHP/SVG "photo.jpg"
refused; a real image re-encoded (a polyglot loses its payload), kept under a random name outside the web root and
sent back — it is shown in the page's <img> — inline, but nosniff and sandboxed."""

import io
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import Resolver404, resolve, reverse
from PIL import Image

pytestmark = pytest.mark.django_db
AVATAR = reverse("accounts:settings_avatar")


@pytest.fixture
def signed_in(client, alice, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(alice)
    return client


def kept(settings):
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def jpeg(extra=b""):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(buffer, "JPEG")
    return buffer.getvalue() + extra


def upload(client, name, data):
    return client.post(AVATAR, {"avatar": SimpleUploadedFile(name, data, content_type="image/jpeg")})


def test_req_22_an_avatar_over_2_mb_is_refused_before_it_is_kept(signed_in, alice, settings):
    response = upload(signed_in, "photo.jpg", jpeg(b"\0" * (2 * 1024 * 1024)))
    assert response.status_code == 400 and "不能超过 2 MB" in response.content.decode()
    alice.refresh_from_db()
    assert alice.avatar == "" and kept(settings) == []


@pytest.mark.parametrize(
    "body",
    [
        b"<html><script>alert(document.cookie)</script></html>",
        b"<?php system($_GET['c']); ?>",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    ],
    ids=["html", "php", "svg"],
)
def test_req_23_photo_jpg_that_is_a_script_is_refused(signed_in, alice, settings, body):
    assert upload(signed_in, "photo.jpg", body).status_code == 400
    alice.refresh_from_db()
    assert alice.avatar == "" and kept(settings) == []


def test_req_24_a_polyglot_is_reencoded_kept_under_a_random_name_and_never_runs(signed_in, alice, settings):
    payload = b"<html><script>alert(document.cookie)</script></html>"
    assert upload(signed_in, "me<script>.html", jpeg(payload)).status_code == 302
    alice.refresh_from_db()
    assert re.fullmatch(r"avatars/[0-9a-f]{32}\.jpg", alice.avatar)
    (stored,) = kept(settings)
    assert payload not in stored.read_bytes()  # re-encoded: only the picture is kept
    assert Path(settings.STATIC_ROOT).resolve() not in stored.resolve().parents
    with pytest.raises(Resolver404):
        resolve(settings.MEDIA_URL + alice.avatar)
    response = signed_in.get(reverse("accounts:avatar_image"))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == "inline"  # the page shows it in an <img>
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]
