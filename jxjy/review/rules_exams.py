"""学习异常 rules over exam answer sheets (issue 16, item 2): 同单位答卷雷同 and 考试用时过短.

Both read one local day's graded attempts through the index on `submitted_at`, a fixed number of queries per
thousand rows, never one per attempt (the scan runs over 200,000 learners every night). 答卷雷同 fetches answers only
for the attempts that have a neighbour (same unit, same class, handed in within minutes) and compares within those
groups. A finding names figures and learners, never an answer letter or a question's text: the desk shows it to
office staff, and an answer key must not leak through it."""

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from itertools import islice

from django.conf import settings
from django.utils import timezone

from jxjy.catalog.models import Question
from jxjy.exams.models import AttemptStatus, ExamAnswer, ExamAttempt

from .findings import Finding, day_bounds, rule
from .models import Rule

CHUNK = 1000  # ids per IN (…) list and rows per fetch
MIN_COMMON_QUESTIONS = 10  # fewer questions in common than this say nothing about copying


def _graded_on(day: date):
    start, end = day_bounds(day)
    return ExamAttempt.objects.filter(
        submitted_at__gte=start, submitted_at__lt=end, status=AttemptStatus.GRADED
    ).order_by()


def _chunks(items: list) -> Iterator[list]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def _clock(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


def _letters(given: str) -> str:
    return "".join(sorted({c for c in given.upper() if "A" <= c <= "Z"}))


# --- 同单位答卷雷同 ----------------------------------------------------------------------------------------------


def normalise_unit(unit: str) -> str:
    """A unit as typed by different people: full-width and half-width alike, no spaces, any case."""
    return "".join(unicodedata.normalize("NFKC", unit).split()).casefold()


@dataclass(slots=True)
class Sheet:
    """One graded attempt, as much as grouping needs; `paper` and `given` are filled for candidates only."""

    attempt_id: int
    user_id: int
    name: str
    city_id: str | None
    unit: str
    class_id: int
    class_title: str
    number: int
    score: int | None
    submitted_at: datetime
    paper: frozenset = frozenset()
    given: dict = field(default_factory=dict)


@dataclass(slots=True)
class Match:
    other: Sheet
    agreement: int  # percent of the common questions answered the same (floored: never overstated)
    shared_wrong: int
    common: int
    gap_seconds: int


def _day_sheets(day: date) -> dict[tuple, list[Sheet]]:
    """The day's graded attempts of learners with a work unit, by (city, unit, class). The city is part of the
    unit: the same name in two cities (「市人民医院」) is two units, and each city's office sees only its own."""
    rows = (
        _graded_on(day)
        .exclude(user__work_unit="")
        .values_list(
            "pk",
            "user_id",
            "user__name",
            "user__city_id",
            "user__work_unit",
            "enrollment__training_class_id",
            "enrollment__training_class__title",
            "number",
            "score",
            "submitted_at",
        )
    )
    groups = defaultdict(list)
    for row in rows.iterator(chunk_size=CHUNK):
        sheet = Sheet(*row)
        if unit := normalise_unit(sheet.unit):
            groups[(sheet.city_id, unit, sheet.class_id)].append(sheet)
    return groups


def _neighbours(sheets: list[Sheet]) -> list[tuple[Sheet, Sheet]]:
    """Pairs of different learners' sheets handed in within REVIEW_SHEET_MINUTES of each other."""
    window = timedelta(minutes=settings.REVIEW_SHEET_MINUTES)
    sheets = sorted(sheets, key=lambda s: s.submitted_at)
    pairs = []
    for i, first in enumerate(sheets):
        for second in islice(sheets, i + 1, None):
            if second.submitted_at - first.submitted_at > window:
                break
            if second.user_id != first.user_id:
                pairs.append((first, second))
    return pairs


def _fill_answers(sheets: Iterable[Sheet], right: dict[int, str]) -> None:
    """Load the papers and answers of these sheets, and into `right` {question id: its right letters} the
    questions of theirs not yet known (a bank's worth at most, kept across batches)."""
    by_id = {s.attempt_id: s for s in sheets}
    for ids in _chunks(list(by_id)):
        for pk, paper in ExamAttempt.objects.filter(pk__in=ids).values_list("pk", "paper"):
            by_id[pk].paper = frozenset(entry["q"] for entry in paper)
        rows = ExamAnswer.objects.filter(attempt_id__in=ids).values_list("attempt_id", "question_id", "given")
        for pk, question_id, given in rows:
            if letters := _letters(given):
                by_id[pk].given[question_id] = letters
    missing = list(set().union(*(s.paper for s in by_id.values())) - right.keys())
    for ids in _chunks(missing):
        rows = Question.objects.filter(pk__in=ids).values_list("pk", "answer")
        right.update((pk, _letters(answer)) for pk, answer in rows)


def _compare(first: Sheet, second: Sheet, right: dict[int, str]) -> Match | None:
    """The pair's figures when the sheets are nearly identical, wrong answers included; else None."""
    common = first.paper & second.paper
    if len(common) < MIN_COMMON_QUESTIONS:
        return None
    same = [q for q in common if q in first.given and first.given[q] == second.given.get(q)]
    shared_wrong = sum(1 for q in same if first.given[q] != right.get(q))
    agreement = len(same) * 100 // len(common)
    if len(same) < settings.REVIEW_SHEET_AGREEMENT * len(common) or shared_wrong < settings.REVIEW_SHEET_SHARED_WRONG:
        return None
    gap = abs(int((second.submitted_at - first.submitted_at).total_seconds()))
    return Match(second, agreement, shared_wrong, len(common), gap)


def _span(values: list[int], unit: str) -> str:
    low, high = min(values), max(values)
    return f"{low}{unit}" if low == high else f"{low}{unit}–{high}{unit}"


def _gap_words(seconds: int) -> str:
    return "不到 1 分钟" if seconds < 60 else f"{seconds // 60} 分钟"


def _sheet_finding(day: date, sheet: Sheet, matches: list[Match], group: str) -> Finding:
    """One learner's flag: the others whose sheets match theirs, with the figures for each."""
    closest = min(m.gap_seconds for m in matches)
    summary = (
        f"与同单位 {len(matches)} 人答卷 {_span([m.agreement for m in matches], '%')} 相同，"
        f"其中 {_span([m.shared_wrong for m in matches], ' 道')}错题答案相同，"
        f"交卷时间{'最近' if len(matches) > 1 else ''}相差 {_gap_words(closest)}"
    )
    evidence = {
        "单位": sheet.unit,
        "班级": sheet.class_title,
        "本人": [{"第几次考试": sheet.number, "交卷时间": _clock(sheet.submitted_at), "成绩": sheet.score}],
        "learners": [
            {
                "user_id": m.other.user_id,
                "姓名": m.other.name,
                "city_id": m.other.city_id,
                "交卷时间": _clock(m.other.submitted_at),
                "相差": _gap_words(m.gap_seconds),
                "共同题目": m.common,
                "相同": f"{m.agreement}%",
                "相同错题": m.shared_wrong,
                "成绩": m.other.score,
            }
            for m in sorted(matches, key=lambda m: (-m.agreement, -m.shared_wrong, m.gap_seconds))
        ],
    }
    return Finding(
        rule=Rule.SIMILAR_SHEETS,
        user_id=sheet.user_id,
        day=day,
        key=f"{Rule.SIMILAR_SHEETS}:{sheet.user_id}:{day.isoformat()}:{sheet.attempt_id}",
        summary=summary,
        evidence=evidence,
        attempts=[sheet.attempt_id],
        group=group,
    )


def _clusters(pairs: list[tuple[Sheet, Match]]) -> dict[int, int]:
    """{attempt id: the smallest attempt id of its cluster}: sheets linked through any matching pair share a group."""
    parent: dict[int, int] = {}

    def root(pk):
        while parent.setdefault(pk, pk) != pk:
            parent[pk] = parent[parent[pk]]
            pk = parent[pk]
        return pk

    for sheet, match in pairs:
        a, b = root(sheet.attempt_id), root(match.other.attempt_id)
        parent[max(a, b)] = min(a, b)
    return {pk: root(pk) for pk in parent}


@rule(Rule.SIMILAR_SHEETS)
def similar_sheets(day: date) -> Iterator[Finding]:
    """Learners of one unit whose sheets for one class's exam, handed in within REVIEW_SHEET_MINUTES of each other,
    agree on at least REVIEW_SHEET_AGREEMENT of at least 10 common questions AND share at least
    REVIEW_SHEET_SHARED_WRONG identical wrong answers: two good learners are both right, copies are wrong alike.
    Groups with neighbours are compared about a thousand sheets at a time, their answers dropped after: memory
    stays bounded however many learners sit the exam that day."""
    right: dict[int, str] = {}
    batch: list[tuple[Sheet, Sheet]] = []
    candidates: set[int] = set()
    for sheets in _day_sheets(day).values():
        pairs = _neighbours(sheets)
        batch += pairs
        candidates.update(s.attempt_id for pair in pairs for s in pair)
        if len(candidates) >= CHUNK:
            yield from _flag_batch(day, batch, right)
            batch, candidates = [], set()
    yield from _flag_batch(day, batch, right)


def _flag_batch(day: date, pairs: list[tuple[Sheet, Sheet]], right: dict[int, str]) -> Iterator[Finding]:
    """Compare the pairs of whole groups (a group never spans two batches), and flag each learner matched."""
    if not pairs:
        return
    sheets = {s.attempt_id: s for pair in pairs for s in pair}
    _fill_answers(sheets.values(), right)
    found: dict[int, list[Match]] = defaultdict(list)
    linked = []
    for first, second in pairs:
        match = _compare(first, second, right)
        if match is not None:
            found[first.attempt_id].append(match)
            found[second.attempt_id].append(replace(match, other=first))
            linked.append((first, match))
    clusters = _clusters(linked)
    for attempt_id, matches in found.items():
        group = f"{Rule.SIMILAR_SHEETS}:{day.isoformat()}:{clusters[attempt_id]}"
        yield _sheet_finding(day, sheets[attempt_id], matches, group)
    for sheet in sheets.values():  # the answers are done with
        sheet.paper, sheet.given = frozenset(), {}


# --- 考试用时过短 ------------------------------------------------------------------------------------------------


def _duration_words(seconds: int) -> str:
    minutes, rest = divmod(max(0, seconds), 60)
    return f"{minutes} 分 {rest} 秒" if minutes else f"{rest} 秒"


def _paper_chars(papers: list[list[dict]], known: dict[int, int]) -> None:
    """Add to `known` {question id: characters of its text and options} for the questions of these papers."""
    missing = list({entry["q"] for paper in papers for entry in paper} - known.keys())
    for ids in _chunks(missing):
        for pk, text, options in Question.objects.filter(pk__in=ids).values_list("pk", "text", "options"):
            known[pk] = len(text) + sum(len(str(option)) for option in options or [])


@rule(Rule.FAST_EXAM)
def fast_exam(day: date) -> Iterator[Finding]:
    """A passed attempt handed in faster than its questions and options can be read at
    REVIEW_READING_CHARS_PER_SECOND, with no time at all to think or click (a fast fail earns nothing: no flag)."""
    rate = settings.REVIEW_READING_CHARS_PER_SECOND
    rows = (
        _graded_on(day)
        .filter(passed=True, auto_submitted=False)
        .values_list(
            "pk",
            "user_id",
            "started_at",
            "submitted_at",
            "paper",
            "score",
            "number",
            "enrollment__training_class__title",
        )
        .iterator(chunk_size=CHUNK)
    )
    known: dict[int, int] = {}
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            yield from _fast_in(day, batch, known, rate)
            batch = []
    yield from _fast_in(day, batch, known, rate)


def _fast_in(day: date, rows: list[tuple], known: dict[int, int], rate: float) -> Iterator[Finding]:
    _paper_chars([row[4] for row in rows], known)
    for pk, user_id, started_at, submitted_at, paper, score, number, class_title in rows:
        chars = sum(known.get(entry["q"], 0) for entry in paper)
        needed = int(chars / rate)
        took = int((submitted_at - started_at).total_seconds())
        if not paper or took >= needed:
            continue
        yield Finding(
            rule=Rule.FAST_EXAM,
            user_id=user_id,
            day=day,
            key=f"{Rule.FAST_EXAM}:{user_id}:{day.isoformat()}:{pk}",
            summary=(
                f"考试用时 {_duration_words(took)}，{len(paper)} 道题共 {chars} 字，"
                f"快速阅读一遍至少需要 {_duration_words(needed)}，成绩 {score} 分合格"
            ),
            evidence={
                "考试": [
                    {
                        "班级": class_title,
                        "第几次考试": number,
                        "开始时间": _clock(started_at),
                        "交卷时间": _clock(submitted_at),
                        "用时": _duration_words(took),
                        "题数": len(paper),
                        "题目和选项字数": chars,
                        "至少需要": _duration_words(needed),
                        "成绩": score,
                    }
                ],
                "阅读速度": f"每秒 {rate:g} 字",
            },
            attempts=[pk],
        )
