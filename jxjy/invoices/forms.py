from captcha.fields import CaptchaField
from django import forms
from django.conf import settings

from jxjy.catalog.models import TrainingYear
from jxjy.lib import sheets
from jxjy.lib.sheets import SheetLimits
from jxjy.orders.forms import CheckoutForm
from jxjy.orders.models import InvoiceDelivery, InvoiceType, OrderStatus

from .models import InvoiceStatus
from .services import RosterRow

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


class IssueForm(forms.Form):
    invoice_number = forms.CharField(label="发票号码", max_length=32)
    pdf = forms.FileField(label="电子发票 PDF", required=False)
    tracking_number = forms.CharField(label="快递单号", max_length=40, required=False)


class VoidForm(forms.Form):
    reason = forms.CharField(label="作废原因", max_length=200)


class DateRangeForm(forms.Form):
    start = forms.DateField(label="开始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="结束日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def apply_dates(self, queryset, field):
        if self.is_valid():
            if self.cleaned_data["start"]:
                queryset = queryset.filter(**{f"{field}__date__gte": self.cleaned_data["start"]})
            if self.cleaned_data["end"]:
                queryset = queryset.filter(**{f"{field}__date__lte": self.cleaned_data["end"]})
        return queryset


class InvoiceFilterForm(DateRangeForm):
    status = forms.ChoiceField(label="开票状态", choices=[("", "全部状态"), *InvoiceStatus.choices], required=False)
    q = forms.CharField(label="订单号", max_length=32, required=False)

    def apply(self, queryset):
        queryset = self.apply_dates(queryset, "requested_at")
        if self.is_valid():
            if self.cleaned_data["status"]:
                queryset = queryset.filter(status=self.cleaned_data["status"])
            if self.cleaned_data["q"]:
                queryset = queryset.filter(order__number__icontains=self.cleaned_data["q"].strip())
        return queryset


class OrderFilterForm(DateRangeForm):
    status = forms.ChoiceField(label="订单状态", choices=[("", "全部状态"), *OrderStatus.choices], required=False)
    year = forms.TypedChoiceField(label="培训年度", coerce=int, required=False)
    q = forms.CharField(label="订单号", max_length=32, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        years = TrainingYear.objects.values_list("year", flat=True)
        self.fields["year"].choices = [("", "全部年度")] + [(y, f"{y}年度") for y in years]

    def apply(self, queryset):
        queryset = self.apply_dates(queryset, "created_at")
        if self.is_valid():
            data = self.cleaned_data
            if data["status"]:
                queryset = queryset.filter(status=data["status"])
            if data["year"]:
                queryset = queryset.filter(lines__year=data["year"]).distinct()
            if data["q"]:
                queryset = queryset.filter(number__icontains=data["q"].strip())
        return queryset


class PaymentFilterForm(DateRangeForm):
    FLAGS = [
        ("", "全部"),
        ("late", "关闭后到账（待处理）"),
        ("duplicate", "重复支付（待处理）"),
        ("resolved", "已处理"),
    ]
    flag = forms.ChoiceField(label="异常标记", choices=FLAGS, required=False)
    q = forms.CharField(label="订单号/流水号", max_length=32, required=False)

    def apply(self, queryset):
        queryset = self.apply_dates(queryset, "created_at")
        if self.is_valid():
            if self.cleaned_data["flag"]:
                queryset = queryset.filter(flag=self.cleaned_data["flag"])
            q = self.cleaned_data["q"].strip()
            if q:
                queryset = queryset.filter(number__icontains=q) | queryset.filter(order__number__icontains=q)
        return queryset


class RefundForm(forms.Form):
    reason = forms.CharField(label="退款原因", max_length=100)


MAX_UPLOAD = 2 * 1024 * 1024


class RosterForm(forms.Form):
    """名单: pasted rows (身份证号 姓名 [技术等级]) or an Excel file with the same three columns."""

    year = forms.TypedChoiceField(label="培训年度", coerce=int)
    roster = forms.CharField(
        label="参训人员名单", required=False, widget=forms.Textarea(attrs={"rows": 8}),
        help_text="每行一人：身份证号 姓名 技术等级（用空格或逗号分隔；技术等级可不填，按学员账号登记的等级报名）。",
    )  # fmt: skip
    roster_file = forms.FileField(label="或上传 Excel 名单（.xlsx，三列：身份证号、姓名、技术等级）", required=False)
    captcha = CaptchaField(label="图形验证码", error_messages={"invalid": "图形验证码不正确，请重新输入。"})

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
        except sheets.SheetRefused as exc:
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
