from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from jxjy.lib.redirects import safe_next

from .security import gate


class StaffSecurityMiddleware:
    """Every request of a staff account — any URL, not a list of areas — waits behind the staff sign-in's second
    factor and the password-age rule until both are satisfied; only the sign-in steps themselves stay open.
    /admin/login/ hands over to /office/login/ (one staff sign-in for the back office and the Django admin)."""

    OPEN = ("office:login", "office:otp_enrol", "office:otp_verify", "office:password_change", "office:logout")
    # The sign-in pages' own captcha image and refresh.
    OPEN_PREFIXES = ("/captcha/",)

    def __init__(self, get_response):
        self.get_response = get_response
        self._open_paths = None

    def __call__(self, request):
        path = request.path
        user = request.user
        if path == reverse("admin:login"):
            if user.is_authenticated and user.is_staff_member:
                # Signed in, but the Django admin is not for this role (or the second factor is still owed): the
                # back office, not a loop between the two sign-in pages.
                return gate(request, reverse("office:home")) or redirect("office:home")
            target = safe_next(request, reverse("admin:index"))
            return redirect(f"{reverse('office:login')}?{urlencode({'next': target})}")
        if user.is_authenticated and user.is_staff_member:
            if self._open_paths is None:
                self._open_paths = {reverse(name) for name in self.OPEN}
            if path not in self._open_paths and not path.startswith((settings.STATIC_URL, *self.OPEN_PREFIXES)):
                response = gate(request)
                if response is not None:
                    return response
        return self.get_response(request)
