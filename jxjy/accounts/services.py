"""Account workflows: registration, SMS codes, password reset and change, mobile, profile, addresses."""

import hashlib
import hmac
import io
import logging
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation, update_session_auth_hash
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

from jxjy.audit.models import Event
from jxjy.audit.services import client_ip, record
from jxjy.lib import crypto, ratelimit
from jxjy.lib.errors import UserError
from jxjy.lib.idcard import gender_of
from jxjy.lib.logging import redact
from jxjy.lib.masking import mask_mobile
from jxjy.lib.regions import city_hint_from_id_number
from jxjy.lib.request_context import request_id
from jxjy.lib.sms import send_sms
from jxjy.lib.sms.base import SmsError

from . import tasks
from .models import Address, Role, SmsCode, SmsPurpose, User, id_number_index, mobile_index

logger = logging.getLogger(__name__)
PRIVACY_POLICY_VERSION = "2026-11"
TAKEN_MESSAGE = "该身份证号或手机号已被注册。如果是您本人的账号，请使用“找回密码”；如有疑问，请联系所在地市工考办。"
BAD_CODE_MESSAGE = "短信验证码错误或已失效，请重新获取。"
ROSTER_MOBILE_MESSAGE = "请使用单位登记的手机号注册；手机号已更换的，请到所在市工考办更换。"
WRONG_PASSWORD_MESSAGE = "登录密码不正确。"
PASSWORD_TRIES_MESSAGE = "密码错误次数过多，操作过于频繁，请 15 分钟后再试。"
# Wrong current passwords (修改密码, 更换手机号) one signed-in account may type in 15 minutes.
PASSWORD_CHECKS_PER_15_MINUTES = 5
PASSWORD_WINDOW = 15 * 60


