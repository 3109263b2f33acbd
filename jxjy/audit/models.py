from django.conf import settings
from django.db import models

EVENT_LABELS: dict[str, str] = {}


def _event(name: str, label: str) -> str:
    EVENT_LABELS[name] = label
    return name


class Event:
    """What an audit record says happened: `<area>.<verb>` strings, each with its Chinese label in EVENT_LABELS.
    Plain strings, not database choices: a new event is one line here and needs no migration."""

    LOGIN = _event("auth.login", "登录成功")
    LOGIN_FAILED = _event("auth.login_failed", "登录失败")
    LOCKOUT = _event("auth.lockout", "账号锁定")
    UNLOCK = _event("auth.unlock", "账号解锁")
    LOGOUT = _event("auth.logout", "退出登录")
    SESSION_EXPIRED = _event("auth.session_expired", "会话超时")
    REGISTER = _event("account.register", "新用户注册")
    PASSWORD_CHANGE = _event("account.password_change", "修改密码")
    PASSWORD_RESET = _event("account.password_reset", "找回密码")
    MOBILE_CHANGE = _event("account.mobile_change", "手机号变更")
    PROFILE_CHANGE = _event("account.profile_change", "基础信息修改")
    AVATAR_CHANGE = _event("account.avatar_change", "头像修改")
    ADDRESS_CHANGE = _event("account.address_change", "收件地址修改")
    SMS_SEND = _event("sms.send", "发送短信验证码")
    SMS_VERIFY = _event("sms.verify", "校验短信验证码")
    ACCESS_DENIED = _event("access.denied", "越权访问")
    OTP_ENROL = _event("otp.enrol", "绑定动态码")
    OTP_VERIFY = _event("otp.verify", "校验动态码")
    OTP_RESET = _event("otp.reset", "重置动态码")
    LEARNER_SEARCH = _event("learner.search", "查询学员")
    LEARNER_VIEW = _event("learner.view", "查看学员信息")
    LEARNER_RESET = _event("learner.password_reset", "工考办发起密码重置")
    LEARNER_IMPORT = _event("learner.import", "导入单位花名册")
    ORDER_PLACE = _event("order.place", "提交订单")
    ORDER_TRANSITION = _event("order.transition", "订单状态变更")
    PAYMENT_START = _event("payment.start", "发起支付")
    PAYMENT_NOTIFY = _event("payment.notify", "支付通知")
    PAYMENT_QUERY = _event("payment.query", "支付查询")
    PAYMENT_FLAG = _event("payment.flag", "异常支付标记")
    REFUND = _event("payment.refund", "退款")
    PAYMENT_TRANSITION = _event("payment.transition", "支付状态变更")
    INVOICE_REQUEST = _event("invoice.request", "申请开票")
    INVOICE_ISSUE = _event("invoice.issue", "开具发票")
    INVOICE_VOID = _event("invoice.void", "作废发票")
    INVOICE_DOWNLOAD = _event("invoice.download", "下载电子发票")
    UNIT_ORDER_PLACE = _event("unit_order.place", "单位统一报名下单")
    ENROLLMENT_OPEN = _event("enrollment.open", "开通班级")
    ENROLLMENT_START = _event("enrollment.start", "开始学习")
    ENROLLMENT_REFUND = _event("enrollment.refund", "班级退款关闭")
    ENROLLMENT_COMPLETE = _event("enrollment.complete", "班级结业")
    ENROLLMENT_REOPEN = _event("enrollment.reopen", "班级恢复为学习中")
    EXAM_START = _event("exam.start", "开始考试")
    EXAM_SUBMIT = _event("exam.submit", "交卷")
    EXAM_VOID = _event("exam.void", "考试成绩作废")
    CERTIFICATE_ISSUE = _event("certificate.issue", "证书签发")
    CERTIFICATE_REVOKE = _event("certificate.revoke", "证书撤销")
    DECLARATION_FILE = _event("declaration.file", "视同申报提交")
    DECLARATION_EDIT = _event("declaration.edit", "视同申报修改")
    DECLARATION_WITHDRAW = _event("declaration.withdraw", "视同申报撤回")
    DECLARATION_APPROVE = _event("declaration.approve", "视同申报通过")
    DECLARATION_REJECT = _event("declaration.reject", "视同申报驳回")
    DECLARATION_REVERSE = _event("declaration.reverse", "视同申报撤销审批")
    ATTACHMENT_VIEW = _event("declaration.attachment_view", "查看申报附件")
    FACETOFACE_BOOK = _event("facetoface.book", "报名面授")
    FACETOFACE_CANCEL = _event("facetoface.cancel", "取消面授报名")
    FACETOFACE_PROMOTE = _event("facetoface.promote", "面授候补转为报名")
    FACETOFACE_CLASS_SAVE = _event("facetoface.class_save", "面授班新建或修改")
    FACETOFACE_ATTENDANCE = _event("facetoface.attendance", "面授考勤登记")
    FACETOFACE_EXPORT = _event("facetoface.export", "导出面授报名名单")
    REPORT_EXPORT = _event("report.export", "导出统计报表")
    AUDIT_VIEW = _event("audit.view", "查看审计日志")
    AUDIT_EXPORT = _event("audit.export", "导出审计日志")
    QUESTION_EXPORT = _event("question.export", "导出题库")
    QUESTION_IMPORT = _event("question.import", "导入题库")
    VIDEO_TRANSCODE = _event("video.transcode", "课件视频转码")
    VIDEO_UPLOAD = _event("video.upload", "上传课件视频")
    CONTENT_SAVE = _event("content.save", "课程内容新建或修改")
    SITE_SAVE = _event("site.save", "联系我们、常见问题或通知公告修改")
    REMINDER_SEND = _event("reminder.send", "发送学习提醒")
    LEARNER_CITY_GRADE = _event("learner.city_grade", "工考办修改学员所属地市或技术等级")
    STAFF_SAVE = _event("staff.save", "工作人员账号修改")
    SESSIONS_END = _event("account.sessions_end", "强制下线")
    PI_EXPORT = _event("privacy.export", "下载个人信息")
    PI_REVEAL = _event("privacy.reveal", "查看完整号码")
    CONSENT_WITHDRAW = _event("privacy.consent_withdraw", "撤回个人信息处理同意")
    CONSENT_GIVE = _event("privacy.consent_give", "同意个人信息处理")
    CLOSURE_REQUEST = _event("closure.request", "申请注销账号")
    CLOSURE_WITHDRAW = _event("closure.withdraw", "撤回注销申请")
    CLOSURE_COMPLETE = _event("closure.complete", "办理注销")
    MOBILE_REBIND = _event("learner.mobile_rebind", "工考办更换绑定手机")
    UNIT_INVITE = _event("unit_order.invite", "单位统一报名邀请学员")
    UNIT_INVITATION_CONFIRM = _event("unit_order.invitation_confirm", "学员确认单位统一报名")
    UNIT_INVITATION_DECLINE = _event("unit_order.invitation_decline", "学员拒绝单位统一报名")
    QUESTION_EXAM_ONLY = _event("question.exam_only", "标记题目仅用于考试")
    USER_ACCESS_CHANGE = _event("account.access_change", "账号角色、地市或权限变更")
    ADMIN_PASSWORD_SET = _event("admin.password_set", "管理员设置密码")
    ANOMALY_CLEAR = _event("anomaly.clear", "学习异常核实正常")
    ANOMALY_CONFIRM = _event("anomaly.confirm", "学习异常确认违规")
    ANOMALY_SCAN = _event("anomaly.scan", "立即检查学习异常")


def label(event: str) -> str:
    """The Chinese name of an event for the log viewer and exports (an unknown one shows as stored)."""
    return EVENT_LABELS.get(event, event)


def event_choices():
    """(event, label) pairs for a filter form. The audit migrations before 0010 name this function too."""
    return list(EVENT_LABELS.items())


class AuditRecord(models.Model):
    """One security-relevant event. Append-only: never updated or deleted by the application
    (and, on PostgreSQL, a trigger refuses UPDATE and DELETE). Never holds a password, an SMS
    code, a session id or a full ID number or mobile."""

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    event = models.CharField("事件", max_length=64, db_index=True)
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
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.event_label}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("audit records are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("audit records are append-only")

    @property
    def event_label(self) -> str:
        return label(self.event)
