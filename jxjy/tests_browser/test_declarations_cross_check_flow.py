"""视同申报 cross-checked across learners (issue 16 item 4), in a real browser on a phone and a desktop: the 南京
office sees 疑似材料重复 and 同批培训 3 人 in its list, opens a claim whose certificate a 苏州 learner also sent (only
the city is shown), and approves its two 南京 learners of the batch in one go (批量审核); the 苏州 claim stays."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from conftest import make_catalog, make_learner
from jxjy.accounts.models import User
from jxjy.audit.models import AuditRecord, Event
from jxjy.declarations import services
from jxjy.declarations.models import Declaration, Status

from .conftest import browsing_in
from .steps import staff_log_in

pytestmark = pytest.mark.browser
CERTIFICATE = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n% no. 2026-001\n"
TITLE = "公共机构节能管理研修班"


def file(user, body, title=TITLE):
    end = timezone.localdate() - timedelta(days=3)
    data = {
        "kind": "research",
        "category": "professional",
        "title": title,
        "organiser": "江苏省机关事务管理局",
        "start_date": end - timedelta(days=1),
        "end_date": end,
        "hours_claimed": 12,
        "description": "",
    }
    upload = SimpleUploadedFile("证书.pdf", body, content_type="application/pdf")
    return services.file_claim(user=user, data=data, uploads=[upload])


@pytest.fixture
def claims(alice, bob):
    make_catalog(years=(timezone.localdate().year,))
    dave = make_learner("赵强", "32010519800512345", "13700137000")
    return {
        "alice": file(alice, CERTIFICATE),
        "dave": file(dave, CERTIFICATE + b"% dave\n", title="公共机构 节能管理研修班"),
        "bob": file(bob, CERTIFICATE, title=TITLE),
    }


@pytest.mark.parametrize("large_text", [False, True], ids=["normal", "a11y"])
def test_office_sees_the_cross_checks_and_approves_a_batch(
    browser, viewport, live_server, claims, large_text, nanjing_reviewer
):
    with browsing_in(browser, viewport, live_server, large_text=large_text) as browsing:
        page = browsing.page
        mode = "a11y" if large_text else "normal"
        staff_log_in(page, User.objects.get(username="nanjing"), "/office/declarations/")

        rows = page.get_by_role("row").filter(has_text="同批培训 3 人")
        expect(rows).to_have_count(2)
        expect(page.get_by_role("row").filter(has_text="疑似材料重复")).to_have_count(1)  # alice: bob's certificate
        browsing.snap(f"declx-{mode}-01-list")

        page.get_by_role("row").filter(has_text="张伟").get_by_role("link", name="审核").click()
        notice = page.locator(".material-match")
        expect(notice).to_contain_text("苏州市学员的一条申报")
        expect(notice).not_to_contain_text("李娜")
        batch = page.locator(".batch-review")
        expect(batch).to_contain_text("同批培训（共 3 人申报）")
        expect(batch).to_contain_text("另有 1 人属于其他地市")
        for box in (batch.get_by_label("张伟（申报 12 学时）"), batch.get_by_label("赵强（申报 12 学时）")):
            expect(box).to_be_checked()
        target = batch.locator("label").filter(has_text="赵强（申报 12 学时）").bounding_box()
        assert target["height"] >= 44, target
        batch.get_by_label("全部通过").check()
        batch.get_by_label("每人核定学时").fill("12")
        browsing.snap(f"declx-{mode}-02-batch")
        batch.get_by_role("button", name="批量审核").click()
        expect(page.locator(".messages")).to_contain_text("批量审核完成：通过 2 人。")
        browsing.snap(f"declx-{mode}-03-done")

    statuses = {name: Declaration.objects.get(pk=c.pk).status for name, c in claims.items()}
    assert statuses == {"alice": Status.APPROVED, "dave": Status.APPROVED, "bob": Status.PENDING}
    assert AuditRecord.objects.filter(event=Event.DECLARATION_APPROVE).count() == 2
