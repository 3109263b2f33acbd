"""面授班管理: 新建/修改面授班."""

from decimal import Decimal

from django import forms

from jxjy.accounts.models import City, Role
from jxjy.catalog.models import TrainingYear
from jxjy.facetoface.models import FaceToFaceClass, FaceToFaceSession
from jxjy.facetoface.services import current_year, hours_beyond_rule, seats_taken

HOUR_FIELDS = ("public_hours", "professional_hours", "elective_hours")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class FaceToFaceClassForm(forms.ModelForm):
    """新建/修改面授班. A city office's classes are always its own city's; the province chooses the city.
    Hours left empty take the training year's requirement. The year cannot change once learners have booked
    (their year claims are for that year)."""

    class Meta:
        model = FaceToFaceClass
        fields = [
            "year",
            "city",
            "title",
            "venue",
            "start_date",
            "end_date",
            "capacity",
            *HOUR_FIELDS,
            "attendance_percent",
            "contact",
        ]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}
        help_texts = {
            "public_hours": "留空则按培训年度的要求",
            "professional_hours": "留空则按培训年度的要求",
            "elective_hours": "留空则按培训年度的要求",
            "capacity": "报名人数达到上限后，学员可以候补报名",
            "contact": "学员有疑问时拨打，如 025-83270000",
            "attendance_percent": "学员签到的课次达到这个比例才算已参训，留空按 80%",
        }
        error_messages = {
            "title": {"required": "请填写班级名称。"},
            "venue": {"required": "请填写培训地点。"},
            "start_date": {"required": "请选择开始日期。", "invalid": "请按 年-月-日 填写开始日期。"},
            "end_date": {"required": "请选择结束日期。", "invalid": "请按 年-月-日 填写结束日期。"},
            "capacity": {"required": "请填写人数上限。", "invalid": "人数上限请填写整数。"},
            "year": {"required": "请选择培训年度。"},
            "city": {"required": "请选择举办地市。"},
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.booked = seats_taken(self.instance) if self.instance.pk else 0
        self.fields["year"].queryset = TrainingYear.objects.order_by("-year")
        self.fields["year"].empty_label = None
        if user.role == Role.PROVINCE:
            self.fields["city"].queryset = City.objects.order_by("code")
        else:
            del self.fields["city"]  # a city office runs its own city's classes only
        if self.instance.pk and self.instance.bookings.exists():
            self.fields["year"].disabled = True
            self.fields["year"].help_text = "已有学员报名，不能更改年度"
        if not self.instance.pk:
            year = TrainingYear.objects.filter(year=current_year()).first()
            if year is not None:  # a new instance's initial holds None for every field
                for name in ("year", *HOUR_FIELDS):
                    if self.initial.get(name) is None:
                        self.initial[name] = year.pk if name == "year" else getattr(year, name)
        for name in HOUR_FIELDS:
            field = self.fields[name]
            field.required = False
            field.error_messages.update(
                invalid="学时请填写数字，如 8 或 4.5。", min_value="学时不能为负数。", max_digits="学时过大。"
            )
        self.fields["capacity"].error_messages["min_value"] = "人数上限至少为 1 人。"
        self.fields["attendance_percent"].required = False
        self.fields["attendance_percent"].error_messages.update(invalid="请填写 1 到 100 的整数。")

    def clean_attendance_percent(self):
        value = self.cleaned_data.get("attendance_percent")
        if value is None:
            return FaceToFaceClass._meta.get_field("attendance_percent").default
        if not 1 <= value <= 100:
            raise forms.ValidationError("出勤要求请填写 1 到 100 的整数。")
        return value

    def clean_capacity(self):
        capacity = self.cleaned_data["capacity"]
        if capacity < 1:
            raise forms.ValidationError("人数上限至少为 1 人。")
        if capacity < self.booked:
            raise forms.ValidationError(f"人数上限不能少于已报名人数（{self.booked} 人）。")
        return capacity

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "结束日期不能早于开始日期。")
        year = cleaned.get("year")
        for name in HOUR_FIELDS:
            value = cleaned.get(name)
            if value is None and name not in self.errors and year is not None:
                cleaned[name] = getattr(year, name)
            elif value is not None and value < 0:
                self.add_error(name, "学时不能为负数。")
        hours = [cleaned.get(name) for name in HOUR_FIELDS]
        if all(h is not None for h in hours) and sum(hours, Decimal("0")) <= 0:
            self.add_error(None, "学时合计须大于 0。")
        if year is not None:
            for name, limit in hours_beyond_rule(year, {n: cleaned.get(n) for n in HOUR_FIELDS}).items():
                if name not in self.errors:
                    label = self.fields[name].label.removesuffix("学时")
                    self.add_error(name, f"不能超过{year}的{label}要求（{limit.normalize():f} 学时）。")
        return cleaned

    def save(self, commit=True):
        if "city" not in self.fields:
            self.instance.city_id = self.user.city_id
        return super().save(commit=commit)


class SessionForm(forms.ModelForm):
    """添加课次: a half-day within the class's dates."""

    class Meta:
        model = FaceToFaceSession
        fields = ["date", "half"]
        widgets = {"date": DateInput()}
        error_messages = {
            "date": {"required": "请选择日期。", "invalid": "请按 年-月-日 填写日期。"},
            "half": {"required": "请选择上午或下午。"},
        }

    def __init__(self, *args, face_class, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.face_class = face_class

    def clean(self):
        cleaned = super().clean()
        c, day, half = self.instance.face_class, cleaned.get("date"), cleaned.get("half")
        if day and not c.start_date <= day <= c.end_date:
            self.add_error("date", f"日期须在开班日期内（{c.start_date:%Y-%m-%d} 至 {c.end_date:%Y-%m-%d}）。")
        elif day and half and c.sessions.filter(date=day, half=half).exists():
            self.add_error("half", "这个时段已经有课次了。")
        return cleaned

    def validate_unique(self):
        pass  # clean() says it in words; the database constraint still holds


class HandMarkForm(forms.Form):
    """补签: which session, and why the learner signs in by the office's hand."""

    session = forms.ModelChoiceField(queryset=FaceToFaceSession.objects.none(), label="课次", empty_label=None)
    reason = forms.CharField(
        label="补签原因",
        max_length=100,
        error_messages={"required": "请填写补签原因。"},
        help_text="如：手机没电，经核实本人到场",
    )

    def __init__(self, *args, face_class, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = face_class.sessions.all()
