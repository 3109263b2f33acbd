"""导入单位花名册 through jxjy.lib.sheets: a zip bomb or a sheet of too many rows is refused with a plain message
before openpyxl can fill the memory (issue 12 item 7)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import staff_client
from jxjy.accounts import roster
from jxjy.accounts.models import User
from jxjy.lib.tests.bombs import deflate_bomb, peak_memory, rows_sheet

pytestmark = pytest.mark.django_db
IMPORT = reverse("office:learners_import")
PEAK_BOUND = 32 * 1024 * 1024  # the old reader took ~700 MB for this bomb


def post(user, data):
    client = staff_client(user)
    with peak_memory() as peak:
        response = client.post(IMPORT, {"file": SimpleUploadedFile("花名册.xlsx", data)})
    return response, peak()


def test_req_23_roster_zip_bomb_is_refused_in_little_memory(nanjing_reviewer):
    learners = User.objects.count()
    response, peak = post(nanjing_reviewer, deflate_bomb())
    assert "这个文件解压后过大或内容异常，系统不能读取" in response.content.decode()
    assert peak < PEAK_BOUND
    assert User.objects.count() == learners


def test_roster_of_too_many_rows_is_refused_while_reading(nanjing_reviewer, monkeypatch):
    monkeypatch.setattr(roster, "MAX_ROWS", 50)  # the same code path as 2,000, read faster
    response, peak = post(nanjing_reviewer, rows_sheet(roster.COLUMNS, 3000))
    assert "一次最多导入 50 名学员，请分批导入。" in response.content.decode()
    assert peak < PEAK_BOUND


def test_roster_not_a_workbook_keeps_its_own_words(nanjing_reviewer):
    response, _ = post(nanjing_reviewer, b"<html><script>alert(1)</script></html>")
    assert "无法读取该文件，请使用下载的 Excel 模板（.xlsx）填写。" in response.content.decode()
