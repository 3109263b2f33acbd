import hashlib
import hmac

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from jxjy.lib import crypto
from jxjy.lib.fields import EncryptedTextField
from jxjy.lib.masking import mask_id_number, mask_mobile

from . import authcard


class City(models.Model):
    """A Jiangsu city (or 省直): the scope of a city office. Loaded from jxjy.lib.regions."""

    code = models.CharField("区划代码", max_length=6, primary_key=True)
    name = models.CharField("名称", max_length=16, unique=True)

    class Meta:
        verbose_name = verbose_name_plural = "地市"
        ordering = ["code"]

    def __str__(self):
        return self.name


class Grade(models.TextChoices):
    ORDINARY = "PT", "普通工"
    JUNIOR = "L5", "初级工"
    INTERMEDIATE = "L4", "中级工"
    SENIOR = "L3", "高级工"
    TECHNICIAN = "L2", "技师"
    SENIOR_TECHNICIAN = "L1", "高级技师"


class Role(models.TextChoices):
    LEARNER = "learner", "学员"
    PROVINCE = "province", "省级管理员"
    CITY = "city", "市工考办"
    FINANCE = "finance", "财务"
    CONTENT = "content", "课程管理员"
    # 三员分立 (等保 L3): the system, security and audit administrators are three distinct staff roles.
    SYSTEM = "sysadmin", "系统管理员"
    SECURITY = "secadmin", "安全管理员"
    AUDITOR = "auditor", "审计管理员"


class Gender(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


def id_number_index(id_number: str) -> str:
    return crypto.blind_index(id_number, "id_number")


def mobile_index(mobile: str) -> str:
    return crypto.blind_index(mobile, "mobile")


class User(AbstractUser):
    """A learner or a staff member.

    A learner's username is the keyed blind index of the ID number, so the login
    lookup, the unique constraint (one account per ID number) and django-axes'
    records never hold the number itself. ID number and mobile are encrypted.
    """

    first_name = None
    last_name = None

    name = models.CharField("姓名", max_length=30)
    role = models.CharField("角色", max_length=16, choices=Role.choices, default=Role.LEARNER)
    id_number = EncryptedTextField("身份证号", purpose="id_number", blank=True)
    mobile = EncryptedTextField("手机号", purpose="mobile", blank=True)
    mobile_index = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    mobile_verified_at = models.DateTimeField("手机验证时间", null=True, blank=True)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices, blank=True)
    work_unit = models.CharField("工作单位", max_length=100, blank=True)
    city = models.ForeignKey(City, verbose_name="所属地市", null=True, blank=True, on_delete=models.PROTECT)
    grade = models.CharField("技术等级", max_length=2, choices=Grade.choices, blank=True)
    avatar = models.CharField("头像", max_length=200, blank=True, editable=False)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)
    privacy_consent_at = models.DateTimeField("个人信息处理同意时间", null=True, blank=True)
    privacy_policy_version = models.CharField("同意的说明版本", max_length=16, blank=True)
    # Set the first time a city office acts on something of the learner's (a claim, a booking, an import):
    # from then on the learner's 所属地市 changes only through the city office (学员管理, accounts.learners), audited.
    city_locked_at = models.DateTimeField("所属地市锁定时间", null=True, blank=True)
    # Part of the session hash: raising it ends every session of the account at its next request, wherever it is
    # stored (database or Redis) — 强制下线 without touching the password.
    session_generation = models.PositiveIntegerField(default=0, editable=False)
    # 站内消息 not yet opened, kept with the account so every page's header shows it without a query (Message).
    unread_messages = models.PositiveIntegerField("未读站内消息", default=0, editable=False)

    objects = UserManager()
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = verbose_name_plural = "用户"
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="city") | Q(city__isnull=False),
                name="city_staff_has_city",
            )
        ]

    def __str__(self):
        return self.name or self.username

    @property
    def is_learner(self):
        return self.role == Role.LEARNER and not self.is_staff_member

    @property
    def is_staff_member(self):
        """Any back-office account (a staff role, or Django's staff/superuser flags on any role): it signs in at
        /office/login/ and passes the second factor before any page."""
        return self.role != Role.LEARNER or self.is_staff or self.is_superuser

    @property
    def needs_mobile(self):
        return self.is_learner and self.mobile_verified_at is None

    @property
    def id_number_masked(self):
        return mask_id_number(self.id_number)

    @property
    def mobile_masked(self):
        return mask_mobile(self.mobile)

    @property
    def display_name(self):
        return self.name or self.username

    def _get_session_auth_hash(self, secret=None):
        # Django checks this on every request of a session; the generation makes end_sessions() possible.
        key_salt = "jxjy.accounts.User.get_session_auth_hash"
        return salted_hmac(
            key_salt, f"{self.password}|{self.session_generation}", secret=secret, algorithm="sha256"
        ).hexdigest()

    def end_sessions(self):
        """End every session of this account (each is refused at its next request)."""
        type(self).objects.filter(pk=self.pk).update(session_generation=F("session_generation") + 1)
        self.refresh_from_db(fields=["session_generation"])
        authcard.forget(self.pk)  # the heartbeat's fast path too (an update sends no post_save)

    def lock_city(self):
        """A city office has acted on something of this learner's: from now on 所属地市 changes only through it."""
        if self.city_locked_at is None:
            self.city_locked_at = timezone.now()
            type(self).objects.filter(pk=self.pk, city_locked_at__isnull=True).update(
                city_locked_at=self.city_locked_at
            )

    def set_mobile(self, mobile: str):
        self.mobile = mobile
        self.mobile_index = mobile_index(mobile)
        self.mobile_verified_at = timezone.now()


