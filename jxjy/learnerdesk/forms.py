from django import forms

from jxjy.accounts.forms import IdNumberField, MobileField
from jxjy.accounts.models import City, Role


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
