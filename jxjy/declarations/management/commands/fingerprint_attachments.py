"""Backfill the fingerprints of attachments stored before issue 16: the bytes' SHA-256, and a PDF's first page.
Safe to run again (rows already done are skipped; a PDF that did not render is tried again)."""

import io

from django.core.management.base import BaseCommand
from django.db.models import Q

from jxjy.declarations.fingerprints import file_sha256, first_page_sha256
from jxjy.declarations.models import Attachment


class Command(BaseCommand):
    help = "为已上传的视同申报附件补算指纹（文件 SHA-256，PDF 另算首页图像 SHA-256）。"

    def handle(self, *args, **options):
        todo = Attachment.objects.filter(Q(sha256="") | Q(content_type="application/pdf", page_sha256=""))
        done = missing = 0
        for attachment in todo.only("pk", "file", "content_type", "sha256").iterator(chunk_size=500):
            try:
                with attachment.file.open("rb") as handle:
                    data = handle.read()
            except OSError:
                missing += 1
                continue
            changes = {}
            if not attachment.sha256:
                changes["sha256"] = file_sha256(io.BytesIO(data))
            if attachment.content_type == "application/pdf":
                changes["page_sha256"] = first_page_sha256(data)
            Attachment.objects.filter(pk=attachment.pk).update(**changes)
            done += 1
        self.stdout.write(f"fingerprinted {done} attachment(s); {missing} file(s) missing")
