"""Staff accounts in the back office: edited by 省级管理员 and 系统管理员 (never by the account itself), sessions ended
by 省级管理员 and 安全管理员. Everything audited with the old and new values."""

from django.db import transaction

from jxjy.accounts.models import User
from jxjy.audit.models import Event
from jxjy.audit.services import record

STAFF_FIELDS = ("name", "role", "city", "is_active")


def save_staff(*, member: User, changes: dict, actor: User) -> dict:
    """Save a staff account's name, role, city and 允许登录. A change of role, city or 允许登录 ends the account's
    sessions: it signs in again with its new rights. Returns {field: [old, new]} of what changed."""
    with transaction.atomic():
        member = User.objects.select_for_update().get(pk=member.pk)
        changed = {}
        for field in STAFF_FIELDS:
            old, new = getattr(member, field), changes[field]
            if old != new:
                changed[field] = [_plain(old), _plain(new)]
                setattr(member, field, new)
        if not changed:
            return {}
        member.save(update_fields=list(changed))
        if set(changed) - {"name"}:
            member.end_sessions()
        record(Event.STAFF_SAVE, actor=actor, obj=member, changes=changed)
    return changed


def end_sessions(*, user: User, actor: User) -> None:
    """强制下线: every session of `user` is refused at its next request."""
    with transaction.atomic():
        user.end_sessions()
        record(Event.SESSIONS_END, actor=actor, obj=user)


def _plain(value):
    return getattr(value, "pk", value)
