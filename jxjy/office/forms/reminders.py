from django import forms

from jxjy.accounts.models import City, Role
from jxjy.office.reminders import RULES


class ReminderForm(forms.Form):
    """Which learners to remind: the rule and, for the province, the city (empty: every city). A 市工考办 has no
    city field: its own city is forced by the view."""

    rule = forms.ChoiceField(
        label="提醒哪些学员", choices=[(r.key, r.label) for r in RULES.values()], widget=forms.RadioSelect
    )
    city = forms.ChoiceField(label="地市", required=False)

    def __init__(self, data=None, *, user):
        super().__init__(data)
        if user.role == Role.CITY:
            del self.fields["city"]
        else:
            self.fields["city"].choices = [("", "全省"), *City.objects.values_list("code", "name")]
