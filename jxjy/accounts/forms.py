from captcha.fields import CaptchaField
from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from jxjy.lib.errors import UserError, show_on
from jxjy.lib.forms import PlainErrors
from jxjy.lib.idcard import normalize_id_number
from jxjy.lib.mobile import normalize_mobile
from jxjy.lib.names import normalize_name

from . import services
from .models import Address, Gender, Grade, User


class NormalizedField(forms.CharField):
    """A text field cleaned by one of jxjy.lib's normalisers; its ValueError becomes the field's error.
    Surrounding spaces are the normaliser's business: Django's strip would also eat a trailing newline."""

    normalize = None

    def __init__(self, *, max_length, attrs=None, input_type=None, **kwargs):
        super().__init__(max_length=max_length, strip=False, **kwargs)
        if input_type:
            self.widget.input_type = input_type
        self.widget.attrs.update(attrs or {})

    def clean(self, value):
        value = super().clean(value)
        try:
            return type(self).normalize(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class IdNumberField(NormalizedField):
    normalize = staticmethod(normalize_id_number)

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "身份证号")
        attrs = {"autocomplete": "username", "spellcheck": "false", "autocapitalize": "characters"}
        super().__init__(max_length=40, attrs=attrs, **kwargs)


class MobileField(NormalizedField):
    normalize = staticmethod(normalize_mobile)

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "手机号")
        attrs = {"autocomplete": "tel", "inputmode": "numeric"}
        super().__init__(max_length=20, input_type="tel", attrs=attrs, **kwargs)


class NameField(NormalizedField):
    normalize = staticmethod(normalize_name)

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "姓名")
        super().__init__(max_length=40, attrs={"autocomplete": "name"}, **kwargs)


class SmsCodeField(forms.RegexField):
    def __init__(self, **kwargs):
        super().__init__(
            regex=r"^[0-9]{6}\Z",
            label="短信验证码",
            max_length=6,
            error_messages={"invalid": "请输入 6 位数字短信验证码。"},
            **kwargs,
        )
        self.widget.attrs.update(inputmode="numeric", autocomplete="one-time-code", maxlength="6")


class CaptchaMixin(PlainErrors, forms.Form):
    captcha = CaptchaField(label="图形验证码", error_messages={"invalid": "图形验证码不对，请看清后重新输入。"})


