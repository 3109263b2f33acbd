from django.shortcuts import render

from jxjy.accounts.decorators import learner_required

from .models import Enrollment, EnrollmentStatus


@learner_required
def center(request):
    """学员中心: every class the learner has, with its status."""
    enrollments = (
        Enrollment.objects.filter(user=request.user)
        .exclude(status=EnrollmentStatus.REFUNDED)
        .select_related("training_class__year")
        .order_by("-training_class__year", "-opened_at")
    )
    return render(request, "learning/center.html", {"enrollments": enrollments, "menu": "classes"})
