"""The data review_bench.py scans: a year of study by N learners (200,000 by default), deterministic, loaded with
COPY, with one dense day (the scanned day) and on it planted anomalies of every 学习异常 rule and their honest twins.

- Learners in the 13 cities, in work units of 5–200 people sharing one unit name; most units study at work behind
  one office address (NAT) on their own computers, and everybody studies at home on their phone in the evening.
- A year of playback (about 18 sessions a learner, 2026-01-05 to the day before), each session crediting what is left
  of its courseware or part of it, with realistic counters (paused, network, now and then a refused seek or rate
  heartbeat); every finished courseware has its progress row and its ledger entry (`progress:<id>`), as in the app.
- The scanned day (2026-11-18, a Wednesday): 30 % of learners study (1–3 sessions, ≈100,000 at 200,000 learners),
  a few night-shift learners after midnight, 10 % hand in the class exam (50 questions out of the class's 120);
  10 % sat it on an earlier day.
- Planted (`Plants`): each rule's anomaly and its honest twin, recorded in the table `bench_review_plant` with the
  ledger entries and exam attempts a flag should name, so the harness can check recall and false flags.

Each learner's history is drawn from a generator seeded by the learner's id, so the passes that write sessions,
progress and ledger (three COPYs) draw the same history without holding four million rows in memory.
"""

import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from _generate import Copier

TZ = ZoneInfo("Asia/Shanghai")
YEAR = 2026
DAY = date(2026, 11, 18)  # the scanned day
HISTORY_START = date(2026, 1, 5)
HISTORY_DAYS = (DAY - HISTORY_START).days  # every day before the scanned one
DURATIONS = (1500, 1800, 2400, 2700, 3000)  # courseware lengths, seconds
QUESTIONS_PER_PAPER = 50
CITY_NAMES = ("南京", "无锡", "徐州", "常州", "苏州", "南通", "连云港", "淮安", "盐城", "扬州", "镇江", "泰州", "宿迁")
TRADES = ("城建", "交通", "水务", "园林", "市政", "电力", "燃气", "环卫", "房管", "公路", "港务", "供销")
KINDS = ("集团有限公司", "工程有限公司", "管理处", "服务中心", "工程队", "养护所")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅志强文斌海燕玉兰德明金凤春生"
WORDS = (
    "施工现场",
    "安全生产",
    "操作规程",
    "设备维护",
    "质量检验",
    "应急处置",
    "劳动保护",
    "消防器材",
    "作业人员",
    "技术交底",
    "隐患排查",
    "文明施工",
)


def at(day: date, minutes: float) -> datetime:
    """A moment of a local day, `minutes` after its midnight."""
    return datetime(day.year, day.month, day.day, tzinfo=TZ) + timedelta(minutes=minutes)


class Sess(NamedTuple):
    """One playback as it will be written: times, what it credited of which courseware, where it was played."""

    start: datetime
    end: datetime
    credited: float
    cw: int  # position in the learner's courseware sequence
    finishes: bool
    device: str
    label: str
    ip: str
    beats: tuple = (0, 0, 0)  # refused heartbeats: rate, seek, replayed


@dataclass
class Spec:
    """A planted session: when, how long, and on what length of courseware (the credited time decides finishing)."""

    minutes: float  # start, minutes after the scanned day's midnight (negative: the evening before)
    credited: float
    duration: int  # the courseware's length: the session finishes it when credited == duration
    device: str
    label: str
    ip: str
    beats: tuple = (0, 0, 0)


@dataclass(slots=True)
class Learner:
    uid: int
    name: str
    unit: str
    city: str
    grade: str
    unit_ip: str | None  # the office's NAT address, if the unit studies at work
    offset: int  # where the learner's courseware sequence starts in the catalogue
    enrollment: int = 0
    planted: bool = False


@dataclass
class Attempt:
    uid: int
    grade: str
    started: datetime
    submitted: datetime
    questions: list
    given: list
    correct: int
    on_day: bool = True

    @property
    def score(self) -> int:
        return round(self.correct * 100 / len(self.questions))


@dataclass
class Catalog:
    classes: dict  # grade → class id
    coursewares: list  # (id, duration, category, hours)
    pools: dict  # grade → question ids of its exam
    answers: dict  # question id → right letter
    option_count: dict  # question id → options


