"""Sign-in events, and every change of a user's access (role, city, staff flags, 允许登录, groups, permissions),
into the audit log."""

import time

from axes.signals import user_locked_out
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.lib.request_context import current_request

from . import authcard
from .middleware import LAST_SEEN, SIGNED_IN_AT
from .models import User
from .usernames import safe_username


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN] = now
    record(Event.LOGIN, actor=user, request=request, obj=user)


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        record(Event.LOGOUT, actor=user, request=request, obj=user)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    # credentials["username"] is the blind index for learners; anything typed that looks like an ID number or a
    # mobile (at the staff sign-in) is kept as its keyed hash only.
    account = safe_username(str(credentials.get("username", "")))[:16]
    record(Event.LOGIN_FAILED, request=request, result="failed", account=account)


@receiver(user_locked_out)
def on_locked_out(sender, request, username=None, ip_address=None, **kwargs):
    record(Event.LOCKOUT, request=request, result="locked", account=safe_username(str(username or ""))[:16])


# --- Changes of a user's access ----------------------------------------------------------------------------------
# Whatever changes them — the Django admin, the back office, a learner's own 账号设置, a management command — a
# change of these fields is one USER_ACCESS_CHANGE record with {field: [old, new]} and, when it happens in a request,
# who did it and from where (jxjy.lib.request_context.current_request). QuerySet.update() bypasses signals: the
# platform never changes these fields that way.
ACCESS_FIELDS = {
    "role": "role",
    "city": "city_id",
    "is_staff": "is_staff",
    "is_superuser": "is_superuser",
    "is_active": "is_active",
}
_BEFORE = "_access_before"


def _record_access(user, changes):
    record(Event.USER_ACCESS_CHANGE, obj=user, changes=changes)  # who and from where: the request context


@receiver(pre_save, sender=User)
def remember_access(sender, instance, raw=False, update_fields=None, **kwargs):
    instance.__dict__.pop(_BEFORE, None)
    if raw or instance.pk is None:
        return
    if update_fields is not None and not set(update_fields) & (set(ACCESS_FIELDS) | set(ACCESS_FIELDS.values())):
        return  # last_login, the avatar, …: no extra query on the hot paths
    before = User.objects.filter(pk=instance.pk).values(*ACCESS_FIELDS.values()).first()
    if before is not None:
        instance.__dict__[_BEFORE] = before


@receiver(post_save, sender=User)
def record_access_change(sender, instance, created, raw=False, **kwargs):
    before = instance.__dict__.pop(_BEFORE, None)
    if raw:
        return
    after = {name: getattr(instance, attname) for name, attname in ACCESS_FIELDS.items()}
    if created:
        # A staff account made in the admin or the back office (a learner registering or imported is audited by its
        # own workflow; one made by a management command, such as createsuperuser, has nobody to name).
        if current_request.get() is None or not instance.is_staff_member:
            return
        changes = {name: [None, value] for name, value in after.items()}
    elif before is not None:
        changes = {
            name: [before[ACCESS_FIELDS[name]], value]
            for name, value in after.items()
            if before[ACCESS_FIELDS[name]] != value
        }
    else:
        return
    if changes:
        _record_access(instance, changes)


def _labels(field, pks):
    if field == "groups":
        return sorted(Group.objects.filter(pk__in=pks).values_list("name", flat=True))
    return sorted(
        f"{app}.{code}"
        for app, code in Permission.objects.filter(pk__in=pks).values_list("content_type__app_label", "codename")
    )


THROUGH_TARGET = {"groups": "group", "user_permissions": "permission"}
_CLEARED = "_access_cleared"


def _m2m_changed(field, sender, instance, action, reverse, pk_set, **kwargs):
    """groups / user_permissions added, removed or cleared, from either side (user.groups.add, group.user_set.add)."""
    target = THROUGH_TARGET[field]
    if action == "pre_clear":  # a clear names nothing: remember what is about to go
        rows = sender.objects.filter(**{target if reverse else "user": instance.pk})
        instance.__dict__[_CLEARED] = set(rows.values_list("user_id" if reverse else f"{target}_id", flat=True))
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    changed = instance.__dict__.pop(_CLEARED, set()) if action == "post_clear" else set(pk_set or ())
    if not changed:
        return
    if reverse:  # the instance is the group or permission; the users are in pk_set
        users, targets = User.objects.filter(pk__in=changed), {instance.pk}
    else:
        users, targets = [instance], changed
    for user in users:
        now = set(getattr(user, field).values_list("pk", flat=True))
        before = now - targets if action == "post_add" else now | targets
        _record_access(user, {field: [_labels(field, before), _labels(field, now)]})


@receiver(m2m_changed, sender=User.groups.through)
def record_groups_change(sender, **kwargs):
    _m2m_changed("groups", sender, **kwargs)


@receiver(m2m_changed, sender=User.user_permissions.through)
def record_permissions_change(sender, **kwargs):
    _m2m_changed("user_permissions", sender, **kwargs)


@receiver(post_save, sender=User)
def forget_auth_card(sender, instance, created, raw=False, update_fields=None, **kwargs):
    """A change that could alter what the heartbeat's fast path knows of the account buries its auth card (a save of
    other fields — last_login, the avatar — leaves it)."""
    if not created and (update_fields is None or authcard.FIELDS & set(update_fields)):
        authcard.forget(instance.pk)


@receiver(post_delete, sender=User)
def forget_deleted_auth_card(sender, instance, **kwargs):
    authcard.forget(instance.pk)
