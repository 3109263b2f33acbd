"""Help (issue 15 item 9): 联系我们, 常见问题, notice attachments and the 学员操作手册 PDF; edited by the province only."""

import io
import subprocess
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import make_staff, staff_client
from jxjy.audit.models import AuditRecord, Event
from jxjy.portal.models import ContactOffice, Faq, Notice, NoticeAttachment

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%test\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def docx_bytes(macro=False):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        if macro:
            archive.writestr("word/vbaProject.bin", b"x")
    return out.getvalue()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# --- the pages learners see ------------------------------------------------------------------------------------


def test_contact_lists_every_office_with_hours_and_says_ask_your_unit_without_a_phone(client):
    offices = ContactOffice.objects.all()
    assert offices.count() == 14  # 13 地市工考办 + 省工考办, seeded by the data migration
    suzhou = offices.get(city_id="320500")
    suzhou.phones = "0512-65000000、0512-65000001"
    suzhou.save()
    html = client.get(reverse("portal:contact")).content.decode()
    for office in offices:
        assert office.name in html
    assert "省工考办" in html and "南京市工考办" in html
    assert 'href="tel:051265000000"' in html and 'href="tel:051265000001"' in html
    assert html.count("电话请咨询所在单位") == 13
    assert "工作日" in html


def test_contact_puts_the_learners_own_city_first(client, bob):
    client.force_login(bob)
    html = client.get(reverse("portal:contact")).content.decode()
    assert "您所在地市" in html
    assert html.index("苏州市工考办") < html.index("南京市工考办")


def test_faq_shows_published_questions_escaped_with_line_breaks(client):
    assert Faq.objects.count() >= 10
    for question in (
        "进度不涨",
        "答不对",
        "换了手机号",
        "忘记密码",
        "发票",
        "证书",
        "视同申报",
        "面授班",
        "卡",
        "倍速",
    ):
        assert Faq.objects.filter(question__contains=question).exists(), question
    Faq.objects.create(question="<b>粗体</b>问题", answer="第一行<script>alert(1)</script>\n第二行", sort_order=1)
    Faq.objects.create(question="未发布的问题", answer="x", is_published=False)
    html = client.get(reverse("portal:faq")).content.decode()
    assert "&lt;b&gt;粗体&lt;/b&gt;问题" in html
    assert "第一行&lt;script&gt;alert(1)&lt;/script&gt;<br>第二行" in html
    assert "<script>alert" not in html
    assert "未发布的问题" not in html
    assert "<details" in html and "为什么我的学习进度不涨" in html


def test_footer_and_password_reset_link_to_the_help(client):
    html = client.get(reverse("accounts:password_reset")).content.decode()
    for name in ("portal:contact", "portal:faq", "portal:manual"):
        assert f'href="{reverse(name)}"' in html
    assert "收不到验证码？联系我们" in html


