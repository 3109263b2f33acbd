"""导入单位花名册: template, all-or-nothing validation by row and column, and activation by registration."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from conftest import staff_client
from jxjy.accounts.models import User, id_number_index
from jxjy.accounts.services import BAD_CODE_MESSAGE, ROSTER_MOBILE_MESSAGE, TAKEN_MESSAGE
from jxjy.accounts.tests.helpers import login, register, register_data, valid_id
from jxjy.audit.models import AuditRecord, Event

pytestmark = pytest.mark.django_db
IMPORT = reverse("office:learners_import")
HEADER = ["姓名", "身份证号", "手机号（可选）", "工作单位", "技术等级"]
NJ1 = valid_id("32010419800101001")
NJ2 = valid_id("32011319850202002")
SZ1 = valid_id("32050519900303003")


def xlsx(rows, header=HEADER):
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("花名册.xlsx", out.getvalue())


def upload(client, rows, **kwargs):
    return client.post(IMPORT, {"file": xlsx(rows, **kwargs)})


def test_template_download(nanjing_reviewer, province_admin):
    response = staff_client(nanjing_reviewer).get(reverse("office:learners_import_template"))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    header = next(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert list(header) == HEADER
    response = staff_client(province_admin).get(reverse("office:learners_import_template"))
    header = next(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert list(header) == [*HEADER, "所属地市"]


def test_valid_roster_is_imported_as_pre_registered(nanjing_reviewer):
    response = upload(staff_client(nanjing_reviewer), [
        ["陈静", NJ1, "", "南京市园林局", "中级工"],
        ["刘洋", NJ2, "13600001234", "南京市园林局", "高级工"],
    ])  # fmt: skip
    assert response.status_code == 302
    chen = User.objects.get(username=id_number_index(NJ1))
    assert chen.name == "陈静" and chen.city_id == "320100" and chen.grade == "L4" and chen.work_unit == "南京市园林局"
    assert not chen.has_usable_password() and chen.mobile_verified_at is None
    assert User.objects.get(username=id_number_index(NJ2)).mobile == "13600001234"
    assert AuditRecord.objects.filter(event=Event.LEARNER_IMPORT, actor=nanjing_reviewer, result="ok").exists()


def test_an_error_row_refuses_the_whole_file_naming_row_and_column(nanjing_reviewer):
    response = upload(staff_client(nanjing_reviewer), [
        ["陈静", NJ1, "", "南京市园林局", "中级工"],
        ["刘洋", NJ2[:-1] + ("0" if NJ2[-1] != "0" else "1"), "", "南京市园林局", "高级工"],
        ["Tom", NJ2, "1234", "", "大师"],
    ])  # fmt: skip
    assert response.status_code == 200
    errors = response.context["errors"]
    assert (3, "身份证号", "身份证号校验位不正确，请核对。") in errors
    assert {(4, "姓名"), (4, "手机号（可选）"), (4, "工作单位"), (4, "技术等级")} <= {(r, c) for r, c, _ in errors}
    html = response.content.decode()
    assert "第 3 行" in html and "未导入任何学员" in html
    assert not User.objects.filter(username=id_number_index(NJ1)).exists()  # nothing imported
    assert AuditRecord.objects.filter(event=Event.LEARNER_IMPORT, result="refused").exists()


def test_a_city_office_imports_its_own_city_only(nanjing_reviewer):
    response = upload(staff_client(nanjing_reviewer), [["孙丽", SZ1, "", "苏州市园林局", "中级工"]])
    assert response.context["errors"] == [(2, "身份证号", "该身份证号不属于南京市，只能导入本市学员。")]
    assert not User.objects.filter(username=id_number_index(SZ1)).exists()


def test_province_imports_any_city_with_the_city_column(province_admin):
    client = staff_client(province_admin)
    header = [*HEADER, "所属地市"]
    response = upload(client, [["孙丽", SZ1, "", "苏州市园林局", "中级工", ""],
                               ["陈静", NJ1, "", "省机关事务管理局", "技师", "省直"]], header=header)  # fmt: skip
    assert response.status_code == 302
    assert User.objects.get(username=id_number_index(SZ1)).city_id == "320500"
    assert User.objects.get(username=id_number_index(NJ1)).city_id == "320000"


def test_duplicates_within_the_file_and_existing_accounts(alice, nanjing_reviewer):
    response = upload(staff_client(nanjing_reviewer), [
        ["陈静", NJ1, "", "南京市园林局", "中级工"],
        ["陈静", NJ1, "", "南京市园林局", "中级工"],
        ["张伟", alice.id_number, "", "南京市园林局", "中级工"],
        ["刘洋", NJ2, alice.mobile, "南京市园林局", "中级工"],
    ])  # fmt: skip
    errors = {(r, c) for r, c, _ in response.context["errors"]}
    assert errors == {(3, "身份证号"), (4, "身份证号"), (5, "手机号（可选）")}


def test_wrong_header_and_not_excel(nanjing_reviewer):
    client = staff_client(nanjing_reviewer)
    response = upload(client, [["陈静", NJ1]], header=["名字", "证件"])
    assert "表头与模板不一致" in response.content.decode()
    response = client.post(IMPORT, {"file": SimpleUploadedFile("a.xlsx", b"not excel")})
    assert "无法读取该文件" in response.content.decode()


def test_pre_registered_learner_activates_by_registering(client, nanjing_reviewer):
    upload(staff_client(nanjing_reviewer), [["陈静", NJ1, "", "南京市园林局", "中级工"]])
    pre = User.objects.get(username=id_number_index(NJ1))
    response = register(client, name="陈静", id_number=NJ1, mobile="13700002222")
    assert response.status_code == 302 and response.url == reverse("learning:center")
    user = User.objects.get(username=id_number_index(NJ1))
    assert user.pk == pre.pk  # the same account, now active
    assert user.has_usable_password() and user.mobile == "13700002222" and user.mobile_verified_at
    assert user.privacy_consent_at is not None and user.work_unit == "南京市园林局" and user.grade == "L4"
    assert AuditRecord.objects.filter(event=Event.REGISTER, actor=user, detail__activated=True).exists()
    client.logout()
    assert login(client, NJ1, password="Xuexi2026ok").status_code == 302


def test_a_roster_mobile_must_be_the_one_that_activates(client, nanjing_reviewer):
    """A colleague who knows the name and ID number cannot activate the account with their own phone."""
    upload(staff_client(nanjing_reviewer), [["刘洋", NJ2, "13600001234", "南京市园林局", "高级工"]])
    squatter = register(client, name="刘洋", id_number=NJ2, mobile="13700009999")
    html = squatter.content.decode()
    assert ROSTER_MOBILE_MESSAGE in html and "请到所在市工考办更换" in html
    assert "136****1234" not in html and "13600001234" not in html
    pre = User.objects.get(username=id_number_index(NJ2))
    assert not pre.has_usable_password() and pre.mobile == "13600001234" and pre.mobile_verified_at is None
    assert AuditRecord.objects.filter(event=Event.REGISTER, result="refused", detail__reason="roster_mobile").exists()

    owner = register(Client(), name="刘洋", id_number=NJ2, mobile="13600001234")
    assert owner.status_code == 302
    pre.refresh_from_db()
    assert pre.has_usable_password() and pre.mobile_verified_at is not None


def test_the_roster_mobile_refusal_reveals_nothing_before_the_code_and_nothing_of_the_name(client, nanjing_reviewer):
    upload(staff_client(nanjing_reviewer), [["刘洋", NJ2, "13600001234", "南京市园林局", "高级工"]])
    # Without a code that proved the phone: the usual wrong-code reply, as for an ID number nobody has.
    on_roster = client.post(reverse("accounts:register"), register_data(name="刘洋", id_number=NJ2, sms_code="000000"))
    nobody = Client().post(reverse("accounts:register"), register_data(name="刘洋", id_number=SZ1, sms_code="000000"))
    assert BAD_CODE_MESSAGE in on_roster.content.decode() and BAD_CODE_MESSAGE in nobody.content.decode()
    assert ROSTER_MOBILE_MESSAGE not in on_roster.content.decode()
    # With the code of one's own phone, a right and a wrong name get the same refusal.
    right = register(Client(), name="刘洋", id_number=NJ2, mobile="13700009999").content.decode()
    wrong = register(Client(), name="刘阳", id_number=NJ2, mobile="13700008888").content.decode()
    assert ROSTER_MOBILE_MESSAGE in right and ROSTER_MOBILE_MESSAGE in wrong


def test_activation_needs_the_roster_name(client, nanjing_reviewer):
    upload(staff_client(nanjing_reviewer), [["陈静", NJ1, "", "南京市园林局", "中级工"]])
    response = register(client, name="陈晶", id_number=NJ1, mobile="13700002222")
    assert TAKEN_MESSAGE in response.content.decode()
    assert not User.objects.get(username=id_number_index(NJ1)).has_usable_password()


def test_an_activated_account_stays_a_duplicate(client, nanjing_reviewer):
    upload(staff_client(nanjing_reviewer), [["陈静", NJ1, "", "南京市园林局", "中级工"]])
    register(client, name="陈静", id_number=NJ1, mobile="13700002222")
    client.logout()
    response = register(client, name="陈静", id_number=NJ1, mobile="13700003333")
    assert TAKEN_MESSAGE in response.content.decode()
    assert User.objects.get(username=id_number_index(NJ1)).mobile == "13700002222"


def test_an_active_account_is_still_refused(client, alice):
    response = register(client, name=alice.name, id_number=alice.id_number, mobile="13700004444")
    assert TAKEN_MESSAGE in response.content.decode()
    alice.refresh_from_db()
    assert alice.mobile == "13800138000" and alice.check_password("Demo1234")


def test_a_deactivated_roster_account_is_not_activated(client, nanjing_reviewer):
    upload(staff_client(nanjing_reviewer), [["陈静", NJ1, "", "南京市园林局", "中级工"]])
    User.objects.filter(username=id_number_index(NJ1)).update(is_active=False)
    response = register(client, name="陈静", id_number=NJ1, mobile="13700002222")
    assert TAKEN_MESSAGE in response.content.decode()
