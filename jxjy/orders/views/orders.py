from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from jxjy.accounts import services as account_services
from jxjy.accounts.decorators import learner_required
from jxjy.accounts.forms import AddressForm
from jxjy.accounts.models import Address, Grade
from jxjy.catalog.models import TrainingClass, TrainingYear, YearClaimSource
from jxjy.catalog.services import claimed_years
from jxjy.lib.errors import UserError, show_on
from jxjy.lib.redirects import safe_next

from .. import services
from ..forms import CheckoutForm, ClassFilterForm, GradeForm, validate_class_ids
from ..models import InvitationStatus, InvoiceDelivery, Order, OrderLine, OrderStatus, PreEnrollment, UnitInvitation
from . import grade as grade_question


def current_year():
    return timezone.localdate().year


def _own_order(request, number):
    return get_object_or_404(Order, number=number, user=request.user)


def _refused(request, exc, fallback="orders:classes"):
    """An order refused: a learner without a 技术等级 is sent to 账号设置 to fill it in first."""
    messages.error(request, exc.message)
    if isinstance(exc, services.GradeMissing):
        return redirect("accounts:settings_profile")
    return redirect(fallback)


# --- 网络班报名 --------------------------------------------------------------------------------


@learner_required
def class_list(request):
    """网络班报名: a learner with no 技术等级 is asked it first; then the classes of their grade (查看全部等级 shows
    the others, which they cannot order)."""
    grade = request.user.grade
    if not grade:
        if request.method == "POST":
            return grade_question.answer(request)
        return grade_question.ask(request, GradeForm())
    years = list(TrainingYear.objects.values_list("year", flat=True))
    data = request.GET.copy()
    if "year" not in data and current_year() in years:
        data["year"] = current_year()
    if "grade" not in data:
        data["grade"] = grade
    form = ClassFilterForm(data, years=years, grades=Grade.choices)
    classes = TrainingClass.objects.published().select_related("year").order_by("-year", "grade", "id")
    if form.is_valid():
        if form.cleaned_data["year"]:
            classes = classes.filter(year_id=form.cleaned_data["year"])
        if form.cleaned_data["grade"]:
            classes = classes.filter(grade=form.cleaned_data["grade"])
    held = claimed_years(request.user)
    live = [OrderStatus.AWAITING, OrderStatus.PENDING, OrderStatus.PAID]
    my_class_ids = set(
        OrderLine.objects.filter(order__status__in=live)
        .filter(Q(learner=request.user) | Q(learner__isnull=True, order__user=request.user))
        .values_list("training_class_id", flat=True)
    )
    in_list = set(PreEnrollment.objects.filter(user=request.user).values_list("training_class_id", flat=True))
    now = timezone.now()
    cards = []
    for training_class in classes[:200]:
        if training_class.pk in my_class_ids:
            status, label = "enrolled", "已报名"
        elif training_class.grade != grade:
            status, label = "other_grade", "非本人技术等级"
        elif not training_class.is_open(now):
            status, label = "closed", "已截止" if now >= training_class.enroll_end else "未开始"
        elif training_class.year_id in held:
            taken_by = "面授班" if held[training_class.year_id] == YearClaimSource.FACE_TO_FACE else "其他班"
            status, label = "year_taken", f"本年度已报{taken_by}"
        else:
            status, label = "open", "可报名"
        card = {"c": training_class, "status": status, "label": label, "in_list": training_class.pk in in_list}
        cards.append({**card, "matches": training_class.grade == grade})
    year = data.get("year", "")
    context = {
        "form": form,
        "cards": cards,
        "showing_all": not data.get("grade"),
        "all_grades_url": "?" + urlencode({"year": year, "grade": ""}),
        "my_grade_url": "?" + urlencode({"year": year, "grade": grade}),
        "menu": "catalog",
    }
    return render(request, "orders/class_list.html", context)


@learner_required
@require_POST
def enroll_now(request, pk):
    """立即报名 → 提交订单."""
    training_class = get_object_or_404(TrainingClass.objects.published(), pk=pk)
    try:
        services.check_orderable(request.user, [training_class])
    except UserError as exc:
        return _refused(request, exc)
    return redirect(f"{reverse('orders:checkout')}?classes={training_class.pk}")


# --- 预报名清单 --------------------------------------------------------------------------------


