"""题库 Excel: the template, an import that checks every row (all or nothing), and an export that imports back."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from conftest import staff_client
from jxjy.audit.models import AuditRecord, Event
from jxjy.catalog.models import Category, Course, Question, QuestionKind
from jxjy.catalog.questionbank import EXAMPLE, HEADERS

pytestmark = pytest.mark.django_db

GOOD = [
    ["单选", "发生火灾时应拨打？", "110", "119", "120", "", "", "", "B", "火警 119", "消防", 2, "是"],
    [
        "多选",
        "下列属于个人防护用品的是？",
        "安全帽",
        "手套",
        "报纸",
        "护目镜",
        "",
        "",
        "ABD",
        "",
        "防护",
        3,
        "否",
        "是",
    ],
    ["判断", "工作中可以酒后驾驶公务车辆。", "", "", "", "", "", "", "B", "", "", None, None, "否"],
]


def xlsx(rows, header=HEADERS):
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("题库.xlsx", out.getvalue())


def upload(client, course, file):
    return client.post(reverse("office:content_questions_import", args=[course.pk]), {"file": file})


def test_template_downloads_with_header_and_example(content_editor):
    response = staff_client(content_editor).get(reverse("office:content_questions_template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADERS
    assert [c if c is not None else "" for c in rows[1]] == EXAMPLE


def test_template_imports_as_is(content_editor, course):
    template = staff_client(content_editor).get(reverse("office:content_questions_template")).content
    upload(staff_client(content_editor), course, SimpleUploadedFile("t.xlsx", template))
    q = course.questions.get()
    assert (q.kind, q.answer, q.options[:2]) == (QuestionKind.SINGLE, "B", ["110", "119"])


def test_valid_import_adds_every_row(content_editor, course):
    response = upload(staff_client(content_editor), course, xlsx(GOOD))
    assert response.status_code == 302
    single, multiple, judge = course.questions.order_by("id")
    assert (single.kind, single.options, single.answer, single.difficulty, single.for_popup) == (
        QuestionKind.SINGLE, ["110", "119", "120"], "B", 2, True)  # fmt: skip
    assert (multiple.kind, multiple.answer, len(multiple.options), multiple.for_popup) == ("multiple", "ABD", 4, False)
    assert [q.exam_only for q in (single, multiple, judge)] == [False, True, False]  # 仅用于考试
    assert (judge.kind, judge.options, judge.answer, judge.difficulty) == ("judge", ["正确", "错误"], "B", 1)
    assert judge.is_correct("b")
    audit = AuditRecord.objects.get(event=Event.QUESTION_IMPORT)
    assert (audit.result, audit.detail["count"], audit.object_id) == ("ok", 3, str(course.pk))


def test_a_bad_row_refuses_the_whole_file_naming_row_and_column(content_editor, course):
    bad = [*GOOD, ["单选", "两个答案的单选题", "甲", "乙", "丙", "", "", "", "AB", "", "", 1, "是"],
           ["填空", "", "甲", "", "丙", "", "", "", "Z", "", "", 9, "也许"]]  # fmt: skip
    response = upload(staff_client(content_editor), course, xlsx(bad))
    page = response.content.decode()
    assert response.status_code == 200
    assert "第 5 行“答案”：单选题的答案只能是一个选项字母。" in page
    for message in ("第 6 行“题型”", "第 6 行“题干”：不能为空", "第 6 行“选项B”", "第 6 行“答案”", "第 6 行“难度”",
                    "第 6 行“用于弹题”"):  # fmt: skip
        assert message in page
    assert "本次没有导入任何题目" in page
    assert not Question.objects.exists()
    assert AuditRecord.objects.get(event=Event.QUESTION_IMPORT).result == "refused"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            ["多选", "题", "甲", "乙", "", "", "", "", "A", "", "", 1, "是"],
            "第 2 行“答案”：多选题的答案至少要有两个选项字母",
        ),
        (["单选", "题", "甲", "乙", "", "", "", "", "C", "", "", 1, "是"], "第 2 行“答案”：答案中的字母没有对应的选项"),
        (
            ["单选", "题", "甲", "", "", "", "", "", "A", "", "", 1, "是"],
            "第 2 行“选项A”：单选题、多选题至少要填两个选项",
        ),
        (
            ["判断", "题", "对", "错", "不知道", "", "", "", "A", "", "", 1, "是"],
            "第 2 行“选项A”：判断题只能有两个选项",
        ),
        (["单选", "题", "甲", "乙", "", "", "", "", "", "", "", 1, "是"], "第 2 行“答案”：不能为空"),
    ],
)
def test_row_rules(content_editor, course, row, message):
    page = upload(staff_client(content_editor), course, xlsx([row])).content.decode()
    assert message in page
    assert not Question.objects.exists()


def test_not_an_excel_file_or_wrong_header_refused(content_editor, course):
    client = staff_client(content_editor)
    page = upload(client, course, SimpleUploadedFile("q.xlsx", b"<html>not a workbook</html>")).content.decode()
    assert "文件不是有效的 Excel（.xlsx）文件" in page
    page = upload(client, course, xlsx(GOOD, header=["题目", "答案"])).content.decode()
    assert "第 1 行（表头）应依次为" in page
    page = upload(client, course, xlsx([])).content.decode()
    assert "文件中没有题目" in page
    assert not Question.objects.exists()


def test_export_then_import_round_trips(content_editor, course):
    client = staff_client(content_editor)
    upload(client, course, xlsx(GOOD))
    Question.objects.filter(course=course, kind="single").update(exam_only=True, for_popup=True)
    response = client.get(reverse("office:content_questions_export", args=[course.pk]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    other = Course.objects.create(title="另一门课", category=Category.ELECTIVE, hours=1)
    assert upload(client, other, SimpleUploadedFile("e.xlsx", response.content)).status_code == 302
    fields = ["kind", "text", "options", "answer", "explanation", "knowledge_point", "difficulty", "for_popup",
              "exam_only"]  # fmt: skip
    assert list(other.questions.order_by("id").values(*fields)) == list(course.questions.order_by("id").values(*fields))
    assert list(other.questions.order_by("id").values_list("exam_only", flat=True)) == [True, True, False]
    assert AuditRecord.objects.filter(event=Event.QUESTION_EXPORT, object_id=str(course.pk)).count() == 1


def test_question_page_query_count_is_bounded(content_editor, course, django_assert_max_num_queries):
    Question.objects.bulk_create(
        [Question(course=course, text=f"题{n}", options=["甲", "乙"], answer="A") for n in range(60)]
    )
    client = staff_client(content_editor)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("office:content_questions", args=[course.pk])).status_code == 200


def test_a_file_from_the_template_before_exam_only_still_imports(content_editor, course):
    old_header = HEADERS[:-1]
    assert old_header[-1] == "用于弹题"
    response = upload(staff_client(content_editor), course, xlsx([row[:13] for row in GOOD], header=old_header))
    assert response.status_code == 302
    assert list(course.questions.values_list("exam_only", flat=True)) == [False, False, False]


def test_exam_only_accepts_only_yes_or_no(content_editor, course):
    row = ["单选", "题", "甲", "乙", "", "", "", "", "A", "", "", 1, "否", "也许"]
    page = upload(staff_client(content_editor), course, xlsx([row])).content.decode()
    assert "第 2 行“仅用于考试”：只能填写 是 或 否" in page
    assert not Question.objects.exists()


def test_the_question_list_marks_exam_only_questions(content_editor, course):
    client = staff_client(content_editor)
    upload(client, course, xlsx(GOOD))
    single, multiple, judge = course.questions.order_by("id")
    page = client.get(reverse("office:content_questions", args=[course.pk])).content.decode()
    assert "<th>仅用于考试</th>" in page and page.count('name="exam_only"') == 3
    assert f'value="{multiple.pk}" checked' in page
    url = reverse("office:content_questions_exam_only", args=[course.pk])
    shown = [single.pk, multiple.pk, judge.pk]
    response = client.post(url, {"shown": shown, "exam_only": [single.pk, judge.pk], "page": "1"})
    assert response.status_code == 302 and response["Location"].endswith("?page=1")
    assert list(course.questions.order_by("id").values_list("exam_only", flat=True)) == [True, False, True]
    audit = AuditRecord.objects.get(event=Event.QUESTION_EXAM_ONLY)
    assert (audit.detail["marked"], audit.detail["cleared"]) == ([single.pk, judge.pk], [multiple.pk])
    # Only the questions the page showed change; another course's question cannot be touched.
    other = Course.objects.create(title="另一门课", category=Category.ELECTIVE, hours=1)
    foreign = Question.objects.create(course=other, text="外课题", options=["甲", "乙"], answer="A")
    client.post(url, {"shown": [single.pk, foreign.pk], "exam_only": [single.pk, foreign.pk]})
    foreign.refresh_from_db()
    assert not foreign.exam_only
    client.post(url, {"shown": [judge.pk], "exam_only": []})
    assert list(course.questions.order_by("id").values_list("exam_only", flat=True)) == [True, False, False]


def test_only_content_staff_mark_questions(alice, finance_user, course):
    from django.test import Client

    question = Question.objects.create(course=course, text="题", options=["甲", "乙"], answer="A")
    url = reverse("office:content_questions_exam_only", args=[course.pk])
    learner = Client()
    learner.force_login(alice)
    for client in (learner, staff_client(finance_user)):
        assert client.post(url, {"shown": [question.pk], "exam_only": [question.pk]}).status_code in (302, 403, 404)
    question.refresh_from_db()
    assert not question.exam_only
