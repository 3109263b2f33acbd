"""导入单位花名册: a unit's staff list from Excel becomes pre-registered learner accounts, all rows or none.

A pre-registered account has no usable password and no verified mobile; the learner activates it through 新用户注册
(jxjy.accounts.services.register_learner) with the same name and ID number — and the row's mobile, if it had one."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from jxjy.accounts.models import City, Grade, Role, User, id_number_index, mobile_index
from jxjy.audit.models import Event
from jxjy.audit.services import record
from jxjy.lib import sheets
from jxjy.lib.errors import UserError
from jxjy.lib.idcard import gender_of, normalize_id_number
from jxjy.lib.mobile import normalize_mobile
from jxjy.lib.names import normalize_name
from jxjy.lib.regions import city_hint_from_id_number
from jxjy.lib.sheets import SheetLimits

COLUMNS = ["姓名", "身份证号", "手机号（可选）", "工作单位", "技术等级"]
CITY_COLUMN = "所属地市"  # the province's template only
MAX_ROWS = 2000
MAX_BYTES = 5 * 1024 * 1024
GRADE_BY_LABEL = {label: value for value, label in Grade.choices}


def columns_for(staff) -> list[str]:
    return COLUMNS + [CITY_COLUMN] if staff.role == Role.PROVINCE else COLUMNS


def template(staff) -> bytes:
    """The Excel template: the header row, one example row, and the grades allowed."""
    columns = columns_for(staff)
    example = ["张三", "320102199001011234", "", "南京市某某管理处", "中级工"]
    if staff.role == Role.PROVINCE:
        example.append("南京市")
    notes = [
        "第 2 行为示例，导入前请删除。每行一名学员，身份证号请设为文本格式。",
        "技术等级可填：" + "、".join(Grade.labels),
    ]
    if staff.role == Role.CITY:
        notes.append(f"只能导入身份证号属于{staff.city.name}的学员。")
    return sheets.workbook(
        sheets.Table("花名册", header=columns, rows=[example], widths=[12, 22, 16, 30, 12, 12][: len(columns)]),
        sheets.Table("填写说明", rows=[[line] for line in notes]),
    )


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_rows(upload):
    """The header row, and (Excel row number, cell texts) of every non-empty data row. The file goes through
    jxjy.lib.sheets first: a zip bomb or a sheet past MAX_ROWS is refused before it can fill the memory."""
    limits = SheetLimits(max_rows=MAX_ROWS + 1, max_bytes=MAX_BYTES, max_unzipped=20 * 1024 * 1024)
    try:
        values = sheets.read_rows(upload, limits=limits, too_many_rows=f"一次最多导入 {MAX_ROWS} 名学员，请分批导入。")
    except sheets.NotAWorkbook:
        raise UserError("无法读取该文件，请使用下载的 Excel 模板（.xlsx）填写。") from None
    header, rows = None, []
    for number, cells in enumerate(values, start=1):
        texts = [_text(c) for c in cells]
        if number == 1:
            header = texts
            continue
        if any(texts):
            rows.append((number, texts))
    if header is None:
        raise UserError("文件是空的，请使用下载的模板填写。")
    return header, rows


def _row_city(staff, row, id_number, cities, error):
    """The row's city: the province's template names it (or the ID number hints it); a city office imports its own
    city's learners only."""
    if staff.role == Role.PROVINCE:
        city = cities.get(row[CITY_COLUMN]) or (id_number and city_hint_from_id_number(id_number))
        if row[CITY_COLUMN] and row[CITY_COLUMN] not in cities:
            error(CITY_COLUMN, "所属地市请填江苏省的地市名称，例如“南京市”。")
        elif not city:
            error(CITY_COLUMN, "身份证号不是江苏省签发的，请填写所属地市。")
        return city
    if not id_number:
        return None
    city = city_hint_from_id_number(id_number)
    if city != staff.city_id:
        error("身份证号", f"该身份证号不属于{staff.city.name}，只能导入本市学员。")
    return city


