"""统计报表 (the year report, its Excel export) and 审计日志 (the read-only audit log viewer).

Scope: the province and finance see every city (finance for the revenue; the report holds no personal data),
a 市工考办 only its own city, forced in the query. The audit viewer is for the province and the city offices:
a city office sees the records whose actor belongs to its city (its staff and its learners, by the city stored
on the record when it was written) and those whose object is one of its learners' accounts."""

import io
from datetime import datetime, time

from django.core.paginator import Paginator
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from openpyxl import Workbook
from openpyxl.styles import Font

from jxjy.accounts.models import Role, User
from jxjy.accounts.permissions import staff_required
from jxjy.audit.models import AuditRecord, Event
from jxjy.audit.services import record
from jxjy.catalog.models import TrainingYear

from .charts import bar_chart
from .forms import AuditFilterForm, ReportFilterForm
from .services import FIGURES, HOURS_FIGURES, MONEY_FIGURES, PROGRESS_BUCKETS, year_report

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
AUDIT_PAGE_SIZE = 50
AUDIT_EXPORT_LIMIT = 10_000


def _get_only(view):
    """Every page here is read-only: anything but GET/HEAD is refused (405) before the view runs."""

    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


# --- 年度统计 --------------------------------------------------------------------------------------------


def _report_filters(request):
    """(form, year, city, grade) from the query string; the city is forced to a city office's own."""
    years = list(TrainingYear.objects.order_by("-year").values_list("year", flat=True))
    today_year = timezone.localdate().year
    default_year = next((y for y in years if y <= today_year), years[0] if years else today_year)
    data = request.GET.copy()
    data.setdefault("year", str(default_year))
    form = ReportFilterForm(data, user=request.user, years=years or [today_year])
    valid = form.is_valid()
    cleaned = form.cleaned_data if valid else {}
    year = cleaned.get("year", default_year)
    city = request.user.city_id if request.user.role == Role.CITY else (cleaned.get("city") or None)
    return form, year, city, cleaned.get("grade") or None


@_get_only
@staff_required(Role.CITY, Role.FINANCE)
def year(request):
    """年度统计: the figures, charts and a table per city."""
    form, year_value, city, grade = _report_filters(request)
    report = year_report(year_value, city=city, grade=grade)
    total = report.total
    labels = dict(FIGURES)
    charts = [
        bar_chart("学习进度分布（人）", [(label, total[key]) for key, label in PROGRESS_BUCKETS], css="chart-progress"),
        bar_chart(
            "报名到结业（人）",
            [(labels[k], total[k]) for k in ("enrolled", "paid", "exam_taken", "exam_passed", "certificates")],
            css="chart-funnel",
        ),
        bar_chart(
            "视同申报与面授班",
            [
                (labels[k], total[k])
                for k in ("declarations", "declarations_approved", "f2f_booked", "f2f_attended", "f2f_absent")
            ],
            css="chart-other",
        ),
    ]
    if not city:
        charts.append(
            bar_chart("各地市已缴费人数", [(name, f["paid"]) for name, f in report.rows()], css="chart-cities")
        )
        charts.append(
            bar_chart("各地市收入（元）", [(name, f["revenue"]) for name, f in report.rows()], css="chart-revenue")
        )
    return render(
        request,
        "reports/year.html",
        {
            "office_menu": "reports",
            "form": form,
            "report": report,
            "charts": charts,
            "figures": FIGURES,
            "summary": _cells(total),
            "city_rows": [(name, _cells(figures)) for name, figures in report.rows()],
            "city_name": report.city_names.get(city, "") if city else "全省",
            "query": request.GET.urlencode(),
        },
    )


@_get_only
@staff_required(Role.CITY, Role.FINANCE)
@never_cache
def year_export(request):
    """导出 Excel of the year report (aggregates only). Audited with the filters used."""
    _form, year_value, city, grade = _report_filters(request)
    report = year_report(year_value, city=city, grade=grade)
    book = Workbook()
    sheet = book.active
    sheet.title = "年度统计"
    scope = report.city_names.get(city, city) if city else "全省"
    sheet.append([f"{year_value}年度继续教育统计（{scope}{'，' + grade if grade else ''}）"])
    sheet.append([f"导出时间：{timezone.localtime():%Y-%m-%d %H:%M}"])
    sheet.append(["地市", *(label for _, label in FIGURES)])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for name, figures in [*report.rows(), ("合计", report.total)]:
        sheet.append([name, *(_cell(key, figures[key]) for key, _ in FIGURES)])
    sheet.column_dimensions["A"].width = 12
    out = io.BytesIO()
    book.save(out)
    record(Event.REPORT_EXPORT, request=request, year=year_value, city=city or "", grade=grade or "")
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, f"年度统计-{year_value}.xlsx")
    response["Cache-Control"] = "private, no-store"
    return response


