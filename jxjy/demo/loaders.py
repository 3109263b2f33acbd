"""Demo data for `make run`: the accounts, the catalogue, coursewares with real (generated) videos and question
banks, two learners' classes, 面授班 and notices. Each part is loaded once (jxjy.demo.management.commands.load_demo)."""

import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.models import Permission
from django.core.files import File
from django.core.files.base import ContentFile
from django.utils import timezone

from jxjy.accounts.models import City, Grade, Role, User, id_number_index
from jxjy.catalog import captions
from jxjy.catalog.models import Category, Chapter, Course, Courseware, Question, TrainingClass, TrainingYear
from jxjy.catalog.video import make_courseware_video
from jxjy.credits.models import CreditSource
from jxjy.credits.services import post_entry
from jxjy.facetoface.models import FaceToFaceClass
from jxjy.learning.models import Enrollment, EnrollmentStatus
from jxjy.lib.idcard import check_char, gender_of
from jxjy.orders import services as orders
from jxjy.orders.models import OrderStatus
from jxjy.portal.models import Notice

from .questions import QUESTIONS

PASSWORD = "Demo1234"

COURSES = [
    ("习近平新时代中国特色社会主义思想概论", Category.PUBLIC, "4", None),
    ("机关事业单位工作人员职业道德与行为规范", Category.PUBLIC, "4", None),
    ("安全生产与应急处置常识", Category.PUBLIC, "4", None),
    ("数字政府与办公信息化基础", Category.PUBLIC, "4", None),
    ("公文处理与档案管理实务", Category.PROFESSIONAL, "6", None),
    ("机关后勤服务标准化", Category.PROFESSIONAL, "6", None),
    ("公共机构节能管理", Category.PROFESSIONAL, "6", None),
    ("车辆驾驶安全与维护保养", Category.PROFESSIONAL, "6", None),
    ("电工基础与配电安全", Category.PROFESSIONAL, "6", None),
    ("技师工作方法与技术传承", Category.PROFESSIONAL, "6", {Grade.TECHNICIAN, Grade.SENIOR_TECHNICIAN}),
    ("健康生活与慢病预防", Category.ELECTIVE, "4", None),
    ("书法鉴赏入门", Category.ELECTIVE, "4", None),
    ("智能手机实用技巧", Category.ELECTIVE, "4", None),
]
FEES = {
    Grade.ORDINARY: "80.00",
    Grade.JUNIOR: "100.00",
    Grade.INTERMEDIATE: "120.00",
    Grade.SENIOR: "150.00",
    Grade.TECHNICIAN: "180.00",
    Grade.SENIOR_TECHNICIAN: "200.00",
}


# Until the back office (a later issue) has its own roles, finance and content staff work in the admin.
DEMO_PERMISSIONS = {
    "finance": [
        ("orders", "order", "view"),
        ("payments", "payment", "view"),
        ("payments", "payment", "change"),
        ("payments", "paymentnotification", "view"),
        ("payments", "refund", "view"),
        ("learning", "enrollment", "view"),
    ],
    "content": [
        ("catalog", model, action)
        for model in ("trainingyear", "course", "trainingclass")
        for action in ("view", "add", "change")
    ],
}


def grant_demo_permissions():
    for username, perms in DEMO_PERMISSIONS.items():
        user = User.objects.get(username=username)
        for app_label, model, action in perms:
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=f"{action}_{model}")
            )


