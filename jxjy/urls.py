from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from jxjy.accounts.models import Role
from jxjy.portal import views as portal_views

admin.site.site_header = "工勤人员继续教育网络培训平台 管理后台"
admin.site.site_title = "管理后台"


def admin_site_permission(request):
    """The Django admin sees every city's rows: only the province-wide 省级管理员 and 系统管理员 may use it, whatever
    model permissions another staff account is given (a city office's wall holds there too)."""
    user = request.user
    return user.is_active and user.is_staff and user.role in (Role.PROVINCE, Role.SYSTEM)


admin.site.has_permission = admin_site_permission

urlpatterns = [
    path("", include("jxjy.portal.urls")),
    path("", include("jxjy.accounts.urls")),
    path("", include("jxjy.learning.urls")),
    path("", include("jxjy.exams.urls")),
    path("", include("jxjy.declarations.urls")),
    path("", include("jxjy.facetoface.urls")),
    path("office/", include("jxjy.office.urls")),
    path("", include("jxjy.orders.urls")),
    path("", include("jxjy.payments.urls")),
    path("", include("jxjy.certificates.urls")),
    path("captcha/", include("captcha.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEV_TOOLS:
    urlpatterns += [path("dev/outbox/", portal_views.dev_outbox, name="dev_outbox")]

# Error pages rendered without the database or Redis (jxjy.lib.outage.plain_page); an outage met in a middleware
# reaches server_error, which answers it with the calm 503.
handler400 = "jxjy.portal.views.bad_request"
handler403 = "jxjy.portal.views.permission_denied"
handler404 = "jxjy.portal.views.page_not_found"
handler500 = "jxjy.portal.views.server_error"
