"""Filing, reviewing and reversing 视同申报. Approved hours enter the hours ledger for the claim's year only,
toward 专业课 or 选修课, within the type's cap and the year's cap (DESIGN.md §4; domain-rules §7)."""

from datetime import date
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from jxjy.accounts.models import User
from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.catalog.models import TrainingYear
from jxjy.credits.models import CreditSource
from jxjy.credits.services import post_entry
from jxjy.credits.standing import DECLARATION_PREFIX, Requirement, year_standing
from jxjy.learning.models import Enrollment
from jxjy.lib.errors import UserError
from jxjy.lib.images import image_type
from jxjy.lib.states import move

from .fingerprints import file_sha256
from .models import Attachment, Declaration, Kind, Status
from .tasks import fingerprint_page

MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ZERO = Decimal("0")
REFUSED = "该申报当前为“{state}”，不能再操作。"


def _credit_id(declaration) -> str:
    """The ledger's source_id of an approval (its reversal adds ":reversal"): credits.standing nets the two by the
    prefix, and `reversals` lets a claim approved again after a reversal post anew."""
    return f"{DECLARATION_PREFIX}{declaration.pk}:{declaration.reversals}"


def fmt(hours: Decimal) -> str:
    return f"{Decimal(hours).normalize():f}"


# --- Attachments: checked by their content, stored under random names ----------------------------------------


def sniff(upload) -> str:
    """The attachment's real type from its bytes (PDF, JPEG or PNG), or a UserError in Chinese."""
    name = upload.name or "附件"
    if upload.size > MAX_ATTACHMENT_BYTES:
        raise UserError(f"附件“{name}”超过 10 MB，请压缩后再上传。", status=413)
    if upload.size == 0:
        raise UserError(f"附件“{name}”是空文件。")
    head = upload.read(16)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff") or head.startswith(b"\x89PNG\r\n\x1a\n"):
        return image_type(upload, name) or _refuse(name)
    return _refuse(name)


def _refuse(name):
    raise UserError(f"附件“{name}”不是 PDF、JPG 或 PNG 文件。")


def _save_attachments(declaration, uploads):
    """Kept under random names with the bytes' fingerprint; a PDF's first page is fingerprinted on the worker once
    the claim is committed (tasks.fingerprint_page)."""
    for upload, content_type in uploads:
        attachment = Attachment(
            declaration=declaration,
            original_name=(upload.name or "附件")[-120:],
            content_type=content_type,
            size=upload.size,
            sha256=file_sha256(upload),
        )
        attachment.file.save("x", upload, save=False)
        attachment.save()
        if content_type == "application/pdf":
            # robust: the claim stands if the queue is down (manage.py fingerprint_attachments catches up)
            transaction.on_commit(partial(fingerprint_page.delay, attachment.pk), robust=True)


def check_uploads(uploads, existing=0) -> list:
    checked = [(upload, sniff(upload)) for upload in uploads]
    if not 1 <= existing + len(checked) <= MAX_ATTACHMENTS:
        raise UserError("请上传 1 至 5 个附件（培训证书、课程表等，PDF、JPG 或 PNG）。")
    return checked


def check_quota(user, checked, removing=0) -> None:
    """All of a learner's attachments together stay within DECLARATION_ATTACHMENT_QUOTA_BYTES, so filing claim after
    claim cannot fill the disk. Called with the learner's row locked (two filings at once queue), before any file
    is kept."""
    used = Attachment.objects.filter(declaration__user=user).aggregate(total=Sum("size"))["total"] or 0
    quota = settings.DECLARATION_ATTACHMENT_QUOTA_BYTES
    if used - removing + sum(upload.size for upload, _ in checked) > quota:
        raise UserError(
            f"您的申报附件合计不能超过 {filesizeformat(quota)}，已无法再上传。需要补充材料请联系所在地市工考办。",
            status=413,
        )


# --- The learner's side ------------------------------------------------------------------------------------------


def current_year_or_none():
    return TrainingYear.objects.filter(year=timezone.localdate().year).first()


def current_year() -> TrainingYear:
    year = current_year_or_none()
    if year is None:
        raise UserError("本年度的视同申报尚未开放。")
    return year