def load_coursewares():
    """Every demo course gets two chapters of short real videos (slides with the titles) and its question
    bank (6 单选, 3 多选, 3 判断) for the pop-up checks, practice and the exam."""
    plan = []
    for number, course in enumerate(Course.objects.order_by("pk"), start=1):
        for chapter_no, (chapter_title, seconds) in enumerate([("第一章 基础知识", 45), ("第二章 实务要点", 60)], 1):
            chapter = Chapter.objects.create(course=course, title=chapter_title, order=chapter_no)
            plan.append((number, course, chapter, f"{chapter_no}.1 {chapter_title[4:]}", seconds))
        Question.objects.bulk_create(
            Question(
                course=course,
                kind=kind,
                text=text,
                options=options,
                answer=answer,
                explanation=explanation,
                knowledge_point=point,
                difficulty=difficulty,
            )
            for kind, text, options, answer, explanation, point, difficulty in QUESTIONS[course.title]
        )

    with tempfile.TemporaryDirectory() as tmp:

        def make(item):
            number, course, chapter, title, seconds = item
            path = Path(tmp) / f"{chapter.pk}.mp4"
            subtitle = f"{chapter.title} · {title}"
            lines = [f"本课件时长 {seconds} 秒（演示）", "请按正常速度观看，学习中会弹出知识点题目。"]
            duration = make_courseware_video(
                path,
                title=course.title,
                subtitle=subtitle,
                lines=lines,
                seconds=seconds,
                fallback_title=f"Course {number} - Chapter {chapter.order}",
            )
            # 字幕 read the slide out in turn over the video's length.
            return path, duration, captions.from_slides([course.title, subtitle, *lines], duration)

        # ffmpeg runs outside the GIL: a few at a time.
        with ThreadPoolExecutor(max_workers=4) as pool:
            made = list(pool.map(make, plan))
        for (_, _, chapter, title, _), (path, duration, vtt) in zip(plan, made, strict=True):
            courseware = Courseware(chapter=chapter, title=title, order=1, duration=duration)
            with open(path, "rb") as handle:
                courseware.video.save(path.name, File(handle), save=False)
            courseware.captions.save("captions.vtt", ContentFile(vtt.encode("utf-8")), save=False)
            courseware.save()


def demo_username(name):
    first17 = next(first17 for learner, first17, *_ in LEARNERS if learner == name)
    return id_number_index(demo_id(first17))


def load_demo_enrollment():
    """张伟 has paid for this year's 高级工 class, so `make run` shows learning straight away."""
    user = User.objects.get(username=demo_username("张伟"))
    training_class = TrainingClass.objects.get(year_id=timezone.localdate().year, grade=Grade.SENIOR)
    order = orders.place_order(user=user, class_ids=[training_class.pk], invoice={"invoice_type": "none"})
    orders.transition(order, OrderStatus.PAID, reason="demo data")


def load_demo_completed_class():
    """李娜 has this year's 中级工 class with its hours done (demo hours in the ledger), so `make run` can show
    在线考试 and, once she passes, 培训证明 and 继续教育档案. Demo data only: real hours come from watching."""
    user = User.objects.get(username=demo_username("李娜"))
    training_class = TrainingClass.objects.get(year_id=timezone.localdate().year, grade=Grade.INTERMEDIATE)
    order = orders.place_order(user=user, class_ids=[training_class.pk], invoice={"invoice_type": "none"})
    orders.transition(order, OrderStatus.PAID, reason="demo data")
    Enrollment.objects.filter(user=user, training_class=training_class).update(status=EnrollmentStatus.LEARNING)
    for category in Category.values:
        post_entry(
            user=user,
            year=training_class.year_id,
            category=category,
            hours=getattr(training_class, f"{category}_hours"),
            source=CreditSource.ONLINE,
            source_id=f"demo:{user.pk}:{category}",
            note="演示数据",
        )


def load_catalog():
    """The current and the previous training year, a 网络班 for every grade in each. Last year's classes
    stay open through this year for catch-up (扫尾培训)."""
    tz = timezone.get_current_timezone()
    this_year = timezone.localdate().year
    courses = [
        (Course.objects.create(title=title, category=category, hours=Decimal(hours)), grades)
        for title, category, hours, grades in COURSES
    ]
    for year in (this_year - 1, this_year):
        training_year = TrainingYear.objects.create(year=year)
        for grade, label in Grade.choices:
            training_class = TrainingClass.objects.create(
                year=training_year,
                grade=grade,
                title=f"{year}年度工勤人员继续教育网络班（{label}）",
                fee=Decimal(FEES[grade]),
                enroll_start=datetime(year, 1, 1, tzinfo=tz),
                enroll_end=datetime(this_year + 1, 1, 1, tzinfo=tz),
                study_deadline=datetime(this_year, 12, 31, 23, 59, tzinfo=tz),
            )
            training_class.courses.set(course for course, grades in courses if grades is None or grade in grades)


