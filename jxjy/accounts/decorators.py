from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect


def learner_required(view):
    """Signed-in learners only: a staff account is sent to the back office (its own pages, its own rules)."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_learner:
            return redirect("office:home")
        return view(request, *args, **kwargs)

    return wrapped
