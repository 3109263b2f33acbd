"""The learning tests' shared fixture: a learner with a paid class and one short courseware."""

from decimal import Decimal

import pytest

from jxjy.catalog.models import Category, Chapter, Course, Courseware
from jxjy.learning.models import Enrollment
from jxjy.learning.services import class_courses
from jxjy.orders import services as orders
from jxjy.orders.models import OrderStatus

DURATION = 300.0


@pytest.fixture
def setup(alice, catalog):
    """alice, enrolled in the 2026 中级工 class, with a 4-学时 public course of one 300 s courseware."""
    training_class = catalog[(2026, "L4")]
    course = Course.objects.create(title="公共机构节能管理", category=Category.PUBLIC, hours=Decimal("4"))
    training_class.courses.add(course)
    chapter = Chapter.objects.create(course=course, title="第一章 节能基础")
    courseware = Courseware.objects.create(
        chapter=chapter, title="1.1 概述", video="coursewares/x.mp4", duration=DURATION
    )
    order = orders.place_order(user=alice, class_ids=[training_class.pk], invoice={"invoice_type": "none"})
    orders.transition(order, OrderStatus.PAID)
    enrollment = Enrollment.objects.get(user=alice)
    class_courses(enrollment)  # assigns the public course
    return {"enrollment": enrollment, "courseware": courseware, "course": course, "user": alice}


@pytest.fixture
def second(setup, bob):
    """bob, in the same class as alice, with the same public course."""
    training_class = setup["enrollment"].training_class
    order = orders.place_order(user=bob, class_ids=[training_class.pk], invoice={"invoice_type": "none"})
    orders.transition(order, OrderStatus.PAID)
    enrollment = Enrollment.objects.get(user=bob)
    class_courses(enrollment)
    return {**setup, "enrollment": enrollment, "user": bob}
