"""学员管理 for the 市工考办 (own city) and the province (all): search, detail, reset password, unlock, roster import,
注销申请 (the city office completes a learner's 注销) and 查看完整号码 (security requirements 26, 29).

Every page carries personal information: never cached (Cache-Control: no-store), numbers masked, and the search is
a POST whose criteria stay on the server under a short-lived search id, so no ID number or mobile enters a URL.
A 市工考办 sees and acts on its own city's learners only, the province all of them (in the query); anything else
is a 404, audited. 查看完整号码 is a POST with a reason, audited (never the numbers)."""

import secrets
import time

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from jxjy.accounts import learners, personal_data, roster
from jxjy.accounts import services as account_services
from jxjy.accounts.models import ClosureRequest, ClosureState
from jxjy.accounts.permissions import scope
from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.learning import details, playstate
from jxjy.lib import sheets
from jxjy.lib.errors import UserError, show_on
from jxjy.lib.masking import mask_mobile
from jxjy.lib.paging import LONG_LIST_AHEAD, paginate
from jxjy.office import services as office_services
from jxjy.office.forms.learners import (
    REVEAL_REASONS,
    CityGradeForm,
    CompleteClosureForm,
    RebindMobileForm,
    RevealForm,
    RosterForm,
    SearchForm,
)
from jxjy.office.learner_file import learner_file
from jxjy.office.menu import office_view

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
    """The learner if the office's scope holds them; otherwise 404 (audited by NotFoundAuditMiddleware)."""
    learner = learners.learners_for(request.user).select_related("city").filter(pk=pk).first()
    if learner is None:
        raise Http404
    return learner


@office_view("learners")
@sensitive_post_parameters("id_number", "mobile", "name")
@never_cache
def search(request):
    """学员查询: the form, and the results of the search id in the query string."""
    staff = request.user
    if request.method == "POST":
        form = SearchForm(request.POST, staff=staff)
        if form.is_valid():
            criteria = learners.criteria_from(form.cleaned_data)
            record(Event.LEARNER_SEARCH, request=request, fields=sorted(k for k, v in criteria.items() if v))
            return redirect(f"{reverse('office:learners_search')}?q={_save_search(request, criteria)}")
        return render(request, "office/learners/search.html", {"form": form, "office_menu": "learners"})
    criteria = _saved_search(request, request.GET.get("q"))
    page = None
    if criteria is not None:
        initial = {k: criteria[k] for k in ("name", "work_unit", "city") if criteria.get(k)}
        form = SearchForm(initial=initial, staff=staff)
        page = paginate(request, learners.search_learners(staff, criteria), PER_PAGE, ahead=LONG_LIST_AHEAD)
    else:
        if request.GET.get("q"):
            messages.info(request, "查询已过期，请重新查询。")
        form = SearchForm(staff=staff)
    context = {
        "form": form,
        "page": page,
        "by_id": bool(criteria and criteria.get("id_index")),
        "by_mobile": bool(criteria and criteria.get("mobile_index")),
        "office_menu": "learners",
    }
    return render(request, "office/learners/search.html", context)


@office_view("learners")
@never_cache
def detail(request, pk):
    """学员详情: profile (masked), classes, orders, hours ledger, 视同申报, 面授班 and the audit trail. Audited."""
    learner = _learner_or_404(request, pk)
    record(Event.LEARNER_VIEW, request=request, obj=learner)
    context = {"learner": learner, "office_menu": "learners", **learner_file(learner)}
    context["city_grade_form"] = CityGradeForm(initial={"city": learner.city_id, "grade": learner.grade})
    return render(request, "office/learners/detail.html", context)


