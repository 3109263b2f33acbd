"""Learning keeps its classes in step with the orders below it (orders may not import learning)."""

from django.dispatch import receiver

from jxjy.orders.signals import order_paid, order_refunded, refund_requested

from . import services


@receiver(order_paid, dispatch_uid="learning.order_paid")
def open_classes(sender, order, lines, actor=None, **kwargs):
    for line in lines:
        services.open_enrollment(line=line, actor=actor)


@receiver(order_refunded, dispatch_uid="learning.order_refunded")
def close_classes(sender, order, lines, actor=None, **kwargs):
    for line in lines:
        services.close_enrollment_for_refund(line=line, actor=actor)


@receiver(refund_requested, dispatch_uid="learning.refund_requested")
def refuse_refund_of_studied_classes(sender, order, lines, **kwargs) -> str:
    return services.refund_refusal(lines)
