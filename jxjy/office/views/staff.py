"""后台首页 and 工作人员账号: the staff accounts' roles, cities and second factors, edited by the roles MENU names."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from jxjy.accounts.models import Role, User
from jxjy.office import security, services
from jxjy.office.forms.staff import StaffEditForm
from jxjy.office.menu import office_view

# --- 后台首页 / 工作人员动态码管理 ----------------------------------------------------------------


@office_view("home")
def home(request):
    """业务后台: the modules of the signed-in role."""
    return render(request, "office/home.html", {"office_menu": "home"})


def _staff_members():
    return User.objects.filter(is_staff=True).exclude(role=Role.LEARNER)


@office_view("staff")
def staff_list(request):
    """工作人员账号: who has bound a second factor. 省级管理员 and 系统管理员 edit an account; 省级管理员 and 安全管理员
    reset a lost second factor or end an account's sessions."""
    staff = _staff_members().select_related("city").order_by("role", "username")
    bound = set(security.TOTPDevice.objects.filter(user__in=staff, confirmed=True).values_list("user_id", flat=True))
    rows = [(member, member.pk in bound) for member in staff]
    return render(request, "office/staff_list.html", {"rows": rows, "office_menu": "staff"})


def _other_member_or_404(request, pk):
    """A staff account other than the one asking: nobody changes their own role, city or second factor here."""
    member = get_object_or_404(_staff_members(), pk=pk)
    if member.pk == request.user.pk:
        raise Http404
    return member


@office_view("staff_edit")
@never_cache
def staff_edit(request, pk):
    """修改工作人员账号 (role, city, 允许登录): audited with old and new values; the account signs in again."""
    member = _other_member_or_404(request, pk)
    form = StaffEditForm(request.POST or None, instance=member)
    if request.method == "POST" and form.is_valid():
        changed = services.save_staff(member=member, changes=form.cleaned_data, actor=request.user)
        messages.success(request, f"已保存 {member.display_name} 的账号。" if changed else "账号没有变化。")
        return redirect("office:staff_list")
    return render(request, "office/staff_edit.html", {"form": form, "member": member, "office_menu": "staff"})


@require_POST
@office_view("staff_security")
def otp_reset(request, pk):
    """重置动态码: the staff member enrols a new authenticator at their next sign-in."""
    member = _other_member_or_404(request, pk)
    security.reset_devices(user=member, actor=request.user)
    messages.success(request, f"已重置 {member.display_name} 的动态码，其下次登录时需重新绑定。")
    return redirect("office:staff_list")


@require_POST
@office_view("staff_security")
def end_sessions(request, pk):
    """强制下线: every session of the account ends at once (e.g. a lost or shared computer)."""
    member = _other_member_or_404(request, pk)
    services.end_sessions(user=member, actor=request.user)
    messages.success(request, f"{member.display_name} 已被强制下线，需重新登录。")
    return redirect("office:staff_list")
