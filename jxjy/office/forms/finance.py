"""The finance desk's forms: 开票 / 作废 of an invoice request, 退款, and the date/status filters of its lists."""

from django import forms

from jxjy.catalog.models import TrainingYear
from jxjy.orders.models import InvoiceStatus, OrderStatus


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
