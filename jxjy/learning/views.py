from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from .models import Enrollment, EnrollmentStatus


@login_required
def center(request):
    """学员中心: every class the learner has, with its status."""
    if not request.user.is_learner:
        return redirect("admin:index")
    enrollments = (
        Enrollment.objects.filter(user=request.user)
        .exclude(status=EnrollmentStatus.REFUNDED)
        .select_related("training_class__year")
        .order_by("-training_class__year", "-opened_at")
    )
    return render(request, "learning/center.html", {"enrollments": enrollments, "menu": "classes"})
