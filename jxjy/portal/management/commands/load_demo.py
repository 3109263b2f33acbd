"""Demo data for `make run`: loaded once, then only the account list is printed again."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from jxjy.accounts.models import City, Grade, Role, User, id_number_index
from jxjy.lib.idcard import check_char, gender_of
from jxjy.portal.models import Notice

PASSWORD = "Demo1234"


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


class Command(BaseCommand):
    help = "Load the demo data once (accounts, notices) and print the demo accounts."

    def handle(self, *args, **options):
        if User.objects.filter(username="province").exists():
            self.stdout.write("演示数据已存在，未重复导入。")
        else:
            with transaction.atomic():
                self.load()
            self.stdout.write(self.style.SUCCESS("演示数据已导入。"))
        self.print_accounts()

    def load(self):
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
        for title, body, pinned in NOTICES:
            Notice.objects.create(title=title, body=body, is_pinned=pinned)

    def print_accounts(self):
        self.stdout.write(f"\n演示账号（密码均为 {PASSWORD}；图形验证码输入 PASSED；短信见 /dev/outbox/）：")
        self.stdout.write("  学员（在首页用身份证号登录）：")
        for name, first17, mobile, _, _ in LEARNERS:
            note = "" if mobile else "（未绑定手机，登录后需完善手机信息）"
            self.stdout.write(f"    {name:<8} 身份证号 {demo_id(first17)}  手机 {mobile or '-'}{note}")
        self.stdout.write("  工作人员（在 /admin/ 用用户名登录）：")
        for username, name, *_ in STAFF:
            self.stdout.write(f"    {username:<10} {name}")
