"""您的技术等级, asked at the first visit to 网络班报名 (orders.views.orders.class_list) of a learner who has none:
one large card per grade, then a confirmation of the one picked, since only the city office changes it later."""

from django.contrib import messages
from django.shortcuts import redirect, render

from jxjy.accounts.models import Grade
from jxjy.lib.errors import UserError

from .. import services
from ..forms import GradeForm

# What each 技术等级 is called on the certificate, beside the card's name (普通工 has none).
GRADE_HINTS = {"PT": "没有技术等级证书", "L5": "五级", "L4": "四级", "L3": "三级", "L2": "二级", "L1": "一级"}


def ask(request, form, *, confirming=False):
    """您的技术等级: the question (one large card per grade), then the confirmation of the one picked."""
    picked = form.cleaned_data["grade"] if confirming else (form.data.get("grade") or request.GET.get("pick"))
    cards = [{"value": v, "label": label, "hint": GRADE_HINTS[v], "checked": v == picked} for v, label in Grade.choices]
    context = {"form": form, "cards": cards, "confirming": confirming, "menu": "catalog"}
    if confirming:
        context.update(picked=picked, picked_label=Grade(picked).label, picked_hint=GRADE_HINTS[picked])
    return render(request, "orders/grade.html", context)


def answer(request):
    """The grade question's answer: asked again when empty, confirmed once (it locks: only the city office changes
    it afterwards), then saved."""
    form = GradeForm(request.POST)
    if not form.is_valid():
        return ask(request, form)
    if request.POST.get("confirm") != "yes":
        return ask(request, form, confirming=True)
    try:
        user = services.set_own_grade(user=request.user, grade=form.cleaned_data["grade"])
    except UserError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已保存您的技术等级：{user.get_grade_display()}。下面是适合您的班级。")
    return redirect("orders:classes")
