"""The back office's one table of areas: who may use each, what the menu calls it, where it starts.

Both the navigation (templates/office/base.html through `visible`) and the access check (`office_view`) read this
table, so a role list is written once. A row without a label is an area reached from another page (an action), not
a menu entry. 省级管理员 may use every area (accounts.permissions.staff_required)."""

from dataclasses import dataclass

from jxjy.accounts.models import Role
from jxjy.accounts.permissions import staff_required

EVERY_STAFF_ROLE = (Role.CITY, Role.FINANCE, Role.CONTENT, Role.SYSTEM, Role.SECURITY, Role.AUDITOR)


@dataclass(frozen=True, slots=True)
class Area:
    key: str
    label: str | None
    url_name: str | None
    roles: tuple


MENU = (
    Area("home", "后台首页", "office:home", EVERY_STAFF_ROLE),
    Area("declarations", "视同申报审核", "office:declarations_list", (Role.CITY,)),
    Area("facetoface", "面授班管理", "office:facetoface_list", (Role.CITY,)),
    Area("learners", "学员管理", "office:learners_search", (Role.CITY,)),
    Area("anomalies", "学习异常", "office:anomalies_list", (Role.CITY,)),  # and the province (every area)
    Area("closures", "注销申请", "office:closures_list", (Role.CITY,)),
    Area("reminders", "学习提醒", "office:reminders_home", (Role.CITY,)),  # and the province (every area)
    Area("content", "课程管理", "office:content_course_list", (Role.CONTENT,)),
    Area("finance_orders", "订单管理", "office:finance_orders", (Role.FINANCE,)),
    Area("finance_payments", "支付与异常到账", "office:finance_payments", (Role.FINANCE,)),
    Area("finance_refunds", "退款记录", "office:finance_refunds", (Role.FINANCE,)),
    Area("finance_invoices", "发票管理", "office:finance_invoices", (Role.FINANCE,)),
    Area("reports", "统计报表", "office:reports_year", (Role.CITY, Role.FINANCE)),
    Area("audit", "审计日志", "office:audit_log", (Role.CITY, Role.AUDITOR, Role.SECURITY)),
    Area("staff", "工作人员账号", "office:staff_list", (Role.SYSTEM, Role.SECURITY)),
    Area("site", "帮助与公告", "office:site_home", ()),  # 联系我们、常见问题、通知公告: the province only
    Area("staff_edit", None, None, (Role.SYSTEM,)),
    Area("staff_security", None, None, (Role.SECURITY,)),
)
AREAS = {area.key: area for area in MENU}


def office_view(key: str):
    """The access check of every back-office view: the roles of its area in MENU (and 省级管理员). The view keeps
    its area in `office_area` (carried through `functools.wraps` by the decorators above it), so a test can prove
    that every back-office URL went through here."""
    check = staff_required(*AREAS[key].roles)

    def decorator(view):
        wrapped = check(view)
        wrapped.office_area = key
        return wrapped

    return decorator


def visible(user) -> list[Area]:
    """The menu entries `user` may open, in menu order."""
    role = getattr(user, "role", None)
    return [a for a in MENU if a.label and (role == Role.PROVINCE or role in a.roles)]
