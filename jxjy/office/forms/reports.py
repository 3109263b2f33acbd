from django import forms

from jxjy.accounts.models import City, Grade, Role
from jxjy.audit.models import event_choices


class ReportFilterForm(forms.Form):
    year = forms.TypedChoiceField(label="培训年度", coerce=int)
    city = forms.ChoiceField(label="地市", required=False)
    grade = forms.ChoiceField(label="技术等级", required=False, choices=[("", "全部等级"), *Grade.choices])

    def __init__(self, data, *, user, years):
        super().__init__(data)
        self.fields["year"].choices = [(y, f"{y}年度") for y in years]
        if user.role == Role.CITY:
            del self.fields["city"]  # a city office's report is always its own city's
        else:
            self.fields["city"].choices = [("", "全省"), *City.objects.values_list("code", "name")]


RESULT_CHOICES = [
    ("", "全部结果"),
    ("ok", "成功"),
    ("failed", "失败"),
    ("denied", "越权拒绝"),
    ("refused", "不予办理"),
    ("rejected", "已拒绝"),
    ("locked", "已锁定"),
    ("flagged", "异常标记"),
    ("resolved", "已处理"),
]


class AuditFilterForm(forms.Form):
    event = forms.ChoiceField(label="事件", required=False, choices=[("", "全部事件"), *event_choices()])
    actor = forms.CharField(label="操作人（用户名或姓名）", required=False, max_length=150)
    start = forms.DateField(label="开始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="结束日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    result = forms.ChoiceField(label="结果", required=False, choices=RESULT_CHOICES)
    object_type = forms.CharField(label="对象类型", required=False, max_length=64, help_text="如 accounts.User")
    object_id = forms.CharField(label="对象编号", required=False, max_length=64)
    request_id = forms.CharField(label="请求号", required=False, max_length=64)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", "结束日期不能早于开始日期。")
        return data