class SmsThrottled(UserError):
    """Too many SMS codes asked for: the page answers 429."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message, status=429, field=field)


# --- SMS codes ---------------------------------------------------------------------------------


def _throttle_sms(index: str, ip: str | None, now) -> None:
    """Per mobile: 1 a minute, 5 an hour, 10 a day (exact, counted from the sent codes);
    per IP: SMS_LIMIT_PER_IP_HOUR an hour. A short cache mutex stops concurrent duplicates."""
    for window, limit in settings.SMS_LIMITS_PER_MOBILE:
        sent = SmsCode.objects.filter(mobile_index=index, created_at__gt=now - timedelta(seconds=window)).count()
        if sent >= limit:
            if window <= 60:
                raise SmsThrottled("验证码发送过于频繁，请 1 分钟后再试。", field="mobile")
            raise SmsThrottled("该手机号今日获取验证码次数过多，请稍后再试。", field="mobile")
    if ip and not ratelimit.hit(f"sms-ip:{ip}", settings.SMS_LIMIT_PER_IP_HOUR, 3600):
        raise SmsThrottled("当前网络获取验证码次数过多，请稍后再试。", field="mobile")


def _issue_code(index: str, purpose: str, *, request) -> str:
    """Record a new code for `index` within the send limits and return it (the caller sends it
    once the row is committed)."""
    lock = f"sms-lock:{index}"
    if not cache.add(lock, 1, 10):
        raise SmsThrottled("验证码发送过于频繁，请 1 分钟后再试。", field="mobile")
    try:
        # The cache mutex alone ends before this transaction commits, so a parallel request could count the codes
        # before the new one is visible and send a second (seen on PostgreSQL): sends to one mobile also queue on
        # a transaction-scoped advisory lock, released by the commit itself.
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int(index[:15], 16)])
        now = timezone.now()
        _throttle_sms(index, client_ip(request), now)
        code = f"{secrets.randbelow(1_000_000):06d}"
        SmsCode.objects.create(
            mobile_index=index,
            purpose=purpose,
            code_hash=SmsCode.hash_code(index, purpose, code),
            created_at=now,
            expires_at=now + settings.SMS_CODE_TTL,
        )
        return code
    finally:
        cache.delete(lock)


def _deliver_code(mobile: str, purpose: str, code: str) -> None:
    try:
        send_sms(mobile, "code", {"code": code}, tasks.code_text(code, purpose))
    except SmsError:
        logger.exception("SMS code delivery failed")
        record(Event.SMS_SEND, result="failed", purpose=purpose, mobile=mask_mobile(mobile))
        raise UserError("短信发送失败，请稍后再试。", field="mobile") from None
    record(Event.SMS_SEND, purpose=purpose, mobile=mask_mobile(mobile))


def send_sms_code(*, mobile: str, purpose: str, request) -> None:
    """Send a fresh 6-digit code to `mobile` for `purpose`, within the send limits."""
    with transaction.atomic():
        code = _issue_code(mobile_index(mobile), purpose, request=request)
    _deliver_code(mobile, purpose, code)


def _check_code(index: str, purpose: str, code: str) -> bool:
    """Consume the latest code if `code` matches; count a wrong guess (void after the 5th).
    Runs and commits on its own so a wrong guess is counted even when the caller fails."""
    with transaction.atomic():
        latest = (
            SmsCode.objects.select_for_update()
            .filter(mobile_index=index, purpose=purpose)
            .order_by("-created_at", "-id")
            .first()
        )
        if latest is None or not latest.is_usable():
            return False
        expected = SmsCode.hash_code(index, purpose, code.strip())
        if not hmac.compare_digest(expected, latest.code_hash):
            SmsCode.objects.filter(pk=latest.pk).update(failed_attempts=F("failed_attempts") + 1)
            return False
        latest.used_at = timezone.now()
        latest.save(update_fields=["used_at"])
        return True


def verify_sms_code(*, mobile: str, purpose: str, code: str) -> bool:
    ok = _check_code(mobile_index(mobile), purpose, code)
    record(Event.SMS_VERIFY, result="ok" if ok else "failed", purpose=purpose)
    return ok


# --- Registration ------------------------------------------------------------------------------


def register_learner(*, name, id_number, mobile, password, code) -> User:
    """Create a learner after the SMS code proves the mobile; the ID number and mobile must be free.

    A learner pre-registered from a unit's roster (no usable password, no mobile yet) is activated instead:
    the same ID number and name, and the account takes the password, mobile and consent. An account that was
    ever activated stays a duplicate. The reply to a taken ID number or mobile is one message that names
    neither, given only after the code is verified, so probing needs a real phone for each try.
    """
    if not verify_sms_code(mobile=mobile, purpose=SmsPurpose.REGISTER, code=code):
        raise UserError(BAD_CODE_MESSAGE, field="sms_code")
    activated = _activate_pre_registered(name=name, id_number=id_number, mobile=mobile, password=password)
    if activated is not None:
        return activated
    user = User(
        username=id_number_index(id_number),
        name=name,
        id_number=id_number,
        gender=gender_of(id_number),
        role=Role.LEARNER,
        city_id=city_hint_from_id_number(id_number),
        password_changed_at=timezone.now(),
        privacy_consent_at=timezone.now(),
        privacy_policy_version=PRIVACY_POLICY_VERSION,
    )
    user.set_mobile(mobile)
    user.set_password(password)
    try:
        with transaction.atomic():
            if (
                User.objects.filter(username=user.username).exists()
                or User.objects.filter(mobile_index=user.mobile_index).exists()
            ):
                raise IntegrityError("taken")
            user.save()
            record(Event.REGISTER, actor=user, obj=user)
    except IntegrityError:
        # Only a taken ID number or mobile is the learner's problem; anything else is ours.
        taken = (
            User.objects.filter(username=user.username).exists()
            or User.objects.filter(mobile_index=user.mobile_index).exists()
        )
        if not taken:
            raise
        record(Event.REGISTER, result="refused", reason="taken")
        raise UserError(TAKEN_MESSAGE) from None
    return user


def is_pre_registered(user: User) -> bool:
    """Imported from a unit's roster and never activated: no usable password, no verified mobile, no consent."""
    return (
        user.role == Role.LEARNER
        and user.is_active
        and not user.has_usable_password()
        and user.mobile_verified_at is None
        and user.privacy_consent_at is None
        and user.last_login is None
    )