@learner_required
@require_POST
def pre_enrollment_add(request, pk):
    training_class = get_object_or_404(TrainingClass.objects.published(), pk=pk)
    try:
        added = services.add_to_pre_enrollment(user=request.user, training_class=training_class)
    except services.GradeMissing as exc:
        return _refused(request, exc)
    except UserError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已加入预报名清单：{training_class.title}" if added else "该班级已在预报名清单中。")
    return redirect(safe_next(request) or "orders:classes")


@learner_required
@require_POST
def pre_enrollment_remove(request, pk):
    services.remove_from_pre_enrollment(user=request.user, class_ids=[pk])
    messages.success(request, "已从预报名清单移除。")
    return redirect("orders:pre_enrollment")


@learner_required
def pre_enrollment(request):
    items = PreEnrollment.objects.filter(user=request.user).select_related("training_class__year")
    if request.method == "POST":
        try:
            ids = validate_class_ids(request.POST.getlist("classes"))
        except ValidationError:
            ids = []
        if not ids:
            messages.error(request, "请勾选要一起报名的班级后再结算。")
        else:
            return redirect(f"{reverse('orders:checkout')}?classes={','.join(map(str, ids))}")
    return render(request, "orders/pre_enrollment.html", {"items": items, "menu": "pre"})


# --- 提交订单 → 确认订单信息 → 立即支付 --------------------------------------------------------------


def _add_address(request):
    """新增收件地址 inside 提交订单: accounts' own form and service (its checks, its limit, its audit record).
    Returns the bound form and the saved address (None when the form is shown again with its errors)."""
    form = AddressForm(request.POST, prefix="addr", instance=Address(user=request.user))
    if form.is_valid():
        try:
            return form, account_services.save_address(user=request.user, address=form.save(commit=False))
        except UserError as exc:
            show_on(form, exc)
    return form, None


def _kept_order_values(data, added):
    """The order form's values as posted, to show again unbound (no error under fields the learner has not finished
    yet), with a just-added address chosen for 邮寄."""
    fields = CheckoutForm.base_fields
    values = {name: fields[name].widget.value_from_datadict(data, {}, name) for name in fields}
    values = {name: value for name, value in values.items() if value is not None}
    if added is not None:
        values.update(address=str(added.pk), delivery=InvoiceDelivery.POST)
    return values


@learner_required
def checkout(request):
    """提交订单. Its 新增收件地址 posts here too, with the order form's values, which come back filled in."""
    try:
        ids = validate_class_ids((request.POST.get("classes") or request.GET.get("classes", "")).split(","))
    except ValidationError:
        ids = []
    classes = list(TrainingClass.objects.published().filter(pk__in=ids).select_related("year"))
    if not classes:
        messages.error(request, "请先选择班级。")
        return redirect("orders:classes")
    problem = None
    try:
        services.check_orderable(request.user, classes)
    except services.GradeMissing as exc:
        return _refused(request, exc)
    except UserError as exc:
        problem = exc.message
    adding = request.method == "POST" and "add_address" in request.POST
    address_form, added = _add_address(request) if adding else (AddressForm(prefix="addr"), None)
    if adding:
        form = CheckoutForm(user=request.user, initial=_kept_order_values(request.POST, added))
    else:
        form = CheckoutForm(request.POST or None, user=request.user)
    if request.method == "POST" and not adding and problem is None and form.is_valid():
        try:
            order = services.place_order(
                user=request.user, class_ids=[c.pk for c in classes], invoice=form.invoice(), actor=request.user
            )
        except UserError as exc:
            problem = exc.message
        else:
            return redirect("orders:confirm", number=order.number)
    context = {
        "classes": classes,
        "total": sum(c.fee for c in classes),
        "form": form,
        "address_form": address_form,
        "address_open": adding and added is None,
        "address_added": added,
        "problem": problem,
        "class_ids": ",".join(str(c.pk) for c in classes),
        "menu": "catalog",
    }
    refused = problem and request.method == "POST" and not adding
    return render(request, "orders/checkout.html", context, status=400 if refused else 200)


@learner_required
def confirm(request, number):
    """确认订单信息, with 立即支付."""
    order = _own_order(request, number)
    if order.status != OrderStatus.PENDING:
        return redirect("orders:detail", number=order.number)
    context = {"order": order, "lines": order.lines.all(), "menu": "orders"}
    return render(request, "orders/confirm.html", context)


@learner_required
def result(request, number):
    """The page the bank returns the browser to. It only shows the status (and polls until the
    notification arrives): a return is never proof of payment."""
    order = _own_order(request, number)
    last_payment = order.payments.order_by("-created_at").first()
    unit_learners = order.lines.filter(learner__isnull=False).count()  # 单位统一报名: the classes are the staff's
    context = {"order": order, "last_payment": last_payment, "unit_learners": unit_learners, "menu": "orders"}
    return render(request, "orders/result.html", context)


