"""Exams' part of pages that belong to learning below it (which may not import exams): `{% load exams %}`."""

from django import template

from ..services import exam_summary

register = template.Library()


@register.inclusion_tag("exams/_class_home_panel.html")
def exam_panel(enrollment, progress):
    """考试情况 on the 班级首页: the best score, attempts used and allowed, and the way to the exam."""
    return {"enrollment": enrollment, "progress": progress, "exam": exam_summary(enrollment)}
