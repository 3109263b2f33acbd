"""The learning part of 下载我的个人信息 (jxjy.accounts.personal_data). Classes and their progress are the evidence
of the hours in the ledger, which the law keeps: nothing here is anonymised when an account is closed."""

from jxjy.accounts.personal_data import register_exporter, when

from .models import Enrollment
from .services import overall_percents


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f}"


def export_classes(user) -> list:
    enrollments = list(
        Enrollment.objects.filter(user=user)
        .select_related("training_class")
        .prefetch_related("selections__course", "progress__courseware")
        .order_by("-opened_at")
    )
    percents = overall_percents(user, enrollments)
    return [
        {
            "班级": enrollment.training_class.title,
            "年度": enrollment.training_class.year_id,
            "状态": enrollment.get_status_display(),
            "开通时间": when(enrollment.opened_at),
            "关闭时间": when(enrollment.closed_at),
            "学习进度（%）": percents[enrollment.pk],
            "已选课程": [selection.course.title for selection in enrollment.selections.all()],
            "课件学习记录": [
                {
                    "课件": item.courseware.title,
                    "已观看（分钟）": _minutes(item.watched),
                    "计时（分钟）": _minutes(item.credited),
                    "学完时间": when(item.finished_at),
                }
                for item in enrollment.progress.all()
            ],
        }
        for enrollment in enrollments
    ]


def register():
    register_exporter("班级与学习进度", export_classes)
