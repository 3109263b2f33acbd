"""业务后台 → 学习异常: the city office's desk for the flags the 学习异常 scan raised (jxjy.review).

The list shows the office's own city's flags (the province: all), 待核查 first, filtered by status, rule and day,
with a count per status; 立即检查 queues a scan of today so far (at most once per 10 minutes per office). A flag's
page shows its evidence as tables (other learners by name only within the office's scope), what 确认违规 would
take back — each ledger entry and the total, each exam attempt — and the decision: 已核实正常, or 确认违规 after a
confirmation page (jxjy.review.decisions). Another city's flag is a 404 on every page, audited by the 404 middleware.
The learner sees nothing of a flag until it is confirmed."""

from django.contrib import messages
from django.db.models import Count
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from jxjy.accounts.permissions import scope
from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.lib import ratelimit
from jxjy.lib.errors import UserError, show_on
from jxjy.lib.hours import hours as hours_text
from jxjy.lib.paging import paginate
from jxjy.office import anomaly_evidence
from jxjy.office.forms.anomalies import EVERY, DecisionForm, FilterForm
from jxjy.office.menu import office_view
from jxjy.review import decisions, tasks
from jxjy.review.models import Anomaly, Status

SCAN_WINDOW = 10 * 60  # 立即检查: once per office in this many seconds (the scan reads the whole province's day)
AREA = "anomalies"


def _visible(request):
    return scope(Anomaly.objects.select_related("user__city"), request.user)


HEAVY_FIELDS = ("evidence", "entries", "attempts")  # JSON the list does not show


def _with_status(request, status) -> str:
    """The list's query string with another status (the other filters kept, back to the first page)."""
    params = request.GET.copy()
    params.pop("page", None)
    params["status"] = status
    return params.urlencode()


def _office_key(user) -> str:
    return f"anomaly-scan:{user.city_id or user.role}"


@require_safe
@never_cache
@office_view(AREA)
def anomaly_list(request):
    """学习异常: the office's flags, 待核查 unless another status is asked for; a count per status."""
    visible = _visible(request)
    filters = FilterForm(request.GET)
    counted = filters.without_status(visible).order_by().values("status").annotate(n=Count("pk"))
    counts = {row["status"]: row["n"] for row in counted}
    page = paginate(request, filters.apply(visible).defer(*HEAVY_FIELDS))
    tabs = [(value, label, counts.get(value, 0)) for value, label in Status.choices]
    tabs.append((EVERY, "全部", sum(counts.values())))
    context = {
        "filters": filters,
        "page": page,
        "tabs": [(value, label, n, _with_status(request, value)) for value, label, n in tabs],
        "status": filters.chosen_status,
        "office_menu": AREA,
    }
    return render(request, "office/anomalies/list.html", context)


@require_POST
@office_view(AREA)
def scan(request):
    """立即检查: queue the scan of today so far; refused within 10 minutes of this office's last one."""
    if not ratelimit.hit(_office_key(request.user), 1, SCAN_WINDOW):
        messages.error(request, "十分钟内已经检查过一次，请过一会儿再点“立即检查”。")
        return redirect("office:anomalies_list")
    today = timezone.localdate()
    tasks.scan_on_demand.delay(today.isoformat())
    record(Event.ANOMALY_SCAN, request=request, day=today.isoformat())
    messages.success(request, "已开始检查今天的学习记录，几分钟后刷新本页查看。")
    return redirect("office:anomalies_list")


def _detail(request, anomaly, form=None, *, status=200):
    context = {
        "anomaly": anomaly,
        "learner": anomaly.user,
        "evidence": anomaly_evidence.render(anomaly.evidence, staff=request.user, learner_id=anomaly.user_id),
        "preview": decisions.preview(anomaly),
        "group": _visible(request).filter(group=anomaly.group).exclude(pk=anomaly.pk) if anomaly.group else [],
        "form": form or DecisionForm(),
        "office_menu": AREA,
    }
    return render(request, "office/anomalies/detail.html", context, status=status)


@never_cache
@office_view(AREA)
def detail(request, pk):
    """One flag: its summary, its evidence, what 确认违规 would take back, the decision form (while 待核查). Whose
    flag it is is checked before the method, so another city's flag is a 404 whatever is asked (the decisions are
    POSTs to their own URLs)."""
    anomaly = get_object_or_404(_visible(request), pk=pk)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return _detail(request, anomaly)


@require_POST
@never_cache
@office_view(AREA)
def clear(request, pk):
    """已核实正常: close the flag; nothing else changes."""
    anomaly = get_object_or_404(_visible(request), pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _detail(request, anomaly, form, status=400)
    try:
        outcome = decisions.clear(anomaly, staff=request.user, note=form.cleaned_data["note"])
    except UserError as exc:
        messages.error(request, exc.message)
        return redirect("office:anomalies_detail", pk=pk)
    if outcome.moved:
        messages.success(request, "已核实正常。学员的学时和成绩不变，学员不会收到通知。")
    else:
        messages.info(request, "这条学习异常已核实为正常，未重复处理。")
    return redirect("office:anomalies_detail", pk=pk)


@require_POST
@never_cache
@office_view(AREA)
def confirm(request, pk):
    """确认违规, in two steps: the first POST (with the note) shows what will be taken back and asks again; the
    second (`sure`) decides."""
    anomaly = get_object_or_404(_visible(request), pk=pk)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"].strip() if form.is_valid() else ""
    if not note:
        if form.is_valid():
            show_on(form, UserError(decisions.NOTE_REQUIRED, field="note"))
        return _detail(request, anomaly, form, status=400)
    if request.POST.get("sure") != "1":
        if anomaly.status != Status.PENDING:
            return redirect("office:anomalies_detail", pk=pk)
        context = {"anomaly": anomaly, "preview": decisions.preview(anomaly), "note": note, "office_menu": AREA}
        return render(request, "office/anomalies/confirm.html", context)
    try:
        outcome = decisions.confirm(anomaly, staff=request.user, note=note)
    except UserError as exc:
        messages.error(request, exc.message)
        return redirect("office:anomalies_detail", pk=pk)
    if not outcome.moved:
        messages.info(request, "这条学习异常已经确认违规，未重复处理。")
        return redirect("office:anomalies_detail", pk=pk)
    done = [f"冲销 {hours_text(outcome.reversed_hours)} 学时"]
    if outcome.voided_attempts:
        done.append(f"作废考试成绩 {len(outcome.voided_attempts)} 次")
    if outcome.revoked:
        done.append(f"撤销证书 {len(outcome.revoked)} 张")
    messages.success(request, f"已确认违规：{'，'.join(done)}，已通过站内消息通知学员。")
    return redirect("office:anomalies_detail", pk=pk)
