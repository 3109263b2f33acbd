"""视同申报审核: the reviewer's two forms (通过 with the hours; 驳回 or 撤销审批 with a reason)."""

from decimal import Decimal

from django import forms

from jxjy.declarations.models import Status


class ApproveForm(forms.Form):
    hours = forms.DecimalField(label="核定学时", max_digits=5, decimal_places=1, min_value=Decimal("0.5"))
    note = forms.CharField(label="审核意见", max_length=200, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="理由", max_length=200, widget=forms.Textarea(attrs={"rows": 3}))


class ClaimChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.user.name}（申报 {obj.hours_claimed.normalize():f} 学时）"


class BatchForm(forms.Form):
    """批量审核 of one 同批培训: the pending claims ticked (only those in the office's scope are offered), then 通过
    with one number of hours or 驳回 with one reason."""

    DECISIONS = [("approve", "全部通过"), ("reject", "全部驳回")]

    claims = ClaimChoices(label="本批待审核的学员", queryset=None, widget=forms.CheckboxSelectMultiple)
    decision = forms.ChoiceField(label="审核结果", choices=DECISIONS, widget=forms.RadioSelect)
    hours = forms.DecimalField(
        label="每人核定学时", max_digits=5, decimal_places=1, min_value=Decimal("0.5"), required=False
    )
    note = forms.CharField(label="审核意见", max_length=200, required=False)
    reason = forms.CharField(
        label="驳回理由（学员可以看到）", max_length=200, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, members, **kwargs):
        """`members`: the batch's claims in the office's scope. Only the pending ones are offered; one approved or
        rejected meanwhile (another reviewer, a second click) is still accepted and then passed over quietly."""
        super().__init__(*args, **kwargs)
        field = self.fields["claims"]
        field.queryset = members
        pending = [claim for claim in members if claim.status == Status.PENDING]
        field.initial = [claim.pk for claim in pending]
        field.widget.choices = [(claim.pk, field.label_from_instance(claim)) for claim in pending]
        self.pending = len(pending)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "approve" and not data.get("hours"):
            self.add_error("hours", "请填写每人核定学时。")
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", "请填写驳回理由，学员将看到这条理由。")
        return data
