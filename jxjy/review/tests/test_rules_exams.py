"""学习异常 over exams, with scripted sittings (the real exam services, the clock frozen): every anomaly is flagged
with its figures, and its honest twin is not. 同单位答卷雷同: two learners of one unit, within minutes, the same
answers WRONG ones included. 考试用时过短: a pass handed in sooner than its questions can be read."""

import json
import re
from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from freezegun import freeze_time

from conftest import make_learner
from jxjy.catalog.models import Category, Course, Question
from jxjy.exams import services
from jxjy.exams.tests.conftest import enroll
from jxjy.review import rules_exams, scan
from jxjy.review.models import Anomaly, Rule
from jxjy.review.rules_exams import fast_exam, similar_sheets

pytestmark = pytest.mark.django_db

UNIT = "南京市玄武区机关事务管理局"
OTHER_UNIT = "南京市鼓楼区人民医院"
RIGHT = {"single": "A", "multiple": "AB", "judge": "A"}
WRONG = {"single": "C", "multiple": "CD", "judge": "B"}  # the same wrong answer, copied from one sheet
OTHER_WRONG = {"single": "B", "multiple": "BC", "judge": "B"}


@pytest.fixture
def day():
    return timezone.localdate() - timedelta(days=1)


def at(day, hour, minute=0, second=0):
    return timezone.make_aware(datetime.combine(day, time(hour, minute, second)))


@pytest.fixture
def course(catalog):
    """Exactly the class's paper (10 单选, 5 多选, 5 判断): every sitting gets the same 20 questions, shuffled. The
    texts carry markers that must never reach a flag's evidence."""
    course = Course.objects.create(title="公共机构节能管理", category=Category.PUBLIC, hours=16)
    for kind, count, options in (("single", 10, 3), ("multiple", 5, 4), ("judge", 5, 0)):
        for i in range(count):
            Question.objects.create(
                course=course,
                kind=kind,
                text=f"在公共机构节能管理工作中，关于第{i}项要求，下列说法正确的是哪一项？QTEXT-{kind}-{i}",
                options=["正确", "错误"]
                if kind == "judge"
                else [f"选项内容OPT-{kind}-{i}-{n}" for n in range(options)],
                answer=RIGHT[kind],
            )
    return course


@pytest.fixture
def learners(catalog, course):
    """learners(n, unit=…, city=…): n learners of a unit, each in the 2026 中级工 class at 100 %."""
    made = iter(range(1, 999))

    def make(n, unit=UNIT, city="320100"):
        enrollments = []
        for _ in range(n):
            number = next(made)
            user = make_learner(f"学员{number}", f"{city[:4]}0219900101{number:03d}", city=city)
            type(user).objects.filter(pk=user.pk).update(work_unit=unit)
            enrollments.append(enroll(user, catalog[(2026, "L4")], course=course))
        return enrollments

    return make


def sheet(wrong=0, wrong_answers=WRONG, skip=()):
    """{question id: original letters}: right on all but the first `wrong` questions (by id), those answered with
    `wrong_answers`; the questions in `skip` left blank."""
    answers = {}
    for index, question in enumerate(Question.objects.order_by("pk")):
        if question.pk in skip:
            continue
        answers[question.pk] = (wrong_answers if index < wrong else RIGHT)[question.kind]
    return answers


def sit(enrollment, answers, start, seconds):
    """进入 at `start`, give `answers`, 交卷 `seconds` later: the graded attempt."""
    with freeze_time(start):
        attempt = services.start_attempt(enrollment=enrollment)
        for entry in attempt.paper:
            if letters := answers.get(entry["q"]):
                services.save_answer(attempt=attempt, question_id=entry["q"], shown=services.to_shown(entry, letters))
    with freeze_time(start + timedelta(seconds=seconds)):
        return services.submit_attempt(attempt=attempt)


def flags(rule):
    scan.scan_day(timezone.localdate() - timedelta(days=1))
    return {a.user_id: a for a in Anomaly.objects.filter(rule=rule)}


