from django.contrib import admin

from jxjy.lib.admin import ReadOnlyAdminMixin

from .models import Certificate


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Certificates are issued by 打印证书 and revoked by the ledger or a refund, never edited here."""

    list_display = ["number", "user", "year", "status", "issued_at", "revoked_at", "revoke_reason"]
    list_filter = ["status", "year"]
    search_fields = ["number"]
    date_hierarchy = "issued_at"
    exclude = ["token", "check_code"]
    readonly_fields = [f.name for f in Certificate._meta.fields if f.name not in {"token", "check_code"}]
