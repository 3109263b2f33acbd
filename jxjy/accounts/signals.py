"""Sign-in events into the audit log."""

import time

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from jxjy.audit.models import Event
from jxjy.audit.services import record

from .middleware import LAST_SEEN, SIGNED_IN_AT


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
    # credentials["username"] is the blind index for learners: never the ID number itself.
    record(Event.LOGIN_FAILED, request=request, result="failed", account=str(credentials.get("username", ""))[:16])


@receiver(user_locked_out)
def on_locked_out(sender, request, username=None, ip_address=None, **kwargs):
    record(Event.LOCKOUT, request=request, result="locked", account=str(username or "")[:16])
