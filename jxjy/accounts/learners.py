"""学员管理's learner accounts: finding a learner in an office's scope, and the office's actions on an account
(解除登录锁定, 重置密码, 修改所属地市 / 技术等级).

Scope is applied in the query: a 市工考办 only ever queries its own city's learners, the province all of them."""

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from jxjy.accounts import services as account_services
from jxjy.accounts.models import Role, User, id_number_index, mobile_index
from jxjy.audit.models import Event
from jxjy.audit.services import record


def learners_for(staff):
    """The learner accounts `staff` may see (the same rule as jxjy.accounts.permissions.scope, on User itself)."""
    learners = User.objects.filter(role=Role.LEARNER)
    if staff.role == Role.PROVINCE:
        return learners
    if staff.role == Role.CITY and staff.city_id:
        return learners.filter(city_id=staff.city_id)
    return learners.none()


def search_learners(staff, criteria: dict):
    """The learners matching every given criterion. `criteria` holds blind indexes, never an ID number or mobile:
    an equality lookup on the keyed index, never decrypt-and-scan."""
    found = learners_for(staff).select_related("city")
    if criteria.get("name"):
        found = found.filter(name__contains=criteria["name"])
    if criteria.get("id_index"):
        found = found.filter(username=criteria["id_index"])
    if criteria.get("mobile_index"):
        found = found.filter(mobile_index=criteria["mobile_index"])
    if criteria.get("city") and staff.role == Role.PROVINCE:
        found = found.filter(city_id=criteria["city"])
    if criteria.get("work_unit"):
        found = found.filter(work_unit__contains=criteria["work_unit"])
    return found.order_by("-date_joined", "-id")


def criteria_from(cleaned: dict) -> dict:
    """What a search form asked, with the personal numbers replaced by their keyed indexes (kept in the session)."""
    return {
        "name": cleaned.get("name") or "",
        "id_index": id_number_index(cleaned["id_number"]) if cleaned.get("id_number") else "",
        "mobile_index": mobile_index(cleaned["mobile"]) if cleaned.get("mobile") else "",
        "city": cleaned["city"].code if cleaned.get("city") else "",
        "work_unit": cleaned.get("work_unit") or "",
    }


def failed_logins(learner) -> int:
    """Failed sign-ins counted by django-axes for the account (a lock from AXES_FAILURE_LIMIT on)."""
    return AccessAttempt.objects.filter(username=learner.username).aggregate(n=Sum("failures_since_start"))["n"] or 0


def is_locked(learner) -> bool:
    return failed_logins(learner) >= settings.AXES_FAILURE_LIMIT


def unlock_learner(*, learner, actor) -> int:
    """解除登录锁定: clear django-axes' failures for the account. Returns how many records were cleared."""
    with transaction.atomic():
        cleared = axes_reset(username=learner.username)
        record(Event.UNLOCK, actor=actor, obj=learner, cleared=cleared)
    return cleared


def send_password_reset(*, learner, actor, request) -> None:
    """重置密码: the learner gets a 找回密码 code on their own mobile and sets the password themselves."""
    account_services.send_assisted_reset_code(learner=learner, actor=actor, request=request)


def change_city_and_grade(*, learner, city, grade, note, actor) -> list[str]:
    """修改所属地市 / 技术等级 for a learner, by the city office that holds them (or the province). The learner can no
    longer change these once an office has acted on their records, so this is the way; old and new values audited."""
    changed = {}
    with transaction.atomic():
        learner = type(learner).objects.select_for_update().get(pk=learner.pk)
        if city is not None and learner.city_id != city.pk:
            changed["city"] = [learner.city_id or "", city.pk]
            learner.city = city
        if grade and learner.grade != grade:
            changed["grade"] = [learner.grade, grade]
            learner.grade = grade
        if not changed:
            return []
        learner.city_locked_at = learner.city_locked_at or timezone.now()
        learner.save(update_fields=[*changed, "city_locked_at"])
        record(Event.LEARNER_CITY_GRADE, actor=actor, obj=learner, changes=changed, note=note)
    return list(changed)
