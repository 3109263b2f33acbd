"""Who may do what in the back office (default-deny), and the query-layer scope of a city office.

Staff sign in at /office/login/ with a password, then a second factor (TOTP), and must keep their password younger
than 90 days: StaffSecurityMiddleware holds every request of a staff account until both are met, so a view here only
decides the role. A view names the roles it serves; 省级管理员 may use every page; anyone else gets 403. A 市工考办
sees only the learners of its own city (the learner's 所属地市), everywhere, through `scope`."""

from functools import wraps
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

from jxjy.audit.models import Event
from jxjy.audit.services import record

from .models import Role


def staff_required(*roles):
    """Signed-in staff with one of `roles` (省级管理员 always); others are refused and the refusal audited."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect(f"{reverse('office:login')}?{urlencode({'next': request.get_full_path()})}")
            if not user.is_staff or user.role not in {Role.PROVINCE, *roles}:
                record(Event.ACCESS_DENIED, request=request, result="denied", path=request.path)
                raise PermissionDenied
            if user.role == Role.CITY and not user.city_id:
                raise PermissionDenied  # a city office account without its city sees nothing
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def in_scope(user, learner) -> bool:
    """`scope` for one learner: may `user` see (and act on) this learner's records?"""
    if user.role == Role.PROVINCE:
        return True
    return user.role == Role.CITY and bool(user.city_id) and user.city_id == learner.city_id


def scope(queryset, user, learner_field="user"):
    """Limit `queryset` to the learners `user` may see: a city office its own city's, the province all."""
    if user.role == Role.PROVINCE:
        return queryset
    if user.role == Role.CITY and user.city_id:
        return queryset.filter(**{f"{learner_field}__city_id": user.city_id})
    return queryset.none()