def _activate_pre_registered(*, name, id_number, mobile, password) -> User | None:
    """Activate the roster account of `id_number` by registration; None when there is none to activate.
    The name must be the roster's; a mismatch, or a mobile used by another account, is the usual refusal.

    A roster row that carried a mobile binds the account to it: only that mobile activates it, so knowing a
    colleague's name and ID number is not enough to take their account with one's own phone. Another mobile is
    refused — after its SMS code proved the phone, like every other refusal here — whatever the name, so the
    reply tells nothing about the name; a changed number is replaced by the city office (更换绑定手机)."""
    index = id_number_index(id_number)
    if not User.objects.filter(username=index, role=Role.LEARNER, password__startswith="!").exists():
        return None  # the common case costs one indexed lookup
    try:
        with transaction.atomic():
            user = User.objects.select_for_update().filter(username=index).first()
            if user is None or not is_pre_registered(user):
                return None  # activated meanwhile: the normal path refuses it as taken
            if user.mobile_index and user.mobile_index != mobile_index(mobile):
                raise _RosterMobileMismatch
            mobile_taken = User.objects.filter(mobile_index=mobile_index(mobile)).exclude(pk=user.pk).exists()
            if user.name != name or mobile_taken:
                raise IntegrityError("taken")
            user.set_mobile(mobile)
            user.set_password(password)
            user.password_changed_at = user.privacy_consent_at = timezone.now()
            user.privacy_policy_version = PRIVACY_POLICY_VERSION
            fields = [
                "mobile",
                "mobile_index",
                "mobile_verified_at",
                "password",
                "password_changed_at",
                "privacy_consent_at",
                "privacy_policy_version",
            ]
            user.save(update_fields=fields)
            record(Event.REGISTER, actor=user, obj=user, activated=True)
    except IntegrityError:
        record(Event.REGISTER, result="refused", reason="taken")
        raise UserError(TAKEN_MESSAGE) from None
    except _RosterMobileMismatch:
        record(Event.REGISTER, result="refused", reason="roster_mobile")
        raise UserError(ROSTER_MOBILE_MESSAGE, field="mobile") from None
    return user


class _RosterMobileMismatch(Exception):
    pass


# --- Password reset (找回密码) -------------------------------------------------------------------

_DECOY_PREFIXES = [
    "130",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "158",
    "159",
    "177",
    "180",
    "181",
    "182",
    "186",
    "187",
    "188",
    "189",
    "199",
]


def _decoy_mask(id_number: str, name: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"decoy|{id_number}|{name}".encode(), hashlib.sha256).digest()
    prefix = _DECOY_PREFIXES[digest[0] % len(_DECOY_PREFIXES)]
    return f"{prefix}****{int.from_bytes(digest[1:4], 'big') % 10000:04d}"


def start_password_reset(*, name: str, id_number: str, request) -> dict:
    """Send a reset code to the registered mobile if name and ID number match an account.

    Returns the ticket kept in the session: the same shape, a masked mobile and the same
    throttling whether or not the pair exists (a decoy mask and an unsent code otherwise).
    Both branches do the same work here: record a code under an index (the mobile's, or a stand-in
    for an unmatched pair) and queue the send; the task finds no mobile for a stand-in and sends nothing.
    """
    user = User.objects.filter(username=id_number_index(id_number), role=Role.LEARNER).first()
    # An unmatched request is throttled and verified like a real one, under a stand-in index.
    decoy_index = crypto.blind_index(id_number, "reset_decoy")
    matched = user is not None and user.name == name and user.mobile_verified_at is not None and user.is_active
    index = user.mobile_index if matched else decoy_index
    with transaction.atomic():
        code = _issue_code(index, SmsPurpose.RESET, request=request)
    # The task needs no row of this transaction: it takes the index and the encrypted code.
    tasks.send_reset_code.delay(index, tasks.seal_code(code), client_ip(request), request_id.get())
    return {
        "index": index,
        "user_id": user.pk if matched else None,
        "mobile_masked": user.mobile_masked if matched else _decoy_mask(id_number, name),
        "started": timezone.now().timestamp(),
    }


def finish_password_reset(*, ticket: dict, code: str, password: str) -> User:
    ok = _check_code(ticket["index"], SmsPurpose.RESET, code)
    record(Event.SMS_VERIFY, result="ok" if ok else "failed", purpose=SmsPurpose.RESET)
    if not ok or ticket["user_id"] is None:
        raise UserError(BAD_CODE_MESSAGE, field="sms_code")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=ticket["user_id"])
        _set_password(user, password)
        record(Event.PASSWORD_RESET, actor=user, obj=user)
    from axes.utils import reset as axes_reset

    axes_reset(username=user.username)
    _notify(user, "您的账号密码已通过“找回密码”重置。如非本人操作，请立即联系所在地市工考办。")
    return user


