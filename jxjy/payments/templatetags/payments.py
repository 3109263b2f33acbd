from django import template

from jxjy.payments.providers import enabled_providers

register = template.Library()


@register.simple_tag
def payment_providers():
    """The gateways a learner can choose on 确认订单信息 and 继续支付."""
    return [provider for provider in enabled_providers() if provider.is_configured()]
