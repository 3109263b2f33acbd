import hmac
import re

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from jxjy.accounts.decorators import learner_required
from jxjy.audit.services import client_ip
from jxjy.catalog.models import Category
from jxjy.learning.models import Enrollment
from jxjy.learning.services import overall_percents
from jxjy.lib import ratelimit
from jxjy.lib.errors import UserError

from . import signing
from .archive import archive_years, best_scores, exam_passed, year_record
from .models import Certificate, CertificateStatus
from .pdf import render_certificate
from .services import issue_certificate

TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,64}")
NOT_FOUND = "未查到该证书"


def _year(value):
    try:
        year = int(value)
    except (TypeError, ValueError):
        return None
    return year if 2000 <= year <= 2100 else None


def verify_url(request, certificate) -> str:
    """The absolute URL in the QR code: PUBLIC_BASE_URL when set (behind proxies), else this request's host."""
    path = reverse("certificates:verify_token", args=[certificate.token])
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return f"{base}{path}" if base else request.build_absolute_uri(path)


# --- 培训证明 ----------------------------------------------------------------------------------------------


@learner_required
def certificate_list(request):
    """培训证明: the classes finished (progress 100 %) with the exam passed; the picture says where to print."""
    enrollments = list(
        Enrollment.objects.live()
        .filter(user=request.user)
        .select_related("training_class__year")
        .order_by("-training_class__year_id")
    )
    percents = overall_percents(request.user, enrollments)
    bests = best_scores(enrollments)
    earned = [
        {"enrollment": e, "best": bests.get(e.pk)}
        for e in enrollments
        if percents[e.pk] >= 100 and exam_passed(bests.get(e.pk), e.training_class.exam_pass_score)
    ]
    return render(
        request,
        "certificates/list.html",
        {"earned": earned, "has_classes": bool(enrollments), "menu": "certificates"},
    )


# --- 继续教育档案 ----------------------------------------------------------------------------------------


@learner_required
def archive(request):
    """继续教育档案: choose a year → its hours by source and category, the requirement, the exam, 合格 or not,
    and 打印证书 (disabled, with the reason, until the year is 合格)."""
    years = archive_years(request.user)
    year = _year(request.GET.get("year"))
    if year is None:
        today = timezone.localdate().year
        year = today if today in years else years[0]
    elif year not in years:
        years = sorted({*years, year}, reverse=True)
    record = year_record(request.user, year)
    certificates = list(Certificate.objects.filter(user=request.user, year=year).order_by("-issued_at", "-id"))
    live = next((c for c in certificates if c.status == CertificateStatus.ISSUED), None)
    context = {
        "years": years,
        "year": year,
        "record": record,
        "live": live,
        "revoked": [c for c in certificates if c is not live],
        "menu": "archive",
    }
    return render(request, "certificates/archive.html", context)


@learner_required
@require_POST
def print_certificate(request):
    """打印证书: issue (or reuse) the year's certificate, then download its PDF."""
    year = _year(request.POST.get("year"))
    if year is None:
        messages.error(request, "请选择年度。")
        return redirect("certificates:archive")
    try:
        certificate = issue_certificate(user=request.user, year=year, actor=request.user)
    except UserError as exc:
        messages.error(request, exc.message)
        return redirect(f"{reverse('certificates:archive')}?year={year}")
    return redirect("certificates:download", number=certificate.number)


@learner_required
@never_cache
def download(request, number):
    """The PDF of one of the learner's own live certificates (anyone else's is 404)."""
    certificate = get_object_or_404(Certificate, number=number, user=request.user, status=CertificateStatus.ISSUED)
    pdf = render_certificate(certificate, name=request.user.name, verify_url=verify_url(request, certificate))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, f"继续教育证书-{certificate.year}.pdf")
    response["Cache-Control"] = "private, no-store"
    return response


# --- 证书核验 (public) -------------------------------------------------------------------------------------


def _limited(request):
    """Per-IP throttle of the public lookups; the response to send when over the limit, else None."""
    limit = settings.CERTIFICATE_VERIFY_RATE_PER_IP_MINUTE
    if ratelimit.hit(f"cert-verify-ip:{client_ip(request)}", limit, 60):
        return None
    response = render(request, "certificates/verify_limited.html", status=429)
    response["Retry-After"] = "60"
    return response


def _private(response):
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _result(request, certificate):
    context = {
        "certificate": certificate,
        "content": certificate.content,
        "signature_ok": signing.verify(certificate.content, certificate.signature),
        "categories": [(label, certificate.content["hours"].get(key)) for key, label in Category.choices],
    }
    return _private(render(request, "certificates/verify.html", context))


@never_cache
def verify(request, token):
    """The QR code's page: the certificate's masked holder, year, hours, result and status, no login needed."""
    limited = _limited(request)
    if limited is not None:
        return limited
    certificate = Certificate.objects.filter(token=token).first() if TOKEN_SHAPE.fullmatch(token) else None
    if certificate is None:
        return _private(render(request, "certificates/verify_missing.html", status=404))
    return _result(request, certificate)


@never_cache
def verify_lookup(request):
    """证书核验 by 证书编号 + 校验码, always POSTed (personal data never rides in a URL)."""
    error = ""
    status = 200
    if request.method == "POST":
        limited = _limited(request)
        if limited is not None:
            return limited
        number = re.sub(r"\s", "", request.POST.get("number", "")).upper()
        code = re.sub(r"[^0-9A-Za-z]", "", request.POST.get("check_code", "")).upper()
        certificate = Certificate.objects.filter(number=number).first() if number and code else None
        if certificate is not None and hmac.compare_digest(certificate.check_code.encode(), code.encode()):
            return _result(request, certificate)
        if number and code:
            error, status = f"{NOT_FOUND}，请核对证书编号和校验码。", 404
        else:
            error, status = "请输入证书编号和校验码。", 400
    return _private(render(request, "certificates/verify_form.html", {"error": error}, status=status))
