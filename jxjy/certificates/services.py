"""Issuing and revoking 继续教育证书 (DESIGN.md §5: issued → revoked)."""

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.credits.standing import fmt_hours
from jxjy.lib.errors import UserError
from jxjy.lib.masking import mask_name
from jxjy.lib.states import move

from . import signing
from .archive import year_record
from .models import Certificate, CertificateStatus

CHECK_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I: read out and typed by people
TOKEN_BYTES = 20  # 160 bits in the QR code's URL
REISSUED = "已换发"
HOURS_REVERSED = "学时被冲销，该年度不再合格"
EXAM_VOIDED = "考试成绩作废，该年度不再合格"
CLASS_REFUNDED = "班级已退款"


def new_number(year: int) -> str:
    """JS + year + 10 random digits: not guessable, not a count of certificates."""
    return f"JS{year}{secrets.randbelow(10**10):010d}"


def new_check_code() -> str:
    return "".join(secrets.choice(CHECK_CODE_ALPHABET) for _ in range(8))


def certificate_content(user, record, *, number: str, issued) -> dict:
    """What the certificate says and the platform signs. Personal data only masked (it is shown publicly)."""
    return {
        "v": 1,
        "number": number,
        "name": mask_name(user.name),
        "id_number": user.id_number_masked,
        "unit": user.work_unit,
        "year": record.year,
        "hours": {c.key: fmt_hours(c.counted) for c in record.categories},
        "total": fmt_hours(record.counted),
        "result": record.result,
        "issued": issued.isoformat(),
    }


def _substance(content: dict) -> dict:
    """The content without what changes with every issue: equal substance means the same certificate."""
    return {key: value for key, value in content.items() if key not in {"number", "issued"}}


def issue_certificate(*, user, year: int, actor=None) -> Certificate:
    """打印证书: the learner's live certificate of a 合格 year. The same one again while its content is unchanged;
    when the year's record changed (more hours approved, a new unit), the old one is revoked as 已换发 and a new
    one issued. Refused, creating nothing, when the year is not 合格."""
    record_ = year_record(user, year)
    if not record_.qualified:
        raise UserError("该年度尚未合格，不能打印证书：" + "；".join(record_.reasons) + "。")
    with transaction.atomic():
        live = (
            Certificate.objects.select_for_update()
            .filter(user=user, year=year, status=CertificateStatus.ISSUED)
            .first()
        )
        now = timezone.now()
        content = certificate_content(user, record_, number="", issued=timezone.localdate(now))
        if live is not None:
            if _substance(live.content) == _substance(content):
                return live
            revoke_certificate(live, reason=REISSUED, actor=actor, now=now)
        for _ in range(5):
            content["number"] = new_number(year)
            try:
                with transaction.atomic():
                    certificate = Certificate.objects.create(
                        user=user,
                        year=year,
                        enrollment=record_.enrollment,
                        number=content["number"],
                        token=secrets.token_urlsafe(TOKEN_BYTES),
                        check_code=new_check_code(),
                        content=content,
                        signature=signing.sign(content),
                        issued_at=now,
                    )
                break
            except IntegrityError:
                # A number collision (1 in 10^10), or a concurrent 打印证书 issued this year's first.
                concurrent = Certificate.objects.filter(user=user, year=year, status=CertificateStatus.ISSUED).first()
                if concurrent is not None and _substance(concurrent.content) == _substance(content):
                    return concurrent
        else:
            raise UserError("证书编号生成失败，请稍后再试。")
        record(Event.CERTIFICATE_ISSUE, actor=actor, obj=certificate, number=certificate.number, year=year)
    return certificate


def revoke_certificate(certificate, *, reason: str, actor=None, now=None) -> Certificate:
    """Revoke a certificate (jxjy.lib.states.move: row locked, quiet when it already is, audited). The verification
    page then shows 已撤销."""
    certificate, _ = move(
        certificate,
        CertificateStatus.REVOKED,
        event=Event.CERTIFICATE_REVOKE,
        actor=actor,
        message="证书状态不允许撤销。",
        detail={"number": certificate.number, "year": certificate.year, "reason": reason},
        revoked_at=now or timezone.now(),
        revoke_reason=reason,
    )
    return certificate


def revoke_if_no_longer_qualified(*, user, year: int, actor=None, reason: str = HOURS_REVERSED) -> Certificate | None:
    """After hours were taken from the ledger (or an exam pass voided): revoke the year's live certificate if the
    year is not 合格 now."""
    live = Certificate.objects.filter(user=user, year=year, status=CertificateStatus.ISSUED).first()
    if live is None or year_record(user, year).qualified:
        return None
    return revoke_certificate(live, reason=reason, actor=actor)


def revoke_for_refund(*, enrollment, actor=None) -> list[Certificate]:
    """A refunded class takes its certificates with it."""
    live = Certificate.objects.filter(enrollment=enrollment, status=CertificateStatus.ISSUED)
    return [revoke_certificate(certificate, reason=CLASS_REFUNDED, actor=actor) for certificate in live]
