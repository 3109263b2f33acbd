"""Certificates in 下载我的个人信息 (jxjy.accounts.personal_data). A certificate's record is kept when an account is
closed: it is the signed proof of a 合格 year, may already be on an employer's file, and holds the name and ID
number masked only (it is shown publicly by the verification page)."""

from jxjy.accounts.personal_data import register_exporter, when

from .models import Certificate


def export_certificates(user) -> list:
    return [
        {
            "证书编号": item.number,
            "年度": item.year,
            "状态": item.get_status_display(),
            "签发时间": when(item.issued_at),
            "撤销时间": when(item.revoked_at),
            "撤销原因": item.revoke_reason,
            "证书内容": item.content,
        }
        for item in Certificate.objects.filter(user=user).order_by("-issued_at", "-id")
    ]


def register():
    register_exporter("证书", export_certificates)
