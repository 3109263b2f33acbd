"""The hours ledger in 下载我的个人信息 (jxjy.accounts.personal_data). The ledger is kept when an account is closed
(the 继续教育档案 that assessment and promotion rely on): nothing here is anonymised."""

from jxjy.accounts.personal_data import register_exporter, when

from .models import CreditEntry


def export_ledger(user) -> list:
    entries = CreditEntry.objects.filter(user=user).order_by("year", "created_at", "id")
    return [
        {
            "年度": entry.year,
            "类别": entry.get_category_display(),
            "学时": str(entry.hours),
            "来源": entry.get_source_display(),
            "说明": entry.note,
            "记账时间": when(entry.created_at),
        }
        for entry in entries
    ]


def register():
    register_exporter("学时记录", export_ledger)
