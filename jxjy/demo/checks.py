"""No shared or default account in production (security §A7): `manage.py check --deploy --database default`
refuses well-known names and the demo accounts (whose password is printed in the README)."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import DatabaseError

from jxjy.accounts.models import User

from .loaders import STAFF

WELL_KNOWN = {"admin", "administrator", "root", "test", "guest", "demo", "user"}


@register(Tags.database, deploy=True)
def no_default_accounts(app_configs, databases=None, **kwargs):
    if not databases or settings.DEBUG:
        return []
    names = WELL_KNOWN | {username for username, *_ in STAFF}
    try:
        found = sorted(User.objects.filter(username__in=names, is_active=True).values_list("username", flat=True))
    except DatabaseError:
        return []  # not migrated yet: nothing to find
    return (
        [
            Error(
                f"Default or demo accounts are active: {', '.join(found)}.",
                hint="Deactivate or delete them; give every administrator a personal account.",
                id="jxjy.E005",
            )
        ]
        if found
        else []
    )