def letters_in(value) -> list:
    """Every string in the evidence that could be an answer (option letters), at any depth."""
    if isinstance(value, dict):
        return [s for v in value.values() for s in letters_in(v)] + [s for k in value for s in letters_in(k)]
    if isinstance(value, list):
        return [s for v in value for s in letters_in(v)]
    return [value] if isinstance(value, str) and re.fullmatch(r"[A-Za-z]{1,6}", value) else []


def assert_no_answers(anomaly):
    text = json.dumps(anomaly.evidence, ensure_ascii=False) + anomaly.summary
    assert "QTEXT" not in text and "OPT-" not in text  # no question, no option
    assert letters_in(anomaly.evidence) == []  # no answer letters (given or correct)
    assert '"A"' not in text and '"AB"' not in text and '"CD"' not in text


# --- 同单位答卷雷同 ----------------------------------------------------------------------------------------------


def test_two_copied_sheets_in_one_unit_are_flagged_with_their_figures(learners, day):
    first, second = learners(2)
    copied = sheet(wrong=5)  # 75 分: passed, with five identical wrong answers
    a = sit(first, copied, at(day, 10, 0), 20 * 60)
    b = sit(second, copied, at(day, 10, 2), 21 * 60)  # handed in at 10:23, three minutes later
    found = flags(Rule.SIMILAR_SHEETS)
    assert set(found) == {first.user_id, second.user_id}
    mine, theirs = found[first.user_id], found[second.user_id]
    assert mine.summary == "与同单位 1 人答卷 100% 相同，其中 5 道错题答案相同，交卷时间相差 3 分钟"
    assert (mine.attempts, theirs.attempts, mine.entries) == ([a.pk], [b.pk], [])
    assert mine.group and mine.group == theirs.group
    assert mine.key == f"similar_sheets:{first.user_id}:{day.isoformat()}:{a.pk}"
    other = mine.evidence["learners"]
    assert other == [
        {
            "user_id": second.user_id,
            "姓名": second.user.name,
            "city_id": "320100",
            "交卷时间": "10:23",
            "相差": "3 分钟",
            "共同题目": 20,
            "相同": "100%",
            "相同错题": 5,
            "成绩": 75,
        }
    ]
    assert mine.evidence["单位"] == UNIT and mine.evidence["本人"][0]["交卷时间"] == "10:20"
    assert theirs.evidence["learners"][0]["user_id"] == first.user_id
    assert_no_answers(mine)
    assert_no_answers(theirs)


def test_two_honest_high_scorers_in_one_unit_are_not_flagged(learners, day):
    """100 and 95 分, minutes apart: 19 of 20 answers the same, but agreeing on right answers is no sign of copying."""
    first, second = learners(2)
    sit(first, sheet(), at(day, 10, 0), 20 * 60)
    sit(second, sheet(wrong=1), at(day, 10, 1), 20 * 60)
    assert flags(Rule.SIMILAR_SHEETS) == {}


def test_the_same_sheets_in_two_units_are_not_flagged(learners, day):
    (first,) = learners(1)
    (second,) = learners(1, unit=OTHER_UNIT)
    sit(first, sheet(wrong=5), at(day, 10, 0), 20 * 60)
    sit(second, sheet(wrong=5), at(day, 10, 0), 20 * 60)
    assert flags(Rule.SIMILAR_SHEETS) == {}


def test_the_same_unit_name_in_another_city_is_another_unit(learners, day):
    (first,) = learners(1)
    (second,) = learners(1, city="320500")
    sit(first, sheet(wrong=5), at(day, 10, 0), 20 * 60)
    sit(second, sheet(wrong=5), at(day, 10, 0), 20 * 60)
    assert flags(Rule.SIMILAR_SHEETS) == {}


def test_the_same_sheets_an_hour_apart_are_not_flagged(learners, day):
    first, second = learners(2)
    sit(first, sheet(wrong=5), at(day, 9, 0), 20 * 60)
    sit(second, sheet(wrong=5), at(day, 10, 0), 20 * 60)
    assert flags(Rule.SIMILAR_SHEETS) == {}