def send_assisted_reset_code(*, learner: User, actor: User, request) -> None:
    """工考办发起密码重置: a 找回密码 code goes to the learner's own verified mobile, with how to use it; the staff
    member never sees the code or a password. The learner sets the new password at 找回密码 → 输入验证码."""
    if not learner.is_learner or not learner.mobile or learner.mobile_verified_at is None:
        raise UserError("该学员尚未绑定手机号，无法发送重置验证码。请学员通过“新用户注册”激活账号。")
    with transaction.atomic():
        code = _issue_code(learner.mobile_index, SmsPurpose.RESET, request=request)
        record(Event.LEARNER_RESET, actor=actor, request=request, obj=learner, mobile=learner.mobile_masked)
    minutes = int(settings.SMS_CODE_TTL.total_seconds() // 60)
    text = (
        f"【工勤继续教育】所在地市工考办已为您发起密码重置，验证码 {code}，{minutes} 分钟内有效。"
        f"请在登录页点击“找回密码”→“已收到工考办发送的验证码”，填写姓名、身份证号和验证码后设置新密码。"
        f"请勿告诉他人。"
    )
    try:
        send_sms(learner.mobile, "code", {"code": code}, text)
    except SmsError:
        logger.exception("SMS code delivery failed")
        record(Event.SMS_SEND, request=request, result="failed", purpose=SmsPurpose.RESET, mobile=learner.mobile_masked)
        raise UserError("短信发送失败，请稍后再试。") from None
    record(Event.SMS_SEND, request=request, purpose=SmsPurpose.RESET, mobile=learner.mobile_masked)


def finish_assisted_reset(*, name: str, id_number: str, code: str, password: str) -> User:
    """The learner's side of 工考办发起密码重置: name, ID number and the received code set a new password.
    An unmatched name or ID number fails exactly like a wrong code."""
    user = User.objects.filter(username=id_number_index(id_number), role=Role.LEARNER).first()
    matched = user is not None and user.name == name and user.mobile_verified_at is not None and user.is_active
    ticket = {
        "index": user.mobile_index if matched else crypto.blind_index(id_number, "reset_decoy"),
        "user_id": user.pk if matched else None,
    }
    return finish_password_reset(ticket=ticket, code=code, password=password)


def validate_new_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise UserError(" ".join(exc.messages), field="new_password1") from None


def _set_password(user: User, password: str) -> None:
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "password_changed_at"])


def _send_notice(mobile: str, text: str) -> None:
    """A notice without secrets (password changed …); a failed notice must not undo the change."""
    try:
        send_sms(mobile, "notice", {}, f"【工勤继续教育】{text}")
    except SmsError:
        logger.exception("SMS notice delivery failed")


def _notify(user: User, text: str) -> None:
    if user.mobile:
        _send_notice(user.mobile, text)


def check_current_password(user: User, password: str, *, event, field: str, message: str) -> None:
    """The signed-in user proves it is them with the current password before a sensitive change or disclosure
    (修改密码, 更换手机号, 个人信息). Wrong passwords are audited and limited per account — all these pages share
    one count — so a session left open cannot be used to guess it."""
    key = f"password-wrong:{user.pk}"
    if ratelimit.count(key, PASSWORD_WINDOW) >= PASSWORD_CHECKS_PER_15_MINUTES:
        record(event, result="refused", reason="too_many_wrong_passwords")
        raise UserError(PASSWORD_TRIES_MESSAGE, field=field)
    if not user.check_password(password or ""):
        ratelimit.hit(key, PASSWORD_CHECKS_PER_15_MINUTES, PASSWORD_WINDOW)  # the window starts at the first one
        record(event, result="failed", reason="wrong_password")
        raise UserError(message, field=field)


def change_password(*, user: User, old_password: str, new_password: str, request) -> None:
    """Change the password; every other session of the user ends, this one stays signed in."""
    check_current_password(
        user, old_password, event=Event.PASSWORD_CHANGE, field="old_password", message="原密码不正确。"
    )
    validate_new_password(new_password, user)
    with transaction.atomic():
        _set_password(user, new_password)
        record(Event.PASSWORD_CHANGE, actor=user, request=request, obj=user)
    update_session_auth_hash(request, user)
    _notify(user, "您的账号密码已修改。如非本人操作，请立即使用“找回密码”重置。")


# --- Mobile (完善手机信息) ------------------------------------------------------------------------


