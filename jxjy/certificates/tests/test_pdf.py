"""The printed certificate: an A4 PDF with its Chinese text embedded and extractable, signed by the platform."""

import base64
import json
import re
import shutil
import subprocess
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from django.urls import reverse
from django.utils import timezone

from jxjy.certificates import signing
from jxjy.certificates.models import Certificate

from .helpers import UNIT

pytestmark = pytest.mark.django_db


def poppler(tool):
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} not found: install poppler-utils (apt-get install poppler-utils)")
    return path


def run(tool, pdf_path, *args):
    return subprocess.run([poppler(tool), *args, str(pdf_path), "-"] if tool == "pdftotext" else
                          [poppler(tool), *args, str(pdf_path)], capture_output=True, text=True, check=True).stdout  # fmt: skip


@pytest.fixture
def printed(learner, qualified, tmp_path):
    """打印证书 → the download: (response, certificate, path of the PDF)."""
    response = learner.post(reverse("certificates:print"), {"year": 2026}, follow=True)
    certificate = Certificate.objects.get()
    path = tmp_path / "certificate.pdf"
    path.write_bytes(response.content)
    return response, certificate, path


def test_download_is_a_private_pdf_attachment(printed):
    response, certificate, _ = printed
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    # 继续教育证书-2026.pdf, RFC 5987-encoded.
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E7%BB%A7%E7%BB%AD%E6%95%99%E8%82%B2%E8%AF%81%E4%B9%A6-2026.pdf"
    )
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]


def test_pdf_is_a4_with_the_font_embedded_and_the_text_extractable(printed, alice):
    _, certificate, path = printed
    info = run("pdfinfo", path)
    assert re.search(r"Page size:\s+595\.2\d* x 841\.8\d* pts \(A4\)", info) and "Pages:           1" in info
    fonts = run("pdffonts", path).splitlines()[2:]
    assert fonts and all(re.search(r"TrueType.*\byes\s+yes\b", line) for line in fonts), fonts  # embedded subsets
    assert b"/FontFile2" in path.read_bytes()
    text = run("pdftotext", path, "-layout")
    flat = re.sub(r"\s+", "", text)  # lines wrap anywhere in Chinese text
    for expected in ("继续教育证书", alice.name, alice.id_number_masked, UNIT, "2026 年度", "公共课", "16 学时",
                     "专业课", "24 学时", "选修课", "8 学时", "48 学时", "合格", certificate.number,
                     certificate.check_code_display, f"{certificate.signature[:40]}"):  # fmt: skip
        assert re.sub(r"\s+", "", expected) in flat, expected
    assert alice.id_number not in text
    assert f"http://testserver/verify/{certificate.token}/" in text


def test_pdf_metadata_carries_the_signed_content_and_signature(printed):
    _, certificate, path = printed
    info = run("pdfinfo", path)
    subject = re.search(r"^Subject:\s+(.*)$", info, re.M).group(1)
    keywords = re.search(r"^Keywords:\s+(.*)$", info, re.M).group(1)
    assert json.loads(subject) == certificate.content
    assert keywords == f"Ed25519 signature: {certificate.signature}"
    assert signing.verify(json.loads(subject), keywords.rsplit(" ", 1)[1])


def test_signature_verifies_and_any_change_fails(qualified):
    from jxjy.certificates.services import issue_certificate

    certificate = issue_certificate(user=qualified.user, year=2026)
    content = certificate.content
    assert content == {
        "v": 1, "number": certificate.number, "name": "张*", "id_number": qualified.user.id_number_masked,
        "unit": UNIT, "year": 2026, "hours": {"public": "16", "professional": "24", "elective": "8"},
        "total": "48", "result": "合格", "issued": timezone.localdate(certificate.issued_at).isoformat(),
    }  # fmt: skip
    assert len(base64.b64decode(certificate.signature)) == 64
    assert signing.verify(content, certificate.signature)
    for key, value in (("total", "58"), ("name", "李*"), ("result", "不合格"), ("year", 2025)):
        assert not signing.verify({**content, key: value}, certificate.signature), key
    assert not signing.verify({**content, "hours": {**content["hours"], "elective": "18"}}, certificate.signature)
    assert not signing.verify(content, "not base64!")
    assert not signing.verify(content, base64.b64encode(b"\0" * 64).decode())
    other = Ed25519PrivateKey.generate()
    assert not signing.verify(content, base64.b64encode(other.sign(signing.canonical_json(content))).decode())


def test_canonical_json_is_stable():
    assert (
        signing.canonical_json({"b": 1, "a": {"d": "合格", "c": "16"}}) == '{"a":{"c":"16","d":"合格"},"b":1}'.encode()
    )


def test_signing_key_comes_from_settings(qualified, settings):
    from jxjy.certificates.services import issue_certificate

    key = Ed25519PrivateKey.generate()
    settings.CERTIFICATE_SIGNING_KEY = base64.b64encode(
        key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    ).decode()
    certificate = issue_certificate(user=qualified.user, year=2026)
    assert signing.verify(certificate.content, certificate.signature, key.public_key())


def test_pdf_generation_time_and_size(printed, learner):
    """Measured, not only asserted: the figures go to the README."""
    _, certificate, _ = printed
    url = reverse("certificates:download", args=[certificate.number])
    started = time.perf_counter()
    for _ in range(5):
        response = learner.get(url)
    elapsed = (time.perf_counter() - started) / 5
    print(f"\nPDF download: {elapsed * 1000:.0f} ms, {len(response.content)} bytes")
    assert elapsed < 2 and len(response.content) < 200_000


def test_qr_code_on_the_page_holds_the_absolute_verification_url(printed, tmp_path):
    """Rasterise the page and read the QR modules back: they are exactly the code of the verification URL."""
    import qrcode
    from PIL import Image

    from jxjy.certificates.pdf import QR_BOX

    _, certificate, path = printed
    dpi = 300
    subprocess.run([poppler("pdftoppm"), "-r", str(dpi), "-png", "-singlefile", str(path), str(tmp_path / "page")],
                   check=True)  # fmt: skip
    image = Image.open(tmp_path / "page.png").convert("L")
    url = f"http://testserver/verify/{certificate.token}/"
    expected = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    expected.add_data(url)
    expected.make(fit=True)
    matrix = expected.get_matrix()
    x, y, size = QR_BOX
    scale = dpi / 72
    cell = size / len(matrix)
    page_height = image.height / scale
    seen = [
        [image.getpixel((int((x + (c + 0.5) * cell) * scale), int((page_height - y - size + (r + 0.5) * cell) * scale)))
         < 128 for c in range(len(matrix))]
        for r in range(len(matrix))
    ]  # fmt: skip
    assert seen == matrix
