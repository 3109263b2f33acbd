"""题库 import and export with Excel: one header row (题型, 题干, 选项A…选项F, 答案, 解析, 知识点, 难度, 用于弹题,
仅用于考试), one question a row; a file of the template from before 仅用于考试 (without that column) still imports.
An import checks every row and either saves them all or none; errors name the row and column the way a
spreadsheet user sees them (第 5 行“答案”)."""

from django.db import transaction

from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.catalog.models import Question, QuestionKind
from jxjy.lib import sheets
from jxjy.lib.errors import UserError
from jxjy.lib.sheets import SheetLimits

LETTERS = "ABCDEF"
HEADERS = ["题型", "题干", *[f"选项{x}" for x in LETTERS], "答案", "解析", "知识点", "难度", "用于弹题", "仅用于考试"]
OLD_HEADERS = HEADERS[:-1]  # the template before 仅用于考试
KINDS = {
    "单选": QuestionKind.SINGLE,
    "单选题": QuestionKind.SINGLE,
    "多选": QuestionKind.MULTIPLE,
    "多选题": QuestionKind.MULTIPLE,
    "判断": QuestionKind.JUDGE,
    "判断题": QuestionKind.JUDGE,
}
KIND_NAMES = {QuestionKind.SINGLE: "单选题", QuestionKind.MULTIPLE: "多选题", QuestionKind.JUDGE: "判断题"}
YES = {"是", "Y", "YES", "TRUE", "1"}
NO = {"否", "N", "NO", "FALSE", "0", ""}
YES_NO = {True: "是", False: "否"}
JUDGE_OPTIONS = ["正确", "错误"]
MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024
MAX_UNZIPPED = 50 * 1024 * 1024  # a zip bomb disguised as a workbook is refused before openpyxl opens it
EXAMPLE = [
    "单选",
    "发生火灾时，首先应当拨打的报警电话是？",
    "110",
    "119",
    "120",
    "122",
    "",
    "",
    "B",
    "火警电话是 119。",
    "消防安全常识",
    1,
    "是",
    "否",
]


class ImportRefused(UserError):
    """The workbook was not imported; `errors` lists every problem found, in Chinese (the page lists them all)."""

    def __init__(self, errors):
        super().__init__("\n".join(errors))
        self.errors = errors


WIDTHS = [8, 48, 18, 18, 18, 18, 18, 18, 8, 32, 16, 6, 10, 12]
NOTES = [
    "题型：单选、多选 或 判断。",
    "选项A～选项F：单选、多选至少填两个选项，从选项A起连续填写；判断题可不填（默认 正确 / 错误）。",
    "答案：选项字母。单选、判断一个字母，如 B；多选两个或以上，如 ACD。",
    "难度：1～5 的整数，留空为 1。用于弹题：是 或 否，留空为 否。",
    "仅用于考试：是 或 否，留空为 否。填 是 的题目只在考试中出现，不会出现在练习、错题练习和学习中的弹题里"
    "（即使“用于弹题”填了 是）；组卷时优先抽这些题。",
    "导入时逐行检查，只要有一行有误，整个文件都不会导入。请删除本示例行后再填写。",
]


def _workbook(rows):
    return sheets.workbook(
        sheets.Table("题库", header=HEADERS, rows=rows, widths=WIDTHS, banner=True, freeze=True),
        sheets.Table("填写说明", rows=[[line] for line in NOTES], widths=[100]),
    )


def template_workbook():
    """The blank template with its example row, as .xlsx bytes."""
    return _workbook([EXAMPLE])


def export_rows(course):
    for q in course.questions.order_by("id"):
        options = list(q.options) + [""] * (len(LETTERS) - len(q.options))
        yield [
            KIND_NAMES[q.kind][:2],
            q.text,
            *options[: len(LETTERS)],
            q.answer,
            q.explanation,
            q.knowledge_point,
            q.difficulty,
            YES_NO[q.for_popup],
            YES_NO[q.exam_only],
        ]


def export_workbook(course):
    """The course's bank in the template's format (it imports back unchanged); audited."""
    data = _workbook(export_rows(course))
    record(Event.QUESTION_EXPORT, obj=course, count=course.questions.count())
    return data


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split()) if not isinstance(value, str) else value.strip()


