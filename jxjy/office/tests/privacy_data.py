"""A learner with something in every app that holds personal data (used by the closure tests and the browser flow):
an address, an avatar, a paid 2025 order with an issued invoice and mailing details, its payment, the class with
progress, a passed exam, practice and a 错题本 entry, the hours ledger and a certificate for 2025, a 视同申报 with an
attachment, a seat in a 面授班 of this year that has not started (with someone waiting for it), a 预报名清单 entry."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from jxjy.accounts.models import Address, Message, User
from jxjy.catalog.models import Chapter, Courseware, Question, TrainingYear
from jxjy.certificates.services import issue_certificate
from jxjy.certificates.tests.helpers import give_hours, sit_exam
from jxjy.declarations.models import Attachment, Declaration
from jxjy.exams.models import Practice, WrongQuestion
from jxjy.facetoface import services as facetoface
from jxjy.facetoface.tests.helpers import make_class
from jxjy.learning.models import CoursewareProgress, Enrollment
from jxjy.orders import services as orders
from jxjy.orders.models import InvoiceRequest, InvoiceStatus, OrderStatus, PreEnrollment
from jxjy.payments.models import Payment, PaymentStatus

ADDRESS_MOBILE = "13900001234"
INVOICE_MOBILE = "13900005678"
ATTACHMENT_NAME = "张伟结业证书.pdf"


@dataclass
class History:
    order: object
    enrollment: object
    certificate: object
    declaration: object
    attachment_file: str
    avatar: str
    booking: object
    waiting: object


def full_history(learner, catalog, *, waiting_learner) -> History:
    User.objects.filter(pk=learner.pk).update(grade="L4", work_unit="南京市玄武区机关事务管理局")
    learner.refresh_from_db()
    Address.objects.create(user=learner, recipient="张伟", mobile=ADDRESS_MOBILE, region="江苏省 南京市",
                           detail="北京东路41号", is_default=True)  # fmt: skip
    avatar = default_storage.save("avatars/history.jpg", ContentFile(b"\xff\xd8avatar"))
    User.objects.filter(pk=learner.pk).update(avatar=avatar)

    invoice = {"invoice_type": "personal", "invoice_title": "张伟", "invoice_delivery": "post",
               "invoice_recipient": "张伟", "invoice_mobile": INVOICE_MOBILE,
               "invoice_address": "江苏省南京市玄武区北京东路41号"}  # fmt: skip
    training_class = catalog[(2025, "L4")]
    order = orders.place_order(user=learner, class_ids=[training_class.pk], invoice=invoice)
    orders.transition(order, OrderStatus.PAID)
    Payment.objects.create(order=order, provider="mockbank", amount=order.amount, status=PaymentStatus.SUCCEEDED,
                           gateway_trade_no="MB2025000001", paid_at=timezone.now())  # fmt: skip
    InvoiceRequest.objects.create(order=order, status=InvoiceStatus.ISSUED, requested_by=learner,
                                  invoice_number="04400012", issued_at=timezone.now())  # fmt: skip
    enrollment = Enrollment.objects.get(user=learner, training_class=training_class)
    PreEnrollment.objects.create(user=learner, training_class=catalog[(2026, "L4")])
    Message.send([Message(learner=learner, title="学习提醒", body="张伟您好，您的学习进度还不到一半。")])

    course = training_class.courses.first()
    chapter = Chapter.objects.create(course=course, title="第一章")
    courseware = Courseware.objects.create(
        chapter=chapter, title="安全生产概述", video="coursewares/x.mp4", duration=600
    )
    CoursewareProgress.objects.create(enrollment=enrollment, courseware=courseware, intervals=[[0, 600]], watched=600,
                                      credited=600, position=600, finished_at=timezone.now())  # fmt: skip
    question = Question.objects.create(
        course=course, text="发现火灾应当首先做什么？", options=["报警", "离开"], answer="A"
    )
    Practice.objects.create(enrollment=enrollment, user=learner, questions=[question.pk], answers={}, correct=0,
                            submitted_at=timezone.now())  # fmt: skip
    WrongQuestion.objects.create(user=learner, question=question, source="practice")
    give_hours(learner, year=2025, public=16, professional=24, elective=8)
    sit_exam(enrollment, 85)
    certificate = issue_certificate(user=learner, year=2025)

    this_year = TrainingYear.objects.get_or_create(year=timezone.localdate().year)[0]
    ended = timezone.localdate() - timedelta(days=30)
    declaration = Declaration.objects.create(user=learner, year=this_year, kind="research", category="professional",
                                             title="公共机构节能管理研修班", organiser="江苏省机关事务管理局",
                                             start_date=ended, end_date=ended, hours_claimed=Decimal("8"))  # fmt: skip
    attachment = Attachment(declaration=declaration, original_name=ATTACHMENT_NAME, content_type="application/pdf",
                            size=9)  # fmt: skip
    attachment.file.save("x.pdf", ContentFile(b"%PDF-1.4\n"), save=True)

    face_class = make_class("320100", capacity=1, start_in=20)
    booking = facetoface.book(user=learner, face_class=face_class)
    waiting = facetoface.book(user=waiting_learner, face_class=face_class, wait=True)
    return History(order=order, enrollment=enrollment, certificate=certificate, declaration=declaration,
                   attachment_file=attachment.file.name, avatar=avatar, booking=booking, waiting=waiting)  # fmt: skip
