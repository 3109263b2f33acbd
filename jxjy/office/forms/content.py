"""课程管理's forms: a course, a chapter, a courseware with its video, a 题库 import and the 仅用于考试 ticks."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from jxjy.catalog import captions
from jxjy.catalog.models import Chapter, Course, Courseware
from jxjy.lib import numbers

VIDEO_ACCEPT = "video/*,.mp4,.mov,.m4v,.avi,.wmv,.flv,.mkv,.webm,.mpg,.mpeg"
CAPTIONS_ACCEPT = ".vtt,.srt,text/vtt"


def _squash(value):
    return " ".join((value or "").split())


class CourseForm(forms.ModelForm):
    class Meta:
        model = Course
        fields = ["title", "category", "hours", "description", "is_active"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "hours": forms.NumberInput(attrs={"step": "0.5", "min": "0.5", "inputmode": "decimal"}),
        }
        help_texts = {"hours": "按视频总时长折算：1 学时 = 培训年度设定的分钟数（默认 45 分钟）。"}
        error_messages = {"title": {"required": "请填写课程名称。"}, "hours": {"required": "请填写学时。"}}

    def clean_title(self):
        title = _squash(self.cleaned_data["title"])
        if not title:
            raise forms.ValidationError("请填写课程名称。")
        clash = Course.objects.filter(title=title).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("已有同名课程，请换一个名称。")
        return title

    def clean_hours(self):
        hours = self.cleaned_data["hours"]
        if hours is None or not Decimal("0.5") <= hours <= Decimal("100"):
            raise forms.ValidationError("学时须在 0.5 至 100 之间。")
        return hours


class ChapterForm(forms.ModelForm):
    class Meta:
        model = Chapter
        fields = ["title", "order"]
        help_texts = {"order": "数字小的排在前面。"}
        error_messages = {"title": {"required": "请填写章节名称。"}}

    def clean_title(self):
        title = _squash(self.cleaned_data["title"])
        if not title:
            raise forms.ValidationError("请填写章节名称。")
        return title


class CoursewareForm(forms.ModelForm):
    """A courseware's title and order, with its video: required for a new courseware, optional to replace one.
    An existing courseware also takes captions (WebVTT or SRT, stored as clean WebVTT) or has them removed; a new
    one gets them once its video has been processed."""

    video_file = forms.FileField(
        label="视频文件",
        required=False,
        widget=forms.FileInput(attrs={"accept": VIDEO_ACCEPT}),
        help_text="常见格式的视频均可（MP4、MOV、AVI、WMV 等），上传后自动转为网页播放格式。",
    )
    caption_file = forms.FileField(
        label="字幕文件（可不选）",
        required=False,
        widget=forms.FileInput(attrs={"accept": CAPTIONS_ACCEPT}),
        help_text=f"WebVTT（.vtt）或 SRT（.srt）格式，UTF-8 或 GBK 编码均可，不超过 {captions.MAX_SIZE_TEXT}。"
        "学员播放时可以打开或关闭字幕。",
    )
    remove_captions = forms.BooleanField(label="删除现有字幕", required=False)

    class Meta:
        model = Courseware
        fields = ["title", "order"]
        help_texts = {"order": "在本章中的顺序，数字小的排在前面。"}
        error_messages = {"title": {"required": "请填写课件名称。"}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = filesizeformat(settings.CONTENT_VIDEO_MAX_BYTES)
        self.fields["video_file"].help_text += f"不超过 {limit}。"
        if self.instance.pk is None:
            self.fields["video_file"].required = True
            self.fields["video_file"].error_messages["required"] = "请选择要上传的视频文件。"
        else:
            self.fields["video_file"].label = "更换视频（可不选）"
        if self.instance.pk is None:
            del self.fields["caption_file"], self.fields["remove_captions"]
        elif self.instance.captions:
            self.fields["caption_file"].label = "更换字幕（可不选）"
        else:
            del self.fields["remove_captions"]

    def clean_title(self):
        title = _squash(self.cleaned_data["title"])
        if not title:
            raise forms.ValidationError("请填写课件名称。")
        return title

    def clean_video_file(self):
        upload = self.cleaned_data.get("video_file")
        if upload and upload.size > settings.CONTENT_VIDEO_MAX_BYTES:
            raise forms.ValidationError(
                f"视频文件太大：不能超过 {filesizeformat(settings.CONTENT_VIDEO_MAX_BYTES)}，请压缩后再上传。"
            )
        if upload is not None and upload.size == 0:
            raise forms.ValidationError("上传的文件是空的，请重新选择视频文件。")
        return upload

    def clean_caption_file(self):
        """The upload as clean WebVTT text (None when none was chosen). Its cues must fit the current video unless
        a new video comes with it."""
        upload = self.cleaned_data.get("caption_file")
        if upload is None:
            return None
        duration = None if self.files.get(self.add_prefix("video_file")) else self.instance.duration
        try:
            return captions.read_upload(upload, duration=duration)
        except captions.CaptionError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("caption_file") and cleaned.get("remove_captions"):
            self.add_error("remove_captions", "上传新字幕时不用勾选“删除现有字幕”，新字幕会替换旧的。")
        return cleaned

    def save(self, commit=True):
        vtt = self.cleaned_data.get("caption_file")
        if vtt:
            captions.attach(self.instance, vtt)
        elif self.cleaned_data.get("remove_captions"):
            captions.detach(self.instance)
        return super().save(commit)


class QuestionImportForm(forms.Form):
    file = forms.FileField(
        label="题库文件（.xlsx）",
        widget=forms.FileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
        error_messages={"required": "请选择要导入的 Excel 文件。"},
    )


class QuestionsField(forms.ModelMultipleChoiceField):
    """Ticked questions by id; an id no question can have (past the column's range, not digits) is refused before it
    reaches the query, where SQLite would overflow and PostgreSQL refuse it."""

    def clean(self, value):
        low, high = numbers.field_range(self.queryset.model._meta.pk)
        for pk in value or ():
            try:
                numbers.parse_int(pk, max(1, low), high)
            except ValueError:
                raise forms.ValidationError("题目选择有误，请刷新页面后重新勾选。", code="invalid_pk_value") from None
        return super().clean(value)


class ExamOnlyForm(forms.Form):
    """The 仅用于考试 ticks of one page of a course's question list."""

    shown = QuestionsField(queryset=None, error_messages={"required": "本页没有题目。"})
    exam_only = QuestionsField(queryset=None, required=False)

    def __init__(self, *args, course, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shown"].queryset = self.fields["exam_only"].queryset = course.questions.all()