@office_view("learners")
@never_cache
def study_detail(request, pk, progress_id):
    """学时明细 of one of the learner's coursewares, read only: the same page the learner sees (learning.details), so
    the office can answer "why did my time not count" on the phone. Scoped like the detail, and audited like it."""
    learner = _learner_or_404(request, pk)
    playstate.flush_user(learner.pk)  # a playback under way shows as far as it has come
    progress = details.progress_of(learner, progress_id)
    if progress is None:
        raise Http404  # not this learner's: the same as a missing one (audited by NotFoundAuditMiddleware)
    record(Event.LEARNER_VIEW, request=request, obj=learner, progress=progress.pk)
    context = {"learner": learner, "detail": details.study_detail(request, progress), "office_menu": "learners"}
    return render(request, "office/learners/study_detail.html", context)


@office_view("learners")
@require_POST
@never_cache
def reset_password(request, pk):
    learner = _learner_or_404(request, pk)
    try:
        learners.send_password_reset(learner=learner, actor=request.user, request=request)
    except UserError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"已向学员手机 {learner.mobile_masked} 发送重置验证码。请告知学员在登录页点击"
            f"“找回密码”→“已收到工考办发送的验证码”，自行设置新密码。",
        )
    return redirect("office:learners_detail", pk=pk)


@office_view("learners")
@require_POST
@never_cache
def unlock(request, pk):
    learner = _learner_or_404(request, pk)
    learners.unlock_learner(learner=learner, actor=request.user)
    messages.success(request, "已解除该学员的登录锁定。")
    return redirect("office:learners_detail", pk=pk)


# What the office tells the learner after 更换绑定手机 (by whether the account still waits for activation).
REBIND_DONE_HINT = {
    False: "原密码已失效，学员的所有登录已退出。请学员在登录页点击“找回密码”，用新手机号接收验证码设置新密码。",
    True: "请学员通过“新用户注册”，用新手机号激活账号。",
}


@office_view("learners")
@sensitive_post_parameters("mobile", "sms_code", "note")
@never_cache
def change_mobile(request, pk):
    """更换绑定手机: the office records what it checked in person, sends a code to the new mobile (获取验证码), the
    learner reads it out, and 确认更换 binds the account to the new mobile (see accounts.services.rebind_mobile)."""
    learner = _learner_or_404(request, pk)
    status = 200
    if request.method == "POST":
        sending = request.POST.get("action") == "send_code"
        form = RebindMobileForm(request.POST, sending=sending)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if sending:
                    account_services.send_rebind_code(
                        learner=learner, mobile=data["mobile"], actor=request.user, request=request
                    )
                    messages.success(
                        request,
                        f"验证码已发送至 {mask_mobile(data['mobile'])}，5 分钟内有效。"
                        "请学员读出验证码，填写后点击“确认更换”。",
                    )
                else:
                    user = account_services.rebind_mobile(
                        learner=learner,
                        mobile=data["mobile"],
                        code=data["sms_code"],
                        checked=data["checked"],
                        note=data["note"],
                        actor=request.user,
                    )
                    hint = REBIND_DONE_HINT[account_services.is_pre_registered(user)]
                    messages.success(request, f"已为{user.name}更换绑定手机为 {user.mobile_masked}。{hint}")
                    return redirect("office:learners_detail", pk=pk)
            except UserError as exc:
                show_on(form, exc)
        if form.errors:
            status = 400
    else:
        form = RebindMobileForm()
    context = {
        "learner": learner,
        "form": form,
        "pre_registered": account_services.is_pre_registered(learner),
        "office_menu": "learners",
    }
    return render(request, "office/learners/change_mobile.html", context, status=status)


@office_view("learners")
@never_cache
def roster_import(request):
    """导入单位花名册: every row checked; nothing is imported unless all rows are valid."""
    form = RosterForm(request.POST or None, request.FILES or None)
    errors, created = [], None
    if request.method == "POST" and form.is_valid():
        try:
            created, errors = roster.import_roster(staff=request.user, upload=form.cleaned_data["file"])
        except UserError as exc:
            form.add_error("file", exc.message)
        else:
            if not errors:
                messages.success(
                    request,
                    f"已导入 {created} 名学员。学员通过“新用户注册”填写相同的姓名和身份证号即可激活账号；"
                    "花名册登记了手机号的，须用该手机号注册。",
                )
                return redirect("office:learners_import")
    context = {"form": form, "errors": errors, "columns": roster.columns_for(request.user), "office_menu": "learners"}
    return render(request, "office/learners/import.html", context)