@learner_required
def status(request, number):
    order = _own_order(request, number)
    return JsonResponse({"status": order.status, "label": order.get_status_display()})


# --- 我的订单 ----------------------------------------------------------------------------------


@learner_required
def order_list(request):
    orders = (
        Order.objects.filter(user=request.user)
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.only("order_id", "title", "year")))
        .annotate(line_count=Count("lines"))[:100]
    )
    # 单位统一报名: how many of each unit order's listed staff confirmed (one grouped query, not a join per line).
    answers = {
        row["order_id"]: row
        for row in UnitInvitation.objects.filter(order__user=request.user, order__in=[o.pk for o in orders])
        .values("order_id")
        .annotate(invited=Count("id"), confirmed=Count("id", filter=Q(status=InvitationStatus.CONFIRMED)))
    }
    now = timezone.now()
    for order in orders:
        order.invited = answers.get(order.pk, {}).get("invited", 0)
        order.confirmed = answers.get(order.pk, {}).get("confirmed", 0)
        order.pay_by = pay_by(order, now) if order.is_payable(now) else ""
    return render(request, "orders/order_list.html", {"orders": orders, "menu": "orders"})


def pay_by(order, now) -> str:
    """「请在 13:18 前支付，还剩 25 分钟」 (the date too when the deadline falls on another day)."""
    deadline = timezone.localtime(order.expires_at)
    when = f"{deadline:%H:%M}"
    if deadline.date() != timezone.localdate(now):
        when = f"{deadline.month}月{deadline.day}日 {when}"
    minutes = int((order.expires_at - now).total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    left = f"{hours} 小时 {rest} 分钟" if hours else f"{minutes} 分钟" if minutes else "不到 1 分钟"
    return f"请在 {when} 前支付，还剩 {left}"


@learner_required
def order_detail(request, number):
    order = _own_order(request, number)
    invitations = list(order.invitations.select_related("learner", "training_class").order_by("id"))
    now = timezone.now()
    context = {
        "order": order,
        "pay_by": pay_by(order, now) if order.is_payable(now) else "",
        "lines": order.lines.all(),
        "payments": order.payments.all(),
        "invitations": invitations,
        "confirmed": sum(1 for i in invitations if i.status == InvitationStatus.CONFIRMED),
        "menu": "orders",
    }
    return render(request, "orders/order_detail.html", context)


@learner_required
@require_POST
def cancel(request, number):
    order = _own_order(request, number)
    try:
        services.cancel_order(order=order, actor=request.user)
    except UserError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"订单 {order.number} 已取消。")
    if request.POST.get("back") == "list":  # 取消订单 pressed in 我的订单
        return redirect("orders:list")
    return redirect("orders:detail", number=order.number)


# --- 单位统一报名缴费: the listed learner's 确认 / 拒绝, the contact's 提交订单 --------------------------------

BACK = {"center": "learning:center", "orders": "orders:list"}  # where the invitation's buttons were pressed


def _invitation(request, pk):
    return get_object_or_404(
        UnitInvitation.objects.select_related("order", "training_class"), pk=pk, learner=request.user
    )


@learner_required
@require_POST
def invitation_confirm(request, pk):
    invitation = _invitation(request, pk)
    back = BACK.get(request.POST.get("back"), "orders:list")
    try:
        services.confirm_invitation(invitation=invitation, actor=request.user)
    except UserError as exc:
        return _refused(request, exc, fallback=back)
    messages.success(
        request, f"已确认参加单位统一报名：{invitation.training_class.title}。单位缴费后班级开通，在“我的班级”中学习。"
    )
    return redirect(back)


@learner_required
@require_POST
def invitation_decline(request, pk):
    invitation = _invitation(request, pk)
    try:
        services.decline_invitation(invitation=invitation, actor=request.user)
    except UserError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已拒绝这次单位统一报名，不会为您报名，也不会收费。")
    return redirect(BACK.get(request.POST.get("back"), "orders:list"))


@learner_required
@require_POST
def unit_submit(request, number):
    """为已确认的学员提交订单 (the unit's contact person) → 确认订单信息 → 立即支付."""
    order = _own_order(request, number)
    try:
        services.submit_unit_order(order=order, actor=request.user)
    except UserError as exc:
        messages.error(request, exc.message)
        return redirect("orders:detail", number=order.number)
    return redirect("orders:confirm", number=order.number)
