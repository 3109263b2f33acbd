"""{% load next_step %}: learning's part of pages that belong to apps below it (orders may not import learning)."""

from django import template

from .. import next_step, services
from ..models import Enrollment

register = template.Library()


@register.inclusion_tag("learning/_order_next_steps.html")
def order_next_steps(order, user):
    """After a successful payment: each class the order opened for `user`, with its next step (去选课 at first)."""
    enrollments = list(
        Enrollment.objects.live()
        .filter(order_line__order=order, user=user)
        .select_related("training_class__year")
        .order_by("pk")
    )
    standings = services.class_standings(user, enrollments)
    steps = next_step.next_steps(enrollments, standings)
    return {"classes": [(e, steps[e.pk]) for e in enrollments]}
