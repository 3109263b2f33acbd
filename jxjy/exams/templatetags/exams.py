"""Exams' part of pages that belong to learning below it (which may not import exams): `{% load exams %}`; and
the exam's state in the learner's words, shared by 在线考试, the score page and 班级首页's panel."""

from django import template

from jxjy.learning.services import class_progress

from ..services import exam_gate, exam_summary

register = template.Library()


def exam_state(enrollment, progress=None) -> dict:
    """exam_summary with what the pages say next: `gate` (why not yet), `remaining` attempts, the `year` whose
    继续教育档案 prints the certificate. `progress`: class_progress(enrollment), if at hand."""
    progress = progress if progress is not None else class_progress(enrollment)
    summary = exam_summary(enrollment)
    return {
        **summary,
        "remaining": max(0, summary["max"] - summary["used"]),
        "gate": exam_gate(enrollment, progress),
        "shortfalls": [c for c in progress["categories"] if c["missing"]],
        "year": enrollment.training_class.year_id,
    }


@register.inclusion_tag("exams/_class_home_panel.html")
def exam_panel(enrollment, progress):
    """考试情况 on the 班级首页: the best score, 合格 or 不合格, and the next step (去考试, 再考一次, 打印证书)."""
    return {"enrollment": enrollment, "progress": progress, "exam": exam_state(enrollment, progress)}