@pytest.mark.parametrize(
    ("first_wrong", "second_wrong", "second_blank", "second_answers"),
    [
        (2, 2, 0, WRONG),  # 100 % the same, but only 2 identical wrong answers
        (5, 5, 3, WRONG),  # 5 identical wrong answers, but 3 left blank: 17 of 20 the same (85 %)
        (5, 5, 0, OTHER_WRONG),  # the same questions wrong, each with another answer: 75 %, nothing wrong alike
    ],
)
def test_below_either_threshold_is_not_flagged(learners, day, first_wrong, second_wrong, second_blank, second_answers):
    first, second = learners(2)
    questions = list(Question.objects.order_by("pk").values_list("pk", flat=True))
    blank = questions[len(questions) - second_blank :] if second_blank else []
    sit(first, sheet(wrong=first_wrong), at(day, 10, 0), 20 * 60)
    sit(second, sheet(wrong=second_wrong, wrong_answers=second_answers, skip=blank), at(day, 10, 5), 20 * 60)
    assert flags(Rule.SIMILAR_SHEETS) == {}


def test_three_shared_wrong_answers_and_90_percent_is_enough(learners, day):
    """The exact thresholds: 18 of 20 the same (90 %), 3 of them identical wrong answers → flagged."""
    first, second = learners(2)
    questions = list(Question.objects.order_by("pk").values_list("pk", flat=True))
    sit(first, sheet(wrong=3), at(day, 10, 0), 20 * 60)
    sit(second, sheet(wrong=3, skip=questions[-2:]), at(day, 10, 9), 20 * 60)  # two left blank: 18/20
    found = flags(Rule.SIMILAR_SHEETS)
    assert found[first.user_id].summary == "与同单位 1 人答卷 90% 相同，其中 3 道错题答案相同，交卷时间相差 9 分钟"


def test_the_unit_is_matched_however_it_was_typed(learners, day):
    (first,) = learners(1)
    (second,) = learners(1, unit=" 南京市玄武区　机关事务管理局 ")  # spaces, a full-width space
    sit(first, sheet(wrong=5), at(day, 10, 0), 20 * 60)
    sit(second, sheet(wrong=5), at(day, 10, 0), 20 * 60)
    assert set(flags(Rule.SIMILAR_SHEETS)) == {first.user_id, second.user_id}


def test_a_cluster_of_three_is_one_group(learners, day):
    enrollments = learners(3)
    for minute, enrollment in zip((0, 4, 8), enrollments, strict=True):
        sit(enrollment, sheet(wrong=4), at(day, 10, minute), 20 * 60)
    found = flags(Rule.SIMILAR_SHEETS)
    assert len(found) == 3 and len({a.group for a in found.values()}) == 1
    middle = found[enrollments[1].user_id]
    assert middle.summary == "与同单位 2 人答卷 100% 相同，其中 4 道错题答案相同，交卷时间最近相差 4 分钟"
    assert {row["user_id"] for row in middle.evidence["learners"]} == {enrollments[0].user_id, enrollments[2].user_id}


def test_small_batches_find_the_same(learners, day, monkeypatch):
    """Compared a few sheets at a time (memory bounded on a big day), a group is never split: the same flags."""
    monkeypatch.setattr(rules_exams, "CHUNK", 2)
    cluster = learners(3)
    pair = learners(2, unit=OTHER_UNIT)
    for minute, enrollment in enumerate(cluster + pair):
        sit(enrollment, sheet(wrong=4), at(day, 10, minute), 20 * 60)
    found = list(similar_sheets(day))
    assert sorted(f.user_id for f in found) == sorted(e.user_id for e in cluster + pair)
    by_user = {f.user_id: f for f in found}
    assert len({by_user[e.user_id].group for e in cluster}) == 1
    assert len(by_user[cluster[1].user_id].evidence["learners"]) == 2
    assert by_user[pair[0].user_id].group != by_user[cluster[0].user_id].group


def test_a_rerun_flags_nothing_twice(learners, day):
    first, second = learners(2)
    sit(first, sheet(wrong=5), at(day, 10, 0), 20 * 60)
    sit(second, sheet(wrong=5), at(day, 10, 1), 20 * 60)
    assert scan.scan_day(day)[Rule.SIMILAR_SHEETS] == 2
    assert scan.scan_day(day)[Rule.SIMILAR_SHEETS] == 0
    assert Anomaly.objects.filter(rule=Rule.SIMILAR_SHEETS).count() == 2


