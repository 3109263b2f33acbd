"""单位统一报名缴费's Excel list through jxjy.lib.sheets: a zip bomb or a sheet of too many rows is refused with a
plain message before openpyxl can fill the memory (issue 12 item 7)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jxjy.lib.tests.bombs import bzip2_bomb, deflate_bomb, peak_memory, rows_sheet
from jxjy.orders.forms import RosterForm

PEAK_BOUND = 16 * 1024 * 1024
HEADER = ["身份证号", "姓名", "技术等级"]


def roster_errors(data):
    form = RosterForm(
        {"year": "2026", "captcha_0": "x", "captcha_1": "PASSED"},
        {"roster_file": SimpleUploadedFile("名单.xlsx", data)},
        years=[2026],
    )
    with peak_memory() as peak:
        form.is_valid()
    return " ".join(form.errors.get("roster_file", [])), peak()


@pytest.mark.django_db
@pytest.mark.parametrize("bomb", [deflate_bomb, bzip2_bomb], ids=["deflate", "bzip2"])
def test_req_23_unit_roster_zip_bomb_is_refused_in_little_memory(bomb):
    errors, peak = roster_errors(bomb())
    assert "这个文件解压后过大或内容异常，系统不能读取" in errors
    assert peak < PEAK_BOUND


@pytest.mark.django_db
def test_unit_roster_of_too_many_rows_is_refused_while_reading(settings):
    settings.UNIT_ORDER_MAX_ROWS = 50
    errors, peak = roster_errors(rows_sheet(HEADER, 3000))
    assert errors == "一次最多报名 50 人，请分批提交。"
    assert peak < PEAK_BOUND
