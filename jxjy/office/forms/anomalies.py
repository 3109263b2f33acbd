"""学习异常: the list's filters and the decision's one field (核查意见)."""

from django import forms

from jxjy.lib.forms import PlainErrors
from jxjy.review.models import Rule, Status

EVERY = "all"


class FilterForm(PlainErrors, forms.Form):
    """状态 (待核查 unless asked otherwise: what is left to do) × 异常类型 × 发生日期."""

    status = forms.ChoiceField(label="状态", choices=[*Status.choices, (EVERY, "全部")], required=False)
    rule = forms.ChoiceField(label="异常类型", choices=[("", "全部"), *Rule.choices], required=False)
    since = forms.DateField(label="发生日期从", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="至", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data=None):
        data = data.copy() if data else {}
        data.setdefault("status", Status.PENDING)
        super().__init__(data)

    def without_status(self, queryset):
        """The rule and date filters: the counts per status are taken over these."""
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("rule"):
            queryset = queryset.filter(rule=data["rule"])
        if data.get("since"):
            queryset = queryset.filter(day__gte=data["since"])
        if data.get("until"):
            queryset = queryset.filter(day__lte=data["until"])
        return queryset

    @property
    def chosen_status(self) -> str:
        """The status asked for (待核查 when none, or when the filters are not valid), or EVERY."""
        return (self.cleaned_data.get("status") if self.is_valid() else "") or Status.PENDING

    def apply(self, queryset):
        queryset = self.without_status(queryset)
        return queryset if self.chosen_status == EVERY else queryset.filter(status=self.chosen_status)


class DecisionForm(PlainErrors, forms.Form):
    note = forms.CharField(
        label="核查意见",
        max_length=500,
        required=False,
        help_text="写明核查了什么、结论的依据。确认违规时必须填写。",
        widget=forms.Textarea(attrs={"rows": 3, "aria-describedby": "note-help"}),
    )
