"""视同申报 attachments against security requirements 22–24: size limit and per-learner quota (413 before anything is
kept), content checked by bytes (an HTML/PHP/SVG "photo.jpg" is refused), stored under a random name outside the web
root and sent back as a download that never runs."""

import io
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from freezegun import freeze_time
from PIL import Image

from conftest import staff_client
from jxjy.declarations.models import Attachment, Declaration

from .conftest import PDF, claim, pdf

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalog")]
TODAY = "2026-11-28 10:00"


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def post(client, files, url=None):
    data = {**claim(), "attachments": files}
    with freeze_time(TODAY):
        return client.post(url or reverse("declarations:new"), data)


def stored_files(settings):
    root = Path(settings.MEDIA_ROOT)
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def big_pdf(size, name="证书.pdf"):
    return SimpleUploadedFile(name, PDF + b"0" * (size - len(PDF)), content_type="application/pdf")


def test_req_22_an_attachment_over_10_mb_is_refused_413_and_not_kept(alice, settings):
    response = post(signed_in(alice), [big_pdf(10 * 1024 * 1024 + 1)])
    assert response.status_code == 413 and "超过 10 MB" in response.content.decode()
    assert not Attachment.objects.exists() and stored_files(settings) == []


def test_req_22_the_per_learner_quota_refuses_the_next_claim_before_its_file_is_kept(alice, bob, settings):
    settings.DECLARATION_ATTACHMENT_QUOTA_BYTES = 500 * 1024
    client = signed_in(alice)
    assert post(client, [big_pdf(300 * 1024)]).status_code == 302
    kept = stored_files(settings)
    response = post(client, [big_pdf(300 * 1024)])
    assert response.status_code == 413 and "已无法再上传" in response.content.decode()
    assert Declaration.objects.filter(user=alice).count() == 1 and stored_files(settings) == kept
    # Editing a claim counts too — and removing a file frees its room.
    first = Declaration.objects.get(user=alice)
    edit = reverse("declarations:edit", args=[first.pk])
    assert post(client, [big_pdf(300 * 1024)], url=edit).status_code == 413
    old = first.attachments.get()
    with freeze_time(TODAY):
        response = client.post(edit, {**claim(), "remove": [old.pk], "attachments": [big_pdf(400 * 1024)]})
    assert response.status_code == 302 and first.attachments.get().size == 400 * 1024
    # The quota is each learner's own.
    assert post(signed_in(bob), [big_pdf(300 * 1024)]).status_code == 302


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body><script>alert(document.cookie)</script></body></html>",
        b"<?php system($_GET['c']); ?>",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>',
        b"\xff\xd8\xff\xe0<script>alert(1)</script>",  # a JPEG's first bytes, then no image at all
    ],
    ids=["html", "php", "svg", "fake-jpeg-header"],
)
def test_req_23_photo_jpg_that_is_really_a_script_is_refused(alice, settings, body):
    response = post(signed_in(alice), [SimpleUploadedFile("photo.jpg", body, content_type="image/jpeg")])
    assert response.status_code == 400
    assert "photo.jpg" in response.content.decode()
    assert not Attachment.objects.exists() and stored_files(settings) == []


def polyglot():
    """A real JPEG with HTML after it: a valid image (it is accepted) that a sniffing browser could run as a page."""
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(buffer, "JPEG")
    return buffer.getvalue() + b"<html><script>alert(document.cookie)</script></html>"


@pytest.mark.parametrize(
    ("upload", "content_type", "extension"),
    [
        (lambda: pdf("</title><script>x</script>.html"), "application/pdf", ".pdf"),
        (lambda: SimpleUploadedFile("页面.html", polyglot(), content_type="text/html"), "image/jpeg", ".jpg"),
    ],
    ids=["pdf-named-html", "jpeg-html-polyglot"],
)
def test_req_24_stored_under_a_random_name_and_sent_as_a_download_that_never_runs(
    alice, nanjing_reviewer, settings, upload, content_type, extension
):
    assert post(signed_in(alice), [upload()]).status_code == 302
    attachment = Attachment.objects.get()
    assert re.fullmatch(rf"declarations/[0-9a-f]{{32}}\{extension}", attachment.file.name)
    media, static = Path(settings.MEDIA_ROOT).resolve(), Path(settings.STATIC_ROOT).resolve()
    assert static not in Path(attachment.file.path).resolve().parents and media in Path(attachment.file.path).parents
    with pytest.raises(Resolver404):  # no URL serves the media directory: only the view below, which checks access
        resolve(settings.MEDIA_URL + attachment.file.name)
    url = reverse("declarations:attachment", args=[attachment.pk])
    for client in (signed_in(alice), staff_client(nanjing_reviewer)):
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == content_type
        disposition = unquote(response["Content-Disposition"])
        assert disposition.startswith("attachment;") and disposition.rstrip('"').endswith(extension)
        assert ".html" not in disposition
        assert response["X-Content-Type-Options"] == "nosniff"
        policy = response["Content-Security-Policy"]
        assert "sandbox" in policy and "default-src 'none'" in policy
        assert response["Cache-Control"] == "private, no-store"
