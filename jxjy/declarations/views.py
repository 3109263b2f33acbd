"""视同申报: the learner's list and form (manual 五(四)), and the attachment download its reviewers share (the review
itself is the back office's: jxjy.office.views.declarations)."""

import re

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from jxjy.accounts.decorators import learner_required
from jxjy.accounts.models import Role
from jxjy.accounts.permissions import scope
from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.lib import serving
from jxjy.lib.errors import UserError
from jxjy.lib.paging import paginate

from . import services
from .forms import DeclarationForm, FilterForm
from .models import Attachment, Declaration

# An attachment's id as the form sends it: ASCII digits ("²" passes str.isdigit() but not int()), within an integer.
ATTACHMENT_ID = re.compile(r"[0-9]{1,9}")
SUBMITTED = "申请已提交。请携带培训证书、课程表等材料原件到所在地市工考办审核。"


# --- The learner's side ------------------------------------------------------------------------------------------


@learner_required
def learner_list(request):
    """视同申报: my claims with the cross filters, and 新增申报."""
    filters = FilterForm(request.GET or None)
    claims = filters.apply(Declaration.objects.filter(user=request.user).prefetch_related("attachments"))
    return render(
        request,
        "declarations/list.html",
        {"filters": filters, "page": paginate(request, claims), "menu": "declarations"},
    )


def _claim_form(request, declaration=None):
    form = DeclarationForm(request.POST or None, instance=declaration)
    status = 400 if request.method == "POST" else 200  # a POST that gets the form back was refused
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in DeclarationForm.Meta.fields}
        uploads = request.FILES.getlist("attachments")
        try:
            if declaration is None:
                declaration = services.file_claim(user=request.user, data=data, uploads=uploads)
                messages.success(request, SUBMITTED)
            else:
                remove = [int(x) for x in request.POST.getlist("remove") if ATTACHMENT_ID.fullmatch(x)]
                services.update_claim(declaration=declaration, data=data, uploads=uploads, remove_ids=remove)
                messages.success(request, "申报已修改。" + SUBMITTED[5:])
            return redirect("declarations:detail", pk=declaration.pk)
        except UserError as exc:
            form.add_error(None, exc.message)
            status = exc.status  # 413 for a file or a quota too large
    year = services.current_year_or_none()
    return render(
        request,
        "declarations/form.html",
        {"form": form, "declaration": declaration, "year": year, "menu": "declarations"},
        status=status,
    )


@learner_required
def learner_new(request):
    return _claim_form(request)


@learner_required
def learner_edit(request, pk):
    declaration = get_object_or_404(Declaration, pk=pk, user=request.user)
    if not declaration.editable:
        messages.error(request, "只有待审核的申报可以修改。")
        return redirect("declarations:detail", pk=pk)
    return _claim_form(request, declaration)


@learner_required
def learner_detail(request, pk):
    declaration = get_object_or_404(Declaration.objects.prefetch_related("attachments"), pk=pk, user=request.user)
    return render(request, "declarations/detail.html", {"declaration": declaration, "menu": "declarations"})


@learner_required
@require_POST
def learner_withdraw(request, pk):
    declaration = get_object_or_404(Declaration, pk=pk, user=request.user)
    try:
        services.withdraw_claim(declaration=declaration)
        messages.success(request, "申报已撤回。")
    except UserError as exc:
        messages.error(request, exc.message)
    return redirect("declarations:detail", pk=pk)


def attachment(request, pk):
    """An attachment, for its learner, or a reviewer whose scope holds the learner; everyone else 404."""
    user = request.user
    if not user.is_authenticated:
        raise Http404
    attachments = Attachment.objects.select_related("declaration__user")
    if user.is_learner:
        item = get_object_or_404(attachments, pk=pk, declaration__user=user)
    elif user.is_staff and user.role in (Role.PROVINCE, Role.CITY):
        item = get_object_or_404(scope(attachments, user, "declaration__user"), pk=pk)
        record(Event.ATTACHMENT_VIEW, request=request, obj=item.declaration, attachment=item.pk)
    else:
        raise Http404
    # A download (named with its checked type's extension), never a page: see jxjy.lib.serving.
    return serving.download(item.file.open("rb"), content_type=item.content_type, filename=item.display_name)
