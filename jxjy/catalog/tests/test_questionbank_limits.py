"""题库 import through jxjy.lib.sheets: a zip bomb or a sheet of too many rows is refused with a plain message
before openpyxl can fill the memory (issue 12 item 7)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import staff_client
from jxjy.catalog import questionbank
from jxjy.catalog.models import Question
from jxjy.lib.tests.bombs import bzip2_bomb, deflate_bomb, peak_memory, rows_sheet

pytestmark = pytest.mark.django_db
PEAK_BOUND = 32 * 1024 * 1024


def post(user, course, data):
    client = staff_client(user)
    url = reverse("office:content_questions_import", args=[course.pk])
    with peak_memory() as peak:
        response = client.post(url, {"file": SimpleUploadedFile("题库.xlsx", data)})
    return response, peak()


@pytest.mark.parametrize("bomb", [deflate_bomb, bzip2_bomb], ids=["deflate", "bzip2"])
def test_req_23_question_bank_zip_bomb_is_refused_in_little_memory(content_editor, course, bomb):
    response, peak = post(content_editor, course, bomb())
    assert "这个文件解压后过大或内容异常，系统不能读取" in response.content.decode()
    assert peak < PEAK_BOUND and not Question.objects.exists()


def test_question_bank_of_too_many_rows_is_refused_while_reading(content_editor, course, monkeypatch):
    monkeypatch.setattr(questionbank, "MAX_ROWS", 50)  # the same code path as 5,000, read faster
    response, peak = post(content_editor, course, rows_sheet(questionbank.HEADERS, 3000))
    assert "一次最多导入 50 道题，请分多个文件导入。" in response.content.decode()
    assert peak < PEAK_BOUND and not Question.objects.exists()