def _check_row(number, cells):
    """A question's fields from one row, or the list of that row's errors."""
    values = dict(zip(HEADERS, (_text(c) for c in cells), strict=False))
    errors = []

    def error(column, message):
        errors.append(f"第 {number} 行“{column}”：{message}")

    kind = KINDS.get(values.get("题型", ""))
    if kind is None:
        error("题型", "只能填写 单选、多选 或 判断。")
    text = values.get("题干", "")
    if not text:
        error("题干", "不能为空。")
    elif len(text) > 2000:
        error("题干", "不能超过 2000 字。")
    options = [values.get(f"选项{x}", "") for x in LETTERS]
    while options and not options[-1]:
        options.pop()
    if "" in options:
        gap = LETTERS[options.index("")]
        error(f"选项{gap}", "选项须从选项A起连续填写，中间不能留空。")
    if any(len(o) > 500 for o in options):
        error("选项A", "每个选项不能超过 500 字。")
    if kind == QuestionKind.JUDGE and not options:
        options = list(JUDGE_OPTIONS)
    if kind == QuestionKind.JUDGE and len(options) != 2:
        error("选项A", "判断题只能有两个选项（或留空，默认 正确 / 错误）。")
    elif kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE) and len(options) < 2:
        error("选项A", "单选题、多选题至少要填两个选项。")

    raw = values.get("答案", "").upper().replace(",", "").replace("，", "").replace(" ", "")
    answer = "".join(sorted(set(raw)))
    valid = LETTERS[: len(options)]
    if not raw:
        error("答案", "不能为空。")
    elif any(ch not in LETTERS for ch in raw):
        error("答案", "只能填写选项字母，如 B 或 ACD。")
    elif any(ch not in valid for ch in answer):
        error("答案", f"答案中的字母没有对应的选项（本题选项为 {valid[0]}～{valid[-1]}）。")
    elif kind in (QuestionKind.SINGLE, QuestionKind.JUDGE) and len(answer) != 1:
        error("答案", f"{KIND_NAMES[kind]}的答案只能是一个选项字母。")
    elif kind == QuestionKind.MULTIPLE and len(answer) < 2:
        error("答案", "多选题的答案至少要有两个选项字母。")

    explanation = values.get("解析", "")
    point = values.get("知识点", "")
    if len(point) > 100:
        error("知识点", "不能超过 100 字。")
    difficulty = values.get("难度", "") or "1"
    if difficulty not in {"1", "2", "3", "4", "5"}:
        error("难度", "只能是 1～5 的整数。")
    popup = values.get("用于弹题", "").upper()
    if popup not in YES | NO:
        error("用于弹题", "只能填写 是 或 否。")
    exam_only = values.get("仅用于考试", "").upper()
    if exam_only not in YES | NO:
        error("仅用于考试", "只能填写 是 或 否。")
    if errors:
        return None, errors
    fields = {
        "kind": kind,
        "text": text,
        "options": options,
        "answer": answer,
        "explanation": explanation,
        "knowledge_point": point,
        "difficulty": int(difficulty),
        "for_popup": popup in YES,
        "exam_only": exam_only in YES,
    }
    return fields, []


def read_workbook(upload):
    """Every question of an uploaded workbook, checked; raises ImportRefused listing every error found."""
    if upload.size > MAX_BYTES:
        raise ImportRefused([f"文件太大：题库文件不能超过 {MAX_BYTES // 1024 // 1024} MB。"])
    # jxjy.lib.sheets checks the zip (a bomb inflating to gigabytes) and stops reading past MAX_ROWS.
    limits = SheetLimits(max_rows=MAX_ROWS + 1, max_bytes=MAX_BYTES, max_unzipped=MAX_UNZIPPED)
    try:
        too_many = f"一次最多导入 {MAX_ROWS} 道题，请分多个文件导入。"
        values = sheets.read_rows(upload, limits=limits, too_many_rows=too_many)
    except sheets.NotAWorkbook:
        raise ImportRefused(["文件不是有效的 Excel（.xlsx）文件，请用“下载导入模板”得到的模板填写后上传。"]) from None
    except UserError as exc:
        raise ImportRefused([exc.message]) from None
    rows = iter(values)
    header = [_text(c) for c in next(rows, ())]
    while header and not header[-1]:
        header.pop()
    if header not in (HEADERS, OLD_HEADERS):
        raise ImportRefused([f"第 1 行（表头）应依次为：{'、'.join(HEADERS)}。请使用导入模板。"])
    questions, errors = [], []
    for number, cells in enumerate(rows, start=2):
        if not any(_text(c) for c in cells):
            continue
        if len(questions) + len(errors) >= MAX_ROWS:
            raise ImportRefused([f"一次最多导入 {MAX_ROWS} 道题，请分多个文件导入。"])
        fields, row_errors = _check_row(number, cells[: len(header)])
        errors += row_errors
        if fields:
            questions.append(fields)
    if errors:
        raise ImportRefused(errors)
    if not questions:
        raise ImportRefused(["文件中没有题目：请从第 2 行起每行填写一道题。"])
    return questions


def import_questions(course, upload):
    """Add every question of the workbook to the course's bank, all or nothing; returns how many were added.
    A refused file is audited too (with the number of errors, not their text)."""
    try:
        questions = read_workbook(upload)
    except ImportRefused as exc:
        record(Event.QUESTION_IMPORT, obj=course, result="refused", errors=len(exc.errors), file=upload.name[-100:])
        raise
    with transaction.atomic():
        Question.objects.bulk_create([Question(course=course, **fields) for fields in questions])
        record(Event.QUESTION_IMPORT, obj=course, count=len(questions), file=upload.name[-100:])
    return len(questions)


def mark_exam_only(course, *, shown, exam_only):
    """The 仅用于考试 ticks of one page of the question list: `shown` are the questions that page showed,
    `exam_only` those ticked among them. Saves what changed; audited with the question ids."""
    with transaction.atomic():
        questions = course.questions.filter(pk__in=shown)
        marked = list(questions.filter(pk__in=exam_only, exam_only=False).values_list("pk", flat=True))
        cleared = list(questions.exclude(pk__in=exam_only).filter(exam_only=True).values_list("pk", flat=True))
        Question.objects.filter(pk__in=marked).update(exam_only=True)
        Question.objects.filter(pk__in=cleared).update(exam_only=False)
        if marked or cleared:
            record(Event.QUESTION_EXAM_ONLY, obj=course, marked=marked, cleared=cleared)
    return len(marked), len(cleared)
