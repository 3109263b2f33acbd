from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect


def learner_required(view):
    """Signed-in learners only (staff have the back office)."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_learner:
            return redirect("admin:index")
        return view(request, *args, **kwargs)

    return wrapped
