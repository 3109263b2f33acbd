from django.conf import settings
from django.db import models


class Event(models.TextChoices):
    LOGIN = "login", "登录成功"
    LOGIN_FAILED = "login_failed", "登录失败"
    LOCKOUT = "lockout", "账号锁定"
    UNLOCK = "unlock", "账号解锁"
    LOGOUT = "logout", "退出登录"
    SESSION_EXPIRED = "session_expired", "会话超时"
    REGISTER = "register", "新用户注册"
    PASSWORD_CHANGE = "password_change", "修改密码"
    PASSWORD_RESET = "password_reset", "找回密码"
    MOBILE_CHANGE = "mobile_change", "手机号变更"
    PROFILE_CHANGE = "profile_change", "基础信息修改"
    AVATAR_CHANGE = "avatar_change", "头像修改"
    ADDRESS_CHANGE = "address_change", "收件地址修改"
    SMS_SEND = "sms_send", "发送短信验证码"
    SMS_VERIFY = "sms_verify", "校验短信验证码"
    ACCESS_DENIED = "access_denied", "越权访问"
    OTP_ENROL = "otp_enrol", "绑定动态码"
    OTP_VERIFY = "otp_verify", "校验动态码"
    OTP_RESET = "otp_reset", "重置动态码"
    LEARNER_SEARCH = "learner_search", "查询学员"
    LEARNER_VIEW = "learner_view", "查看学员信息"
    LEARNER_RESET = "learner_reset", "工考办发起密码重置"
    LEARNER_IMPORT = "learner_import", "导入单位花名册"
    ORDER_PLACE = "order_place", "提交订单"
    ORDER_TRANSITION = "order_transition", "订单状态变更"
    PAYMENT_START = "payment_start", "发起支付"
    PAYMENT_NOTIFY = "payment_notify", "支付通知"
    PAYMENT_QUERY = "payment_query", "支付查询"
    PAYMENT_FLAG = "payment_flag", "异常支付标记"
    REFUND = "refund", "退款"
    INVOICE_REQUEST = "invoice_request", "申请开票"
    INVOICE_ISSUE = "invoice_issue", "开具发票"
    INVOICE_VOID = "invoice_void", "作废发票"
    INVOICE_DOWNLOAD = "invoice_download", "下载电子发票"
    UNIT_ORDER_PLACE = "unit_order_place", "单位统一报名下单"
    ENROLLMENT_OPEN = "enrollment_open", "开通班级"
    ENROLLMENT_REFUND = "enrollment_refund", "班级退款关闭"
    ENROLLMENT_COMPLETE = "enrollment_complete", "班级结业"
    EXAM_START = "exam_start", "开始考试"
    EXAM_SUBMIT = "exam_submit", "交卷"
    CERTIFICATE_ISSUE = "certificate_issue", "证书签发"
    CERTIFICATE_REVOKE = "certificate_revoke", "证书撤销"
    DECLARATION_FILE = "declaration_file", "视同申报提交"
    DECLARATION_EDIT = "declaration_edit", "视同申报修改"
    DECLARATION_WITHDRAW = "declaration_withdraw", "视同申报撤回"
    DECLARATION_APPROVE = "declaration_approve", "视同申报通过"
    DECLARATION_REJECT = "declaration_reject", "视同申报驳回"
    DECLARATION_REVERSE = "declaration_reverse", "视同申报撤销审批"
    ATTACHMENT_VIEW = "attachment_view", "查看申报附件"
    FACETOFACE_BOOK = "facetoface_book", "报名面授"
    FACETOFACE_CANCEL = "facetoface_cancel", "取消面授报名"
    FACETOFACE_PROMOTE = "facetoface_promote", "面授候补转为报名"
    FACETOFACE_CLASS_SAVE = "facetoface_class_save", "面授班新建或修改"
    FACETOFACE_ATTENDANCE = "facetoface_attendance", "面授考勤登记"
    FACETOFACE_EXPORT = "facetoface_export", "导出面授报名名单"
    REPORT_EXPORT = "report_export", "导出统计报表"
    AUDIT_VIEW = "audit_view", "查看审计日志"
    AUDIT_EXPORT = "audit_export", "导出审计日志"
    QUESTION_EXPORT = "question_export", "导出题库"
    QUESTION_IMPORT = "question_import", "导入题库"
    VIDEO_TRANSCODE = "video_transcode", "课件视频转码"
    VIDEO_UPLOAD = "video_upload", "上传课件视频"
    CONTENT_SAVE = "content_save", "课程内容新建或修改"
    LEARNER_CITY_GRADE = "learner_city_grade", "工考办修改学员所属地市或技术等级"
    STAFF_SAVE = "staff_save", "工作人员账号修改"
    SESSIONS_END = "sessions_end", "强制下线"
    PI_EXPORT = "pi_export", "下载个人信息"
    PI_REVEAL = "pi_reveal", "查看完整号码"
    CONSENT_WITHDRAW = "consent_withdraw", "撤回个人信息处理同意"
    CONSENT_GIVE = "consent_give", "同意个人信息处理"
    CLOSURE_REQUEST = "closure_request", "申请注销账号"
    CLOSURE_WITHDRAW = "closure_withdraw", "撤回注销申请"
    CLOSURE_COMPLETE = "closure_complete", "办理注销"
    MOBILE_REBIND = "mobile_rebind", "工考办更换绑定手机"
    UNIT_INVITE = "unit_invite", "单位统一报名邀请学员"
    UNIT_INVITATION_CONFIRM = "unit_invitation_confirm", "学员确认单位统一报名"
    UNIT_INVITATION_DECLINE = "unit_invitation_decline", "学员拒绝单位统一报名"
    QUESTION_EXAM_ONLY = "question_exam_only", "标记题目仅用于考试"
    USER_ACCESS_CHANGE = "user_access_change", "账号角色、地市或权限变更"
    ADMIN_PASSWORD_SET = "admin_password_set", "管理员设置密码"


def event_choices():
    # A callable: adding an event changes no migration (Django serialises the reference, not the list).
    return Event.choices


class AuditRecord(models.Model):
    """One security-relevant event. Append-only: never updated or deleted by the application
    (and, on PostgreSQL, a trigger refuses UPDATE and DELETE). Never holds a password, an SMS
    code, a session id or a full ID number or mobile."""

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    event = models.CharField("事件", max_length=32, choices=event_choices, db_index=True)
    result = models.CharField("结果", max_length=16, default="ok")
    # No database constraint: the record outlives the account it names.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_role = models.CharField("角色", max_length=16, blank=True)
    actor_city = models.CharField("地市", max_length=8, blank=True)
    ip = models.GenericIPAddressField("IP", null=True, blank=True)
    object_type = models.CharField("对象类型", max_length=64, blank=True)
    object_id = models.CharField("对象", max_length=64, blank=True)
    request_id = models.CharField("请求号", max_length=64, blank=True)
    detail = models.JSONField("详情", default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "审计日志"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["actor", "-at"]),
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["actor_city", "-at"]),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.get_event_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("audit records are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("audit records are append-only")