def _cells(figures):
    cells = []
    for key, label in FIGURES:
        value = figures[key]
        text = "—" if value is None else (f"{value}%" if key == "exam_pass_rate" else str(value))
        cells.append({"key": key, "label": label, "text": text})
    return cells


def _cell(key, value):
    if value is None:
        return None
    if key in MONEY_FIGURES or key in HOURS_FIGURES or key == "exam_pass_rate":
        return float(value)
    return value


# --- 审计日志 --------------------------------------------------------------------------------------------


def audit_scope(queryset, user):
    """The records `user` may read: the province and the 审计管理员 all; the 安全管理员 those of the 审计管理员 (so
    the auditor's own trail is read by someone else); a city office those whose actor belongs to its city or whose
    object is one of its learners' accounts; anyone else — the 系统管理员 included — none."""
    if user.role in (Role.PROVINCE, Role.AUDITOR):
        return queryset
    if user.role == Role.SECURITY:
        return queryset.filter(actor_role=Role.AUDITOR)
    if user.role == Role.CITY and user.city_id:
        learners = User.objects.filter(city_id=user.city_id).annotate(key=Cast("pk", CharField())).values("key")
        return queryset.filter(Q(actor_city=user.city_id) | Q(object_type=User._meta.label, object_id__in=learners))
    return queryset.none()


def _audit_records(request):
    form = AuditFilterForm(request.GET or None)
    records = audit_scope(AuditRecord.objects.select_related("actor"), request.user)
    filters = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {k: str(v) for k, v in data.items() if v}
        if data["event"]:
            records = records.filter(event=data["event"])
        if data["actor"]:
            records = records.filter(Q(actor__username=data["actor"]) | Q(actor__name=data["actor"]))
        if data["start"]:
            records = records.filter(at__gte=timezone.make_aware(datetime.combine(data["start"], time.min)))
        if data["end"]:
            records = records.filter(at__lte=timezone.make_aware(datetime.combine(data["end"], time.max)))
        if data["result"]:
            records = records.filter(result=data["result"])
        if data["object_type"]:
            records = records.filter(object_type__iexact=data["object_type"])
        if data["object_id"]:
            records = records.filter(object_id=data["object_id"])
        if data["request_id"]:
            records = records.filter(request_id=data["request_id"])
    elif form.is_bound:
        records = records.none()
    return form, records.order_by("-at", "-id"), filters


def _row(item):
    actor = item.actor
    return {
        "at": timezone.localtime(item.at).isoformat(timespec="seconds"),
        "actor": (actor.display_name if actor else "—"),
        "actor_username": actor.username if actor and not actor.is_learner else "",
        "role": dict(Role.choices).get(item.actor_role, item.actor_role),
        "city": item.actor_city,
        "event": item.get_event_display(),
        "result": item.result,
        "ip": item.ip or "",
        "object": f"{item.object_type} #{item.object_id}" if item.object_type else "",
        "request_id": item.request_id,
        "detail": item.detail,
    }


@_get_only
@staff_required(Role.CITY, Role.AUDITOR, Role.SECURITY)
@never_cache
def audit(request):
    """审计日志: read-only, filterable, paginated. Reading it shows who did what to whom, so it is audited too."""
    form, records, filters = _audit_records(request)
    page = Paginator(records, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [_row(item) for item in page.object_list]
    record(Event.AUDIT_VIEW, request=request, page=page.number, filters=filters)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reports/audit.html",
        {"office_menu": "audit", "form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


@_get_only
@staff_required(Role.CITY, Role.AUDITOR, Role.SECURITY)
@never_cache
def audit_export(request):
    """导出 Excel of the filtered records (at most AUDIT_EXPORT_LIMIT, newest first). Audited."""
    _form, records, filters = _audit_records(request)
    book = Workbook()
    sheet = book.active
    sheet.title = "审计日志"
    columns = ["时间", "操作人", "用户名", "角色", "地市", "事件", "结果", "IP", "对象", "请求号"]
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    count = 0
    for item in records[:AUDIT_EXPORT_LIMIT].iterator(chunk_size=2000):
        row = _row(item)
        sheet.append(
            [row[k] for k in ("at", "actor", "actor_username", "role", "city", "event", "result", "ip", "object")]
            + [row["request_id"]]
        )
        for cell in sheet[sheet.max_row]:
            cell.data_type = "s"  # never a formula, whatever a name or detail starts with
        count += 1
    out = io.BytesIO()
    book.save(out)
    record(Event.AUDIT_EXPORT, request=request, rows=count, filters=filters)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, "审计日志.xlsx")
    response["Cache-Control"] = "private, no-store"
    return response
