"""业务后台 → 视同申报审核: a city office reviews its own city's learners' claims (the province: all); 通过 posts
the hours to the ledger, 驳回 and 撤销审批 need a reason. The learner's side is jxjy.declarations.views."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from jxjy.accounts.permissions import scope
from jxjy.declarations import services
from jxjy.declarations.forms import FilterForm
from jxjy.declarations.models import Declaration
from jxjy.lib.errors import UserError
from jxjy.lib.paging import paginate
from jxjy.office.forms.declarations import ApproveForm, ReasonForm
from jxjy.office.menu import office_view


@office_view("declarations")
def review_list(request):
    """视同申报审核: the claims of the office's own city's learners (the province: all), filtered as the learner's."""
    filters = FilterForm(request.GET or None)
    claims = filters.apply(scope(Declaration.objects.select_related("user__city"), request.user))
    page = paginate(request, claims)
    context = {
        "filters": filters,
        "page": page,
        "duplicates": services.duplicate_ids(page.object_list),
        "office_menu": "declarations",
    }
    return render(request, "office/declarations/list.html", context)


@office_view("declarations")
def review_detail(request, pk):
    """One claim with its attachments, the caps that still apply, and 通过 / 驳回 / 撤销审批."""
    declaration = get_object_or_404(
        scope(Declaration.objects.select_related("user__city", "year", "reviewed_by"), request.user), pk=pk
    )
    approve_form, reason_form = ApproveForm(prefix="approve"), ReasonForm(prefix="reason")
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "approve":
                approve_form = ApproveForm(request.POST, prefix="approve")
                if approve_form.is_valid():
                    services.approve(
                        declaration=declaration,
                        hours=approve_form.cleaned_data["hours"],
                        reviewer=request.user,
                        note=approve_form.cleaned_data["note"],
                    )
                    messages.success(request, "已通过，学时已计入该学员本年度的学时记录。")
                    return redirect("office:declarations_detail", pk=pk)
            elif action in ("reject", "reverse"):
                reason_form = ReasonForm(request.POST, prefix="reason")
                if reason_form.is_valid():
                    handler = services.reject if action == "reject" else services.reverse_approval
                    handler(
                        declaration=declaration,
                        reviewer=request.user,
                        reason=reason_form.cleaned_data["reason"],
                    )
                    messages.success(request, "已驳回。" if action == "reject" else "已撤销审批，学时已冲销。")
                    return redirect("office:declarations_detail", pk=pk)
        except UserError as exc:
            messages.error(request, exc.message)
    context = {
        "declaration": declaration,
        "attachments": declaration.attachments.all(),
        "duplicate": declaration.pk in services.duplicate_ids([declaration]),
        "type_cap": services.type_cap(declaration),
        "year_room": services.year_room(declaration),
        "approve_form": approve_form,
        "reason_form": reason_form,
        "office_menu": "declarations",
    }
    return render(request, "office/declarations/detail.html", context)
