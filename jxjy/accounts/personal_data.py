"""个人信息: 下载我的个人信息 and 申请注销账号 (PIPL Arts. 45, 47; security requirements 28–29).

accounts is a low app and may not import orders, learning, exams … So each higher app that holds a learner's
records registers, from its AppConfig.ready(), an exporter (its part of the download) and, where it holds personal
data the law lets go, an anonymiser (run when the city office completes a 注销申请). This module keeps the two
registries and the workflows that run them:

- the download is a ZIP made in memory (a readable JSON, the avatar, a short readme) and streamed once: nothing is
  written to disk, nothing is cached, and nothing personal enters a URL;
- a 注销申请 is made by the learner (password again), may be withdrawn while pending, and is completed by the city
  office: every anonymiser runs, then the account itself is emptied (name → 已注销学员, numbers and their blind
  indexes cleared, the username replaced so the same person can register again). The hours ledger, orders,
  payments, invoices and certificate records stay, tied to the emptied account (storage only).
"""

import io
import json
import logging
import secrets
import zipfile
from collections.abc import Callable
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from jxjy.audit.models import AuditRecord, Event
from jxjy.audit.services import record
from jxjy.lib.errors import UserError
from jxjy.lib.sms import send_sms
from jxjy.lib.sms.base import SmsError
from jxjy.lib.states import move

from .models import Address, ClosureRequest, ClosureState, Message, Role, SmsCode, User
from .services import PRIVACY_POLICY_VERSION, check_current_password

logger = logging.getLogger(__name__)

CLOSED_NAME = "已注销学员"
CLOSED_USERNAME_PREFIX = "closed-"

# The download reads in the order a learner meets these things; a section not listed comes after them.
SECTION_ORDER = [
    "订单",
    "单位统一报名",
    "预报名清单",
    "支付记录",
    "发票",
    "班级与学习进度",
    "学时记录",
    "考试记录",
    "练习与错题本",
    "视同申报",
    "面授班报名",
    "证书",
]

Exporter = Callable[[User], Any]
Anonymiser = Callable[[User], str]

_exporters: dict[str, Exporter] = {}
_anonymisers: dict[str, Anonymiser] = {}


def register_exporter(label: str, fn: Exporter) -> None:
    """Add a section `label` (its heading in the download, in Chinese) filled by `fn(user)` with JSON-ready data:
    dicts, lists, strings and numbers (use `when()` for times). Called from the owning app's ready()."""
    if _exporters.get(label, fn) is not fn:
        raise ImproperlyConfigured(f"two exporters for {label!r}")
    _exporters[label] = fn


def register_anonymiser(label: str, fn: Anonymiser) -> None:
    """Add a step run inside the transaction that completes a 注销申请: `fn(user)` deletes or clears what its app
    holds that the law lets go, schedules file deletions with transaction.on_commit, and returns a short summary
    for the audit record (counts only, never personal data)."""
    if _anonymisers.get(label, fn) is not fn:
        raise ImproperlyConfigured(f"two anonymisers for {label!r}")
    _anonymisers[label] = fn


def exporters() -> dict[str, Exporter]:
    return dict(_exporters)


def anonymisers() -> dict[str, Anonymiser]:
    return dict(_anonymisers)


def when(moment) -> str:
    """A time as the learner reads it (Beijing time, to the second); empty when there is none."""
    if not moment:
        return ""
    if hasattr(moment, "hour"):
        return f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S}"
    return f"{moment:%Y-%m-%d}"


def delete_file_on_commit(name: str) -> None:
    """Delete a stored file once the surrounding transaction commits (never a file a rollback still needs)."""
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))


# --- Password confirmation ---------------------------------------------------------------------


def confirm_password(user: User, password: str, *, event: str) -> None:
    """The learner's own password again before their numbers are shown, downloaded or the account closed; a
    signed-in session alone (a borrowed phone, an unlocked office PC) is not enough. Limited like every other
    password check of a signed-in learner, so a stolen session cannot guess the password here."""
    check_current_password(user, password, event=event, field="password", message="密码不正确，请重新输入。")


