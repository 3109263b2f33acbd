"""打印报名表: an A4 PDF with its Chinese text embedded and extractable, for the booking's owner only."""

import re
import shutil
import subprocess
import time

import pytest
from django.urls import reverse

from jxjy.facetoface import services
from jxjy.facetoface.models import FaceToFaceBooking

from .helpers import UNIT

pytestmark = pytest.mark.django_db


def poppler(tool):
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} not found: install poppler-utils (apt-get install poppler-utils)")
    return path


@pytest.fixture
def booking(learner, alice, nanjing_class):
    learner.post(reverse("facetoface:book", args=[nanjing_class.pk]))
    return FaceToFaceBooking.objects.get(user=alice)


def test_the_owner_downloads_a_private_pdf(learner, booking):
    response = learner.get(reverse("facetoface:form", args=[booking.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]


def test_pdf_text_has_the_learner_and_the_class(learner, alice, booking, nanjing_class, tmp_path):
    path = tmp_path / "form.pdf"
    path.write_bytes(learner.get(reverse("facetoface:form", args=[booking.pk])).content)
    info = subprocess.run([poppler("pdfinfo"), str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+595\.2\d* x 841\.8\d* pts \(A4\)", info) and "Pages:           1" in info
    fonts = subprocess.run([poppler("pdffonts"), str(path)], capture_output=True, text=True, check=True).stdout
    assert all(re.search(r"TrueType.*\byes\s+yes\b", line) for line in fonts.splitlines()[2:])  # embedded subsets
    text = subprocess.run([poppler("pdftotext"), "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip
    flat = re.sub(r"\s+", "", text)
    for expected in ("面授班报名表", alice.name, alice.id_number_masked, alice.mobile_masked, UNIT, "南京市",
                     nanjing_class.title, nanjing_class.venue, "48学时", booking.number, "已报名"):  # fmt: skip
        assert re.sub(r"\s+", "", expected) in flat, expected
    assert alice.id_number not in flat and alice.mobile not in flat


def test_others_get_404(booking, bob, nanjing_class):
    from .conftest import client_for

    assert client_for(bob).get(reverse("facetoface:form", args=[booking.pk])).status_code == 404
    assert client_for(bob).get(reverse("facetoface:form", args=[booking.pk + 100])).status_code == 404


def test_no_form_for_a_cancelled_or_waiting_booking(learner, alice, booking, bob, online):
    from .helpers import make_class

    services.cancel(booking=booking, user=alice)
    assert learner.get(reverse("facetoface:form", args=[booking.pk])).status_code == 404
    full = make_class(capacity=1)
    services.book(user=bob, face_class=full)
    waiting = services.book(user=alice, face_class=full, wait=True)
    assert learner.get(reverse("facetoface:form", args=[waiting.pk])).status_code == 404


def test_pdf_is_quick_and_rate_limited(learner, booking, django_assert_max_num_queries):
    url = reverse("facetoface:form", args=[booking.pk])
    learner.get(url)  # the font is parsed once per process
    started = time.perf_counter()
    with django_assert_max_num_queries(4):
        assert learner.get(url).status_code == 200
    assert time.perf_counter() - started < 1.0
    statuses = [learner.get(url).status_code for _ in range(20)]
    assert statuses[-1] == 429 and statuses.count(200) == 18  # 20 a minute, two used above
