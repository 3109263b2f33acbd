import re

from captcha.fields import CaptchaField
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from jxjy.accounts.models import Grade
from jxjy.lib import sheets
from jxjy.lib.errors import UserError
from jxjy.lib.forms import PlainErrors
from jxjy.lib.sheets import SheetLimits
from jxjy.lib.uscc import InvalidCreditCode, normalize_credit_code

from .models import InvoiceDelivery, InvoiceType
from .unit_enrollment import RosterRow


class CheckoutForm(PlainErrors, forms.Form):
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


class ClassFilterForm(PlainErrors, forms.Form):
    year = forms.TypedChoiceField(label="培训年度", coerce=int, required=False)
    grade = forms.ChoiceField(label="技术等级", required=False)

    def __init__(self, *args, years, grades, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", "全部年度")] + [(y, f"{y}年度") for y in years]
        self.fields["grade"].choices = [("", "全部等级"), *grades]


class GradeForm(PlainErrors, forms.Form):
    """您的技术等级, asked once at the first visit to 网络班报名: one large card per grade."""

    grade = forms.ChoiceField(
        label="您的技术等级",
        choices=Grade.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择您的技术等级。", "invalid_choice": "请选择您的技术等级。"},
    )


# A class id as a page sends it: ASCII digits (int() also takes "١" or "-1"), no larger than a database integer.
CLASS_ID = re.compile(r"[0-9]{1,9}")


def validate_class_ids(raw) -> list[int]:
    texts = [str(x).strip() for x in raw if str(x).strip()]
    if not all(CLASS_ID.fullmatch(text) for text in texts):
        raise ValidationError("班级参数无效。")
    return [int(text) for text in texts]


# --- 申请开票 (我的订单) -------------------------------------------------------------------------------------------

TITLE_CHOICES = [(InvoiceType.PERSONAL, "个人"), (InvoiceType.UNIT, "单位")]
DELIVERY_CHOICES = [
    (InvoiceDelivery.EMAIL, "电子发票（发送到邮箱，可在我的订单下载）"),
    (InvoiceDelivery.POST, "纸质发票（邮寄）"),
]


class InvoiceRequestForm(CheckoutForm):
    """申请开票: the checkout's invoice fields (validated the same way), without 不需要 and 自取."""

    def __init__(self, *args, user, order, unit_only=False, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["invoice_type"].choices = TITLE_CHOICES[1:] if unit_only else TITLE_CHOICES
        self.fields["delivery"].choices = DELIVERY_CHOICES
        if order.invoice_type != InvoiceType.NONE:  # what was chosen at checkout
            self.fields["invoice_type"].initial = order.invoice_type
            name = "unit_name" if order.invoice_type == InvoiceType.UNIT else "personal_name"
            self.fields[name].initial = order.invoice_title
            self.fields["tax_id"].initial = order.invoice_tax_id
            if order.invoice_delivery in (InvoiceDelivery.EMAIL, InvoiceDelivery.POST):
                self.fields["delivery"].initial = order.invoice_delivery
            if order.invoice_email:
                self.fields["email"].initial = order.invoice_email
        elif unit_only:
            self.fields["invoice_type"].initial = InvoiceType.UNIT
        else:
            self.fields["invoice_type"].initial = InvoiceType.PERSONAL


class UnitInvoiceForm(InvoiceRequestForm):
    """The 单位 invoice of a 单位统一报名 order, filled in before the order is placed."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, order=_NoOrder(), unit_only=True, **kwargs)


class _NoOrder:
    invoice_type = InvoiceType.NONE


# --- 单位统一报名缴费: the list of the unit's staff ------------------------------------------------------------------

MAX_UPLOAD = 2 * 1024 * 1024


class RosterForm(PlainErrors, forms.Form):
    """名单: pasted rows (身份证号 姓名 [技术等级]) or an Excel file with the same three columns."""

    year = forms.TypedChoiceField(label="培训年度", coerce=int)
    roster = forms.CharField(
        label="参训人员名单",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="每行一人：身份证号 姓名 技术等级（用空格或逗号分隔；技术等级可不填，按学员账号登记的等级报名）。",
    )
    roster_file = forms.FileField(label="或上传 Excel 名单（.xlsx，三列：身份证号、姓名、技术等级）", required=False)
    captcha = CaptchaField(label="图形验证码", error_messages={"invalid": "图形验证码不对，请看清后重新输入。"})

    def __init__(self, *args, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, f"{y}年度") for y in years]

    def clean(self):
        data = super().clean()
        upload = data.get("roster_file")
        if upload:
            rows = self._excel_rows(upload)
        else:
            rows = [
                RosterRow(i, *(_split(line) + ["", "", ""])[:3])
                for i, line in enumerate((data.get("roster") or "").splitlines(), start=1)
                if line.strip()
            ]
        if not rows and not self.errors:
            raise forms.ValidationError("请粘贴名单或上传 Excel 文件。")
        data["rows"] = rows
        return data

    def _excel_rows(self, upload):
        if upload.size > MAX_UPLOAD:
            self.add_error("roster_file", "Excel 文件不能超过 2 MB。")
            return []
        if upload.read(4) != b"PK\x03\x04":
            self.add_error("roster_file", "请上传 .xlsx 格式的 Excel 文件。")
            return []
        # jxjy.lib.sheets checks the zip (a bomb inflating to gigabytes) and stops reading past the row limit.
        most = settings.UNIT_ORDER_MAX_ROWS
        limits = SheetLimits(max_rows=most + 1, max_bytes=MAX_UPLOAD, max_columns=3, max_unzipped=10 * 1024 * 1024)
        try:
            values = sheets.read_rows(upload, limits=limits, too_many_rows=f"一次最多报名 {most} 人，请分批提交。")
        except sheets.NotAWorkbook:
            self.add_error("roster_file", "Excel 文件无法读取，请检查后重新上传。")
            return []
        except UserError as exc:
            self.add_error("roster_file", exc.message)
            return []
        rows = []
        for number, cells in enumerate(values, start=1):
            cells = [("" if c is None else str(c)).strip() for c in (list(cells) + [None] * 3)[:3]]
            if not any(cells) or (number == 1 and cells[0] == "身份证号"):
                continue  # blank rows and the header
            rows.append(RosterRow(number, *cells))
        return rows


def _split(line):
    return line.replace("，", ",").replace(",", " ").replace("\t", " ").split()
