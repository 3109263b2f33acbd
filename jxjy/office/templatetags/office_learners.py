"""The 注销申请 notice and the 查看完整号码 form on 学员详情 (their views live in jxjy.office.views.learners)."""

from django import template

from jxjy.accounts.models import ClosureState
from jxjy.office.forms.learners import RevealForm

register = template.Library()


@register.inclusion_tag("office/learners/_closure_notice.html")
def closure_notice(learner):
    """The learner's pending or completed 注销申请, if any (one query)."""
    latest = learner.closure_requests.exclude(state=ClosureState.WITHDRAWN).order_by("-requested_at", "-id").first()
    return {"closure": latest}


@register.inclusion_tag("office/learners/_reveal_form.html", takes_context=True)
def reveal_form(context, learner):
    return {"learner": learner, "form": RevealForm(), "csrf_token": context.get("csrf_token")}
