import re

from django import forms
from django.core.exceptions import ValidationError

from jxjy.lib.uscc import InvalidCreditCode, normalize_credit_code

from .models import InvoiceDelivery, InvoiceType


class CheckoutForm(forms.Form):
    """提交订单: 发票抬头 and 发票配送方式."""

    invoice_type = forms.ChoiceField(
        label="发票抬头", choices=InvoiceType.choices, initial=InvoiceType.NONE, widget=forms.RadioSelect
    )
    personal_name = forms.CharField(label="个人姓名", max_length=30, required=False)
    unit_name = forms.CharField(label="单位名称", max_length=100, required=False)
    tax_id = forms.CharField(label="统一社会信用代码", max_length=30, required=False)
    public_institution = forms.BooleanField(
        label="本单位为机关、事业单位或社会团体（可不填统一社会信用代码）", required=False
    )
    delivery = forms.ChoiceField(
        label="发票配送方式", choices=InvoiceDelivery.choices, initial=InvoiceDelivery.EMAIL, widget=forms.RadioSelect
    )
    email = forms.EmailField(label="接收邮箱", required=False, error_messages={"invalid": "请输入正确的电子邮箱地址。"})
    address = forms.ChoiceField(label="收件地址", required=False, widget=forms.RadioSelect)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.addresses = {str(a.pk): a for a in user.addresses.all()}
        self.fields["address"].choices = [
            (pk, f"{a.recipient} {a.mobile_masked} {a.region} {a.detail}") for pk, a in self.addresses.items()
        ]
        default = next((pk for pk, a in self.addresses.items() if a.is_default), None)
        self.fields["address"].initial = default
        self.fields["personal_name"].initial = user.name
        self.fields["unit_name"].initial = user.work_unit
        self.fields["email"].initial = user.email

    def clean(self):
        data = super().clean()
        kind = data.get("invoice_type")
        if kind == InvoiceType.PERSONAL and not data.get("personal_name", "").strip():
            self.add_error("personal_name", "请填写发票抬头（个人姓名）。")
        if kind == InvoiceType.UNIT:
            if not data.get("unit_name", "").strip():
                self.add_error("unit_name", "请填写单位名称。")
            tax_id = data.get("tax_id", "").strip()
            if tax_id:
                try:
                    data["tax_id"] = normalize_credit_code(tax_id)
                except InvalidCreditCode as exc:
                    self.add_error("tax_id", str(exc))
            elif not data.get("public_institution"):
                self.add_error("tax_id", "企业单位须填写统一社会信用代码；机关、事业单位可勾选下方选项后不填。")
        if kind and kind != InvoiceType.NONE:
            delivery = data.get("delivery")
            if delivery == InvoiceDelivery.EMAIL and not data.get("email"):
                self.add_error("email", "电子发票需要填写接收邮箱。")
            if delivery == InvoiceDelivery.POST and data.get("address") not in self.addresses:
                self.add_error("address", "请选择收件地址；没有地址可先在“账号设置 - 收件地址”中新增。")
        return data

    def invoice(self) -> dict:
        """The order's invoice fields (a snapshot of the chosen address)."""
        data = self.cleaned_data
        kind = data["invoice_type"]
        if kind == InvoiceType.NONE:
            return {"invoice_type": kind}
        invoice = {
            "invoice_type": kind,
            "invoice_title": (data["personal_name"] if kind == InvoiceType.PERSONAL else data["unit_name"]).strip(),
            "invoice_tax_id": data.get("tax_id", "") if kind == InvoiceType.UNIT else "",
            "invoice_delivery": data["delivery"],
        }
        if data["delivery"] == InvoiceDelivery.EMAIL:
            invoice["invoice_email"] = data["email"]
        elif data["delivery"] == InvoiceDelivery.POST:
            address = self.addresses[data["address"]]
            invoice.update(
                invoice_recipient=address.recipient,
                invoice_mobile=address.mobile,
                invoice_address=f"{address.region} {address.detail}",
            )
        return invoice


class ClassFilterForm(forms.Form):
    year = forms.TypedChoiceField(label="培训年度", coerce=int, required=False)
    grade = forms.ChoiceField(label="技术等级", required=False)

    def __init__(self, *args, years, grades, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", "全部年度")] + [(y, f"{y}年度") for y in years]
        self.fields["grade"].choices = [("", "全部等级"), *grades]


# A class id as a page sends it: ASCII digits (int() also takes "١" or "-1"), no larger than a database integer.
CLASS_ID = re.compile(r"[0-9]{1,9}")


def validate_class_ids(raw) -> list[int]:
    texts = [str(x).strip() for x in raw if str(x).strip()]
    if not all(CLASS_ID.fullmatch(text) for text in texts):
        raise ValidationError("班级参数无效。")
    return [int(text) for text in texts]
