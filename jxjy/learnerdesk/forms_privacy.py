"""Forms of 注销申请 and 查看完整号码 in 学员管理."""

from django import forms

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
