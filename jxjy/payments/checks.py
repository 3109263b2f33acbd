"""System checks of the payment configuration."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.utils.module_loading import import_string


@register(Tags.security)
def no_development_gateway_in_production(app_configs, **kwargs):
    """The 模拟银行 pays any order at the press of a button: it is an error wherever the development tools are off
    (and `check --deploy` refuses the development tools with DEBUG off, jxjy.E001)."""
    errors = []
    for name, path in getattr(settings, "PAYMENT_PROVIDERS", {}).items():
        try:
            development_only = getattr(import_string(path), "development_only", False)
        except ImportError:
            errors.append(Error(f"PAYMENT_PROVIDERS[{name!r}]: {path} cannot be imported.", id="payments.E002"))
            continue
        if development_only and not (settings.DEV_TOOLS and settings.DEBUG):
            errors.append(
                Error(
                    f"PAYMENT_PROVIDERS lists {name!r}, the simulated bank, outside development.",
                    hint="Remove it from PAYMENT_PROVIDERS; it is refused without DEBUG and DEV_TOOLS anyway.",
                    id="payments.E001",
                )
            )
    return errors
