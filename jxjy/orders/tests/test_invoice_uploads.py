"""Invoice PDFs against security requirements 22 and 24: a file over the limit is refused (400) before it is kept;
an issued invoice is stored under a random name and downloaded as an attachment, nosniff, sandboxed."""

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import staff_client
from jxjy.orders.models import InvoiceRequest, InvoiceStatus

from .invoice_helpers import PDF, TAX_ID, paid_order

pytestmark = pytest.mark.django_db
UNIT = {"invoice_type": "unit", "unit_name": "南京市某某科技有限公司", "tax_id": TAX_ID, "delivery": "email",
        "email": "cw@example.cn"}  # fmt: skip


@pytest.fixture
def requested(client, alice, catalog, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(alice)
    order = paid_order(client, catalog[(2026, "L4")])
    assert client.post(reverse("orders:invoice_request", args=[order.number]), UNIT).status_code == 302
    return client, InvoiceRequest.objects.get(order=order)


def issue(finance_user, item, pdf):
    data = {"action": "issue", "issue-invoice_number": "24320000000012345678", "issue-pdf": pdf}
    return staff_client(finance_user).post(reverse("office:finance_invoice", args=[item.pk]), data)


def kept(settings):
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_req_22_an_invoice_pdf_over_the_limit_is_refused_before_it_is_kept(requested, finance_user, settings):
    settings.INVOICE_PDF_MAX_BYTES = 64 * 1024
    _, item = requested
    big = PDF[:-6] + b"0" * (64 * 1024) + b"%%EOF\n"
    response = issue(finance_user, item, SimpleUploadedFile("发票.pdf", big, "application/pdf"))
    assert response.status_code == 400 and "电子发票文件不能超过" in response.content.decode()
    item.refresh_from_db()
    assert item.status == InvoiceStatus.PENDING and not item.pdf and kept(settings) == []


def test_req_24_the_invoice_is_kept_under_a_random_name_and_downloaded_as_an_attachment(
    requested, finance_user, settings
):
    client, item = requested
    response = issue(finance_user, item, SimpleUploadedFile("<script>.html", PDF, "text/html"))
    assert response.status_code == 302
    item.refresh_from_db()
    assert re.fullmatch(r"invoices/[0-9a-f]{32}\.pdf", item.pdf.name)
    response = client.get(reverse("orders:invoice_pdf", args=[item.order.number, item.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;") and ".pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
