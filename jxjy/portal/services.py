"""The province's edits of the help pages (联系我们, 常见问题) and of 通知公告 with their attachments: each saved
in one transaction with its audit record.

A notice attachment is checked by its bytes, never by its name: PDF, Word and Excel (the old binary formats and
the Office Open XML ones, macro-enabled files refused), JPEG and PNG, up to MAX_ATTACHMENT_BYTES."""

import zipfile
from pathlib import PurePath

from django.db import transaction

from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.lib.errors import UserError
from jxjy.lib.images import image_type

from .models import NoticeAttachment

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 10
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of .doc and .xls
OLE2_TYPES = {".doc": "application/msword", ".xls": "application/vnd.ms-excel"}
OOXML_TYPES = {
    "word/document.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ALLOWED_TEXT = "PDF、Word、Excel、JPG 或 PNG"


def _refuse(name):
    raise UserError(f"附件“{name}”不是 {ALLOWED_TEXT} 文件。")


def _ooxml_type(upload, name) -> str:
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        _refuse(name)
    finally:
        upload.seek(0)
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise UserError(f"附件“{name}”含有宏，请另存为不含宏的文件后再上传。")
    for part, content_type in OOXML_TYPES.items():
        if part in names:
            return content_type
    return _refuse(name)


def sniff_attachment(upload) -> str:
    """The attachment's real type from its bytes, or a UserError in Chinese. The old .doc and .xls share one
    container, so there (only) the name's extension tells which of the two it is."""
    name = upload.name or "附件"
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise UserError(f"附件“{name}”超过 10 MB，请压缩后再上传。", status=413)
    if upload.size == 0:
        raise UserError(f"附件“{name}”是空文件。")
    head = upload.read(16)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(OLE2):
        return OLE2_TYPES.get(PurePath(name).suffix.lower()) or _refuse(name)
    if head.startswith(b"PK\x03\x04"):
        return _ooxml_type(upload, name)
    if head.startswith(b"\xff\xd8\xff") or head.startswith(b"\x89PNG\r\n\x1a\n"):
        return image_type(upload, name) or _refuse(name)
    return _refuse(name)


def save_item(item, *, actor, kind: str):
    """Save a 联系我们 office, a 常见问题 or a 通知公告 (`kind` names it in the audit log)."""
    created = item.pk is None
    with transaction.atomic():
        item.save()
        record(Event.SITE_SAVE, actor=actor, obj=item, kind=kind, action="新建" if created else "修改")
    return item


def delete_item(item, *, actor, kind: str) -> None:
    """Delete a 常见问题 or a 通知公告 (a notice's attachments go with it)."""
    with transaction.atomic():
        files = [a.file.name for a in item.attachments.all()] if kind == "通知公告" else []
        record(Event.SITE_SAVE, actor=actor, obj=item, kind=kind, action="删除")
        item.delete()
        if files:
            storage = NoticeAttachment._meta.get_field("file").storage
            transaction.on_commit(lambda: [storage.delete(name) for name in files])


def add_attachment(notice, upload, *, actor) -> NoticeAttachment:
    """Attach a checked file to `notice`; refused (UserError) when its type is not allowed or the notice is full."""
    content_type = sniff_attachment(upload)
    with transaction.atomic():
        if notice.attachments.count() >= MAX_ATTACHMENTS:
            raise UserError(f"每条公告最多 {MAX_ATTACHMENTS} 个附件。")
        attachment = NoticeAttachment(
            notice=notice,
            original_name=PurePath((upload.name or "附件").replace("\\", "/")).name[-120:],
            content_type=content_type,
            size=upload.size,
        )
        attachment.file.save("x", upload, save=False)
        attachment.save()
        record(Event.SITE_SAVE, actor=actor, obj=notice, kind="公告附件", action="上传", file=attachment.original_name)
    return attachment


def remove_attachment(attachment, *, actor) -> None:
    with transaction.atomic():
        record(
            Event.SITE_SAVE,
            actor=actor,
            obj=attachment.notice,
            kind="公告附件",
            action="删除",
            file=attachment.original_name,
        )
        name, storage = attachment.file.name, attachment.file.storage
        attachment.delete()
        transaction.on_commit(lambda: storage.delete(name))
