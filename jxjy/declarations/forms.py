from decimal import Decimal

from django import forms

from jxjy.lib.forms import PlainErrors

from .models import Declaration, Kind, Status


class DeclarationForm(PlainErrors, forms.ModelForm):
    class Meta:
        model = Declaration
        fields = ["kind", "category", "title", "organiser", "start_date", "end_date", "hours_claimed", "description"]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 4}),
            "hours_claimed": forms.NumberInput(attrs={"step": "0.5", "min": "0.5", "inputmode": "decimal"}),
        }
        help_texts = {
            "category": "视同申报只能抵扣专业课或选修课学时。",
            "hours_claimed": "研修班、进修班一般按每天 6 学时计；以工考办核定为准。",
        }

    def clean_hours_claimed(self):
        hours = self.cleaned_data["hours_claimed"]
        if hours is None or not Decimal("0.5") <= hours <= Decimal("200"):
            raise forms.ValidationError("申报学时须在 0.5 至 200 之间。")
        return hours

    def clean(self):
        data = super().clean()
        for field in ("title", "organiser"):
            if data.get(field):
                data[field] = " ".join(data[field].split())
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "结束日期不能早于开始日期。")
        return data


class FilterForm(PlainErrors, forms.Form):
    """申报类型 × 审批状态 × 申报时间: the cross filters of both lists."""

    kind = forms.ChoiceField(label="申报类型", choices=[("", "全部")] + Kind.choices, required=False)
    status = forms.ChoiceField(label="审批状态", choices=[("", "全部")] + Status.choices, required=False)
    since = forms.DateField(label="申报时间从", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="至", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def apply(self, queryset):
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data["kind"]:
            queryset = queryset.filter(kind=data["kind"])
        if data["status"]:
            queryset = queryset.filter(status=data["status"])
        if data["since"]:
            queryset = queryset.filter(created_at__date__gte=data["since"])
        if data["until"]:
            queryset = queryset.filter(created_at__date__lte=data["until"])
        return queryset
