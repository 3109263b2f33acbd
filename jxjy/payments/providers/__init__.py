"""Payment providers, chosen by settings.PAYMENT_PROVIDERS (name → dotted path) like pretix's plugins.

A provider marked `development_only` (the 模拟银行) is never loaded without DEV_TOOLS, whatever PAYMENT_PROVIDERS
says: in production its name is as unknown as a made-up one (its notify URL is a 404, it cannot be chosen).
"""

from django.conf import settings
from django.utils.module_loading import import_string


def get_provider(name: str):
    try:
        path = settings.PAYMENT_PROVIDERS[name]
    except KeyError:
        raise LookupError(f"unknown payment provider {name!r}") from None
    provider_class = import_string(path)
    if getattr(provider_class, "development_only", False) and not settings.DEV_TOOLS:
        raise LookupError(f"payment provider {name!r} exists only in development")
    return provider_class()


def enabled_providers():
    providers = []
    for name in settings.PAYMENT_PROVIDERS:
        try:
            providers.append(get_provider(name))
        except LookupError:
            continue
    return providers