def test_only_that_days_sheets_are_read(learners, day):
    first, second = learners(2)
    sit(first, sheet(wrong=5), at(day, 10, 0), 20 * 60)
    sit(second, sheet(wrong=5), at(day, 10, 1), 20 * 60)
    assert list(similar_sheets(day - timedelta(days=1))) == []
    assert len(list(similar_sheets(day))) == 2


def test_the_query_count_does_not_grow_with_the_sheets(learners, day):
    """Answers are fetched per thousand candidates, never per attempt: 2 pairs and 6 pairs cost the same."""

    def queries():
        with CaptureQueriesContext(connection) as context:
            found = list(similar_sheets(day)), list(fast_exam(day))
        return len(context.captured_queries), len(found[0])

    for minute, enrollment in enumerate(learners(2, unit="单位甲") + learners(2, unit="单位乙")):
        sit(enrollment, sheet(wrong=5), at(day, 10, minute), 20 * 60)
    few, flagged_few = queries()
    for minute, enrollment in enumerate([e for unit in "丙丁戊己" for e in learners(2, unit=f"单位{unit}")]):
        sit(enrollment, sheet(wrong=5), at(day, 11, minute), 20 * 60)
    many, flagged_many = queries()
    assert (flagged_few, flagged_many) == (4, 12)
    assert many == few <= 8


# --- 考试用时过短 ------------------------------------------------------------------------------------------------


def reading_seconds():
    """What the paper takes to read once at REVIEW_READING_CHARS_PER_SECOND (15): its questions and options."""
    chars = sum(len(q.text) + sum(len(o) for o in q.options) for q in Question.objects.all())
    return chars, chars // 15


def test_a_pass_faster_than_reading_is_flagged(learners, day):
    (enrollment,) = learners(1)
    chars, needed = reading_seconds()
    attempt = sit(enrollment, sheet(), at(day, 14, 0), needed - 20)
    assert attempt.passed
    found = flags(Rule.FAST_EXAM)
    assert set(found) == {enrollment.user_id}
    flag = found[enrollment.user_id]
    took = needed - 20
    took_words = f"{took // 60} 分 {took % 60} 秒"
    needed_words = f"{needed // 60} 分 {needed % 60} 秒"
    assert (
        flag.summary
        == f"考试用时 {took_words}，20 道题共 {chars} 字，快速阅读一遍至少需要 {needed_words}，成绩 100 分合格"
    )
    assert (flag.attempts, flag.entries, flag.key) == (
        [attempt.pk],
        [],
        f"fast_exam:{enrollment.user_id}:{day.isoformat()}:{attempt.pk}",
    )
    row = flag.evidence["考试"][0]
    assert (row["开始时间"], row["用时"], row["题数"], row["题目和选项字数"], row["成绩"]) == (
        "14:00",
        took_words,
        20,
        chars,
        100,
    )
    assert_no_answers(flag)


def test_a_slow_reader_is_not_flagged(learners, day):
    (enrollment,) = learners(1)
    _, needed = reading_seconds()
    assert sit(enrollment, sheet(), at(day, 14, 0), needed + 5).passed
    assert flags(Rule.FAST_EXAM) == {}


def test_a_fast_fail_is_not_flagged(learners, day):
    """Clicking through without reading and failing earns nothing: nothing to flag."""
    (enrollment,) = learners(1)
    attempt = sit(enrollment, sheet(wrong=20), at(day, 14, 0), 30)
    assert not attempt.passed
    assert flags(Rule.FAST_EXAM) == {}


def test_a_fast_pass_rerun_is_one_flag(learners, day):
    (enrollment,) = learners(1)
    sit(enrollment, sheet(), at(day, 14, 0), 30)
    assert scan.scan_day(day)[Rule.FAST_EXAM] == 1
    assert scan.scan_day(day)[Rule.FAST_EXAM] == 0
    assert Anomaly.objects.filter(rule=Rule.FAST_EXAM).count() == 1