def bind_mobile(*, user: User, mobile: str, code: str, password: str | None = None) -> None:
    """Save an SMS-verified mobile for the learner.

    Replacing a verified mobile also needs the current password: a session left open on someone else's screen
    must not be enough to take the phone that 找回密码 sends its codes to. The old mobile is told. The first mobile
    of an account that has none verified (完善手机信息, e.g. imported from a roster) needs only the code."""
    replacing = user.mobile_verified_at is not None
    if replacing:
        check_current_password(
            user, password, event=Event.MOBILE_CHANGE, field="password", message=WRONG_PASSWORD_MESSAGE
        )
    if not verify_sms_code(mobile=mobile, purpose=SmsPurpose.BIND, code=code):
        raise UserError(BAD_CODE_MESSAGE, field="sms_code")
    old_mobile, old_masked = user.mobile, user.mobile_masked
    try:
        with transaction.atomic():
            user.set_mobile(mobile)
            user.save(update_fields=["mobile", "mobile_index", "mobile_verified_at"])
            record(Event.MOBILE_CHANGE, actor=user, obj=user, old=old_masked, new=user.mobile_masked)
    except IntegrityError:
        user.refresh_from_db()
        raise UserError("该手机号已被其他账号使用，请更换手机号。", field="mobile") from None
    if replacing and old_mobile and old_mobile != mobile:
        _send_notice(
            old_mobile,
            "您在本平台的账号已更换绑定手机，本手机号不再接收该账号的验证码和通知。"
            "如非本人操作，请立即联系所在地市工考办。",
        )


# --- 更换绑定手机 at the city office (the remedy for a squatted account) ----------------------------------------

REBIND_CHECKS = [
    ("id_card", "本人持身份证原件到场核验"),
    ("unit_letter", "单位出具证明"),
    ("other", "其他"),
]
SAME_MOBILE_MESSAGE = "新手机号与该学员现在的手机号相同，无需更换。"


def _check_rebind_target(learner: User, mobile: str) -> None:
    if not learner.is_learner:
        raise UserError("只能为学员账号更换绑定手机。")
    if not learner.is_active:
        raise UserError("该账号已停用或已注销，不能更换绑定手机。")
    if learner.mobile_index == mobile_index(mobile) and learner.mobile_verified_at is not None:
        raise UserError(SAME_MOBILE_MESSAGE, field="mobile")


def send_rebind_code(*, learner: User, mobile: str, actor: User, request) -> None:
    """更换绑定手机, step 1: a code goes to the learner's new mobile, within the usual send limits; the learner at
    the desk reads it out. (Staff have passed the second factor: no image captcha here.)"""
    _check_rebind_target(learner, mobile)
    with transaction.atomic():
        code = _issue_code(mobile_index(mobile), SmsPurpose.REBIND, request=request)
    _deliver_code(mobile, SmsPurpose.REBIND, code)


def rebind_mobile(*, learner: User, mobile: str, code: str, checked: str, note: str, actor: User) -> User:
    """更换绑定手机, step 2: after the city office checked the learner's identity in person (what it checked is
    recorded) and the code proved the new mobile, the account is bound to it.

    Whoever held the account before is shut out: the password stops working (the learner sets a new one with
    找回密码, which now sends its code to the new mobile), every session ends at its next request, and the old mobile
    is told. A roster account that was never activated keeps waiting for 新用户注册, now with the new mobile.
    Audited with masked numbers; the office's note is kept with any personal number in it masked."""
    _check_rebind_target(learner, mobile)
    if not verify_sms_code(mobile=mobile, purpose=SmsPurpose.REBIND, code=code):
        raise UserError(BAD_CODE_MESSAGE, field="sms_code")
    new_index = mobile_index(mobile)
    taken = UserError("该手机号已被其他账号使用，不能绑定。请学员换一个本人的手机号。", field="mobile")
    try:
        with transaction.atomic():
            user = User.objects.select_for_update().get(pk=learner.pk)
            if User.objects.filter(mobile_index=new_index).exclude(pk=user.pk).exists():
                raise taken
            old_mobile, old_masked = user.mobile, user.mobile_masked
            pre_registered = is_pre_registered(user)
            user.mobile, user.mobile_index = mobile, new_index
            fields = ["mobile", "mobile_index"]
            if not pre_registered:
                user.mobile_verified_at = timezone.now()
                user.set_unusable_password()
                fields += ["mobile_verified_at", "password"]
            user.save(update_fields=fields)  # the unique mobile index refuses one taken meanwhile
            user.end_sessions()
            record(
                Event.MOBILE_REBIND,
                actor=actor,
                obj=user,
                old=old_masked,
                new=user.mobile_masked,
                checked=checked,
                note=redact(note),
                pre_registered=pre_registered,
            )
    except IntegrityError:
        raise taken from None
    if old_mobile and old_mobile != mobile:
        _send_notice(
            old_mobile,
            "所在地市工考办已核验身份，为您在本平台的账号更换了绑定手机，本手机号不再接收该账号的"
            "验证码和通知。如非本人申请，请立即联系所在地市工考办。",
        )
    if pre_registered:
        _send_notice(mobile, "您的账号已绑定本手机号。请在平台点击“新用户注册”，用本手机号激活账号。")
    else:
        _send_notice(
            mobile, "您的账号已绑定本手机号，原密码已失效。请在登录页点击“找回密码”，用本手机号接收验证码，设置新密码。"
        )
    return user


