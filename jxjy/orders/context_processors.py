from .models import PreEnrollment


def pre_enrollment(request):
    """The count on the 预报名清单 badge."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_learner:
        return {}
    return {"pre_enrollment_count": PreEnrollment.objects.filter(user=user).count()}