def validate(staff, header, rows):
    """Check every row; return (learners to create, errors as (row, column, message)) — errors name the Excel row
    and the column header, in Chinese."""
    expected = columns_for(staff)
    if [h for h in header[: len(expected)]] != expected:
        raise UserError("表头与模板不一致，请使用下载的模板：" + "、".join(expected) + "。")
    if not rows:
        raise UserError("文件中没有学员数据。")
    cities = {c.name: c.code for c in City.objects.all()}
    errors, learners, seen_ids, seen_mobiles = [], [], {}, {}
    for number, texts in rows:
        texts = (texts + [""] * len(expected))[: len(expected)]
        row = dict(zip(expected, texts, strict=True))
        bad = len(errors)

        def error(column, message, number=number):
            errors.append((number, column, message))

        try:
            name = normalize_name(row["姓名"])
        except ValueError as exc:
            error("姓名", str(exc) if row["姓名"] else "请填写姓名。")
        try:
            id_number = normalize_id_number(row["身份证号"])
        except ValueError as exc:
            id_number = None
            error("身份证号", str(exc) if row["身份证号"] else "请填写身份证号。")
        mobile = ""
        if row["手机号（可选）"]:
            try:
                mobile = normalize_mobile(row["手机号（可选）"])
            except ValueError as exc:
                error("手机号（可选）", str(exc))
        unit = row["工作单位"]
        if not unit:
            error("工作单位", "请填写工作单位。")
        elif len(unit) > 100:
            error("工作单位", "工作单位不能超过 100 个字。")
        grade = GRADE_BY_LABEL.get(row["技术等级"])
        if grade is None:
            error("技术等级", "技术等级只能填：" + "、".join(Grade.labels) + "。")
        city = _row_city(staff, row, id_number, cities, error)
        if id_number:
            if id_number in seen_ids:
                error("身份证号", f"与第 {seen_ids[id_number]} 行的身份证号重复。")
            seen_ids.setdefault(id_number, number)
        if mobile:
            if mobile in seen_mobiles:
                error("手机号（可选）", f"与第 {seen_mobiles[mobile]} 行的手机号重复。")
            seen_mobiles.setdefault(mobile, number)
        if len(errors) == bad:
            learners.append(
                {
                    "row": number,
                    "name": name,
                    "id_number": id_number,
                    "mobile": mobile,
                    "work_unit": unit,
                    "grade": grade,
                    "city": city,
                }
            )
    # One query for the whole file: which ID numbers and mobiles already have an account.
    by_index = {id_number_index(item["id_number"]): item for item in learners}
    for username in User.objects.filter(username__in=list(by_index)).values_list("username", flat=True):
        errors.append((by_index[username]["row"], "身份证号", "该身份证号已有账号，无需导入。"))
    by_mobile = {mobile_index(item["mobile"]): item for item in learners if item["mobile"]}
    for index in User.objects.filter(mobile_index__in=list(by_mobile)).values_list("mobile_index", flat=True):
        errors.append((by_mobile[index]["row"], "手机号（可选）", "该手机号已被其他账号使用。"))
    errors.sort()
    return learners, errors


def import_roster(*, staff, upload):
    """Validate the whole file and create the accounts, all or none. Returns (created count, errors)."""
    header, rows = read_rows(upload)
    learners, errors = validate(staff, header, rows)
    if errors:
        record(Event.LEARNER_IMPORT, actor=staff, result="refused", rows=len(rows), errors=len(errors))
        return 0, errors
    users, now = [], timezone.now()
    for item in learners:
        user = User(
            username=id_number_index(item["id_number"]),
            name=item["name"],
            id_number=item["id_number"],
            gender=gender_of(item["id_number"]),
            role=Role.LEARNER,
            work_unit=item["work_unit"],
            grade=item["grade"],
            city_id=item["city"],
            city_locked_at=now,  # imported by a city office: it keeps the learner's 所属地市
        )
        if item["mobile"]:
            # Searchable, not yet verified: 新用户注册 activates the account only with this mobile (proved by its SMS
            # code), so a colleague who knows the name and ID number cannot take it; a changed number is replaced by
            # the city office (更换绑定手机).
            user.mobile = item["mobile"]
            user.mobile_index = mobile_index(item["mobile"])
        user.set_unusable_password()
        users.append(user)
    try:
        with transaction.atomic():
            User.objects.bulk_create(users, batch_size=500)
            record(Event.LEARNER_IMPORT, actor=staff, rows=len(users))
    except IntegrityError:
        # Registered by someone between validation and import: nothing was imported.
        return 0, [(0, "身份证号", "导入期间有学员自行注册，未导入任何数据，请重新上传。")]
    return len(users), []