# --- Profile, avatar, addresses ---------------------------------------------------------------

PROFILE_FIELDS = ["gender", "work_unit", "city", "grade", "email"]


def update_profile(*, user: User, changes: dict) -> None:
    """Save the editable 基础信息; the audit record lists which fields changed, not their values."""
    changed = [field for field in PROFILE_FIELDS if field in changes and getattr(user, field) != changes[field]]
    if not changed:
        return
    with transaction.atomic():
        for field in changed:
            setattr(user, field, changes[field])
        user.save(update_fields=changed)
        record(Event.PROFILE_CHANGE, actor=user, obj=user, fields=changed)


AVATAR_FORMATS = {"JPEG", "PNG", "WEBP"}


def clean_avatar(upload) -> bytes:
    """Check an uploaded avatar by its content and re-encode it as a 400 px JPEG with no metadata."""
    if upload.size > settings.AVATAR_MAX_BYTES:
        raise UserError("头像文件不能超过 2 MB。", field="avatar")
    data = upload.read(settings.AVATAR_MAX_BYTES + 1)
    if len(data) > settings.AVATAR_MAX_BYTES:
        raise UserError("头像文件不能超过 2 MB。", field="avatar")
    invalid = UserError("只支持 JPG、PNG 或 WebP 格式的图片，请重新选择。", field="avatar")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in AVATAR_FORMATS:
                raise invalid
            if probe.width * probe.height > settings.AVATAR_MAX_PIXELS:
                raise UserError("图片尺寸过大，请选择较小的图片。", field="avatar")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            if image.mode in ("RGBA", "LA", "P"):
                image = image.convert("RGBA")
                background = Image.new("RGB", image.size, (255, 255, 255))
                background.paste(image, mask=image.getchannel("A"))
                image = background
            else:
                image = image.convert("RGB")
            image.thumbnail((400, 400))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=85, optimize=True)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        raise invalid from None
    return out.getvalue()


def set_avatar(*, user: User, upload) -> None:
    data = clean_avatar(upload)
    name = default_storage.save(f"avatars/{uuid.uuid4().hex}.jpg", ContentFile(data))
    old = user.avatar
    with transaction.atomic():
        user.avatar = name
        user.save(update_fields=["avatar"])
        record(Event.AVATAR_CHANGE, actor=user, obj=user)
    if old:
        transaction.on_commit(lambda: default_storage.delete(old))


MAX_ADDRESSES = 10


def save_address(*, user: User, address: Address) -> Address:
    """Create or update a 收件地址; the first one, or one marked default, becomes the only default."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # serialise this user's address edits
        others = Address.objects.filter(user=user).exclude(pk=address.pk)
        if address.pk is None and others.count() >= MAX_ADDRESSES:
            raise UserError(f"最多保存 {MAX_ADDRESSES} 个收件地址。")
        if not others.filter(is_default=True).exists():
            address.is_default = True
        if address.is_default:
            others.filter(is_default=True).update(is_default=False)
        address.user = user
        address.save()
        record(Event.ADDRESS_CHANGE, actor=user, obj=address, action="save")
    return address


def delete_address(*, user: User, address_id: int) -> None:
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        address = Address.objects.filter(user=user, pk=address_id).first()
        if address is None:
            return
        address.delete()
        if address.is_default:
            successor = Address.objects.filter(user=user).order_by("-created_at").first()
            if successor:
                successor.is_default = True
                successor.save(update_fields=["is_default"])
        record(Event.ADDRESS_CHANGE, actor=user, action="delete", address=address_id)


def set_default_address(*, user: User, address_id: int) -> None:
    with transaction.atomic():
        address = Address.objects.filter(user=user, pk=address_id).first()
        if address is None:
            return
        address.is_default = True
        save_address(user=user, address=address)
