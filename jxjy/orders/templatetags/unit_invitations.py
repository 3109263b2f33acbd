"""单位统一报名 invitations where the learner looks: 我的订单 and 学员中心. 学员中心 belongs to the learning app, which
stands below orders and never imports it; its template names this tag library instead, so the notice is the orders
app's to render and the dependency stays one-way in the code."""

from django import template
from django.utils import timezone

from jxjy.lib.masking import mask_name

from ..models import InvitationStatus, OrderStatus, UnitInvitation
from ..services import invitation_is_open

register = template.Library()

CONFIRMED_STATE = {
    OrderStatus.AWAITING: "已确认，等待单位提交订单并缴费",
    OrderStatus.PENDING: "已确认，等待单位缴费",
    OrderStatus.PAID: "单位已缴费，班级已开通",
    OrderStatus.REFUNDED: "单位已退款，班级已关闭",
    OrderStatus.CANCELLED: "单位未缴费，本次报名已取消",
    OrderStatus.CLOSED: "单位未缴费，本次报名已取消",
}
TAG = {"open": "status-pending", InvitationStatus.CONFIRMED: "status-paid"}


@register.inclusion_tag("orders/_invitations.html", takes_context=True)
def unit_invitations(context, back="orders"):
    """The learner's invitations: in 学员中心 (`back="center"`) only those still waiting for an answer, with
    确认 / 拒绝; in 我的订单 the recent ones too, with what became of them."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_learner:
        return {"items": []}
    invitations = UnitInvitation.objects.filter(learner=user).select_related("order__user", "training_class")
    now = timezone.now()
    if back == "center":
        invitations = invitations.filter(
            status=InvitationStatus.PENDING, order__status=OrderStatus.AWAITING, order__expires_at__gt=now
        )
    items = []
    for invitation in invitations[:20]:
        is_open = invitation_is_open(invitation, now)
        if is_open:
            state = "待确认"
        elif invitation.status == InvitationStatus.CONFIRMED:
            state = CONFIRMED_STATE[invitation.order.status]
        elif invitation.status == InvitationStatus.PENDING:
            state = InvitationStatus.EXPIRED.label
        else:
            state = invitation.get_status_display()
        items.append(
            {
                "invitation": invitation,
                "open": is_open,
                "state": state,
                "tag": TAG.get("open" if is_open else invitation.status, "status-cancelled"),
                "unit": invitation.order.invoice_title,
                "contact": mask_name(invitation.order.user.name),
            }
        )
    return {
        "items": items,
        "waiting": sum(1 for item in items if item["open"]),
        "back": "center" if back == "center" else "orders",
        "csrf_token": context.get("csrf_token"),
    }
