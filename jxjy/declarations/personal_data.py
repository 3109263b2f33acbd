"""The 视同申报 part of 下载我的个人信息, and what a completed 注销申请 deletes here (jxjy.accounts.personal_data).

A declaration and its review are kept (an approved one is behind hours in the ledger). The uploaded evidence
(certificates, photos, timetables — full of personal data) is deleted, files and all."""

from jxjy.accounts.personal_data import delete_file_on_commit, register_anonymiser, register_exporter, when

from .models import Attachment, Declaration


def export_declarations(user) -> list:
    declarations = Declaration.objects.filter(user=user).prefetch_related("attachments").order_by("-created_at")
    return [
        {
            "年度": item.year_id,
            "申报类型": item.get_kind_display(),
            "抵扣类别": item.get_category_display(),
            "培训名称": item.title,
            "主办单位": item.organiser,
            "开始日期": when(item.start_date),
            "结束日期": when(item.end_date),
            "申报学时": str(item.hours_claimed),
            "培训内容": item.description,
            "审批状态": item.get_status_display(),
            "核定学时": str(item.hours_approved) if item.hours_approved is not None else "",
            "审核意见": item.review_note,
            "审核时间": when(item.reviewed_at),
            "申报时间": when(item.created_at),
            "附件": [attachment.display_name for attachment in item.attachments.all()],
        }
        for item in declarations
    ]


def delete_attachments(user) -> str:
    attachments = list(Attachment.objects.filter(declaration__user=user).only("pk", "file"))
    for attachment in attachments:
        delete_file_on_commit(attachment.file.name)
    Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()
    return f"删除附件 {len(attachments)} 个"


def register():
    register_exporter("视同申报", export_declarations)
    register_anonymiser("视同申报附件", delete_attachments)