FACETOFACE = [
    # city code, title, venue, days from today, capacity
    ("320100", "南京市工勤人员继续教育面授班（第一期）", "南京市玄武区北京东路 41 号 省级机关培训中心 3 楼", 14, 60),
    ("320100", "南京市工勤人员继续教育面授班（第二期）", "南京市鼓楼区中山北路 100 号 市级机关培训中心", 28, 2),
    ("320500", "苏州市工勤人员继续教育面授班", "苏州市姑苏区三香路 998 号 市机关事务培训中心 2 楼", 21, 40),
    ("320300", "徐州市工勤人员继续教育面授班", "徐州市云龙区和平路 50 号 市委党校 1 号楼", 35, 30),
]


def load_facetoface():
    """面授班 of the current year in several cities, each run by its city office (one with 2 seats: 候补)."""
    training_year = TrainingYear.objects.get(year=timezone.localdate().year)
    for city, title, venue, days, capacity in FACETOFACE:
        start = timezone.localdate() + timedelta(days=days)
        FaceToFaceClass.objects.create(
            year=training_year,
            city_id=city,
            title=title,
            venue=venue,
            start_date=start,
            end_date=start + timedelta(days=1),
            capacity=capacity,
            public_hours=training_year.public_hours,
            professional_hours=training_year.professional_hours,
            elective_hours=training_year.elective_hours,
            contact="025-83270000" if city == "320100" else "",
        )


def demo_id(first17: str) -> str:
    return first17 + check_char(first17)


LEARNERS = [
    # name, first 17 digits of the ID number, mobile (None: imported from a roster, no mobile yet), unit
    ("张伟", "32010219900101123", "13800138000", "南京市玄武区机关事务管理局", Grade.SENIOR),
    ("李娜", "32050219850315234", "13912345678", "苏州市姑苏区城市管理局", Grade.INTERMEDIATE),
    ("买买提·艾力", "32010619680720345", "15850001234", "南京市鼓楼区人民医院", Grade.TECHNICIAN),
    ("王芳", "32030319720918456", None, "徐州市云龙区教育局", Grade.JUNIOR),
]
STAFF = [
    # username, name, role, city code, is_superuser
    ("province", "省工考办管理员", Role.PROVINCE, None, True),
    ("nanjing", "南京市工考办审核员", Role.CITY, "320100", False),
    ("suzhou", "苏州市工考办审核员", Role.CITY, "320500", False),
    ("finance", "财务人员", Role.FINANCE, None, False),
    ("content", "课程管理员", Role.CONTENT, None, False),
    ("sysadmin", "系统管理员", Role.SYSTEM, None, False),
    ("secadmin", "安全管理员", Role.SECURITY, None, False),
    ("auditor", "审计管理员", Role.AUDITOR, None, False),
]
NOTICES = [
    (
        "关于开展2026年度工勤人员继续教育网络培训的通知",
        "各设区市工考办、省直各单位：\n2026年度工勤人员继续教育网络培训现已开始，请学员登录平台完成报名缴费、选课学习和在线考试。\n"
        "学习截止时间为2026年12月31日，请合理安排学习时间。",
        True,
    ),
    ("平台操作手册（学员版）V1.3 发布", "学员操作手册已更新，新增完善手机信息功能，选修课纳入考核。", False),
    ("关于视同申报材料报送的提醒", "提交视同申报后，请携带有关材料尽快前往所属地市工考办进行审批。", False),
]


def load_accounts_and_notices():
    """The demo learners (王芳 as if imported from a roster: no mobile), the staff of every role, the notices."""
    now = timezone.now()
    for name, first17, mobile, unit, grade in LEARNERS:
        id_number = demo_id(first17)
        user = User(
            username=id_number_index(id_number),
            name=name,
            id_number=id_number,
            gender=gender_of(id_number),
            work_unit=unit,
            grade=grade,
            city=City.objects.get(code=id_number[:4] + "00"),
            password_changed_at=now,
        )
        if mobile:
            user.set_mobile(mobile)
        user.set_password(PASSWORD)
        user.save()
    for username, name, role, city, superuser in STAFF:
        user = User(
            username=username,
            name=name,
            role=role,
            city_id=city,
            is_staff=True,
            is_superuser=superuser,
            password_changed_at=now,
        )
        user.set_password(PASSWORD)
        user.save()
    grant_demo_permissions()
    for title, body, pinned in NOTICES:
        Notice.objects.create(title=title, body=body, is_pinned=pinned)
