from django.utils.functional import SimpleLazyObject

from .models import PreEnrollment


def pre_enrollment(request):
    """The count on the 预报名清单 badge, counted only by a page that shows the badge (most pages do not, and a page
    shown during an outage must not touch the database for it)."""

    def count():
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_learner:
            return 0
        return PreEnrollment.objects.filter(user=user).count()

    return {"pre_enrollment_count": SimpleLazyObject(count)}