def create_catalog(rng: random.Random) -> Catalog:
    """One year, a class per grade, 12 courses of 12 coursewares, 60 questions a course (ORM: a few hundred rows)."""
    from django.utils import timezone

    from jxjy.accounts.models import Grade
    from jxjy.catalog.models import Chapter, Course, Courseware, Question, TrainingClass, TrainingYear

    now = timezone.now()
    year = TrainingYear.objects.create(year=YEAR)
    classes = {}
    for grade, label in Grade.choices:
        classes[grade] = TrainingClass.objects.create(
            year=year,
            grade=grade,
            title=f"{YEAR}年度网络班（{label}）",
            fee=Decimal("120.00"),
            enroll_start=now - timedelta(days=400),
            enroll_end=now + timedelta(days=30),
            study_deadline=now + timedelta(days=60),
        ).pk
    coursewares, pools, answers, option_count = [], {}, {}, {}
    cent = Decimal("0.01")
    for c in range(12):
        category = ("public", "professional", "professional", "elective")[c % 4]
        course = Course.objects.create(title=f"{WORDS[c]}专题", category=category, hours=Decimal("8"))
        made = []
        for h in range(4):
            chapter = Chapter.objects.create(course=course, title=f"第{h + 1}章", order=h + 1)
            for k in range(3):
                duration = DURATIONS[(c + h * 3 + k) % len(DURATIONS)]
                made.append(
                    Courseware(
                        chapter=chapter,
                        title=f"{WORDS[(c + k) % 12]}第{h * 3 + k + 1}讲",
                        order=k + 1,
                        video="bench.mp4",
                        duration=duration,
                    )
                )
        made = Courseware.objects.bulk_create(made)
        total = sum(w.duration for w in made)
        coursewares += [
            (
                w.pk,
                int(w.duration),
                category,
                (course.hours * Decimal(w.duration / total)).quantize(cent, ROUND_HALF_UP),
            )
            for w in made
        ]
        questions = []
        for _ in range(60):
            text = "".join(rng.choice(WORDS) for _ in range(3)) + "时，下列做法正确的是哪一项？请结合本课内容作答"
            options = ["".join(rng.choice(WORDS) for _ in range(rng.randint(1, 2))) + "并记录" for _ in range(4)]
            questions.append(Question(course=course, text=text, options=options, answer=rng.choice("ABCD")))
        for q in Question.objects.bulk_create(questions):
            answers[q.pk], option_count[q.pk] = q.answer, 4
    question_ids = sorted(answers)
    for g, (grade, _label) in enumerate(Grade.choices):
        start = (g * 2 % 12) * 60
        pools[grade] = (question_ids + question_ids)[start : start + 120]
    return Catalog(classes, coursewares, pools, answers, option_count)


def unit_name(city: str, k: int) -> str:
    return f"{city}市{TRADES[k % len(TRADES)]}{KINDS[(k // 12) % len(KINDS)]}第{k}分部"


