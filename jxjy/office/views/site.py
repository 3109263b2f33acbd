"""业务后台 → 帮助与公告 (the province only): the 联系我们 offices, the 常见问题 and the 通知公告 with their
attachments, as learners see them on the portal. Every change is audited (jxjy.portal.services)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from jxjy.lib.errors import UserError
from jxjy.office.forms.site import ContactOfficeForm, FaqForm, NoticeForm
from jxjy.office.menu import office_view
from jxjy.portal import services
from jxjy.portal.models import ContactOffice, Faq, Notice, NoticeAttachment

MENU = {"office_menu": "site"}


@office_view("site")
def home(request):
    """The three lists on one page: offices, questions, notices (each short)."""
    context = {
        **MENU,
        "offices": ContactOffice.objects.select_related("city"),
        "faqs": Faq.objects.all(),
        "notices": Notice.objects.prefetch_related("attachments")[:50],
    }
    return render(request, "office/site/home.html", context)


def _edit(request, form, *, kind, template, extra=None):
    if request.method == "POST" and form.is_valid():
        item = services.save_item(form.save(commit=False), actor=request.user, kind=kind)
        messages.success(request, f"{kind}“{item}”已保存。")
        return item
    context = {**MENU, "form": form, **(extra or {})}
    return render(request, template, context, status=400 if form.errors else 200)


@office_view("site")
def office_edit(request, pk):
    office = get_object_or_404(ContactOffice, pk=pk)
    form = ContactOfficeForm(request.POST or None, instance=office)
    result = _edit(request, form, kind="联系我们", template="office/site/office_form.html", extra={"office": office})
    return redirect("office:site_home") if isinstance(result, ContactOffice) else result


@office_view("site")
def faq_create(request):
    return _faq(request, Faq())


@office_view("site")
def faq_edit(request, pk):
    return _faq(request, get_object_or_404(Faq, pk=pk))


def _faq(request, faq):
    form = FaqForm(request.POST or None, instance=faq)
    extra = {"faq": faq if faq.pk else None}
    result = _edit(request, form, kind="常见问题", template="office/site/faq_form.html", extra=extra)
    return redirect("office:site_home") if isinstance(result, Faq) else result


@office_view("site")
@require_POST
def faq_delete(request, pk):
    faq = get_object_or_404(Faq, pk=pk)
    services.delete_item(faq, actor=request.user, kind="常见问题")
    messages.success(request, f"常见问题“{faq.question}”已删除。")
    return redirect("office:site_home")


@office_view("site")
def notice_create(request):
    return _notice(request, Notice())


@office_view("site")
def notice_edit(request, pk):
    return _notice(request, get_object_or_404(Notice, pk=pk))


def _notice(request, notice):
    """新建/修改通知公告; a file chosen in 上传附件 is attached on the same 保存."""
    form = NoticeForm(request.POST or None, request.FILES or None, instance=notice)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("attachment")
        if upload:
            try:
                services.sniff_attachment(upload)
            except UserError as exc:
                form.add_error("attachment", exc.message)
        if not form.errors:
            notice = services.save_item(form.save(commit=False), actor=request.user, kind="通知公告")
            try:
                if upload:
                    services.add_attachment(notice, upload, actor=request.user)
            except UserError as exc:
                messages.error(request, exc.message)
            messages.success(request, f"通知公告“{notice.title}”已保存。")
            return redirect("office:site_notice_edit", pk=notice.pk)
    context = {
        **MENU,
        "form": form,
        "notice": notice if notice.pk else None,
        "attachments": notice.attachments.all() if notice.pk else [],
    }
    return render(request, "office/site/notice_form.html", context, status=400 if form.errors else 200)


@office_view("site")
@require_POST
def notice_delete(request, pk):
    notice = get_object_or_404(Notice, pk=pk)
    services.delete_item(notice, actor=request.user, kind="通知公告")
    messages.success(request, f"通知公告“{notice.title}”已删除。")
    return redirect("office:site_home")


@office_view("site")
@require_POST
def attachment_delete(request, pk):
    attachment = get_object_or_404(NoticeAttachment.objects.select_related("notice"), pk=pk)
    services.remove_attachment(attachment, actor=request.user)
    messages.success(request, f"附件“{attachment.original_name}”已删除。")
    return redirect("office:site_notice_edit", pk=attachment.notice_id)
