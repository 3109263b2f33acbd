import uuid

from django import template
from django.utils.html import format_html

from jxjy.payments.providers import enabled_providers

register = template.Library()


@register.simple_tag
def payment_providers():
    """The gateways a learner can choose on 确认订单信息 and 继续支付."""
    return [provider for provider in enabled_providers() if provider.is_configured()]


@register.simple_tag
def idempotency_key_field():
    """The pay form's Idempotency-Key (a browser form cannot send the header): a new UUIDv4 for each rendered form,
    so sending the same form twice (a double click, a resubmission) is recognised as one request."""
    return format_html('<input type="hidden" name="idempotency_key" value="{}">', uuid.uuid4())
