"""视同申报审核: the reviewer's two forms (通过 with the hours; 驳回 or 撤销审批 with a reason)."""

from decimal import Decimal

from django import forms


class ApproveForm(forms.Form):
    hours = forms.DecimalField(label="核定学时", max_digits=5, decimal_places=1, min_value=Decimal("0.5"))
    note = forms.CharField(label="审核意见", max_length=200, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="理由", max_length=200, widget=forms.Textarea(attrs={"rows": 3}))
