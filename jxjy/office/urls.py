from django.urls import path

from .views import staff

app_name = "office"

urlpatterns = [
    path("", staff.home, name="home"),
    path("login/", staff.login_view, name="login"),
    path("logout/", staff.logout_view, name="logout"),
    path("otp/enrol/", staff.otp_enrol, name="otp_enrol"),
    path("otp/verify/", staff.otp_verify, name="otp_verify"),
    path("password/", staff.password_change, name="password_change"),
    path("staff/", staff.staff_list, name="staff_list"),
    path("staff/<int:pk>/", staff.staff_edit, name="staff_edit"),
    path("staff/<int:pk>/otp-reset/", staff.otp_reset, name="otp_reset"),
    path("staff/<int:pk>/end-sessions/", staff.end_sessions, name="end_sessions"),
    # --- areas (one block each; names are "<area>_<action>", paths keep their old /office/... addresses) ---
    # learners
    # content
    # reports
    # audit
    # declarations
    # facetoface
    # finance
    # invoices
]
