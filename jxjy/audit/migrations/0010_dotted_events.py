"""Audit events become dotted names (`auth.login`, `order.transition`) without database choices, so a new event
needs no migration. The stored records are renamed with them: the same event under its new name, nothing else of a
record changes. On PostgreSQL the append-only trigger (0002) is switched off for this one statement only, inside
the migration's transaction, by the table's owner."""

from django.db import migrations, models
from django.db.models import Case, F, Value, When

RENAMED = {
    "access_denied": "access.denied",
    "address_change": "account.address_change",
    "admin_password_set": "admin.password_set",
    "attachment_view": "declaration.attachment_view",
    "audit_export": "audit.export",
    "audit_view": "audit.view",
    "avatar_change": "account.avatar_change",
    "certificate_issue": "certificate.issue",
    "certificate_revoke": "certificate.revoke",
    "closure_complete": "closure.complete",
    "closure_request": "closure.request",
    "closure_withdraw": "closure.withdraw",
    "consent_give": "privacy.consent_give",
    "consent_withdraw": "privacy.consent_withdraw",
    "content_save": "content.save",
    "declaration_approve": "declaration.approve",
    "declaration_edit": "declaration.edit",
    "declaration_file": "declaration.file",
    "declaration_reject": "declaration.reject",
    "declaration_reverse": "declaration.reverse",
    "declaration_withdraw": "declaration.withdraw",
    "enrollment_complete": "enrollment.complete",
    "enrollment_open": "enrollment.open",
    "enrollment_refund": "enrollment.refund",
    "exam_start": "exam.start",
    "exam_submit": "exam.submit",
    "facetoface_attendance": "facetoface.attendance",
    "facetoface_book": "facetoface.book",
    "facetoface_cancel": "facetoface.cancel",
    "facetoface_class_save": "facetoface.class_save",
    "facetoface_export": "facetoface.export",
    "facetoface_promote": "facetoface.promote",
    "invoice_download": "invoice.download",
    "invoice_issue": "invoice.issue",
    "invoice_request": "invoice.request",
    "invoice_void": "invoice.void",
    "learner_city_grade": "learner.city_grade",
    "learner_import": "learner.import",
    "learner_reset": "learner.password_reset",
    "learner_search": "learner.search",
    "learner_view": "learner.view",
    "lockout": "auth.lockout",
    "login": "auth.login",
    "login_failed": "auth.login_failed",
    "logout": "auth.logout",
    "mobile_change": "account.mobile_change",
    "mobile_rebind": "learner.mobile_rebind",
    "order_place": "order.place",
    "order_transition": "order.transition",
    "otp_enrol": "otp.enrol",
    "otp_reset": "otp.reset",
    "otp_verify": "otp.verify",
    "password_change": "account.password_change",
    "password_reset": "account.password_reset",
    "payment_flag": "payment.flag",
    "payment_notify": "payment.notify",
    "payment_query": "payment.query",
    "payment_start": "payment.start",
    "pi_export": "privacy.export",
    "pi_reveal": "privacy.reveal",
    "profile_change": "account.profile_change",
    "question_exam_only": "question.exam_only",
    "question_export": "question.export",
    "question_import": "question.import",
    "refund": "payment.refund",
    "register": "account.register",
    "report_export": "report.export",
    "sessions_end": "account.sessions_end",
    "session_expired": "auth.session_expired",
    "sms_send": "sms.send",
    "sms_verify": "sms.verify",
    "staff_save": "staff.save",
    "unit_invitation_confirm": "unit_order.invitation_confirm",
    "unit_invitation_decline": "unit_order.invitation_decline",
    "unit_invite": "unit_order.invite",
    "unit_order_place": "unit_order.place",
    "unlock": "auth.unlock",
    "user_access_change": "account.access_change",
    "video_transcode": "video.transcode",
    "video_upload": "video.upload",
}


def rename(apps, schema_editor, names):
    AuditRecord = apps.get_model("audit", "AuditRecord")
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute("ALTER TABLE audit_auditrecord DISABLE TRIGGER audit_append_only")
    AuditRecord.objects.filter(event__in=names).update(
        event=Case(*(When(event=old, then=Value(new)) for old, new in names.items()), default=F("event"))
    )
    if postgres:
        schema_editor.execute("ALTER TABLE audit_auditrecord ENABLE TRIGGER audit_append_only")


def forwards(apps, schema_editor):
    rename(apps, schema_editor, RENAMED)


def backwards(apps, schema_editor):
    rename(apps, schema_editor, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [("audit", "0009_refuse_truncate")]

    operations = [
        migrations.AlterField(
            model_name="auditrecord",
            name="event",
            field=models.CharField(db_index=True, max_length=64, verbose_name="事件"),
        ),
        migrations.RunPython(forwards, backwards),
    ]
