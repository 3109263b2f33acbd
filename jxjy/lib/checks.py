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