def check_dates(start: date, end: date, year: int):
    if end < start:
        raise UserError("结束日期不能早于开始日期。")
    if start.year != year or end.year != year:
        raise UserError(
            f"视同申报只限本年度：只能申报 {year} 年内参加的培训，其他年度的培训不能申报，也不能结转到本年度。"
        )
    if end > timezone.localdate():
        raise UserError("培训结束后才能申报。")


def file_claim(*, user, data: dict, uploads) -> Declaration:
    """提交申请: a new claim for the current year with 1–5 attachments."""
    year = current_year()
    check_dates(data["start_date"], data["end_date"], year.year)
    checked = check_uploads(uploads)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        check_quota(user, checked)
        declaration = Declaration.objects.create(user=user, year=year, **data)
        _save_attachments(declaration, checked)
        user.lock_city()  # the claim is now in a city office's queue
        record(Event.DECLARATION_FILE, actor=user, obj=declaration)
    return declaration


def update_claim(*, declaration, data: dict, uploads, remove_ids) -> Declaration:
    """修改 while 待审核: the fields, attachments added or removed (1–5 remain)."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=declaration.user_id)  # as file_claim: for the quota
        declaration = Declaration.objects.select_for_update().get(pk=declaration.pk)
        if not declaration.editable:
            raise UserError("只有待审核的申报可以修改。", status=409)
        check_dates(data["start_date"], data["end_date"], declaration.year_id)
        keep = declaration.attachments.exclude(pk__in=remove_ids)
        checked = check_uploads(uploads, existing=keep.count())
        removing = declaration.attachments.filter(pk__in=remove_ids).aggregate(total=Sum("size"))["total"] or 0
        check_quota(user, checked, removing)
        for field, value in data.items():
            setattr(declaration, field, value)
        declaration.save()
        for attachment in declaration.attachments.filter(pk__in=remove_ids):
            attachment.file.delete(save=False)
            attachment.delete()
        _save_attachments(declaration, checked)
        record(Event.DECLARATION_EDIT, actor=declaration.user, obj=declaration)
    return declaration


def withdraw_claim(*, declaration) -> Declaration:
    """撤回 a claim still waiting for review."""
    return _move(declaration, Status.WITHDRAWN, actor=declaration.user, event=Event.DECLARATION_WITHDRAW)


def _move(declaration, to, *, actor, event, **changes) -> Declaration:
    """One step of Declaration.TRANSITIONS (jxjy.lib.states.move: locked, quiet when already there, audited)."""
    detail = {k: str(v) for k, v in changes.items() if k in ("hours_approved", "review_note")}
    declaration, _ = move(declaration, to, event=event, actor=actor, message=REFUSED, detail=detail, **changes)
    return declaration


# --- Duplicates ----------------------------------------------------------------------------------------------


def duplicate_ids(declarations) -> set:
    """The claims among `declarations` whose organiser, dates and title match another claim of the same
    learner (any year, withdrawn ones aside)."""
    declarations = list(declarations)
    if not declarations:
        return set()
    match = Q()
    for d in declarations:
        match |= Q(user_id=d.user_id, start_date=d.start_date, end_date=d.end_date)
    candidates = list(Declaration.objects.filter(match).exclude(status=Status.WITHDRAWN))

    def key(d):
        return (d.user_id, d.start_date, d.end_date, d.organiser.strip().lower(), d.title.strip().lower())

    counts: dict = {}
    for d in candidates:
        counts[key(d)] = counts.get(key(d), 0) + 1
    return {d.pk for d in declarations if counts.get(key(d), 0) > 1}


# --- Review ------------------------------------------------------------------------------------------------------


def _approved_hours(user, year, **filters) -> Decimal:
    total = Declaration.objects.filter(user=user, year=year, status=Status.APPROVED, **filters).aggregate(
        total=Sum("hours_approved")
    )["total"]
    return total or ZERO


def type_cap(declaration) -> Decimal:
    """The most this claim may be approved for under its type's rule for the year."""
    year = declaration.year
    if declaration.kind in (Kind.RESEARCH, Kind.ADVANCED):
        return year.declaration_hours_per_day * declaration.days
    if declaration.kind == Kind.EXCHANGE:
        used = _approved_hours(declaration.user, year, kind=Kind.EXCHANGE)
        return max(ZERO, min(year.exchange_hours_per_event, year.exchange_hours_per_year - used))
    used = _approved_hours(declaration.user, year, kind=Kind.OTHER)
    return max(ZERO, year.other_hours_per_year - used)


