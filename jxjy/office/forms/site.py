"""帮助与公告: a 联系我们 office, a 常见问题, a 通知公告 and its attachments, edited by the province."""

from django import forms
from django.utils import timezone

from jxjy.portal.models import ContactOffice, Faq, Notice
from jxjy.portal.services import ALLOWED_TEXT

ATTACHMENT_ACCEPT = ".pdf,.doc,.docx,.xls,.xlsx,.jpg,.jpeg,.png"


class ContactOfficeForm(forms.ModelForm):
    class Meta:
        model = ContactOffice
        fields = ["name", "phones", "hours", "address", "note", "sort_order"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "phones": "多个号码用顿号隔开，如 025-83270000、025-83270001。留空则页面显示“电话请咨询所在单位”。",
            "hours": "如 工作日 上午 9:00—12:00，下午 13:30—17:00",
            "note": "如 节假日不办公；视同申报材料请带原件",
        }
        error_messages = {
            "name": {"required": "请填写名称。"},
            "sort_order": {"required": "请填写排序数字。", "invalid": "排序请填写整数，如 1。"},
        }


class FaqForm(forms.ModelForm):
    class Meta:
        model = Faq
        fields = ["question", "answer", "sort_order", "is_published"]
        widgets = {"answer": forms.Textarea(attrs={"rows": 8})}
        labels = {"is_published": "在“常见问题”页面显示"}
        help_texts = {"answer": "用学员看得懂的话写，一步一行。不支持网页格式，原样显示。"}
        error_messages = {
            "question": {"required": "请填写问题。"},
            "answer": {"required": "请填写回答。"},
            "sort_order": {"required": "请填写排序数字。", "invalid": "排序请填写整数，如 1。"},
        }


class NoticeForm(forms.ModelForm):
    attachment = forms.FileField(
        label="上传附件",
        required=False,
        help_text=f"{ALLOWED_TEXT} 文件，每个不超过 10 MB。保存后可继续上传。",
        widget=forms.ClearableFileInput(attrs={"accept": ATTACHMENT_ACCEPT}),
    )

    class Meta:
        model = Notice
        fields = ["title", "body", "is_pinned", "is_published", "published_at"]
        widgets = {
            "body": forms.Textarea(attrs={"rows": 10}),
            "published_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        }
        labels = {"is_pinned": "置顶", "is_published": "在门户显示"}
        help_texts = {"body": "纯文字，原样显示（保留换行）。", "published_at": "到这个时间才在门户显示。"}
        error_messages = {
            "title": {"required": "请填写标题。"},
            "body": {"required": "请填写正文。"},
            "published_at": {"required": "请填写发布时间。", "invalid": "请按“年-月-日 时:分”填写发布时间。"},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["published_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]
        if not self.instance.pk:
            self.initial.setdefault("published_at", timezone.localtime().replace(second=0, microsecond=0))
