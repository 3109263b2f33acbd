"""视同申报 work on the worker: the first-page fingerprint of an uploaded PDF (fingerprints.py)."""

from celery import shared_task

from .models import Attachment


@shared_task(soft_time_limit=60)
def fingerprint_page(attachment_id):
    """Render the first page of a PDF attachment and keep its fingerprint; quiet when the row is gone."""
    from .fingerprints import first_page_sha256

    attachment = Attachment.objects.filter(pk=attachment_id, content_type="application/pdf").first()
    if attachment is None:
        return
    with attachment.file.open("rb") as handle:
        data = handle.read()
    page = first_page_sha256(data)
    if page:
        Attachment.objects.filter(pk=attachment_id).update(page_sha256=page)
