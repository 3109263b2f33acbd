"""Files for claims: real PDF / JPEG / PNG bytes, and fakes."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def pdf(name="结业证书.pdf", body=PDF):
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def image(name="课程表.png", fmt="PNG"):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(buffer, fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def claim(**overrides):
    data = {
        "kind": "research",
        "category": "professional",
        "title": "公共机构节能管理研修班",
        "organiser": "江苏省机关事务管理局",
        "start_date": "2026-10-12",
        "end_date": "2026-10-13",
        "hours_claimed": "12",
        "description": "两天全日制研修",
    }
    data.update(overrides)
    return data


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
