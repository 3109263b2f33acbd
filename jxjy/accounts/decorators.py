from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect

SIGNED_OUT = "登录已过期，请重新登录。"
NOT_A_LEARNER = "请使用学员账号登录。"


def wants_json(request) -> bool:
    """A script's request (the player's fetches ask for JSON): it needs a status it can read, never the HTML of a
    redirect to the login page (the same test as SessionTimeoutMiddleware's)."""
    return "application/json" in request.headers.get("Accept", "")


def learner_required(view):
    """Signed-in learners only: a staff account is sent to the back office (its own pages, its own rules). A request
    asking for JSON gets a JSON 401 (signed out) or 403 (not a learner) instead of a redirect."""

    @login_required
    @wraps(view)
    def page(request, *args, **kwargs):
        if not request.user.is_learner:
            return redirect("office:home")
        return view(request, *args, **kwargs)

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if wants_json(request):
            if not request.user.is_authenticated:
                return JsonResponse({"error": SIGNED_OUT}, status=401)
            if not request.user.is_learner:
                return JsonResponse({"error": NOT_A_LEARNER}, status=403)
        return page(request, *args, **kwargs)

    return wrapped
