"""Payment providers, chosen by settings.PAYMENT_PROVIDERS (name → dotted path) like pretix's plugins."""

from django.conf import settings
from django.utils.module_loading import import_string


def get_provider(name: str):
    try:
        path = settings.PAYMENT_PROVIDERS[name]
    except KeyError:
        raise LookupError(f"unknown payment provider {name!r}") from None
    return import_string(path)()


def enabled_providers():
    return [get_provider(name) for name in settings.PAYMENT_PROVIDERS]
