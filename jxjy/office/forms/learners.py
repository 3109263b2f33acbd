"""学员管理's forms: 学员查询, 导入单位花名册, 修改所属地市 / 技术等级, 更换绑定手机, 查看完整号码 and 办理注销."""

from django import forms

from jxjy.accounts.forms import IdNumberField, MobileField, SmsCodeField
from jxjy.accounts.models import City, Grade, Role
from jxjy.accounts.services import REBIND_CHECKS


class _Optional:
    """An empty value is no criterion (the normalisers refuse an empty string)."""

    def clean(self, value):
        if not (value or "").strip():
            return ""
        return super().clean(value)


class OptionalIdNumberField(_Optional, IdNumberField):
    pass


class OptionalMobileField(_Optional, MobileField):
    pass


class SearchForm(forms.Form):
    """学员查询. Sent by POST only: an ID number or mobile never travels in a URL."""

    name = forms.CharField(label="姓名", max_length=30, required=False, help_text="可输入姓名中的部分文字")
    id_number = OptionalIdNumberField(required=False, help_text="完整的 18 位身份证号")
    mobile = OptionalMobileField(required=False)
    city = forms.ModelChoiceField(label="所属地市", queryset=City.objects.all(), required=False, empty_label="全部地市")
    work_unit = forms.CharField(
        label="工作单位", max_length=100, required=False, help_text="可输入单位名称中的部分文字"
    )

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        for field in ("id_number", "mobile"):
            self.fields[field].widget.attrs["autocomplete"] = "off"
        if staff.role != Role.PROVINCE:
            del self.fields["city"]  # a city office searches its own city only


class RosterForm(forms.Form):
    file = forms.FileField(
        label="花名册文件",
        help_text="请使用下载的 Excel 模板（.xlsx），不超过 5 MB。",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )


class CityGradeForm(forms.Form):
    """修改所属地市 / 技术等级 (the learner cannot once an office has acted on their records)."""

    city = forms.ModelChoiceField(
        label="所属地市", queryset=City.objects.all(), empty_label=None, error_messages={"required": "请选择所属地市。"}
    )
    grade = forms.ChoiceField(label="技术等级", choices=Grade.choices, error_messages={"required": "请选择技术等级。"})
    note = forms.CharField(
        label="办理说明",
        max_length=200,
        help_text="写明变更原因和核验的材料，例如“调动到苏州市，凭调动通知办理”。",
        error_messages={"required": "请写明变更原因和核验的材料。"},
    )


class RebindMobileForm(forms.Form):
    """更换绑定手机 at the desk: what the office checked in person, then the new mobile proven by its SMS code.
    获取验证码 checks everything but the code; 确认更换 checks it all."""

    checked = forms.ChoiceField(
        label="核验方式",
        choices=REBIND_CHECKS,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择核验方式。"},
    )
    note = forms.CharField(
        label="核验说明",
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="写明核验了什么、为什么更换，例如“本人持身份证原件到场，原手机号已停用”。",
        error_messages={"required": "请写明核验情况和更换原因。"},
    )
    mobile = MobileField(label="新手机号", help_text="学员本人正在使用的手机号，验证码将发到这个手机。")
    sms_code = SmsCodeField(required=False)

    def __init__(self, *args, sending=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.sending = sending
        self.fields["mobile"].widget.attrs["autocomplete"] = "off"
        self.fields["sms_code"].help_text = "请学员读出新手机收到的 6 位验证码，由工作人员填写。"

    def clean_sms_code(self):
        code = self.cleaned_data.get("sms_code", "")
        if not code and not self.sending:
            raise forms.ValidationError("请填写学员新手机收到的短信验证码。")
        return code


REVEAL_REASONS = [
    ("verify", "核实学员身份"),
    ("contact", "联系学员本人"),
    ("correct", "更正学员信息"),
    ("other", "其他工作需要"),
]


class RevealForm(forms.Form):
    reason = forms.ChoiceField(
        label="查看原因",
        choices=[("", "请选择查看原因"), *REVEAL_REASONS],
        error_messages={"required": "请选择查看原因。", "invalid_choice": "请选择列表中的查看原因。"},
    )


class CompleteClosureForm(forms.Form):
    confirm = forms.BooleanField(
        label="我已了解：办理后该学员的姓名、身份证号、手机号等个人信息将被删除，账号不能登录，也不能恢复。",
        error_messages={"required": "请阅读说明并勾选“我已了解”。"},
    )