def year_room(declaration) -> Decimal:
    """What the year's cap still allows: approved 视同申报 count at most `declaration_cap_ratio` of the
    professional requirement (the learner's online class's, or else the year's), less what the ledger holds."""
    enrollment = Enrollment.objects.live().filter(user=declaration.user_id, training_class__year=declaration.year)
    enrollment = enrollment.select_related("training_class").first()
    rule = enrollment.training_class if enrollment else declaration.year
    requirement = Requirement.of(rule, declaration.year.declaration_cap_ratio)
    return year_standing(declaration.user_id, declaration.year_id, requirement).declaration_room


def approve(*, declaration, hours: Decimal, reviewer, note="") -> Declaration:
    """通过 with the approved hours (≤ claimed, ≤ the type's cap, ≤ the year's cap); posts them to the ledger."""
    with transaction.atomic():
        # One learner's approvals one at a time, so two reviewers together cannot pass the year's cap.
        type(declaration.user).objects.select_for_update().filter(pk=declaration.user_id).first()
        locked = Declaration.objects.select_for_update(of=("self",)).select_related("year").get(pk=declaration.pk)
        if locked.status != Status.PENDING:
            raise UserError(f"该申报当前为“{locked.get_status_display()}”，不能再审核。", status=409)
        if hours <= 0:
            raise UserError("核定学时须大于 0；不予认定请选择“驳回”。")
        if hours > locked.hours_claimed:
            raise UserError(f"核定学时不能超过申报学时（{fmt(locked.hours_claimed)} 学时）。")
        cap = type_cap(locked)
        if hours > cap:
            raise UserError(f"超过{locked.get_kind_display()}的认定上限：本条最多可认定 {fmt(cap)} 学时。")
        room = year_room(locked)
        if hours > room:
            raise UserError(
                f"超过年度视同申报上限：该学员本年度最多还可认定 {fmt(room)} 学时（视同申报最多抵扣专业课要求的一半）。"
            )
        locked = _move(
            locked,
            Status.APPROVED,
            actor=reviewer,
            event=Event.DECLARATION_APPROVE,
            hours_approved=hours,
            review_note=note,
            reviewed_by=reviewer,
            reviewed_at=timezone.now(),
        )
        post_entry(
            user=locked.user,
            year=locked.year_id,
            category=locked.category,
            hours=hours,
            source=CreditSource.DECLARATION,
            source_id=_credit_id(locked),
            note=f"视同申报 {locked.title}",
        )
    return locked


def reject(*, declaration, reviewer, reason: str) -> Declaration:
    """驳回 with the reason the learner will read."""
    reason = reason.strip()
    if not reason:
        raise UserError("请填写驳回理由，学员将看到这条理由。")
    return _move(
        declaration,
        Status.REJECTED,
        actor=reviewer,
        event=Event.DECLARATION_REJECT,
        review_note=reason[:200],
        reviewed_by=reviewer,
        reviewed_at=timezone.now(),
    )


def reverse_approval(*, declaration, reviewer, reason: str) -> Declaration:
    """撤销审批: the approval's ledger entry is reversed and the claim waits for review again."""
    reason = reason.strip()
    if not reason:
        raise UserError("请填写撤销理由。")
    with transaction.atomic():
        locked = Declaration.objects.select_for_update().get(pk=declaration.pk)
        if locked.status != Status.APPROVED:
            raise UserError("只有已通过的申报可以撤销审批。", status=409)
        post_entry(
            user=locked.user,
            year=locked.year_id,
            category=locked.category,
            hours=-locked.hours_approved,
            source=CreditSource.REVERSAL,
            source_id=f"{_credit_id(locked)}:reversal",
            note=f"撤销视同申报 {locked.title}",
        )
        return _move(
            locked,
            Status.PENDING,
            actor=reviewer,
            event=Event.DECLARATION_REVERSE,
            review_note=f"撤销审批：{reason[:190]}",
            hours_approved=None,
            reversals=locked.reversals + 1,
            reviewed_by=reviewer,
            reviewed_at=timezone.now(),
        )