def test_manual_pdf_downloads_with_the_manuals_headings():
    from django.test import Client

    response = Client().get(reverse("portal:manual"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    assert "%E5%AD%A6%E5%91%98%E6%93%8D%E4%BD%9C%E6%89%8B%E5%86%8C.pdf" in response["Content-Disposition"]
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    for heading in ("学员操作手册", "一、培训流程", "二、新用户注册", "四、报名缴费", "五、学员中心", "(四)视同申报"):
        assert heading in text, heading
    assert "如下图所示" not in text


# --- notice attachments --------------------------------------------------------------------------------------


def _attach(notice, name, data, content_type):
    return NoticeAttachment.objects.create(
        notice=notice,
        file=SimpleUploadedFile("x", data),
        original_name=name,
        content_type=content_type,
        size=len(data),
    )


def test_attachment_downloads_as_an_attachment_with_a_safe_name(client, media):
    notice = Notice.objects.create(title="报名通知", body="见附件")
    attachment = _attach(notice, '../../2026年"报名"\x07表.pdf', PDF, "application/pdf")
    html = client.get(reverse("portal:notice_detail", args=[notice.pk])).content.decode()
    url = reverse("portal:notice_attachment", args=[attachment.pk])
    assert f'href="{url}"' in html and "附件" in html
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''")
    assert "2026%E5%B9%B4%E6%8A%A5%E5%90%8D%E8%A1%A8.pdf" in disposition  # no folder, quote or control character
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_an_unpublished_notices_attachment_is_404(client, media):
    notice = Notice.objects.create(title="草稿", body="x", is_published=False)
    attachment = _attach(notice, "a.pdf", PDF, "application/pdf")
    assert client.get(reverse("portal:notice_attachment", args=[attachment.pk])).status_code == 404


# --- the back office: the province only -----------------------------------------------------------------------

SITE_PAGES = ["office:site_home", "office:site_faq_create", "office:site_notice_create"]


@pytest.mark.parametrize("role", ["city", "finance", "content", "sysadmin", "secadmin", "auditor"])
def test_other_roles_are_refused_and_not_shown_the_menu(role):
    user = make_staff(f"x-{role}", role, "320100" if role == "city" else None)
    client = staff_client(user)
    home = client.get(reverse("office:home")).content.decode()
    assert reverse("office:site_home") not in home
    for name in SITE_PAGES:
        assert client.get(reverse(name)).status_code == 403
    office = ContactOffice.objects.get(city_id="320100")
    response = client.post(reverse("office:site_office_edit", args=[office.pk]), {"name": "改", "sort_order": 1})
    assert response.status_code == 403
    office.refresh_from_db()
    assert office.name == "南京市工考办"


def test_the_province_edits_an_office_and_it_is_audited(province_admin, client):
    office_client = staff_client(province_admin)
    assert reverse("office:site_home") in office_client.get(reverse("office:home")).content.decode()
    office = ContactOffice.objects.get(city_id="320100")
    response = office_client.post(
        reverse("office:site_office_edit", args=[office.pk]),
        {"name": "南京市工考办", "phones": "025-83270000", "hours": "工作日 9:00—17:00", "note": "", "sort_order": 1},
    )
    assert response.status_code == 302
    office.refresh_from_db()
    assert office.phones == "025-83270000"
    assert AuditRecord.objects.filter(event=Event.SITE_SAVE, actor=province_admin, object_id=str(office.pk)).exists()
    assert 'href="tel:02583270000"' in client.get(reverse("portal:contact")).content.decode()


def test_the_province_adds_edits_and_deletes_a_faq(province_admin, client):
    office_client = staff_client(province_admin)
    response = office_client.post(
        reverse("office:site_faq_create"),
        {"question": "新问题？", "answer": "回答", "sort_order": 1, "is_published": "on"},
    )
    assert response.status_code == 302
    faq = Faq.objects.get(question="新问题？")
    assert "新问题？" in client.get(reverse("portal:faq")).content.decode()
    office_client.post(
        reverse("office:site_faq_edit", args=[faq.pk]), {"question": "新问题？", "answer": "回答", "sort_order": 1}
    )
    faq.refresh_from_db()
    assert not faq.is_published
    assert office_client.get(reverse("office:site_faq_delete", args=[faq.pk])).status_code == 405
    office_client.post(reverse("office:site_faq_delete", args=[faq.pk]))
    assert not Faq.objects.filter(pk=faq.pk).exists()
    actions = list(AuditRecord.objects.filter(event=Event.SITE_SAVE).values_list("detail__action", flat=True))
    assert sorted(actions) == sorted(["新建", "修改", "删除"])


def test_a_faq_without_an_answer_is_refused_in_plain_words(province_admin):
    response = staff_client(province_admin).post(reverse("office:site_faq_create"), {"question": "", "answer": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "请填写问题。" in html and "请填写回答。" in html
    assert not Faq.objects.filter(question="").exists()


def _notice_form(**extra):
    return {"title": "缴费通知", "body": "正文", "published_at": "2026-03-01T09:00", "is_published": "on", **extra}


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("通知.pdf", PDF, "application/pdf"),
        ("名单.docx", docx_bytes(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ],
)
def test_the_province_uploads_an_allowed_attachment(province_admin, media, name, data, content_type):
    client = staff_client(province_admin)
    upload = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    response = client.post(reverse("office:site_notice_create"), _notice_form(attachment=upload))
    assert response.status_code == 302
    attachment = NoticeAttachment.objects.get()
    assert attachment.content_type == content_type and attachment.original_name == name
    assert AuditRecord.objects.filter(event=Event.SITE_SAVE, detail__action="上传").exists()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("page.pdf", b"<html><script>alert(1)</script></html>", "不是 PDF、Word、Excel、JPG 或 PNG 文件"),
        ("宏.docx", docx_bytes(macro=True), "含有宏"),
        ("x.exe", b"MZ\x90\x00" * 10, "不是 PDF、Word、Excel、JPG 或 PNG 文件"),
    ],
)
def test_a_disguised_or_macro_attachment_is_refused(province_admin, media, name, data, message):
    client = staff_client(province_admin)
    response = client.post(
        reverse("office:site_notice_create"), _notice_form(attachment=SimpleUploadedFile(name, data))
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not NoticeAttachment.objects.exists() and not Notice.objects.filter(title="缴费通知").exists()


def test_an_oversized_attachment_is_refused(province_admin, media, monkeypatch):
    monkeypatch.setattr("jxjy.portal.services.MAX_ATTACHMENT_BYTES", 10)
    response = staff_client(province_admin).post(
        reverse("office:site_notice_create"), _notice_form(attachment=SimpleUploadedFile("a.pdf", PDF))
    )
    assert response.status_code == 400 and "超过 10 MB" in response.content.decode()


def test_the_province_deletes_an_attachment(province_admin, media, django_capture_on_commit_callbacks):
    notice = Notice.objects.create(title="通知", body="x")
    attachment = _attach(notice, "a.pdf", PDF, "application/pdf")
    path = media / attachment.file.name
    assert path.exists()
    client = staff_client(province_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("office:site_attachment_delete", args=[attachment.pk]))
    assert response.status_code == 302
    assert not NoticeAttachment.objects.exists() and not path.exists()
    assert AuditRecord.objects.filter(event=Event.SITE_SAVE, detail__action="删除", detail__file="a.pdf").exists()
