"""Forms of the 个人信息 pages: the password again before numbers are shown, downloaded or the account closed."""

from django import forms

from jxjy.lib.forms import PlainErrors

from .forms import login_password_field


class PasswordAgainForm(PlainErrors, forms.Form):
    password = login_password_field("为保护您的个人信息，请再输入一次登录密码。")


class ClosureForm(PasswordAgainForm):
    reason = forms.CharField(label="注销原因（选填）", max_length=200, required=False)
    understood = forms.BooleanField(
        label="我已了解：注销后账号不能登录，也不能恢复；依法需要保存的记录不会删除。",
        error_messages={"required": "请阅读上面的说明并勾选“我已了解”。"},
    )
    field_order = ["reason", "password", "understood"]


class ConsentWithdrawForm(PasswordAgainForm):
    understood = forms.BooleanField(
        label="我已了解：撤回同意后平台无法继续为我服务，我的账号将由所在地市工考办办理注销。",
        error_messages={"required": "请阅读上面的说明并勾选“我已了解”。"},
    )
    field_order = ["password", "understood"]


class WithdrawClosureForm(PlainErrors, forms.Form):
    consent = forms.BooleanField(
        label="我重新同意《个人信息保护说明》，同意平台为办理继续教育处理我的身份证号和手机号。",
        required=False,
    )
