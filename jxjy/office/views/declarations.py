"""业务后台 → 视同申报审核: a city office reviews its own city's learners' claims (the province: all); 通过 posts
the hours to the ledger, 驳回 and 撤销审批 need a reason. Claims are cross-checked across learners (issue 16): the
same attachment in another learner's claim is 疑似材料重复 (the other claim linked when in scope, else only its
city), the same organiser + dates + title is 同批培训, which can be reviewed together (批量审核), each claim still
through the per-claim service. The learner's side is jxjy.declarations.views."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from jxjy.accounts.permissions import scope
from jxjy.declarations import crosscheck, services
from jxjy.declarations.forms import FilterForm
from jxjy.declarations.models import Declaration
from jxjy.lib.errors import UserError
from jxjy.lib.paging import LONG_LIST_AHEAD, paginate
from jxjy.office.forms.declarations import ApproveForm, BatchForm, ReasonForm
from jxjy.office.menu import office_view


@office_view("declarations")
def review_list(request):
    """视同申报审核: the claims of the office's own city's learners (the province: all), filtered as the learner's."""
    visible = scope(Declaration.objects.select_related("user__city"), request.user)
    filters = FilterForm(request.GET or None)
    page = paginate(request, filters.apply(visible), ahead=LONG_LIST_AHEAD)
    sizes = crosscheck.batch_sizes(page.object_list)
    for claim in page.object_list:
        claim.batch_learners = sizes.get(claim.batch_key)
    context = {
        "filters": filters,
        "page": page,
        "duplicates": services.duplicate_ids(page.object_list),
        "material_matches": crosscheck.material_matches(page.object_list, visible),
        "office_menu": "declarations",
    }
    return render(request, "office/declarations/list.html", context)


def _approve(request, declaration, forms):
    form = forms["approve"] = ApproveForm(request.POST, prefix="approve")
    if not form.is_valid():
        return False
    data = form.cleaned_data
    services.approve(declaration=declaration, hours=data["hours"], reviewer=request.user, note=data["note"])
    messages.success(request, "已通过，学时已计入该学员本年度的学时记录。")
    return True


def _reject_or_reverse(request, declaration, forms):
    form = forms["reason"] = ReasonForm(request.POST, prefix="reason")
    if not form.is_valid():
        return False
    rejecting = request.POST.get("action") == "reject"
    handler = services.reject if rejecting else services.reverse_approval
    handler(declaration=declaration, reviewer=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, "已驳回。" if rejecting else "已撤销审批，学时已冲销。")
    return True


def _batch(request, declaration, forms):
    form = forms["batch"] = BatchForm(request.POST, prefix="batch", members=forms["batch"].fields["claims"].queryset)
    if not form.is_valid():
        return False
    data = form.cleaned_data
    approving = data["decision"] == "approve"
    outcome = crosscheck.review_batch(
        claims=list(data["claims"]),
        reviewer=request.user,
        hours=data["hours"] if approving else None,
        note=data["note"],
        reason=None if approving else data["reason"],
    )
    verb = "通过" if approving else "驳回"
    summary = f"批量审核完成：{verb} {len(outcome.done)} 人。"
    if outcome.already:
        summary += f"另有 {len(outcome.already)} 人此前已{verb}，未重复处理。"
    messages.success(request, summary)
    for claim, reason in outcome.failed:
        messages.error(request, f"{claim.user.name}：{reason}")
    return True


ACTIONS = {"approve": _approve, "reject": _reject_or_reverse, "reverse": _reject_or_reverse, "batch": _batch}


@office_view("declarations")
def review_detail(request, pk):
    """One claim with its attachments, the caps that still apply, its cross-checks, and 通过 / 驳回 / 撤销审批 /
    批量审核."""
    visible = scope(Declaration.objects.select_related("user__city", "year", "reviewed_by"), request.user)
    declaration = get_object_or_404(visible, pk=pk)
    batch = crosscheck.batch_members(declaration, visible)
    forms = {
        "approve": ApproveForm(prefix="approve"),
        "reason": ReasonForm(prefix="reason"),
        "batch": BatchForm(prefix="batch", members=batch),
    }
    action = ACTIONS.get(request.POST.get("action")) if request.method == "POST" else None
    if action is not None:
        try:
            if action(request, declaration, forms):
                return redirect("office:declarations_detail", pk=pk)
        except UserError as exc:
            messages.error(request, exc.message)
    batch = list(batch)
    learners = crosscheck.batch_sizes([declaration]).get(declaration.batch_key, 1)
    context = {
        "declaration": declaration,
        "attachments": declaration.attachments.all(),
        "duplicate": declaration.pk in services.duplicate_ids([declaration]),
        "material_matches": crosscheck.material_matches([declaration], visible).get(declaration.pk, []),
        "batch": batch if learners > 1 else [],
        "batch_learners": learners,
        "batch_pending": forms["batch"].pending,
        "batch_elsewhere": learners - len({d.user_id for d in batch}),
        "type_cap": services.type_cap(declaration),
        "year_room": services.year_room(declaration),
        "approve_form": forms["approve"],
        "reason_form": forms["reason"],
        "batch_form": forms["batch"],
        "office_menu": "declarations",
    }
    return render(request, "office/declarations/detail.html", context)
