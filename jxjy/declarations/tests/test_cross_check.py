"""视同申报 cross-checked across learners (issue 16 item 4): the same attachment in two learners' claims is
疑似材料重复 (the other claim linked in scope, only its city outside), the same organiser + dates + title is 同批培训
with its count, and 批量审核 of a batch goes claim by claim through the per-claim service, within the office's city."""

import hashlib
import io
import shutil

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time

from conftest import make_learner, staff_client
from jxjy.audit.models import AuditRecord, Event
from jxjy.credits.models import CreditEntry
from jxjy.declarations.models import Attachment, Declaration, Status

from .conftest import PDF, claim, pdf

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalog")]
TODAY = "2026-11-28 10:00"
CERTIFICATE = PDF + b"% certificate no. 2026-001\n"


@pytest.fixture
def dave(db):
    """A second learner in 南京, same city office as alice."""
    return make_learner("赵强", "32010519800512345", "13700137000")


def filed(user, files=None, **overrides):
    client = Client()
    client.force_login(user)
    data = claim(**overrides)
    data["attachments"] = files if files is not None else [pdf()]
    with freeze_time(TODAY):
        response = client.post(reverse("declarations:new"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Declaration.objects.filter(user=user).latest("pk")


def page(reviewer, declaration=None):
    url = reverse("office:declarations_detail", args=[declaration.pk]) if declaration else None
    return staff_client(reviewer).get(url or reverse("office:declarations_list")).content.decode()


def batch(reviewer, declaration, claims, **data):
    payload = {"action": "batch", "batch-claims": [c.pk for c in claims], **{f"batch-{k}": v for k, v in data.items()}}
    url = reverse("office:declarations_detail", args=[declaration.pk])
    return staff_client(reviewer).post(url, payload, follow=True)


def messages_of(response):
    return " ".join(str(m) for m in response.context["messages"])


# --- 疑似材料重复 --------------------------------------------------------------------------------------------------


def test_the_same_file_under_other_names_is_flagged_and_linked(alice, dave, nanjing_reviewer):
    first = filed(alice, [pdf("结业证书.pdf", CERTIFICATE)])
    copy = filed(dave, [pdf("扫描件（1）.pdf", CERTIFICATE)], title="节能培训")
    honest = filed(make_learner("钱多", "32010619750101567", "13600136000"), [pdf("我的证书.pdf")], title="另一个班")
    assert first.attachments.get().sha256 == hashlib.sha256(CERTIFICATE).hexdigest()

    listing = page(nanjing_reviewer)
    assert listing.count("疑似材料重复") == 2
    detail = page(nanjing_reviewer, copy)
    assert "疑似材料重复" in detail
    assert (
        reverse("office:declarations_detail", args=[first.pk]) in detail
        and "张伟的申报“公共机构节能管理研修班”" in detail
    )
    assert "疑似材料重复" not in page(nanjing_reviewer, honest)


def test_a_match_in_another_city_shows_only_that_city(alice, bob, nanjing_reviewer, suzhou_reviewer):
    mine = filed(alice, [pdf("证书.pdf", CERTIFICATE)])
    theirs = filed(bob, [pdf("别人的证书.pdf", CERTIFICATE)], title="苏州专有研修班", organiser="苏州某协会")

    seen_from_nanjing = page(nanjing_reviewer, mine)
    assert "疑似材料重复" in seen_from_nanjing and "苏州市学员的一条申报" in seen_from_nanjing
    for secret in (bob.name, theirs.title, theirs.organiser, bob.id_number_masked, "别人的证书"):
        assert secret not in seen_from_nanjing
    assert reverse("office:declarations_detail", args=[theirs.pk]) not in seen_from_nanjing
    seen_from_suzhou = page(suzhou_reviewer, theirs)
    assert "南京市学员的一条申报" in seen_from_suzhou and alice.name not in seen_from_suzhou
    # the other claim itself stays out of reach
    other = reverse("office:declarations_detail", args=[theirs.pk])
    assert staff_client(nanjing_reviewer).get(other).status_code == 404


def test_one_learners_own_files_are_not_a_cross_learner_match(alice, nanjing_reviewer):
    filed(alice, [pdf("证书.pdf", CERTIFICATE)], start_date="2026-10-01", end_date="2026-10-01")
    second = filed(alice, [pdf("证书.pdf", CERTIFICATE)])
    assert "疑似材料重复" not in page(nanjing_reviewer, second)


PDFTOPPM = shutil.which("pdftoppm")


def make_pdf(drawing=b"0 0 0 rg 10 10 50 50 re f", title="证书", pages=1):
    """A small valid PDF: the first page draws `drawing`; `title` goes into its metadata (/Info)."""
    objects = [b"<</Type/Catalog/Pages 2 0 R>>"]
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(pages))
    objects.append(f"<</Type/Pages/Kids[{kids}]/Count {pages}>>".encode())
    for i in range(pages):
        body = drawing if i == 0 else b"0 0 1 rg 0 0 20 20 re f"
        objects.append(f"<</Type/Page/Parent 2 0 R/MediaBox[0 0 100 100]/Contents {4 + 2 * i} 0 R>>".encode())
        objects.append(b"<</Length %d>>stream\n%s\nendstream" % (len(body), body))
    objects.append(b"<</Title(" + title.encode("utf-16-be").hex().encode() + b")>>")
    out, offsets = io.BytesIO(b"%PDF-1.4\n"), []
    out.seek(0, 2)
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(
        b"trailer<</Size %d/Root 1 0 R/Info %d 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, len(objects), xref)
    )
    return out.getvalue()


@pytest.mark.skipif(PDFTOPPM is None, reason="poppler's pdftoppm is not installed")
def test_pdfs_with_other_metadata_but_the_same_first_page_match(
    alice, dave, nanjing_reviewer, django_capture_on_commit_callbacks
):
    original, resaved = make_pdf(title="张伟"), make_pdf(title="赵强 修改", pages=2)
    different = make_pdf(drawing=b"0 0 0 rg 40 40 50 50 re f")
    assert len({original, resaved, different}) == 3
    with django_capture_on_commit_callbacks(execute=True):
        first = filed(alice, [pdf("证书.pdf", original)])
        copy = filed(dave, [pdf("证书.pdf", resaved)], title="另一个名称")
        honest = filed(
            make_learner("钱多", "32010619750101567", "13600136000"), [pdf("证书.pdf", different)], title="第三个"
        )
    a, b, c = (d.attachments.get() for d in (first, copy, honest))
    assert a.sha256 != b.sha256 and a.page_sha256 and a.page_sha256 == b.page_sha256 != c.page_sha256
    detail = page(nanjing_reviewer, copy)
    assert "疑似材料重复" in detail and reverse("office:declarations_detail", args=[first.pk]) in detail
    assert "疑似材料重复" not in page(nanjing_reviewer, honest)


def test_the_backfill_command_fingerprints_older_attachments(alice, nanjing_reviewer):
    first, copy = (
        filed(alice, [pdf("a.pdf", CERTIFICATE)]),
        filed(make_learner("钱多", "32010619750101567", "13600136000")),
    )
    Attachment.objects.update(sha256="", page_sha256="")  # as stored before issue 16
    Attachment.objects.filter(declaration=copy).update(file=first.attachments.get().file.name)
    assert "疑似材料重复" not in page(nanjing_reviewer, copy)
    call_command("fingerprint_attachments", stdout=io.StringIO())
    assert set(Attachment.objects.values_list("sha256", flat=True)) == {hashlib.sha256(CERTIFICATE).hexdigest()}
    assert "疑似材料重复" in page(nanjing_reviewer, copy)


# --- 同批培训 ------------------------------------------------------------------------------------------------------


def test_the_same_training_across_learners_is_one_batch_with_its_count(alice, dave, bob, nanjing_reviewer):
    one = filed(alice)
    filed(dave, title="公共机构 节能管理研修班 ", organiser="江苏省机关事务管理局　")  # a space, a full-width space
    filed(bob, title="公共机构节能管理研修班")  # 苏州: counted, not shown
    other_dates = filed(
        make_learner("钱多", "32010619750101567", "13600136000"), start_date="2026-10-20", end_date="2026-10-21"
    )
    assert "同批培训 3 人" in page(nanjing_reviewer)
    detail = page(nanjing_reviewer, one)
    assert "同批培训（共 3 人申报）" in detail and "另有 1 人属于其他地市" in detail
    assert dave.name in detail and bob.name not in detail
    assert "同批培训" not in page(nanjing_reviewer, other_dates)


def test_a_batch_is_approved_within_the_offices_city_each_claim_audited(alice, dave, bob, nanjing_reviewer):
    claims = [filed(alice), filed(dave), filed(bob)]
    response = batch(nanjing_reviewer, claims[0], claims[:2], decision="approve", hours="12")
    assert "批量审核完成：通过 2 人" in messages_of(response)
    statuses = [Declaration.objects.get(pk=c.pk).status for c in claims]
    assert statuses == [Status.APPROVED, Status.APPROVED, Status.PENDING]
    approvals = AuditRecord.objects.filter(event=Event.DECLARATION_APPROVE, actor=nanjing_reviewer)
    assert sorted(approvals.values_list("object_id", flat=True)) == sorted(str(c.pk) for c in claims[:2])
    assert CreditEntry.objects.filter(user__in=[alice, dave]).count() == 2 and not CreditEntry.objects.filter(user=bob)


def test_a_claim_of_another_city_cannot_be_slipped_into_a_batch(alice, bob, dave, nanjing_reviewer):
    mine, yours = filed(alice), filed(bob)
    filed(dave)
    batch(nanjing_reviewer, mine, [mine, yours], decision="approve", hours="12")
    assert Declaration.objects.get(pk=yours.pk).status == Status.PENDING
    assert not AuditRecord.objects.filter(event=Event.DECLARATION_APPROVE).exists()


def test_approving_a_batch_again_is_quiet(alice, dave, nanjing_reviewer):
    claims = [filed(alice), filed(dave)]
    staff_client(nanjing_reviewer).post(
        reverse("office:declarations_detail", args=[claims[1].pk]), {"action": "approve", "approve-hours": "12"}
    )
    response = batch(nanjing_reviewer, claims[0], claims, decision="approve", hours="12")
    assert "通过 1 人。另有 1 人此前已通过，未重复处理。" in messages_of(response)
    again = batch(nanjing_reviewer, claims[0], claims, decision="approve", hours="12")
    assert "通过 0 人。另有 2 人此前已通过" in messages_of(again)
    assert AuditRecord.objects.filter(event=Event.DECLARATION_APPROVE).count() == 2
    assert CreditEntry.objects.count() == 2


def test_a_batch_is_rejected_with_one_reason(alice, dave, nanjing_reviewer):
    claims = [filed(alice), filed(dave)]
    batch(nanjing_reviewer, claims[1], claims, decision="reject", reason="该培训未经备案")
    rejected = Declaration.objects.filter(status=Status.REJECTED, review_note="该培训未经备案")
    assert rejected.count() == 2
    assert AuditRecord.objects.filter(event=Event.DECLARATION_REJECT).count() == 2


def test_a_batch_member_over_its_cap_is_refused_alone(alice, dave, nanjing_reviewer):
    small = filed(alice, hours_claimed="6")
    claims = [small, filed(dave)]
    response = batch(nanjing_reviewer, claims[1], claims, decision="approve", hours="12")
    assert "通过 1 人" in messages_of(response) and "张伟：核定学时不能超过申报学时" in messages_of(response)
    assert Declaration.objects.get(pk=small.pk).status == Status.PENDING


def test_the_data_migration_gives_existing_claims_their_batch_key(alice, dave):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("jxjy.declarations.migrations.0002_fingerprints_and_batch_key")
    claims = [filed(alice), filed(dave, title="公共机构节能管理 研修班")]
    Declaration.objects.update(batch_key="")  # as stored before issue 16
    migration.backfill_batch_keys(apps, None)
    keys = {c.pk: Declaration.objects.get(pk=c.pk).batch_key for c in claims}
    assert keys[claims[0].pk] == keys[claims[1].pk] == claims[0].batch_key != ""


def test_without_pdftoppm_only_the_bytes_are_compared(
    alice, dave, nanjing_reviewer, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("jxjy.declarations.fingerprints.shutil.which", lambda name: None)
    with django_capture_on_commit_callbacks(execute=True):
        first = filed(alice, [pdf("证书.pdf", make_pdf())])
        copy = filed(dave, [pdf("证书.pdf", make_pdf())])
    assert set(Attachment.objects.values_list("page_sha256", flat=True)) == {""}
    assert reverse("office:declarations_detail", args=[first.pk]) in page(nanjing_reviewer, copy)


def test_a_learners_second_claim_of_the_same_training_is_left_out_of_a_batch(alice, dave, nanjing_reviewer):
    claims = [filed(alice), filed(alice), filed(dave)]
    response = batch(nanjing_reviewer, claims[2], claims, decision="approve", hours="12")
    assert "通过 1 人" in messages_of(response)
    assert messages_of(response).count("张伟：该学员在本批中有两条申报（疑似重复），请逐条审核。") == 2
    assert [Declaration.objects.get(pk=c.pk).status for c in claims] == [Status.PENDING] * 2 + [Status.APPROVED]