# --- 下载我的个人信息 ----------------------------------------------------------------------------


def _account_section(user: User) -> dict:
    return {
        "姓名": user.name,
        "身份证号": user.id_number,
        "手机号": user.mobile,
        "手机号验证时间": when(user.mobile_verified_at),
        "性别": user.get_gender_display(),
        "所属地市": user.city.name if user.city_id else "",
        "工作单位": user.work_unit,
        "技术等级": user.get_grade_display(),
        "电子邮箱": user.email,
        "头像": "见压缩包中的 avatar.jpg" if user.avatar else "未上传",
        "注册时间": when(user.date_joined),
        "最近登录时间": when(user.last_login),
        "最近修改密码时间": when(user.password_changed_at),
    }


def _consent_section(user: User) -> dict:
    return {
        "说明": "《个人信息保护说明》：平台为办理继续教育处理您的身份证号和手机号。",
        "同意时间": when(user.privacy_consent_at),
        "同意的说明版本": user.privacy_policy_version,
    }


def _addresses_section(user: User) -> list:
    return [
        {
            "收件人": address.recipient,
            "联系电话": address.mobile,
            "所在地区": address.region,
            "详细地址": address.detail,
            "邮政编码": address.postcode,
            "默认地址": "是" if address.is_default else "否",
        }
        for address in Address.objects.filter(user=user)
    ]


def _closures_section(user: User) -> list:
    return [
        {
            "申请时间": when(item.requested_at),
            "状态": item.get_state_display(),
            "撤回个人信息处理同意": "是" if item.withdraws_consent else "否",
            "注销原因": item.reason,
            "撤回时间": when(item.withdrawn_at),
            "办理时间": when(item.handled_at),
        }
        for item in ClosureRequest.objects.filter(user=user)
    ]


def _trail_section(user: User) -> list:
    """The learner's own audit trail: what they did (sign-ins …) and what staff did to their account. Staff are
    named by role only; the details of a record stay in the log."""
    rows = []
    records = AuditRecord.objects.filter(Q(actor=user) | Q(object_type=User._meta.label, object_id=str(user.pk)))
    for item in records.order_by("-at", "-id").iterator(chunk_size=500):
        mine = item.actor_id == user.pk
        rows.append(
            {
                "时间": when(item.at),
                "事件": item.event_label,
                "结果": "成功" if item.result == "ok" else item.result,
                "操作人": "本人"
                if mine
                else (Role(item.actor_role).label if item.actor_role in Role.values else "系统"),
                "IP": (item.ip or "") if mine else "",
            }
        )
    return rows


def _messages_section(user: User) -> list:
    return [
        {"发送时间": when(m.created_at), "标题": m.title, "内容": m.body, "阅读时间": when(m.read_at)}
        for m in Message.objects.filter(learner=user)
    ]


def build_export(user: User) -> dict:
    """Everything the platform holds about `user`, section by section, ready for json.dumps."""
    data = {
        "说明": "这是江苏省机关事业单位工勤人员继续教育网络培训平台保存的您的个人信息。请妥善保管，不要发给他人。",
        "导出时间": when(timezone.now()),
        "账号信息": _account_section(user),
        "个人信息处理同意": _consent_section(user),
        "收件地址": _addresses_section(user),
        "注销申请": _closures_section(user),
        "站内消息": _messages_section(user),
    }
    rank = {label: i for i, label in enumerate(SECTION_ORDER)}
    for label in sorted(_exporters, key=lambda label: rank.get(label, len(rank))):
        data[label] = _exporters[label](user)
    data["操作记录"] = _trail_section(user)
    return data


README = """我的个人信息

本压缩包由“江苏省机关事业单位工勤人员继续教育网络培训平台”生成，内含：

  my-personal-data.json   平台保存的您的全部个人信息（账号、订单、学习、学时、考试、视同申报、面授班、证书、操作记录等）
  avatar.jpg              您上传的头像（如有）

JSON 文件可以用记事本、浏览器或其他文本工具打开。
文件中有您完整的身份证号和手机号，请妥善保管，不要发给他人；用完后请删除。
"""