@office_view("learners")
@never_cache
def roster_template(request):
    return sheets.download(roster.template(request.user), "单位花名册模板.xlsx")


@office_view("learners")
@require_POST
@never_cache
def city_grade(request, pk):
    """修改所属地市 / 技术等级, from the learner's detail page."""
    learner = _learner_or_404(request, pk)
    form = CityGradeForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return redirect("office:learners_detail", pk=pk)
    data = form.cleaned_data
    changed = learners.change_city_and_grade(
        learner=learner, city=data["city"], grade=data["grade"], note=data["note"], actor=request.user
    )
    if not changed:
        messages.info(request, "所属地市和技术等级没有变化。")
    elif "city" in changed and not learners.learners_for(request.user).filter(pk=pk).exists():
        messages.success(request, f"已将{learner.name}转到{data['city'].name}，今后由该市工考办管理。")
        return redirect("office:learners_search")
    else:
        messages.success(request, "已保存所属地市和技术等级。")
    return redirect("office:learners_detail", pk=pk)


@office_view("learners")
@require_POST
@never_cache
def end_sessions(request, pk):
    """强制下线: every session of the learner ends at once (a shared or lost computer, a suspected squatter)."""
    learner = _learner_or_404(request, pk)
    office_services.end_sessions(user=learner, actor=request.user)
    messages.success(request, f"{learner.name}已被强制下线，需要重新登录。")
    return redirect("office:learners_detail", pk=pk)


# --- 注销申请 and 查看完整号码 ---------------------------------------------------------------------------


HANDLED_SHOWN = 30


@office_view("closures")
@never_cache
def closure_list(request):
    """注销申请: the pending requests of the office's learners, oldest first, and the latest handled ones."""
    requests = scope(ClosureRequest.objects.select_related("user__city", "handled_by"), request.user)
    context = {
        "pending": requests.filter(state=ClosureState.PENDING).order_by("requested_at", "id"),
        "handled": requests.exclude(state=ClosureState.PENDING).order_by("-requested_at", "-id")[:HANDLED_SHOWN],
        "office_menu": "closures",
    }
    return render(request, "office/learners/closures.html", context)


@office_view("closures")
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
            personal_data.complete_closure(closure=closure, actor=request.user)
        except UserError as exc:  # IllegalMove (withdrawn meanwhile) included
            messages.error(request, exc.message)
        else:
            messages.success(request, "已办理注销：该学员的个人信息已删除，依法保存的记录已留存。")
        return redirect("office:closures_detail", pk=pk)
    context = {"closure": closure, "learner": closure.user, "form": form, "office_menu": "closures"}
    return render(request, "office/learners/closure.html", context)


@office_view("learners")
@require_POST
@never_cache
def reveal(request, pk):
    """查看完整号码: the learner's full ID number and mobile, for a stated reason; audited (never the numbers)."""
    learner = learners.learners_for(request.user).select_related("city").filter(pk=pk).first()
    if learner is None:
        raise Http404  # out of scope: the same as a missing object (audited by NotFoundAuditMiddleware)
    form = RevealForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["reason"][0])
        return redirect("office:learners_detail", pk=pk)
    reason = form.cleaned_data["reason"]
    record(Event.PI_REVEAL, request=request, obj=learner, fields=["id_number", "mobile"], reason=reason)
    context = {"learner": learner, "reason": dict(REVEAL_REASONS)[reason], "office_menu": "learners"}
    return render(request, "office/learners/reveal.html", context)
