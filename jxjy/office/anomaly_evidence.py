"""A 学习异常 flag's evidence as the desk shows it: its scalar facts as a list, each list of flat dicts as a table.

The rules (jxjy/review/rules_*.py) write the evidence with Chinese keys — 「计时合计」: "11.5 小时", "sessions":
[{"开始": …, "设备": …}], "learners": [{"user_id": …, "姓名": …, "city_id": …}] — and the desk renders whatever
they write, so a new rule needs no new template. A row naming a learner (`user_id`) is the one thing interpreted:
that learner is shown by name, linked to 学员管理, only when in the office's scope (the province: all); another
city's learner shows as that city only, whatever name the rule stored — the wall of
jxjy/declarations/crosscheck.py. Ids never show."""

from dataclasses import dataclass, field

from django.urls import reverse

from jxjy.accounts.learners import learners_for
from jxjy.accounts.models import City, User

LEARNER_KEY = "user_id"
HIDDEN = {"user_id", "city_id", "id", "pk"}
NAME_KEYS = {"姓名", "学员", "name"}  # replaced by the learner cell (or dropped behind the wall)
TITLES = {
    "sessions": "播放记录",
    "learners": "涉及的学员",
    "attempts": "考试记录",
    "entries": "学时记录",
    "本人": "本人的答卷",
}
HEADINGS = {  # the odd English key a rule may write, said in Chinese
    "start": "开始",
    "end": "结束",
    "device": "设备",
    "ip": "IP 地址",
    "credited": "计时",
    "courseware": "课件",
    "seconds": "秒数",
    "score": "成绩",
}


@dataclass
class Cell:
    text: str
    url: str = ""
    label: str = ""  # its column's heading (a phone shows it beside the value)


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)


@dataclass
class Evidence:
    facts: list[tuple[str, str]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


def _text(value) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return "、".join(_text(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{HEADINGS.get(k, k)}：{_text(v)}" for k, v in value.items())
    return str(value)


def _is_table(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(row, dict) for row in value)


class _Learners:
    """The learners the evidence names, read in two queries whatever their number."""

    def __init__(self, evidence: dict, staff, own_id: int):
        ids = {
            row[LEARNER_KEY]
            for value in evidence.values()
            if _is_table(value)
            for row in value
            if isinstance(row.get(LEARNER_KEY), int)
        }
        self.own_id = own_id
        self.visible = {u.pk: u for u in learners_for(staff).filter(pk__in=ids).only("pk", "name")}
        self.cities = dict(User.objects.filter(pk__in=ids).values_list("pk", "city_id"))
        self.city_names = dict(City.objects.values_list("code", "name"))

    def cell(self, row: dict) -> Cell:
        pk = row.get(LEARNER_KEY)
        if pk is None:
            return Cell("—")
        learner = self.visible.get(pk)
        if learner is not None:
            mark = "（本人）" if pk == self.own_id else ""
            return Cell(learner.name + mark, reverse("office:learners_detail", args=[learner.pk]))
        city = self.city_names.get(self.cities.get(pk) or row.get("city_id"), "其他地市")
        return Cell(f"{city}的一名学员（不在本单位核查范围）")


def render(evidence: dict, *, staff, learner_id: int) -> Evidence:
    """`evidence` (a flag's JSON) as facts and tables for `staff`."""
    evidence = evidence if isinstance(evidence, dict) else {}
    learners = _Learners(evidence, staff, learner_id)
    shown = Evidence()
    for key, value in evidence.items():
        if not _is_table(value):
            shown.facts.append((HEADINGS.get(key, key), _text(value)))
            continue
        names = any(LEARNER_KEY in row for row in value)
        columns = []
        for row in value:
            for column in row:
                hidden = column in HIDDEN or (names and column in NAME_KEYS)
                if not hidden and column not in columns:
                    columns.append(column)
        headings = (["学员"] if names else []) + [HEADINGS.get(c, c) for c in columns]
        table = Table(TITLES.get(key, key), headings)
        for row in value:
            cells = ([learners.cell(row)] if names else []) + [Cell(_text(row.get(column))) for column in columns]
            for cell, heading in zip(cells, headings, strict=True):
                cell.label = heading
            table.rows.append(cells)
        shown.tables.append(table)
    return shown
