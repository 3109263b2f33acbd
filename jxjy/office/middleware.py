from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from .security import gate


class StaffSecurityMiddleware:
    """One staff sign-in for the back office and the Django admin.

    /admin/login/ hands over to /office/login/; every other /admin/ and /office/ page makes a signed-in staff
    member pass the second factor and a fresh password first. (Views outside /office/ are guarded by
    `staff_required`, which calls the same gate.)"""

    OPEN = ("office:login", "office:otp_enrol", "office:otp_verify", "office:password_change", "office:logout")

    def __init__(self, get_response):
        self.get_response = get_response
        self._open_paths = None

    def __call__(self, request):
        path = request.path
        if path.startswith("/admin/"):
            if path == reverse("admin:login"):
                target = request.GET.get("next") or reverse("admin:index")
                return redirect(f"{reverse('office:login')}?{urlencode({'next': target})}")
        elif not path.startswith("/office/"):
            return self.get_response(request)
        if self._open_paths is None:
            self._open_paths = {reverse(name) for name in self.OPEN}
        user = request.user
        if path not in self._open_paths and user.is_authenticated and user.is_staff:
            response = gate(request)
            if response is not None:
                return response
        return self.get_response(request)
