"""统计报表: the year report and its Excel export (aggregates only, no personal data).

Scope: the province and finance see every city (finance for the revenue), a 市工考办 only its own city, forced in the
query. Every page here is read-only: anything but GET/HEAD is refused (405) before the access check."""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from jxjy.accounts.models import Role
from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.catalog.models import TrainingYear
from jxjy.lib import sheets
from jxjy.office.charts import bar_chart
from jxjy.office.forms.reports import ReportFilterForm
from jxjy.office.menu import office_view
from jxjy.office.reports import FIGURES, HOURS_FIGURES, MONEY_FIGURES, PROGRESS_BUCKETS, year_report


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


@require_safe
@office_view("reports")
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
        "office/reports/year.html",
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


@require_safe
@office_view("reports")
@never_cache
def year_export(request):
    """导出 Excel of the year report (aggregates only). Audited with the filters used."""
    _form, year_value, city, grade = _report_filters(request)
    report = year_report(year_value, city=city, grade=grade)
    scope = report.city_names.get(city, city) if city else "全省"
    table = sheets.Table(
        "年度统计",
        above=[
            f"{year_value}年度继续教育统计（{scope}{'，' + grade if grade else ''}）",
            f"导出时间：{timezone.localtime():%Y-%m-%d %H:%M}",
        ],
        header=["地市", *(label for _, label in FIGURES)],
        rows=[
            [name, *(_cell(key, figures[key]) for key, _ in FIGURES)]
            for name, figures in [*report.rows(), ("合计", report.total)]
        ],
        widths=[12],
    )
    record(Event.REPORT_EXPORT, request=request, year=year_value, city=city or "", grade=grade or "")
    return sheets.download(sheets.workbook(table), f"年度统计-{year_value}.xlsx")


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
