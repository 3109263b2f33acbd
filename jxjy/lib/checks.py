import ipaddress

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def dev_tools_off_in_production(app_configs, **kwargs):
    if getattr(settings, "DEV_TOOLS", False) and not settings.DEBUG:
        return [
            Error(
                "DEV_TOOLS is on while DEBUG is off: the captcha answer PASSED and /dev/outbox/ would be live.",
                hint="Unset DEV_TOOLS in production.",
                id="jxjy.E001",
            )
        ]
    return []


@register(Tags.caches, deploy=True)
def shared_state_in_production(app_configs, **kwargs):
    if not settings.REDIS_URL and not settings.DEBUG:
        return [
            Error(
                "REDIS_URL is not set: sessions, rate limits and the learners' playback state would live in each "
                "process's memory, so several app processes would judge learning time apart.",
                hint="Set REDIS_URL (and keep Redis's maxmemory-policy at noeviction).",
                id="jxjy.E002",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def debug_off_in_production(app_configs, **kwargs):
    """`check --deploy` is the production gate: DEBUG on there is an error, not Django's warning (W018)."""
    if settings.DEBUG:
        return [Error("DEBUG is on.", hint="Leave DEBUG unset in production (it defaults to off).", id="jxjy.E003")]
    return []


@register(Tags.security, deploy=True)
def no_development_secret(app_configs, **kwargs):
    """A secret whose value is the public development default (printed in settings.py) protects nothing."""
    return [
        Error(
            f"{name} has its public development value.",
            hint=f"Set {name} (or {name}_FILE) to a secret of your own.",
            id="jxjy.E004",
        )
        for name, dev_default in getattr(settings, "DEV_SECRETS", {}).items()
        if _uses(getattr(settings, name, None), dev_default)
    ]


def _uses(value, dev_default) -> bool:
    # FIELD_ENCRYPTION_KEYS is a list (newest first, older keys kept to decrypt): the development key anywhere in it
    # counts.
    return dev_default in value if isinstance(value, list | tuple) else value == dev_default


@register(Tags.security, deploy=True)
def trusted_proxies_are_addresses(app_configs, **kwargs):
    """TRUSTED_PROXY_IPS names the nginx hosts: every entry an address or a network, none trusting everyone."""
    errors = []
    for value in getattr(settings, "TRUSTED_PROXY_IPS", []):
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            errors.append(Error(f"TRUSTED_PROXY_IPS: {value!r} is not an IP address or network.", id="jxjy.E010"))
            continue
        if network.prefixlen == 0:
            errors.append(
                Error(
                    f"TRUSTED_PROXY_IPS: {value} trusts every address: anyone could choose their request id.",
                    hint="List the nginx hosts only.",
                    id="jxjy.E011",
                )
            )
    return errors