class SmsPurpose(models.TextChoices):
    REGISTER = "register", "新用户注册"
    RESET = "reset", "找回密码"
    BIND = "bind", "完善手机信息"
    REBIND = "rebind", "更换绑定手机"  # sent at the city office's desk to the learner's new mobile


class SmsCode(models.Model):
    """A one-time code sent to a mobile for one purpose. Only a keyed hash of the code is kept."""

    mobile_index = models.CharField(max_length=64, db_index=True)
    purpose = models.CharField(max_length=16, choices=SmsPurpose.choices)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "短信验证码"
        indexes = [models.Index(fields=["mobile_index", "purpose", "-created_at"])]

    def __str__(self):
        return f"{self.get_purpose_display()} {self.created_at:%Y-%m-%d %H:%M}"

    @staticmethod
    def hash_code(mobile_idx: str, purpose: str, code: str) -> str:
        key = hashlib.sha256(f"{settings.SECRET_KEY}|sms-code".encode()).digest()
        return hmac.new(key, f"{mobile_idx}|{purpose}|{code}".encode(), hashlib.sha256).hexdigest()

    def is_usable(self, now=None):
        now = now or timezone.now()
        return self.used_at is None and self.expires_at > now and self.failed_attempts < settings.SMS_CODE_MAX_TRIES


class Address(models.Model):
    """A 收件地址 for mailed invoices. The recipient's mobile is encrypted like the learner's."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="addresses")
    recipient = models.CharField("收件人", max_length=30)
    mobile = EncryptedTextField("联系电话", purpose="address_mobile")
    region = models.CharField("所在地区", max_length=60, help_text="省 / 市 / 区县")
    detail = models.CharField("详细地址", max_length=120)
    postcode = models.CharField("邮政编码", max_length=6, blank=True)
    is_default = models.BooleanField("默认地址", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "收件地址"
        ordering = ["-is_default", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(is_default=True), name="one_default_address"),
        ]

    def __str__(self):
        return f"{self.recipient} {self.region}{self.detail}"

    @property
    def mobile_masked(self):
        return mask_mobile(self.mobile)


class ClosureState(models.TextChoices):
    PENDING = "pending", "待办理"
    DONE = "done", "已注销"
    WITHDRAWN = "withdrawn", "已撤回"


class ClosureRequest(models.Model):
    """A learner's request to cancel the account (注销账号, PIPL Art. 47). The city office completes it: what the law
    lets go is anonymised, the hours ledger, orders, payments and invoices are kept (storage only)."""

    TRANSITIONS = {
        ClosureState.PENDING: {ClosureState.DONE, ClosureState.WITHDRAWN},
        ClosureState.DONE: set(),
        ClosureState.WITHDRAWN: set(),
    }

    user = models.ForeignKey(User, verbose_name="学员", on_delete=models.PROTECT, related_name="closure_requests")
    state = models.CharField("状态", max_length=16, choices=ClosureState.choices, default=ClosureState.PENDING)
    reason = models.CharField("注销原因", max_length=200, blank=True)
    requested_at = models.DateTimeField("申请时间", default=timezone.now)
    handled_by = models.ForeignKey(
        User, verbose_name="办理人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handled_at = models.DateTimeField("办理时间", null=True, blank=True)
    # 撤回同意: the platform cannot serve without the consent, so withdrawing it is a request to close the account.
    withdraws_consent = models.BooleanField("撤回个人信息处理同意", default=False)
    withdrawn_at = models.DateTimeField("撤回申请时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "注销申请"
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(state="pending"), name="one_pending_closure"),
        ]

    def __str__(self):
        return f"{self.user} {self.get_state_display()}"


class MessageKind(models.TextChoices):
    NOTICE = "notice", "通知"
    REMINDER = "reminder", "学习提醒"  # office.reminders: at most one per learner per REMINDER_INTERVAL


class Message(models.Model):
    """A 站内消息 to one learner (plain text). Any app may write one through `Message.send`, which keeps the
    learner's `unread_messages` in step; opening it (`mark_read`) counts it read once."""

    learner = models.ForeignKey(User, verbose_name="学员", on_delete=models.CASCADE, related_name="inbox")
    kind = models.CharField("类型", max_length=16, choices=MessageKind.choices, default=MessageKind.NOTICE)
    title = models.CharField("标题", max_length=60)
    body = models.TextField("内容")
    created_at = models.DateTimeField("发送时间", default=timezone.now)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)
    sms_sent_at = models.DateTimeField("短信发送时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "站内消息"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["learner", "kind", "-created_at"])]

    def __str__(self):
        return self.title

    @classmethod
    def send(cls, messages: list["Message"]) -> list["Message"]:
        """Save new messages and raise each learner's unread count (call inside the caller's transaction)."""
        created = cls.objects.bulk_create(messages)
        per_learner: dict[int, int] = {}
        for message in created:
            per_learner[message.learner_id] = per_learner.get(message.learner_id, 0) + 1
        for count in set(per_learner.values()):
            learners = [pk for pk, n in per_learner.items() if n == count]
            User.objects.filter(pk__in=learners).update(unread_messages=F("unread_messages") + count)
        return created

    def mark_read(self) -> bool:
        """The learner opened it: read once, the unread count lowered once even when two requests race. True when
        this call marked it."""
        now = timezone.now()
        if not type(self).objects.filter(pk=self.pk, read_at__isnull=True).update(read_at=now):
            return False
        self.read_at = now
        User.objects.filter(pk=self.learner_id, unread_messages__gt=0).update(unread_messages=F("unread_messages") - 1)
        return True
