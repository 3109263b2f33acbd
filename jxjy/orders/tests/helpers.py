from django.urls import reverse

from jxjy.accounts.models import User
from jxjy.catalog.models import TrainingClass
from jxjy.orders.models import Order

NO_INVOICE = {"invoice_type": "none", "delivery": "email"}
UNIT_INVOICE = {
    "invoice_type": "unit",
    "unit_name": "南京市玄武区机关事务管理局",
    "tax_id": "11100000000013127D",
    "delivery": "email",
    "email": "zw@example.cn",
}


def checkout(client, *classes, **invoice):
    data = {"classes": ",".join(str(c.pk) for c in classes), **(invoice or NO_INVOICE)}
    return client.post(reverse("orders:checkout"), data)


def place(client, *classes, **invoice) -> Order:
    """提交订单 through the page as the signed-in learner, for test setup: a learner with no 技术等级 yet is given the
    classes' grade first (a learner orders only their own grade's classes); one with a grade keeps it."""
    if classes:
        User.objects.filter(pk=client.session.get("_auth_user_id"), grade="").update(grade=classes[0].grade)
    response = checkout(client, *classes, **invoice)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Order.objects.get(number=response.url.split("/")[-3])


def another_class(training_class, title="（第二期）"):
    """A second class of the same year and grade (a learner orders only their own grade's classes)."""
    courses = list(training_class.courses.all())
    clone = TrainingClass.objects.get(pk=training_class.pk)
    clone.pk = None
    clone.title = training_class.title + title
    clone.save()
    clone.courses.set(courses)
    return clone
