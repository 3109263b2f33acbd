from django.contrib import admin

from jxjy.lib.admin import ReadOnlyAdminMixin

from .models import FaceToFaceBooking, FaceToFaceClass


@admin.register(FaceToFaceClass)
class FaceToFaceClassAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only here: classes are run from 业务后台 → 面授班管理 (audited, scoped to the city)."""

    list_display = ["title", "year", "city", "start_date", "end_date", "capacity"]
    list_filter = ["year", "city"]
    search_fields = ["title", "venue"]


@admin.register(FaceToFaceBooking)
class FaceToFaceBookingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: a booking changes state only through jxjy.facetoface.services (ledger, year claim, audit)."""

    list_display = ["face_class", "user", "status", "created_at", "booked_at"]
    list_filter = ["status", "face_class__year"]
    raw_id_fields = ["face_class", "user", "attendance_by"]
