"""审计日志: the read-only audit log viewer and its Excel export.

The province and the 审计管理员 read every record, the 安全管理员 the 审计管理员's, a 市工考办 the records whose actor
belongs to its city (its staff and its learners, by the city stored on the record when it was written) and those
whose object is one of its learners' accounts. Read-only: anything but GET/HEAD is refused (405) before the access
check; reading and exporting are audited too."""

from datetime import datetime, time

from django.db.models import BigIntegerField, Case, OuterRef, Q, Subquery, When
from django.db.models.functions import Cast
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from jxjy.accounts.models import Role, User
from jxjy.audit.models import AuditRecord, Event
from jxjy.audit.services import record
from jxjy.lib import sheets
from jxjy.lib.paging import LONG_LIST_AHEAD, paginate
from jxjy.office.forms.reports import AuditFilterForm
from jxjy.office.menu import office_view

AUDIT_PAGE_SIZE = 50
AUDIT_EXPORT_LIMIT = 10_000


def audit_scope(queryset, user):
    """The records `user` may read: the province and the 审计管理员 all; the 安全管理员 those of the 审计管理员 (so
    the auditor's own trail is read by someone else); a city office those whose actor belongs to its city or whose
    object is one of its learners' accounts; anyone else — the 系统管理员 included — none."""
    if user.role in (Role.PROVINCE, Role.AUDITOR):
        return queryset
    if user.role == Role.SECURITY:
        return queryset.filter(actor_role=Role.AUDITOR)
    if user.role == Role.CITY and user.city_id:
        # The account's city read by one primary-key probe for a record that names an account, not the whole
        # city's learners hashed on every page (issue 17: 15,000 of them per city at 200,000 learners; an EXISTS
        # would be planned as that hash too). The id is cast only where it is a number: CASE decides first.
        number = Case(When(object_id__regex=r"^[0-9]{1,18}$", then=Cast("object_id", BigIntegerField())))
        city = User.objects.filter(pk=OuterRef("object_pk")).values("city_id")[:1]
        return queryset.alias(object_pk=number, object_city=Subquery(city)).filter(
            Q(actor_city=user.city_id) | Q(object_type=User._meta.label, object_city=user.city_id)
        )
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
        "event": item.event_label,
        "result": item.result,
        "ip": item.ip or "",
        "object": f"{item.object_type} #{item.object_id}" if item.object_type else "",
        "request_id": item.request_id,
        "detail": item.detail,
    }


@require_safe
@office_view("audit")
@never_cache
def log(request):
    """审计日志: read-only, filterable, paginated. Reading it shows who did what to whom, so it is audited too."""
    form, records, filters = _audit_records(request)
    page = paginate(request, records, AUDIT_PAGE_SIZE, ahead=LONG_LIST_AHEAD)
    rows = [_row(item) for item in page.object_list]
    record(Event.AUDIT_VIEW, request=request, page=page.number, filters=filters)
    return render(
        request,
        "office/audit/log.html",
        {"office_menu": "audit", "form": form, "page": page, "rows": rows},
    )


@require_safe
@office_view("audit")
@never_cache
def export(request):
    """导出 Excel of the filtered records (at most AUDIT_EXPORT_LIMIT, newest first). Audited."""
    _form, records, filters = _audit_records(request)
    keys = ("at", "actor", "actor_username", "role", "city", "event", "result", "ip", "object", "request_id")
    rows = [
        [row[key] for key in keys] for row in map(_row, records[:AUDIT_EXPORT_LIMIT].iterator(chunk_size=2000))
    ]  # a name or detail that starts like a formula is written as text (jxjy.lib.sheets)
    columns = ["时间", "操作人", "用户名", "角色", "地市", "事件", "结果", "IP", "对象", "请求号"]
    data = sheets.workbook(sheets.Table("审计日志", header=columns, rows=rows))
    record(Event.AUDIT_EXPORT, request=request, rows=len(rows), filters=filters)
    return sheets.download(data, "审计日志.xlsx")
