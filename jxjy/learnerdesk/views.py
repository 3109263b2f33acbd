"""学员管理 for the 市工考办 (own city) and the province (all): search, detail, reset password, unlock, roster import.

Every page carries personal information: never cached (Cache-Control: no-store), numbers masked, and the search is
a POST whose criteria stay on the server under a short-lived search id, so no ID number or mobile enters a URL."""

import secrets
import time
from urllib.parse import quote

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from jxjy.accounts.models import Role
from jxjy.accounts.services import AccountError
from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.office.access import staff_required

from . import roster, services
from .forms import RosterForm, SearchForm

SEARCHES = "learnerdesk_searches"
SEARCH_AGE = 30 * 60
KEPT_SEARCHES = 5
PER_PAGE = 20


def _saved_search(request, sid):
    """The criteria saved under `sid` in this session, if not expired."""
    saved = request.session.get(SEARCHES, {}).get(sid or "")
    if not saved or time.time() - saved["at"] > SEARCH_AGE:
        return None
    return saved["criteria"]


def _save_search(request, criteria) -> str:
    searches = {
        sid: item for sid, item in request.session.get(SEARCHES, {}).items() if time.time() - item["at"] <= SEARCH_AGE
    }
    for old in sorted(searches, key=lambda sid: searches[sid]["at"])[: max(0, len(searches) - KEPT_SEARCHES + 1)]:
        del searches[old]
    sid = secrets.token_urlsafe(9)
    searches[sid] = {"at": time.time(), "criteria": criteria}
    request.session[SEARCHES] = searches
    return sid


def _learner_or_404(request, pk):
    """The learner if the office's scope holds them; otherwise 404, and the attempt is audited."""
    learner = services.learners_for(request.user).select_related("city").filter(pk=pk).first()
    if learner is None:
        record(Event.ACCESS_DENIED, request=request, result="denied", path=request.path)
        raise Http404
    return learner


@staff_required(Role.CITY)
@sensitive_post_parameters("id_number", "mobile", "name")
@never_cache
def search(request):
    """学员查询: the form, and the results of the search id in the query string."""
    staff = request.user
    if request.method == "POST":
        form = SearchForm(request.POST, staff=staff)
        if form.is_valid():
            criteria = services.criteria_from(form.cleaned_data)
            record(Event.LEARNER_SEARCH, request=request, fields=sorted(k for k, v in criteria.items() if v))
            return redirect(f"{reverse('learnerdesk:search')}?q={_save_search(request, criteria)}")
        return render(request, "learnerdesk/search.html", {"form": form, "office_menu": "learners"})
    criteria = _saved_search(request, request.GET.get("q"))
    page = None
    if criteria is not None:
        initial = {k: criteria[k] for k in ("name", "work_unit", "city") if criteria.get(k)}
        form = SearchForm(initial=initial, staff=staff)
        page = Paginator(services.search_learners(staff, criteria), PER_PAGE).get_page(request.GET.get("page"))
    else:
        if request.GET.get("q"):
            messages.info(request, "查询已过期，请重新查询。")
        form = SearchForm(staff=staff)
    context = {
        "form": form,
        "page": page,
        "sid": request.GET.get("q") if criteria is not None else "",
        "by_id": bool(criteria and criteria.get("id_index")),
        "by_mobile": bool(criteria and criteria.get("mobile_index")),
        "office_menu": "learners",
    }
    return render(request, "learnerdesk/search.html", context)


@staff_required(Role.CITY)
@never_cache
def detail(request, pk):
    """学员详情: profile (masked), classes, orders, hours ledger, 视同申报, 面授班 and the audit trail. Audited."""
    learner = _learner_or_404(request, pk)
    record(Event.LEARNER_VIEW, request=request, obj=learner)
    context = {"learner": learner, "office_menu": "learners", **services.learner_file(learner)}
    return render(request, "learnerdesk/detail.html", context)


@staff_required(Role.CITY)
@require_POST
@never_cache
def reset_password(request, pk):
    learner = _learner_or_404(request, pk)
    try:
        services.send_password_reset(learner=learner, actor=request.user, request=request)
    except AccountError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已向学员手机 {learner.mobile_masked} 发送重置验证码。请告知学员在登录页点击"
                                  f"“找回密码”→“已收到工考办发送的验证码”，自行设置新密码。")  # fmt: skip
    return redirect("learnerdesk:detail", pk=pk)


@staff_required(Role.CITY)
@require_POST
@never_cache
def unlock(request, pk):
    learner = _learner_or_404(request, pk)
    services.unlock_learner(learner=learner, actor=request.user, request=request)
    messages.success(request, "已解除该学员的登录锁定。")
    return redirect("learnerdesk:detail", pk=pk)


@staff_required(Role.CITY)
@never_cache
def roster_import(request):
    """导入单位花名册: every row checked; nothing is imported unless all rows are valid."""
    form = RosterForm(request.POST or None, request.FILES or None)
    errors, created = [], None
    if request.method == "POST" and form.is_valid():
        try:
            created, errors = roster.import_roster(staff=request.user, upload=form.cleaned_data["file"],
                                                   request=request)  # fmt: skip
        except roster.RosterError as exc:
            form.add_error("file", str(exc))
        else:
            if not errors:
                messages.success(
                    request, f"已导入 {created} 名学员。学员通过“新用户注册”填写相同的姓名和身份证号即可激活账号。"
                )
                return redirect("learnerdesk:import")
    context = {"form": form, "errors": errors, "columns": roster.columns_for(request.user), "office_menu": "learners"}
    return render(request, "learnerdesk/import.html", context)


@staff_required(Role.CITY)
@never_cache
def roster_template(request):
    response = HttpResponse(
        roster.template(request.user),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote('单位花名册模板.xlsx')}"
    return response