class SetPasswordMixin(PlainErrors, forms.Form):
    new_password1 = forms.CharField(
        label="设置密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="至少 8 位，少于 12 位时须同时包含字母和数字；不能包含身份证号或手机号。",
    )
    new_password2 = forms.CharField(
        label="确认密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def password_user(self):
        """The user the password belongs to, for the personal-number and similarity checks."""
        raise NotImplementedError

    def clean(self):
        cleaned = super().clean()
        one, two = cleaned.get("new_password1"), cleaned.get("new_password2")
        if one and two and one != two:
            self.add_error("new_password2", "两次输入的密码不一致。")
        elif one:
            try:
                password_validation.validate_password(one, self.password_user())
            except ValidationError as exc:
                self.add_error("new_password1", exc)
        return cleaned


class SendCodeForm(CaptchaMixin):
    """获取验证码: the image captcha must be solved before any SMS is sent."""

    mobile = MobileField()


class RegisterForm(SetPasswordMixin):
    name = NameField()
    id_number = IdNumberField()
    mobile = MobileField()
    sms_code = SmsCodeField()
    consent = forms.BooleanField(
        label="我已阅读并同意《个人信息保护说明》，同意平台为办理继续教育处理我的身份证号和手机号。",
        error_messages={"required": "请阅读并勾选同意《个人信息保护说明》。"},
    )
    field_order = ["name", "id_number", "mobile", "sms_code", "new_password1", "new_password2", "consent"]

    def password_user(self):
        return User(
            name=self.cleaned_data.get("name", ""),
            id_number=self.cleaned_data.get("id_number", ""),
            mobile=self.cleaned_data.get("mobile", ""),
        )


class LoginForm(CaptchaMixin):
    id_number = IdNumberField()
    password = forms.CharField(
        label="密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    field_order = ["id_number", "password", "captcha"]


class ResetStartForm(CaptchaMixin):
    name = NameField()
    id_number = IdNumberField()
    field_order = ["name", "id_number", "captcha"]


class ResetFinishForm(SetPasswordMixin):
    sms_code = SmsCodeField()
    field_order = ["sms_code", "new_password1", "new_password2"]

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def password_user(self):
        return self.user


class ResetWithCodeForm(SetPasswordMixin):
    """找回密码 → 已收到验证码: the code the city office had sent, with the learner's name and ID number."""

    name = NameField()
    id_number = IdNumberField()
    sms_code = SmsCodeField()
    field_order = ["name", "id_number", "sms_code", "new_password1", "new_password2"]

    def password_user(self):
        return User(name=self.cleaned_data.get("name", ""), id_number=self.cleaned_data.get("id_number", ""))


def login_password_field(help_text):
    """The learner's current login password, asked again before something sensitive."""
    return forms.CharField(
        label="登录密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=help_text,
        error_messages={"required": "请输入登录密码。"},
    )


class CompleteMobileForm(PlainErrors, forms.Form):
    """完善手机信息, and 更换手机号 for a learner who has a verified mobile: that also asks for the login password."""

    password = login_password_field("为保护账号安全，更换手机号需要输入您现在的登录密码。")
    mobile = MobileField(label="新手机号")
    sms_code = SmsCodeField()

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.replacing = user is not None and user.mobile_verified_at is not None
        if not self.replacing:
            del self.fields["password"]
            self.fields["mobile"].label = "手机号"


class ProfileForm(PlainErrors, forms.ModelForm):
    class Meta:
        model = User
        fields = ["gender", "work_unit", "city", "grade", "email"]
        labels = {"email": "电子邮箱"}
        error_messages = {
            "email": {"invalid": "请输入正确的电子邮箱地址，例如 name@example.cn。"},
            "city": {"invalid_choice": "请选择列表中的地市。"},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["city"].empty_label = "请选择所属地市"
        self.fields["city"].required = True
        self.fields["city"].error_messages["required"] = "请选择所属地市。"
        self.fields["gender"].choices = [("", "请选择性别"), *Gender.choices]
        self.fields["grade"].choices = [("", "请选择技术等级"), *Grade.choices]
        self.fields["work_unit"].widget.attrs["autocomplete"] = "organization"
        # 所属地市 decides which city office sees the learner, and 技术等级 which class they may buy: once a city
        # office has acted on something of the learner's (or the grade is set), only the city office changes them.
        # A disabled field ignores whatever is posted and keeps the stored value.
        if self.instance.city_locked_at:
            self.fields["city"].disabled = True
            self.fields["city"].help_text = "所属地市已由工考办登记，如需更改，请到所在市工考办办理。"
        if self.instance.grade:
            self.fields["grade"].disabled = True
            self.fields["grade"].help_text = "技术等级已填写，如需更改，请到所在市工考办办理。"


class AvatarForm(PlainErrors, forms.Form):
    avatar = forms.FileField(
        label="选择图片",
        help_text="支持 JPG、PNG、WebP，不超过 2 MB。",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )


class ChangePasswordForm(SetPasswordMixin):
    old_password = forms.CharField(
        label="原密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    field_order = ["old_password", "new_password1", "new_password2"]

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "新密码"
        self.fields["new_password2"].label = "确认新密码"

    def password_user(self):
        return self.user

    def save(self, request) -> bool:
        """修改密码 (accounts.services.change_password, which keeps this session and ends the others); False with
        the refusal shown on the form."""
        try:
            services.change_password(
                user=self.user,
                old_password=self.cleaned_data["old_password"],
                new_password=self.cleaned_data["new_password1"],
                request=request,
            )
        except UserError as exc:
            show_on(self, exc)
            return False
        return True


class AddressForm(PlainErrors, forms.ModelForm):
    recipient = NameField(label="收件人")
    mobile = MobileField(label="联系电话")

    class Meta:
        model = Address
        fields = ["recipient", "mobile", "region", "detail", "postcode", "is_default"]
        widgets = {"region": forms.TextInput(attrs={"placeholder": "如：江苏省 南京市 玄武区"})}

    def clean_postcode(self):
        value = self.cleaned_data["postcode"].strip()
        if value and not (len(value) == 6 and value.isascii() and value.isdigit()):
            raise ValidationError("邮政编码应为 6 位数字。")
        return value
