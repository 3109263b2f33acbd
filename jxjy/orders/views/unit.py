"""单位统一报名缴费: a unit's contact person lists the unit's staff (pasted or an Excel file); each is invited to
confirm on their own account (the confirmations and the unit's 提交订单 are in orders.py)."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from jxjy.accounts.decorators import learner_required
from jxjy.audit.services import client_ip
from jxjy.catalog.models import TrainingClass
from jxjy.lib import ratelimit
from jxjy.lib.errors import UserError

from ..forms import RosterForm, UnitInvoiceForm
from ..unit_enrollment import RosterError, count_refused_rows, invite_unit_staff, refused_rows_today


def _limited(request):
    """Per contact and per address: sending lists too often, or too many rows that could not be listed today."""
    user_ok = ratelimit.hit(f"unit-enroll-user:{request.user.pk}", settings.UNIT_ENROLL_POSTS_PER_USER_HOUR, 3600)
    ip_ok = ratelimit.hit(f"unit-enroll-ip:{client_ip(request)}", settings.UNIT_ENROLL_POSTS_PER_IP_HOUR, 3600)
    refused_ok = refused_rows_today(request.user) < settings.UNIT_ENROLL_REFUSED_ROWS_PER_USER_DAY
    return not (user_ok and ip_ok and refused_ok)


@learner_required
def unit_enrollment(request):
    """单位统一报名缴费: the unit's contact person lists the unit's staff; each is invited to confirm on their own
    account, and the unit pays one order for those who did."""
    if request.method == "POST" and _limited(request):
        return render(request, "orders/unit_enrollment_limited.html", {"menu": "orders"}, status=429)
    now = timezone.now()
    years = sorted(
        set(
            TrainingClass.objects.published()
            .filter(enroll_start__lte=now, enroll_end__gt=now)
            .values_list("year_id", flat=True)
        ),
        reverse=True,
    )
    roster = RosterForm(request.POST or None, request.FILES or None, years=years)
    invoice = UnitInvoiceForm(request.POST or None, user=request.user)
    rows, problem = None, None
    if request.method == "POST" and roster.is_valid() and invoice.is_valid():
        rows = roster.cleaned_data["rows"]
        try:
            order = invite_unit_staff(
                contact=request.user,
                year=roster.cleaned_data["year"],
                rows=rows,
                invoice=invoice.invoice(),
            )
        except RosterError as exc:
            problem = exc.message
            count_refused_rows(request.user, rows)
        except UserError as exc:
            problem, rows = exc.message, None
        else:
            messages.success(
                request,
                f"已向 {len(rows)} 名学员发出报名邀请（短信通知）。学员本人登录确认后，"
                "请回到本页为已确认的学员提交订单并支付。",
            )
            return redirect("orders:detail", number=order.number)
    context = {"roster": roster, "invoice": invoice, "rows": rows, "problem": problem, "years": years, "menu": "orders"}
    status = 400 if request.method == "POST" and (problem or roster.errors or invoice.errors) else 200
    return render(request, "orders/unit_enrollment.html", context, status=status)