def person_name(uid: int) -> str:
    return SURNAMES[uid % len(SURNAMES)] + GIVEN[(uid // 7) % len(GIVEN)] + GIVEN[(uid // 131) % len(GIVEN)]


def home_ip(uid: int) -> str:
    return f"114.{(uid >> 16) & 255}.{(uid >> 8) & 255}.{uid & 255}"


def unit_address(k: int) -> str:
    return f"58.{200 + (k >> 16) % 50}.{(k >> 8) & 255}.{k & 255}"


def device_of(uid: int, kind: str) -> str:
    return f"{(uid * 2654435761) & 0xFFFFFFFF:08x}{uid:08x}{kind}"


# --- a learner's year -----------------------------------------------------------------------------------------


def history(learner: Learner, rng: random.Random, durations: list) -> list[Sess]:
    """The learner's playback before the scanned day, oldest first: each session credits what is left of its
    courseware or part of it; every courseware touched is finished by the end (planted learners' day starts clean)."""
    count = rng.randint(4, 12) if learner.planted else rng.randint(6, 30)
    days = sorted(rng.randrange(HISTORY_DAYS) for _ in range(count))
    sessions, pos, left, last_end = [], 0, None, None
    pc, phone, home = device_of(learner.uid, "p"), device_of(learner.uid, "m"), home_ip(learner.uid)
    for i, d in enumerate(days):
        day = HISTORY_START + timedelta(days=d)
        if learner.unit_ip and rng.random() < 0.6:
            start, device, label, ip = at(day, 510 + rng.randrange(480)), pc, "电脑 · Chrome", learner.unit_ip
        else:
            start, device, label, ip = at(day, 1110 + rng.randrange(240)), phone, "安卓手机 · 微信", home
        if last_end and start < last_end:
            start = last_end + timedelta(minutes=10)
        duration = durations[(learner.offset + pos) % len(durations)]
        left = duration if left is None else left
        credited = left if i == count - 1 else min(left, rng.choice((600, 900, 1200, 1800, 2400, 3000)))
        finishes = credited == left
        end = start + timedelta(seconds=credited + rng.choice((20, 60, 120, 300)))
        sessions.append(Sess(start, end, float(credited), pos, finishes, device, label, ip, _noise(rng)))
        last_end = end
        pos, left = (pos + 1, None) if finishes else (pos, left - credited)
    return sessions


def _noise(rng: random.Random) -> tuple:
    """Now and then a refused heartbeat in honest use: a drag of the bar, a faster rate tried, a retried beat."""
    r = rng.random()
    if r < 0.08:
        return (0, rng.randint(1, 4), 0)
    if r < 0.11:
        return (rng.randint(1, 3), 0, 0)
    if r < 0.115:
        return (0, 0, 1)
    return (0, 0, 0)


def day_sessions(learner: Learner, rng: random.Random, durations: list, pos: int) -> list[Sess]:
    """An ordinary learner's scanned day (30 % study): 1–3 sessions at work or in the evening, a few after midnight."""
    if rng.random() >= 0.30:
        return []
    count = rng.choice((1, 1, 1, 2, 2, 3))
    pc, phone, home = device_of(learner.uid, "p"), device_of(learner.uid, "m"), home_ip(learner.uid)
    r = rng.random()
    if r < 0.01:
        minutes, device, label, ip = 30 + rng.randrange(150), phone, "安卓手机 · 微信", home  # a night shift
    elif learner.unit_ip and r < 0.6:
        minutes, device, label, ip = 510 + rng.randrange(360), pc, "电脑 · Chrome", learner.unit_ip
    else:
        minutes, device, label, ip = 1110 + rng.randrange(180), phone, "安卓手机 · 微信", home
    sessions = []
    for _ in range(count):
        duration = durations[(learner.offset + pos) % len(durations)]
        credited = duration if rng.random() < 0.6 else rng.choice((300, 600, 900, 1200))
        start = at(DAY, minutes)
        end = start + timedelta(seconds=credited + rng.choice((20, 60, 120, 300)))
        if end.date() != DAY:
            break
        sessions.append(Sess(start, end, float(credited), pos, credited == duration, device, label, ip, _noise(rng)))
        pos += 1
        minutes += (end - start).total_seconds() / 60 + rng.randrange(5, 60)
    return sessions


def planted_day(specs: list[Spec], learner: Learner, durations: list, pos: int) -> list[Sess]:
    """A planted learner's scripted day: each session on the next courseware of the length it asks for."""
    sessions, used = [], set()
    for spec in specs:
        while durations[(learner.offset + pos) % len(durations)] != spec.duration or pos in used:
            pos += 1
        used.add(pos)
        start = at(DAY, spec.minutes)
        end = start + timedelta(seconds=spec.credited + 60)
        sessions.append(
            Sess(
                start,
                end,
                float(spec.credited),
                pos,
                spec.credited == spec.duration,
                spec.device,
                spec.label,
                spec.ip,
                spec.beats,
            )
        )
    return sessions


# --- planted anomalies and their honest twins --------------------------------------------------------------------


@dataclass
class Plants:
    """The scripted learners: their units, their scanned day, their exam attempts, and what each should yield."""

    learners: list = field(default_factory=list)
    days: dict = field(default_factory=dict)  # uid → [Spec]
    attempts: list = field(default_factory=list)  # Attempt
    manifest: list = field(default_factory=list)  # (rule, uid, role, label)
    units: int = 0

    def unit(self, city: str) -> tuple[str, str]:
        """A new planted unit: its name and its office address."""
        self.units += 1
        k = 900_000 + self.units
        return unit_name(city, k), unit_address(k)

    def person(self, start_uid: int, unit: tuple, city: str, grade: str = "L4") -> Learner:
        uid = start_uid + len(self.learners)
        learner = Learner(uid, person_name(uid), unit[0], city, grade, unit[1], uid % 144, planted=True)
        self.learners.append(learner)
        return learner

    def expect(self, rule: str, learner: Learner, role: str, label: str) -> None:
        self.manifest.append((rule, learner.uid, role, label))


def plant(start_uid: int, catalog: Catalog, rng: random.Random) -> Plants:
    """Every rule's anomaly (≈20 learners) and its honest twin(s)."""
    plants = Plants()
    _plant_long_days(plants, start_uid)
    _plant_nights_and_bursts(plants, start_uid)
    _plant_devices(plants, start_uid)
    _plant_addresses(plants, start_uid, rng)
    _plant_sheets(plants, start_uid, catalog, rng)
    _plant_fast(plants, start_uid, catalog, rng)
    return plants


def _at_home(learner: Learner, minutes: float, credited: float, duration: int, beats=(0, 0, 0)) -> Spec:
    return Spec(
        minutes, credited, duration, device_of(learner.uid, "m"), "安卓手机 · 微信", home_ip(learner.uid), beats
    )


def _plant_long_days(plants: Plants, start_uid: int) -> None:
    """一天计时超过10学时: 14 coursewares of 45 minutes (10.5 h) vs 12 and a 30-minute one (9.5 h)."""
    for _ in range(20):
        learner = plants.person(start_uid, plants.unit("南京"), "320100")
        plants.days[learner.uid] = [_at_home(learner, 420 + k * 50, 2700, 2700) for k in range(14)]
        plants.expect("long_day", learner, "planted", "10.5 h credited")
    for _ in range(20):
        learner = plants.person(start_uid, plants.unit("苏州"), "320500")
        specs = [_at_home(learner, 420 + k * 50, 2700, 2700) for k in range(12)]
        plants.days[learner.uid] = [*specs, _at_home(learner, 420 + 12 * 50, 1800, 1800)]
        plants.expect("long_day", learner, "twin", "9.5 h credited")


def _plant_nights_and_bursts(plants: Plants, start_uid: int) -> None:
    """整夜每小时都在学习: six sessions 0:03–5:53 vs a late evening (20:03–23:53) or half a night (0:03–2:53).
    短时间内大量异常心跳: 25 refused heartbeats of one kind in one playback vs 8 + 7 + 5 of three kinds."""
    for _ in range(20):
        learner = plants.person(start_uid, plants.unit("无锡"), "320200")
        plants.days[learner.uid] = [_at_home(learner, h * 60 + 3, 2700, 2700) for h in range(6)]
        plants.expect("all_night", learner, "planted", "every night hour")
    for i in range(20):
        learner = plants.person(start_uid, plants.unit("常州"), "320400")
        hours = range(20, 24) if i % 2 else range(3)
        plants.days[learner.uid] = [_at_home(learner, h * 60 + 3, 2700, 2700) for h in hours]
        plants.expect("all_night", learner, "twin", "late evening" if i % 2 else "half a night")
    for i in range(20):
        learner = plants.person(start_uid, plants.unit("南通"), "320600")
        beats = ((25, 0, 0), (0, 25, 0), (0, 0, 25))[i % 3]
        plants.days[learner.uid] = [_at_home(learner, 1140, 1500, 2400, beats)]
        plants.expect("refused_burst", learner, "planted", "25 refused of one kind")
    for _ in range(20):
        learner = plants.person(start_uid, plants.unit("扬州"), "321000")
        plants.days[learner.uid] = [_at_home(learner, 1140, 2400, 2400, (8, 7, 5))]
        plants.expect("refused_burst", learner, "twin", "8+7+5 refused of three kinds")


def _plant_devices(plants: Plants, start_uid: int) -> None:
    """同一设备交替学习: one home computer switching two accounts A, B, A, B vs handed over (A, A, B, B).
    同一设备多人学习: 4 accounts on one computer in a day vs 3."""
    for _ in range(10):
        unit = plants.unit("徐州")
        a, b = plants.person(start_uid, unit, "320300"), plants.person(start_uid, unit, "320300")
        device, ip = device_of(a.uid, "shared"), home_ip(a.uid)
        turns = (a, b, a, b)
        for k, who in enumerate(turns):
            plants.days.setdefault(who.uid, []).append(Spec(1140 + k * 45, 2400, 2400, device, "电脑 · Chrome", ip))
        for who in (a, b):
            plants.expect("alternating", who, "planted", "A, B, A, B on one device")
    for _ in range(10):
        unit = plants.unit("盐城")
        a, b = plants.person(start_uid, unit, "320900"), plants.person(start_uid, unit, "320900")
        device, ip = device_of(a.uid, "shared"), home_ip(a.uid)
        for k, who in enumerate((a, a, b, b)):
            plants.days.setdefault(who.uid, []).append(Spec(1140 + k * 45, 2400, 2400, device, "电脑 · Chrome", ip))
        for who in (a, b):
            plants.expect("alternating", who, "twin", "A, A, B, B handed over")
    for accounts, role, count in ((4, "planted", 5), (3, "twin", 5)):
        for _ in range(count):
            unit = plants.unit("淮安")
            people = [plants.person(start_uid, unit, "320800") for _ in range(accounts)]
            device, ip = device_of(people[0].uid, "cafe"), unit[1]
            for k, who in enumerate(people):
                plants.days[who.uid] = [Spec(540 + k * 60, 2400, 2400, device, "电脑 · 360浏览器", ip)]
                plants.expect("crowded", who, role, f"{accounts} accounts on one device")


def _plant_addresses(plants: Plants, start_uid: int, rng: random.Random) -> None:
    """同一网络交替学习: two accounts started together three times from one office address (one person, two browsers)
    vs 25 colleagues behind one NAT studying the same afternoon on their own. 同一网络多人学习: 31 accounts of as
    many units on one address vs 30, and 40 colleagues of one unit behind its office NAT."""
    for _ in range(5):
        unit = plants.unit("连云港")
        a, b = plants.person(start_uid, unit, "320700"), plants.person(start_uid, unit, "320700")
        for k in range(3):
            minutes = 840 + k * 60
            plants.days.setdefault(a.uid, []).append(
                Spec(minutes, 2400, 2400, device_of(a.uid, "p"), "电脑 · Chrome", unit[1])
            )
            plants.days.setdefault(b.uid, []).append(
                Spec(minutes + 1, 2400, 2400, device_of(b.uid, "p2"), "电脑 · Edge", unit[1])
            )
        for who in (a, b):
            plants.expect("alternating", who, "planted", "lockstep from one address")
    unit = plants.unit("镇江")
    colleagues = [plants.person(start_uid, unit, "321100") for _ in range(25)]
    for who in colleagues:
        plants.days[who.uid] = [
            Spec(780 + k * 80 + rng.randrange(75), 2400, 2400, device_of(who.uid, "p"), "电脑 · Chrome", unit[1])
            for k in range(3)
        ]
        plants.expect("alternating", who, "twin", "25 colleagues behind one NAT")
    for accounts, role in ((31, "planted"), (30, "twin")):
        shop = unit_address(950_000 + accounts)  # one address (an internet café), each account of another unit
        for k in range(accounts):
            who = plants.person(start_uid, plants.unit("泰州"), "321200")
            plants.days[who.uid] = [Spec(540 + k * 15, 1800, 1800, device_of(who.uid, "m"), "安卓手机 · 微信", shop)]
            plants.expect("crowded", who, role, f"{accounts} accounts of as many units on one address")
    unit = plants.unit("泰州")
    for k in range(40):
        who = plants.person(start_uid, unit, "321200")
        plants.days[who.uid] = [Spec(540 + k * 10, 1800, 1800, device_of(who.uid, "p"), "电脑 · Chrome", unit[1])]
        plants.expect("crowded", who, "twin", "40 colleagues of one unit behind its NAT")


def _sheet(catalog: Catalog, questions: list, rng: random.Random, wrong: int) -> list:
    """Answers to `questions`: right except `wrong` of them (each a wrong letter)."""
    given = [catalog.answers[q] for q in questions]
    for i in rng.sample(range(len(questions)), wrong):
        given[i] = rng.choice([x for x in "ABCD" if x != given[i]])
    return given


def _hand_in(plants, catalog, learner, minutes, questions, given, took=1800) -> None:
    right = sum(g == catalog.answers[q] for q, g in zip(questions, given, strict=True))
    submitted = at(DAY, minutes)
    attempt = Attempt(
        learner.uid, learner.grade, submitted - timedelta(seconds=took), submitted, questions, given, right
    )
    plants.attempts.append(attempt)


def _plant_sheets(plants: Plants, start_uid: int, catalog: Catalog, rng: random.Random) -> None:
    """同单位答卷雷同: 7 pairs and 2 threes of one unit hand in the same sheet (8 wrong answers alike) minutes apart.
    Twins: two honest high scorers of one unit (2 wrong each, different), the same sheets in two different units,
    the same sheets an hour apart; and in each planted unit four colleagues who sat it honestly that day."""
    pool = catalog.pools["L4"]
    for size in (2,) * 7 + (3,) * 2:
        unit = plants.unit("宿迁")
        questions = rng.sample(pool, QUESTIONS_PER_PAPER)
        source = _sheet(catalog, questions, rng, 8)
        for k in range(size):
            who = plants.person(start_uid, unit, "321300")
            given = list(source)
            if k:  # a copied sheet with one answer changed (right → another letter, so 98 % the same)
                i = next(i for i, (q, g) in enumerate(zip(questions, given, strict=True)) if g == catalog.answers[q])
                given[i] = next(x for x in "ABCD" if x != given[i])
            _hand_in(plants, catalog, who, 600 + k * 2, questions, given)
            plants.expect("similar_sheets", who, "planted", f"{size} copied sheets")
        for k in range(4):
            who = plants.person(start_uid, unit, "321300")
            questions = rng.sample(pool, QUESTIONS_PER_PAPER)
            _hand_in(plants, catalog, who, 700 + k * 60, questions, _sheet(catalog, questions, rng, rng.randint(3, 15)))
            plants.expect("similar_sheets", who, "twin", "honest colleague of copiers")
    for twin, label in (
        ("scorers", "two honest high scorers"),
        ("units", "same sheet, two units"),
        ("hour", "same sheet an hour apart"),
    ):
        for _ in range(5):
            unit = plants.unit("宿迁")
            questions = rng.sample(pool, QUESTIONS_PER_PAPER)
            source = _sheet(catalog, questions, rng, 8)
            for k in range(2):
                who = plants.person(start_uid, plants.unit("宿迁") if twin == "units" and k else unit, "321300")
                given = list(source)
                if twin == "scorers":  # 48 of 50 right each, wrong on different questions
                    given = [catalog.answers[q] for q in questions]
                    for j in (2 * k, 2 * k + 1):
                        given[j] = next(x for x in "ABCD" if x != given[j])
                _hand_in(plants, catalog, who, 600 + k * (70 if twin == "hour" else 2), questions, given)
                plants.expect("similar_sheets", who, "twin", label)


def _plant_fast(plants: Plants, start_uid: int, catalog: Catalog, rng: random.Random) -> None:
    """考试用时过短: passed in 100 s (50 questions, about 4,000 characters) vs failed as fast, or a slow reader."""
    pool = catalog.pools["L3"]
    for took, wrong, role, label, count in (
        (100, 5, "planted", "passed in 100 s", 20),
        (100, 30, "twin", "failed in 100 s", 10),
        (1500, 4, "twin", "passed in 25 min", 10),
    ):
        for i in range(count):
            who = plants.person(start_uid, plants.unit("常州"), "320400", grade="L3")
            questions = rng.sample(pool, QUESTIONS_PER_PAPER)
            _hand_in(plants, catalog, who, 540 + i * 7, questions, _sheet(catalog, questions, rng, wrong), took)
            plants.expect("fast_exam", who, role, label)


# --- the load ------------------------------------------------------------------------------------------------------


def population(n: int, first_uid: int, rng: random.Random) -> list[Learner]:
    """The ordinary learners, unit by unit: units of 5–200 (most small), 80 % of those of 10 or more behind an office
    address where their members study at work."""
    from jxjy.lib.regions import CITIES

    cities = [(code, name.removesuffix("市")) for code, name in CITIES if code != "320000"]
    grades = ("PT", "L5", "L4", "L3", "L2", "L1")
    learners, k = [], 0
    while len(learners) < n:
        size = min(n - len(learners), 5 + int(195 * rng.random() ** 2))
        code, city = cities[k % len(cities)]
        unit, address = unit_name(city, k), unit_address(k) if size >= 10 and rng.random() < 0.8 else None
        for _ in range(size):
            uid = first_uid + len(learners)
            learners.append(Learner(uid, person_name(uid), unit, code, grades[uid % 6], address, uid % 144))
        k += 1
    return learners


def progress_of(sessions: list[Sess]) -> list[tuple]:
    """Each courseware the sessions touched: (position, credited, finished at or None, last touched)."""
    rows = {}
    for s in sessions:
        pos, credited, finished, _last = rows.get(s.cw, (s.cw, 0.0, None, None))
        rows[s.cw] = (pos, credited + s.credited, s.end if s.finishes else finished, s.end)
    return list(rows.values())


def honest_attempt(learner: Learner, catalog: Catalog) -> Attempt | None:
    """10 % sat the class exam on the scanned day, 10 % on an earlier day: their own skill, their own mistakes."""
    rng = random.Random(learner.uid * 7 + 3)
    r = rng.random()
    if r >= 0.2:
        return None
    day = DAY if r < 0.1 else HISTORY_START + timedelta(days=rng.randrange(HISTORY_DAYS))
    questions = rng.sample(catalog.pools[learner.grade], QUESTIONS_PER_PAPER)
    skill, given, right = rng.uniform(0.55, 0.99), [], 0
    for q in questions:
        if rng.random() < skill:
            given.append(catalog.answers[q])
            right += 1
        else:
            given.append(rng.choice([x for x in "ABCD" if x != catalog.answers[q]]))
    submitted = at(day, 480 + rng.randrange(780))
    took = timedelta(seconds=rng.randrange(720, 3000))
    return Attempt(learner.uid, learner.grade, submitted - took, submitted, questions, given, right, on_day=r < 0.1)


def create_data(n: int) -> dict:
    """Load the whole dataset into the (migrated, empty) database; returns the row counts."""
    from django.db import connection

    from jxjy.accounts.models import User

    rng = random.Random(7)
    catalog = create_catalog(rng)
    first_uid = (User.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    plants = plant(first_uid, catalog, rng)
    learners = plants.learners + population(n - len(plants.learners), first_uid + len(plants.learners), rng)
    for i, learner in enumerate(learners, 1):
        learner.enrollment = i
    counts = _load_people(learners, catalog)
    durations = [d for _pk, d, _c, _h in catalog.coursewares]

    def plan(learner: Learner) -> list[Sess]:
        rng = random.Random(learner.uid * 1_000_003 + 11)
        past = history(learner, rng, durations)
        pos = past[-1].cw + 1 if past else 0
        if learner.planted:
            return past + planted_day(plants.days.get(learner.uid, []), learner, durations, pos)
        return past + day_sessions(learner, rng, durations, pos)

    counts |= _load_study(learners, catalog, plan)
    expected_entries = counts.pop("expected entries")
    ordinary = learners[len(plants.learners) :]
    attempts = plants.attempts + [a for x in ordinary if (a := honest_attempt(x, catalog))]
    counts |= _load_exams(learners, attempts, len(plants.attempts))
    expected_attempts = counts.pop("expected attempts")
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_review_plant (rule text, user_id int, role text, label text, entries jsonb,"
            " attempts jsonb)"
        )
        cursor.execute("CREATE TABLE bench_review_meta (learners int, day date, counts jsonb)")
        cursor.executemany(
            "INSERT INTO bench_review_plant VALUES (%s, %s, %s, %s, %s, %s)",
            [
                (
                    rule,
                    uid,
                    role,
                    label,
                    json.dumps(expected_entries.get(uid, [])),
                    json.dumps(expected_attempts.get(uid, [])),
                )
                for rule, uid, role, label in plants.manifest
            ],
        )
        cursor.execute("INSERT INTO bench_review_meta VALUES (%s, %s, %s)", [n, DAY, json.dumps(counts)])
        cursor.execute("VACUUM ANALYZE")
    return counts


def _load_people(learners: list[Learner], catalog: Catalog) -> dict:
    """Users, their paid orders and order lines, and their enrollments (one class each, by grade)."""
    from django.utils import timezone

    from jxjy.accounts.models import User
    from jxjy.learning.models import Enrollment
    from jxjy.orders.models import Order, OrderLine

    now = timezone.now()
    joined = at(HISTORY_START, -60 * 24 * 10)
    users = Copier(User, ["id", "username", "password", "name", "role", "city_id", "grade", "work_unit", "date_joined"])
    counts = {
        "learners": users.load(
            (x.uid, f"rb{x.uid:08d}", "!", x.name, "learner", x.city, x.grade, x.unit, joined) for x in learners
        )
    }
    orders = Copier(Order, ["id", "number", "user_id", "status", "amount", "created_at", "expires_at", "paid_at"])
    fee = Decimal("120.00")
    orders.load((x.enrollment, f"R{x.enrollment:012d}", x.uid, "paid", fee, joined, joined, joined) for x in learners)
    lines = Copier(OrderLine, ["id", "order_id", "training_class_id", "year", "title", "fee", "hours"])
    lines.load(
        (x.enrollment, x.enrollment, catalog.classes[x.grade], YEAR, "网络班", fee, Decimal("48")) for x in learners
    )
    enrollments = Copier(Enrollment, ["id", "user_id", "training_class_id", "order_line_id", "status", "opened_at"])
    counts["enrollments"] = enrollments.load(
        (x.enrollment, x.uid, catalog.classes[x.grade], x.enrollment, "learning", min(joined, now)) for x in learners
    )
    return counts


def _load_study(learners: list[Learner], catalog: Catalog, plan) -> dict:
    """Three passes over every learner's planned year: playback sessions, courseware progress, ledger entries."""
    counts = _load_sessions(learners, catalog.coursewares, plan)
    counts["courseware progress"] = _load_progress(learners, catalog.coursewares, plan)
    counts["ledger entries"], counts["expected entries"] = _load_ledger(learners, catalog.coursewares, plan)
    return counts


def _load_sessions(learners: list[Learner], cws: list, plan) -> dict:
    """Playback sessions with the counters learning.evidence keeps: paused time from the clock, refused heartbeats
    with the content they cost (a refused seek about a minute, a refused rate 15 s)."""
    from jxjy.learning.models import PlaybackSession

    columns = """id enrollment_id user_id courseware_id started_at last_beat_at last_seq last_position is_current device
        device_label ip events played credited lost_paused lost_rate lost_seek beats_rate beats_seek beats_replayed"""
    on_day = 0

    def rows():
        nonlocal on_day
        for x in learners:
            for s in plan(x):
                paused = (s.end - s.start).total_seconds() - s.credited
                rate, seek, replayed = s.beats
                events = int((s.credited + paused) / 15) + 1 + rate + seek + replayed
                on_day += s.start.date() == DAY
                played = s.credited + rate * 15 + seek * 60
                courseware = cws[(x.offset + s.cw) % len(cws)][0]
                place = (s.device, s.label, s.ip)
                counters = (events, played, s.credited, paused, rate * 15.0, seek * 60.0, rate, seek, replayed)
                yield (
                    str(uuid.uuid4()),
                    x.enrollment,
                    x.uid,
                    courseware,
                    s.start,
                    s.end,
                    events,
                    s.credited,
                    False,
                    *place,
                    *counters,
                )

    loaded = Copier(PlaybackSession, columns.split()).load(rows(), serial=False)
    return {"playback sessions": loaded, "sessions on the day": on_day}


def _load_progress(learners: list[Learner], cws: list, plan) -> int:
    """One progress row per courseware touched, finished ones with their finishing time (ids in learner order)."""
    from jxjy.learning.models import CoursewareProgress

    columns = "id enrollment_id courseware_id intervals watched credited position finished_at version updated_at"

    def rows():
        pk = 0
        for x in learners:
            for pos, credited, finished, last in progress_of(plan(x)):
                pk += 1
                courseware, duration, _category, _hours = cws[(x.offset + pos) % len(cws)]
                intervals = f"[[0, {min(credited, duration)}]]"
                watched = (credited, credited, credited)  # watched, credited, position: the covered part
                yield (pk, x.enrollment, courseware, intervals, *watched, finished, int(credited / 15), last)

    return Copier(CoursewareProgress, columns.split()).load(rows())


def _load_ledger(learners: list[Learner], cws: list, plan) -> tuple[int, dict]:
    """A finished courseware's entry (`progress:<id>`, its share of the course's hours); returns the count and, for
    planted learners, the entries their scanned day made (what a flag about that day should name)."""
    from jxjy.credits.models import CreditEntry

    expected = {}

    def rows():
        pk = entry = 0
        for x in learners:
            for pos, _credited, finished, _last in progress_of(plan(x)):
                pk += 1
                if finished:
                    entry += 1
                    _courseware, _duration, category, hours = cws[(x.offset + pos) % len(cws)]
                    if x.planted and finished.date() == DAY:
                        expected.setdefault(x.uid, []).append(entry)
                    yield (entry, x.uid, YEAR, category, hours, "online", f"progress:{pk}", finished)

    columns = "id user_id year category hours source source_id created_at"
    return Copier(CreditEntry, columns.split()).load(rows()), expected


def _load_exams(learners: list[Learner], attempts: list[Attempt], planted: int) -> dict:
    """Graded attempts with their papers and every answer as given (the first `planted` are the planted ones)."""
    from jxjy.exams.models import ExamAnswer, ExamAttempt

    enrollment = {x.uid: x.enrollment for x in learners}
    rows = Copier(
        ExamAttempt,
        [
            "id",
            "enrollment_id",
            "user_id",
            "number",
            "status",
            "paper",
            "started_at",
            "deadline",
            "submitted_at",
            "correct",
            "score",
            "passed",
        ],
    )
    expected = {a.uid: [pk] for pk, a in enumerate(attempts[:planted], 1)}
    counts = {
        "exam attempts": rows.load(
            (
                pk,
                enrollment[a.uid],
                a.uid,
                1,
                "graded",
                json.dumps([{"q": q, "o": [(q + i) % 4 for i in range(4)]} for q in a.questions]),
                a.started,
                a.started + timedelta(minutes=60),
                a.submitted,
                a.correct,
                a.score,
                a.score >= 60,
            )
            for pk, a in enumerate(attempts, 1)
        )
    }
    counts["attempts on the day"] = sum(a.on_day for a in attempts)
    answers = Copier(ExamAnswer, ["attempt_id", "question_id", "given", "saved_at"])
    counts["exam answers"] = answers.load(
        (pk, q, g, a.submitted) for pk, a in enumerate(attempts, 1) for q, g in zip(a.questions, a.given, strict=True)
    )
    counts["expected attempts"] = expected
    return counts
