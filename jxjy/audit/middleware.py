"""Every 404 a signed-in user meets on a URL that names an object (an id, a number) is audited: someone asking for
another city's learner or another learner's order, by guessing or iterating ids, leaves a trace (security §C14).
Views that audit their own refusal mark the request, so it is written once."""

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
                record(Event.ACCESS_DENIED, request=request, result="not_found", path=request.path,
                       view=match.view_name)  # fmt: skip
        return response
