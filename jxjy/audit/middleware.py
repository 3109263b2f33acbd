"""Every 404 a signed-in user meets on a URL that names an object (an id, a number) is audited as a denial: someone
asking for another city's learner or another learner's order, by guessing or iterating ids, leaves a trace
(security §C14). Views therefore just raise Http404 for an object out of scope — the same answer as a missing one —
and this is the one place that records it. A view that audited a refusal itself marks the request (written once)."""

from .models import Event
from .services import record


class NotFoundAuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 404 and not getattr(request, "access_denied_recorded", False):
            match = getattr(request, "resolver_match", None)
            user = getattr(request, "user", None)
            if match is not None and match.kwargs and user is not None and user.is_authenticated:
                record(Event.ACCESS_DENIED, request=request, result="denied", path=request.path, view=match.view_name)
        return response
