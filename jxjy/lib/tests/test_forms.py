"""jxjy.lib.forms.PlainErrors: every error names its field, in plain words; a form's own messages stay."""

from decimal import Decimal

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import RegexValidator

from jxjy.declarations.forms import DeclarationForm
from jxjy.lib.forms import PlainErrors

KINDS = [("training", "研修班"), ("exchange", "技术交流")]


class Sample(PlainErrors, forms.Form):
    name = forms.CharField(label="姓名", max_length=5)
    kind = forms.ChoiceField(label="申报类型", choices=[("", "---------"), *KINDS])
    way = forms.ChoiceField(label="配送方式", choices=[("", "---------"), *KINDS], widget=forms.RadioSelect)
    start = forms.DateField(label="开始日期")
    people = forms.IntegerField(label="人数", max_value=300)
    hours = forms.DecimalField(label="申报学时", max_digits=4, decimal_places=1)
    email = forms.EmailField(label="电子邮箱")
    paper = forms.FileField(label="证明材料")
    understood = forms.BooleanField(label="我已了解")


def errors(form):
    return {name: list(messages) for name, messages in form.errors.items()}


def test_an_empty_form_names_each_field_the_way_it_is_filled_in():
    assert errors(Sample(data={}, files={})) == {
        "name": ["请填写姓名。"],
        "kind": ["请选择申报类型。"],
        "way": ["请选择配送方式。"],
        "start": ["请填写开始日期。"],
        "people": ["请填写人数。"],
        "hours": ["请填写申报学时。"],
        "email": ["请填写电子邮箱。"],
        "paper": ["请选择要上传的文件。"],
        "understood": ["请勾选“我已了解”。"],
    }


def test_bad_values_are_explained_with_the_field_and_an_example():
    data = {"name": "张三李四王五", "kind": "x", "way": "x", "start": "2026/13/45"}
    data.update(people="十二", hours="abc", email="zhang", understood="on")
    files = {"paper": SimpleUploadedFile("a.pdf", b"")}
    assert errors(Sample(data=data, files=files)) == {
        "name": ["姓名最多 5 个字，现在是 6 个，请删去一些。"],
        "kind": ["请从列表中选择申报类型。"],
        "way": ["请从列表中选择配送方式。"],
        "start": ["开始日期请按“年-月-日”填写，例如 2026-05-01。"],
        "people": ["人数请填写整数，例如 12。"],
        "hours": ["申报学时请填写数字，例如 12 或 12.5。"],
        "email": ["请填写正确的电子邮箱，例如 name@example.cn。"],
        "paper": ["上传的文件是空的，请换一个文件。"],
    }
    limits = errors(Sample(data={**data, "people": "301", "hours": "12.34"}))
    assert limits["people"] == ["人数不能大于 300。"]
    assert limits["hours"] == ["申报学时小数点后最多 1 位。"]


def test_the_blank_choice_asks_to_choose_and_a_radio_offers_none():
    form = Sample()
    assert form.fields["kind"].choices[0] == ("", "请选择申报类型")
    assert [value for value, _ in form.fields["way"].choices] == ["training", "exchange"]
    assert "---------" not in str(form)


def test_a_model_forms_blank_choice_and_errors_are_plain():
    form = DeclarationForm(data={"start_date": "abc"})
    assert "---------" not in str(form["kind"]) and "请选择申报类型" in str(form["kind"])
    assert not form.is_valid()
    assert form.errors["kind"] == ["请选择申报类型。"]
    assert form.errors["title"] == ["请填写培训名称。"]
    assert form.errors["start_date"] == ["开始日期请按“年-月-日”填写，例如 2026-05-01。"]


def test_a_forms_own_messages_stay():
    class Own(PlainErrors, forms.Form):
        code = forms.CharField(
            label="短信验证码",
            validators=[RegexValidator(r"^[0-9]{6}\Z", "请输入 6 位数字短信验证码。")],
            error_messages={"required": "请先获取短信验证码。"},
        )

    assert errors(Own(data={})) == {"code": ["请先获取短信验证码。"]}
    assert errors(Own(data={"code": "12"})) == {"code": ["请输入 6 位数字短信验证码。"]}


def test_a_label_changed_after_the_form_is_built_is_the_one_named():
    class Change(PlainErrors, forms.Form):
        password = forms.CharField(label="设置密码", max_length=8)

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["password"].label = "新密码"

    assert errors(Change(data={})) == {"password": ["请填写新密码。"]}
    assert errors(Change(data={"password": "x" * 9})) == {"password": ["新密码最多 8 个字，现在是 9 个，请删去一些。"]}


def test_a_percent_sign_in_a_label_is_shown_as_it_is():
    class Rate(PlainErrors, forms.Form):
        rate = forms.CharField(label="折扣%", max_length=2)

    assert errors(Rate(data={"rate": "100"})) == {"rate": ["折扣%最多 2 个字，现在是 3 个，请删去一些。"]}


@pytest.mark.parametrize("value", ["", "1.5"])
def test_decimal_hours_still_clean(value):
    form = Sample(data={"hours": value})
    form.is_valid()
    assert ("hours" in form.errors) is (value == "")
    if value:
        assert form.cleaned_data["hours"] == Decimal("1.5")
