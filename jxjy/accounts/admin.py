from axes.utils import reset as axes_reset
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.lib.admin import ReadOnlyAdminMixin

from .models import City, User


@admin.register(City)
class CityAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name"]
    allow_change = True  # as before: code and name stay editable


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Staff see masked numbers only. There is deliberately no search by ID number here: the admin's search
    travels in the URL, and ID numbers never do (the back office of a later issue searches by POST)."""

    list_display = ["name", "id_number_masked", "mobile_masked", "role", "city", "is_active", "last_login"]
    list_filter = ["role", "city", "is_active", "is_staff"]
    search_fields = ["name", "username"]
    ordering = ["-date_joined"]
    readonly_fields = [
        "id_number_masked",
        "mobile_masked",
        "mobile_verified_at",
        "last_login",
        "date_joined",
        "password_changed_at",
        "privacy_consent_at",
        "privacy_policy_version",
    ]
    fieldsets = [
        (None, {"fields": ["username", "password", "name", "role", "city", "is_active"]}),
        (
            "学员信息",
            {
                "fields": [
                    "id_number_masked",
                    "mobile_masked",
                    "mobile_verified_at",
                    "gender",
                    "work_unit",
                    "grade",
                    "email",
                    "privacy_consent_at",
                    "privacy_policy_version",
                ]
            },
        ),
        ("权限", {"fields": ["is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("时间", {"fields": ["last_login", "date_joined", "password_changed_at"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", "name", "role", "city", "password1", "password2"]})
    ]
    actions = ["unlock"]

    @admin.display(description="身份证号")
    def id_number_masked(self, obj):
        return obj.id_number_masked

    @admin.display(description="手机号")
    def mobile_masked(self, obj):
        return obj.mobile_masked

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:  # 增加用户 sets the first password (role, city and flags: jxjy.accounts.signals)
            record(Event.ADMIN_PASSWORD_SET, request=request, obj=obj, created=True, usable=obj.has_usable_password())

    def user_change_password(self, request, id, form_url=""):
        """修改密码 in the admin: audited with who did it — whether a password was set or password sign-in
        disabled, never the password or its hash."""
        before = self.get_object(request, unquote(id))
        response = super().user_change_password(request, id, form_url)
        user = self.get_object(request, unquote(id))
        if request.method == "POST" and user is not None and user.password != before.password:
            record(Event.ADMIN_PASSWORD_SET, request=request, obj=user, usable=user.has_usable_password())
        return response

    @admin.action(description="解除登录锁定")
    def unlock(self, request, queryset):
        for user in queryset:
            axes_reset(username=user.username)
            record(Event.UNLOCK, request=request, obj=user)
        messages.success(request, f"已解除 {queryset.count()} 个账号的登录锁定。")