def export_archive(*, user: User, password: str) -> tuple[str, bytes]:
    """下载我的个人信息: the password again, then a ZIP made in memory (never written to disk). Audited."""
    confirm_password(user, password, event=Event.PI_EXPORT)
    user = User.objects.select_related("city").get(pk=user.pk)
    data = build_export(user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        # UTF-8 with a byte-order mark, so Windows Notepad shows the Chinese text correctly.
        archive.writestr(
            "my-personal-data.json", "\ufeff" + json.dumps(data, ensure_ascii=False, indent=2, default=str)
        )
        archive.writestr("readme.txt", "\ufeff" + README)
        if user.avatar and default_storage.exists(user.avatar):
            with default_storage.open(user.avatar) as avatar:
                archive.writestr("avatar.jpg", avatar.read())
    content = buffer.getvalue()
    record(Event.PI_EXPORT, actor=user, obj=user, sections=len(data), size=len(content))
    filename = f"我的个人信息-{timezone.localdate():%Y%m%d}.zip"
    return filename, content


def reveal_own_numbers(*, user: User, password: str) -> dict:
    """查看完整号码 on the learner's own 个人信息 page: the password again. Audited (the values never are)."""
    confirm_password(user, password, event=Event.PI_REVEAL)
    record(Event.PI_REVEAL, actor=user, obj=user, fields=["id_number", "mobile"], own=True)
    return {"id_number": user.id_number, "mobile": user.mobile}


# --- 申请注销账号 -------------------------------------------------------------------------------


def pending_closure(user: User) -> ClosureRequest | None:
    return ClosureRequest.objects.filter(user=user, state=ClosureState.PENDING).first()


def _notify(user: User, text: str) -> None:
    """A notice to the learner's own mobile (no secrets); a failed notice must not undo the request."""
    if not user.mobile:
        return
    try:
        send_sms(user.mobile, "notice", {}, f"【工勤继续教育】{text}")
    except SmsError:
        logger.exception("SMS notice delivery failed")


CLOSURE_NOTICE = (
    "您已申请注销平台账号，所在地市工考办办理后账号将无法登录。如非本人操作，请立即登录修改密码并撤回注销申请。"
)


def request_closure(*, user: User, password: str, reason: str = "", withdraws_consent: bool = False) -> ClosureRequest:
    """申请注销账号 (or 撤回同意, which is the same request): the password again; one pending request per learner
    (asking again returns it). The learner gets an SMS notice, so a request made by someone else is noticed."""
    if not user.is_learner:
        raise UserError("只有学员账号可以申请注销。")
    confirm_password(user, password, event=Event.CLOSURE_REQUEST)
    try:
        with transaction.atomic():
            User.objects.select_for_update().filter(pk=user.pk).first()  # one request at a time per learner
            closure = pending_closure(user)
            if closure is None:
                closure = ClosureRequest.objects.create(
                    user=user, reason=reason[:200], withdraws_consent=withdraws_consent
                )
                record(Event.CLOSURE_REQUEST, actor=user, obj=closure, consent=withdraws_consent)
                transaction.on_commit(lambda: _notify(user, CLOSURE_NOTICE))
                withdrawn_now = withdraws_consent
            else:  # asked again: the pending request stands, and may now withdraw the consent too
                withdrawn_now = withdraws_consent and not closure.withdraws_consent
                if withdrawn_now:
                    closure.withdraws_consent = True
                    closure.save(update_fields=["withdraws_consent"])
            if withdrawn_now:
                version = user.privacy_policy_version
                record(Event.CONSENT_WITHDRAW, actor=user, obj=user, version=version, closure=closure.pk)
    except IntegrityError:  # a parallel request of the same learner won the partial unique index
        closure = pending_closure(user)
        if closure is None:
            raise
    return closure


def withdraw_closure(*, user: User, consent: bool) -> ClosureRequest | None:
    """撤回注销申请 while it is pending. A request that withdrew the consent is withdrawn only with the consent given
    again (the box ticked), which is recorded like the first consent. Quiet when nothing is pending."""
    with transaction.atomic():
        closure = ClosureRequest.objects.select_for_update().filter(user=user, state=ClosureState.PENDING).first()
        if closure is None:
            return None
        if closure.withdraws_consent and not consent:
            raise UserError("继续使用平台需要您同意《个人信息保护说明》，请勾选后再撤回注销申请。", field="consent")
        closure, _ = move(
            closure,
            ClosureState.WITHDRAWN,
            field="state",
            event=Event.CLOSURE_WITHDRAW,
            actor=user,
            withdrawn_at=timezone.now(),
        )
        if closure.withdraws_consent:
            user.privacy_consent_at, user.privacy_policy_version = timezone.now(), PRIVACY_POLICY_VERSION
            user.save(update_fields=["privacy_consent_at", "privacy_policy_version"])
            record(Event.CONSENT_GIVE, actor=user, obj=user, version=PRIVACY_POLICY_VERSION)
    return closure


def _anonymise_account(user: User) -> str:
    """Empty the account itself: what identifies the person goes, the row stays (the kept records point to it)."""
    old_username, old_mobile_index, avatar = user.username, user.mobile_index, user.avatar
    user.username = f"{CLOSED_USERNAME_PREFIX}{secrets.token_hex(16)}"  # frees the ID number for a new account
    user.name = CLOSED_NAME
    user.id_number = user.mobile = user.email = user.work_unit = user.gender = user.avatar = ""
    user.mobile_index = user.mobile_verified_at = None
    user.is_active = False
    user.set_unusable_password()
    user.save(
        update_fields=[
            "username",
            "name",
            "id_number",
            "mobile",
            "mobile_index",
            "mobile_verified_at",
            "email",
            "work_unit",
            "gender",
            "avatar",
            "is_active",
            "password",
        ]
    )
    user.end_sessions()  # every signed-in browser is signed out at its next request
    addresses = Address.objects.filter(user=user).delete()[0]
    Message.objects.filter(learner=user).delete()  # 站内消息 name the learner
    user.unread_messages = 0
    user.save(update_fields=["unread_messages"])
    if old_mobile_index:
        SmsCode.objects.filter(mobile_index=old_mobile_index).delete()
    # django-axes keys its records by the username (the ID number's blind index): the lock counters go, the
    # sign-in logs are kept for the log retention the law asks, under the new username.
    AccessAttempt.objects.filter(username=old_username).delete()
    AccessLog.objects.filter(username=old_username).update(username=user.username)
    AccessFailureLog.objects.filter(username=old_username).update(username=user.username)
    delete_file_on_commit(avatar)
    return f"账号已清空，删除收件地址 {addresses} 个{'、头像 1 个' if avatar else ''}"


def complete_closure(*, closure: ClosureRequest, actor: User) -> ClosureRequest:
    """办理注销 (the city office): every registered anonymiser, then the account; all or nothing, in one
    transaction; files are deleted after the commit. Quiet when already done; a withdrawn request is refused."""

    def anonymise(locked: ClosureRequest) -> dict:
        user = User.objects.select_for_update().get(pk=locked.user_id)
        done = {label: fn(user) for label, fn in _anonymisers.items()}
        done["账号"] = _anonymise_account(user)
        return {"closure": locked.pk, "done": done}

    closure, _ = move(
        closure,
        ClosureState.DONE,
        field="state",
        event=Event.CLOSURE_COMPLETE,
        actor=actor,
        message="学员已撤回该注销申请，无需办理。",
        about=closure.user,  # the record belongs to the learner's trail
        detail=anonymise,  # runs only once the request is known to be pending, inside the move's transaction
        handled_by=actor,
        handled_at=timezone.now(),
        reason="",
    )
    return closure
