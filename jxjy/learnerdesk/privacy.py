"""学员管理 → 注销申请 (the city office completes a learner's 注销) and 查看完整号码 (security requirements 26, 29).

A 市工考办 sees and completes only the requests of its own city's learners, the province all of them (`scope`);
anything else is a 404, audited. 查看完整号码 is a POST with a reason, audited, and its page is never cached."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from jxjy.accounts import personal_data
from jxjy.accounts.models import ClosureRequest, ClosureState, Role
from jxjy.accounts.permissions import scope, staff_required
from jxjy.accounts.services import AccountError
from jxjy.audit.models import Event
from jxjy.audit.services import record

from . import services
from .forms_privacy import REVEAL_REASONS, CompleteClosureForm, RevealForm

HANDLED_SHOWN = 30


@staff_required(Role.CITY)
@never_cache
def closure_list(request):
    """注销申请: the pending requests of the office's learners, oldest first, and the latest handled ones."""
    requests = scope(ClosureRequest.objects.select_related("user__city", "handled_by"), request.user)
    context = {
        "pending": requests.filter(state=ClosureState.PENDING).order_by("requested_at", "id"),
        "handled": requests.exclude(state=ClosureState.PENDING).order_by("-requested_at", "-id")[:HANDLED_SHOWN],
        "office_menu": "closures",
    }
    return render(request, "learnerdesk/closures.html", context)


@staff_required(Role.CITY)
@never_cache
def closure_detail(request, pk):
    """One 注销申请: what completing it deletes and keeps, then 办理注销 (a POST with the box ticked)."""
    closure = (
        scope(ClosureRequest.objects.select_related("user__city", "handled_by"), request.user).filter(pk=pk).first()
    )
    if closure is None:
        raise Http404  # out of scope: the same as a missing object (audited by NotFoundAuditMiddleware)
    form = CompleteClosureForm(request.POST or None)
    if request.method == "POST" and closure.state == ClosureState.PENDING and form.is_valid():
        try:
            personal_data.complete_closure(closure=closure, actor=request.user, request=request)
        except AccountError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "已办理注销：该学员的个人信息已删除，依法保存的记录已留存。")
        return redirect("learnerdesk:closure", pk=pk)
    context = {"closure": closure, "learner": closure.user, "form": form, "office_menu": "closures"}
    return render(request, "learnerdesk/closure.html", context)


@staff_required(Role.CITY)
@require_POST
@never_cache
def reveal(request, pk):
    """查看完整号码: the learner's full ID number and mobile, for a stated reason; audited (never the numbers)."""
    learner = services.learners_for(request.user).select_related("city").filter(pk=pk).first()
    if learner is None:
        raise Http404  # out of scope: the same as a missing object (audited by NotFoundAuditMiddleware)
    form = RevealForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["reason"][0])
        return redirect("learnerdesk:detail", pk=pk)
    reason = form.cleaned_data["reason"]
    record(Event.PI_REVEAL, request=request, obj=learner, fields=["id_number", "mobile"], reason=reason)
    context = {"learner": learner, "reason": dict(REVEAL_REASONS)[reason], "office_menu": "learners"}
    return render(request, "learnerdesk/reveal.html", context)
