from django.urls import path

from .views import (
    anomalies,
    audit,
    auth,
    content,
    declarations,
    facetoface,
    finance,
    learners,
    reminders,
    reports,
    site,
    staff,
)

app_name = "office"

urlpatterns = [
    path("", staff.home, name="home"),
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("otp/enrol/", auth.otp_enrol, name="otp_enrol"),
    path("otp/verify/", auth.otp_verify, name="otp_verify"),
    path("password/", auth.password_change, name="password_change"),
    path("staff/", staff.staff_list, name="staff_list"),
    path("staff/<int:pk>/", staff.staff_edit, name="staff_edit"),
    path("staff/<int:pk>/otp-reset/", staff.otp_reset, name="otp_reset"),
    path("staff/<int:pk>/end-sessions/", staff.end_sessions, name="end_sessions"),
    # --- areas (one block each; names are "<area>_<action>", paths keep their old /office/... addresses) ---
    # learners
    path("learners/", learners.search, name="learners_search"),
    path("learners/<int:pk>/", learners.detail, name="learners_detail"),
    path("learners/<int:pk>/courseware/<int:progress_id>/", learners.study_detail, name="learners_study_detail"),
    path("learners/<int:pk>/reset-password/", learners.reset_password, name="learners_reset_password"),
    path("learners/<int:pk>/unlock/", learners.unlock, name="learners_unlock"),
    path("learners/<int:pk>/end-sessions/", learners.end_sessions, name="learners_end_sessions"),
    path("learners/<int:pk>/mobile/", learners.change_mobile, name="learners_change_mobile"),
    path("learners/<int:pk>/city-grade/", learners.city_grade, name="learners_city_grade"),
    path("learners/import/", learners.roster_import, name="learners_import"),
    path("learners/import/template.xlsx", learners.roster_template, name="learners_import_template"),
    path("learners/<int:pk>/reveal/", learners.reveal, name="learners_reveal"),
    path("learners/closures/", learners.closure_list, name="closures_list"),
    path("learners/closures/<int:pk>/", learners.closure_detail, name="closures_detail"),
    # anomalies (学习异常: the flags of the nightly scan, decided by the city office)
    path("anomalies/", anomalies.anomaly_list, name="anomalies_list"),
    path("anomalies/scan/", anomalies.scan, name="anomalies_scan"),
    path("anomalies/<int:pk>/", anomalies.detail, name="anomalies_detail"),
    path("anomalies/<int:pk>/clear/", anomalies.clear, name="anomalies_clear"),
    path("anomalies/<int:pk>/confirm/", anomalies.confirm, name="anomalies_confirm"),
    # content
    path("content/", content.course_list, name="content_course_list"),
    path("content/courses/new/", content.course_create, name="content_course_create"),
    path("content/courses/<int:pk>/", content.course_detail, name="content_course_detail"),
    path("content/courses/<int:pk>/edit/", content.course_edit, name="content_course_edit"),
    path("content/courses/<int:pk>/chapters/new/", content.chapter_create, name="content_chapter_create"),
    path("content/chapters/<int:pk>/edit/", content.chapter_edit, name="content_chapter_edit"),
    path("content/chapters/<int:pk>/coursewares/new/", content.courseware_create, name="content_courseware_create"),
    path("content/coursewares/<int:pk>/edit/", content.courseware_edit, name="content_courseware_edit"),
    path("content/coursewares/<int:pk>/poster.jpg", content.courseware_poster, name="content_courseware_poster"),
    path("content/jobs/<int:pk>/", content.job, name="content_job"),
    path("content/jobs/<int:pk>/status.json", content.job_status, name="content_job_status"),
    path("content/courses/<int:pk>/questions/", content.questions, name="content_questions"),
    path("content/courses/<int:pk>/questions/import/", content.questions_import, name="content_questions_import"),
    path("content/courses/<int:pk>/questions/export.xlsx", content.questions_export, name="content_questions_export"),
    path(
        "content/courses/<int:pk>/questions/exam-only/", content.questions_exam_only, name="content_questions_exam_only"
    ),
    path("content/questions/template.xlsx", content.questions_template, name="content_questions_template"),
    # reminders (学习提醒: SMS and 站内消息 to learners who are behind)
    path("reminders/", reminders.home, name="reminders_home"),
    path("reminders/send/", reminders.send, name="reminders_send"),
    # reports
    path("reports/", reports.year, name="reports_year"),
    path("reports/export/", reports.year_export, name="reports_year_export"),
    # audit
    path("reports/audit/", audit.log, name="audit_log"),
    path("reports/audit/export/", audit.export, name="audit_export"),
    # declarations
    path("declarations/", declarations.review_list, name="declarations_list"),
    path("declarations/<int:pk>/", declarations.review_detail, name="declarations_detail"),
    # facetoface
    path("facetoface/", facetoface.class_list, name="facetoface_list"),
    path("facetoface/new/", facetoface.class_create, name="facetoface_create"),
    path("facetoface/<int:pk>/", facetoface.class_detail, name="facetoface_detail"),
    path("facetoface/<int:pk>/edit/", facetoface.class_edit, name="facetoface_edit"),
    path("facetoface/<int:pk>/export.xlsx", facetoface.export, name="facetoface_export"),
    path("facetoface/bookings/<int:booking_id>/attendance/", facetoface.attendance, name="facetoface_attendance"),
    path("facetoface/<int:pk>/sessions/", facetoface.session_add, name="facetoface_session_add"),
    path("facetoface/sessions/<int:session_id>/delete/", facetoface.session_delete, name="facetoface_session_delete"),
    path("facetoface/sessions/<int:session_id>/qr/", facetoface.session_qr, name="facetoface_qr"),
    path("facetoface/sessions/<int:session_id>/qr.json", facetoface.session_qr_code, name="facetoface_qr_code"),
    path("facetoface/bookings/<int:booking_id>/hand-mark/", facetoface.hand_mark, name="facetoface_hand_mark"),
    path("facetoface/<int:pk>/settle/", facetoface.settle, name="facetoface_settle"),
    # finance
    path("finance/orders/", finance.order_list, name="finance_orders"),
    path("finance/orders/<str:number>/", finance.order_detail, name="finance_order"),
    path("finance/payments/", finance.payment_list, name="finance_payments"),
    path("finance/payments/<str:number>/", finance.payment_detail, name="finance_payment"),
    path("finance/payments/<str:number>/refund/", finance.payment_refund, name="finance_refund"),
    path("finance/payments/<str:number>/accept-late/", finance.payment_accept_late, name="finance_accept_late"),
    path("finance/refunds/", finance.refund_list, name="finance_refunds"),
    # invoices (发票管理, a finance desk: jxjy.office.views.finance)
    path("finance/invoices/", finance.invoice_list, name="finance_invoices"),
    path("finance/invoices/<int:pk>/", finance.invoice_detail, name="finance_invoice"),
    # site (帮助与公告: 联系我们, 常见问题, 通知公告; the province only)
    path("site/", site.home, name="site_home"),
    path("site/offices/<int:pk>/", site.office_edit, name="site_office_edit"),
    path("site/faqs/new/", site.faq_create, name="site_faq_create"),
    path("site/faqs/<int:pk>/", site.faq_edit, name="site_faq_edit"),
    path("site/faqs/<int:pk>/delete/", site.faq_delete, name="site_faq_delete"),
    path("site/notices/new/", site.notice_create, name="site_notice_create"),
    path("site/notices/<int:pk>/", site.notice_edit, name="site_notice_edit"),
    path("site/notices/<int:pk>/delete/", site.notice_delete, name="site_notice_delete"),
    path("site/attachments/<int:pk>/delete/", site.attachment_delete, name="site_attachment_delete"),
]
