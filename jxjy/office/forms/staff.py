from django import forms

from jxjy.accounts.forms import CaptchaMixin, ChangePasswordForm
from jxjy.accounts.models import Role, User


class StaffLoginForm(CaptchaMixin):
    username = forms.CharField(
        label="用户名",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label="密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    field_order = ["username", "password", "captcha"]


class OtpForm(forms.Form):
    code = forms.RegexField(
        regex=r"^[0-9]{6}\Z",
        label="动态码",
        max_length=6,
        error_messages={
            "invalid": "请输入手机验证器应用中显示的 6 位数字动态码。",
            "required": "请输入 6 位数字动态码。",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(inputmode="numeric", autocomplete="one-time-code", maxlength="6")

    def clean_code(self):
        return self.cleaned_data["code"].strip()


class StaffPasswordForm(ChangePasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "new_password1"
        ].help_text = "至少 12 个字符，包含大写字母、小写字母、数字、符号中的至少三类，不能包含用户名。"


class StaffEditForm(forms.ModelForm):
    """修改工作人员账号: name, role, city and whether the account may sign in. Passwords are never set here: each
    staff member sets their own (a new or reset account must change its password at the next sign-in)."""

    class Meta:
        model = User
        fields = ["name", "role", "city", "is_active"]
        labels = {"is_active": "允许登录"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [choice for choice in Role.choices if choice[0] != Role.LEARNER]
        self.fields["city"].empty_label = "（不限地市）"
        self.fields["city"].help_text = "市工考办必须选择所属地市；其他角色不选。"

    def clean(self):
        data = super().clean()
        role, city = data.get("role"), data.get("city")
        if role == Role.CITY and city is None:
            self.add_error("city", "市工考办必须选择所属地市。")
        elif role and role != Role.CITY:
            data["city"] = None
        return data
