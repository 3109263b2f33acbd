"""`manage.py load_demo` (`make run`): the demo data loaded once, then only the account list is printed again."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from jxjy.accounts.models import User
from jxjy.catalog.models import Courseware, TrainingYear
from jxjy.demo.loaders import (
    LEARNERS,
    PASSWORD,
    STAFF,
    demo_id,
    demo_username,
    grant_demo_permissions,
    load_accounts_and_notices,
    load_catalog,
    load_coursewares,
    load_demo_completed_class,
    load_demo_enrollment,
    load_facetoface,
)
from jxjy.facetoface.models import FaceToFaceClass
from jxjy.orders.models import Order


class Command(BaseCommand):
    help = "Load the demo data once (accounts, notices) and print the demo accounts."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            # Demo accounts share one public password: they must never exist in production.
            raise CommandError("演示数据只能在开发环境（DEBUG=1）中载入，生产环境不能使用。")
        # Each part loads once; a database from an earlier version gets only the parts it lacks.
        parts = [
            ("账号与公告", lambda: User.objects.filter(username="province").exists(), load_accounts_and_notices),
            ("课程与网络班", lambda: TrainingYear.objects.exists(), load_catalog),
            ("课件视频与题库", lambda: Courseware.objects.exists(), load_coursewares),
            (
                "张伟的已缴费班级",
                lambda: Order.objects.filter(user__username=demo_username("张伟")).exists(),
                load_demo_enrollment,
            ),
            (
                "李娜的已学完班级",
                lambda: Order.objects.filter(user__username=demo_username("李娜")).exists(),
                load_demo_completed_class,
            ),
            ("面授班", lambda: FaceToFaceClass.objects.exists(), load_facetoface),
            (
                "工作人员权限",
                lambda: User.objects.filter(username="finance", user_permissions__isnull=False).exists(),
                grant_demo_permissions,
            ),
        ]
        for label, present, load in parts:
            if present():
                self.stdout.write(f"演示数据（{label}）已存在，未重复导入。")
                continue
            with transaction.atomic():
                load()
            self.stdout.write(self.style.SUCCESS(f"演示数据（{label}）已导入。"))
        self.print_accounts()

    def print_accounts(self):
        self.stdout.write(f"\n演示账号（密码均为 {PASSWORD}；图形验证码输入 PASSED；短信见 /dev/outbox/）：")
        self.stdout.write("  学员（在首页用身份证号登录）：")
        notes = {"张伟": "（已缴费，可直接学习）", "李娜": "（学时已满，可参加考试）"}
        for name, first17, mobile, _, _ in LEARNERS:
            note = notes.get(name, "") if mobile else "（未绑定手机，登录后需完善手机信息）"
            self.stdout.write(f"    {name:<8} 身份证号 {demo_id(first17)}  手机 {mobile or '-'}{note}")
        self.stdout.write("  工作人员（在 /office/login/ 用用户名登录，首次登录需用手机验证器绑定动态码）：")
        for username, name, *_ in STAFF:
            self.stdout.write(f"    {username:<10} {name}")
