"""学习提醒: pick a rule, see how many learners it reaches and the exact text, then send (office.reminders).

Scope: a 市工考办 reminds only its own city's learners (forced here, whatever the request says); the province every
city or one. The preview is GET and changes nothing; sending is a POST (CSRF) that queues the Celery task."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from jxjy.accounts.models import City, Role
from jxjy.office import reminders, tasks
from jxjy.office.forms.reminders import ReminderForm
from jxjy.office.menu import office_view


def _scope(request, form):
    """The city the action reaches: a city office's own, else the province's choice (None: every city)."""
    if request.user.role == Role.CITY:
        return request.user.city_id
    return form.cleaned_data.get("city") or None


@require_safe
@never_cache
@office_view("reminders")
def home(request):
    """选择提醒规则; with a rule chosen, the preview: the count and the text one learner gets."""
    form = ReminderForm(request.GET or None, user=request.user)
    preview = city = None
    if form.is_bound and form.is_valid():
        city = _scope(request, form)
        preview = reminders.preview(form.cleaned_data["rule"], city)
    city_name = City.objects.filter(code=city).values_list("name", flat=True).first() if city else "全省"
    return render(
        request,
        "office/reminders/home.html",
        {
            "form": form,
            "preview": preview,
            "city": city or "",
            "city_name": city_name,
            "interval_days": reminders.REMINDER_INTERVAL.days,
            "signature": reminders.SIGNATURE,
        },
    )


@require_POST
@office_view("reminders")
def send(request):
    """确认发送: queue the send action (the task re-reads the rule, the 7-day limit and the scope)."""
    form = ReminderForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, "请先选择提醒哪些学员。")
        return redirect("office:reminders_home")
    tasks.send_reminders.delay(form.cleaned_data["rule"], _scope(request, form), request.user.pk)
    messages.success(request, "提醒已安排发送。短信会分批发出，学员也会在学员中心看到站内消息。")
    return redirect("office:reminders_home")
