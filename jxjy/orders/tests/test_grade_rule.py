"""A learner orders only the classes of their own 技术等级 (User.grade, which only the city office changes once set):
the service that places the order refuses another grade's class, every page on the way says so plainly, and a
learner with no grade yet is sent to 账号设置 first."""

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_learner
from jxjy.accounts.models import User
from jxjy.catalog.models import YearClaim
from jxjy.lib.errors import UserError
from jxjy.orders import services
from jxjy.orders.models import Order, PreEnrollment

from .helpers import checkout

pytestmark = pytest.mark.django_db
NONE = {"invoice_type": "none"}


@pytest.fixture
def senior(db):
    """A 高级工 learner."""
    user = make_learner("周洁", "32010519850505005", "13900000005")
    User.objects.filter(pk=user.pk).update(grade="L3")
    return User.objects.get(pk=user.pk)


@pytest.fixture
def ungraded(db):
    """A learner whose account has no 技术等级 yet."""
    return make_learner("吴磊", "32010519860606006", "13900000006", grade="")


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_service_refuses_another_grades_class(senior, catalog):
    with pytest.raises(UserError) as refused:
        services.place_order(user=senior, class_ids=[catalog[(2026, "L4")].pk], invoice=NONE)
    assert "是中级工的班级，您的技术等级是高级工" in refused.value.message
    assert not Order.objects.exists() and not YearClaim.objects.exists()
    order = services.place_order(user=senior, class_ids=[catalog[(2026, "L3")].pk], invoice=NONE)
    assert order.lines.get().training_class == catalog[(2026, "L3")]


def test_the_service_reads_the_grade_from_the_database_not_the_callers_object(senior, catalog):
    stale = User.objects.get(pk=senior.pk)
    stale.grade = "L4"  # changed in memory only: the account still says 高级工
    with pytest.raises(UserError):
        services.place_order(user=stale, class_ids=[catalog[(2026, "L4")].pk], invoice=NONE)
    assert not Order.objects.exists()


def test_the_service_refuses_a_learner_without_a_grade(ungraded, catalog):
    with pytest.raises(services.GradeMissing):
        services.place_order(user=ungraded, class_ids=[catalog[(2026, "L4")].pk], invoice=NONE)
    assert not Order.objects.exists() and not YearClaim.objects.exists()


def test_checkout_of_another_grades_class_is_refused_over_http(senior, catalog):
    client = signed_in(senior)
    response = checkout(client, catalog[(2026, "L4")])
    assert response.status_code == 400
    assert "只能报名本人技术等级的班级" in response.content.decode()
    assert not Order.objects.exists()
    response = client.post(reverse("orders:enroll", args=[catalog[(2026, "L4")].pk]), follow=True)
    assert "只能报名本人技术等级的班级" in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("orders:classes")
    client.post(reverse("orders:pre_enrollment_add", args=[catalog[(2026, "L4")].pk]))
    assert not PreEnrollment.objects.exists()


def test_another_grades_class_in_the_list_cannot_be_settled(senior, catalog):
    PreEnrollment.objects.create(user=senior, training_class=catalog[(2026, "L4")])  # listed before the rule
    client = signed_in(senior)
    response = client.post(reverse("orders:pre_enrollment"), {"classes": [catalog[(2026, "L4")].pk]}, follow=True)
    assert "只能报名本人技术等级的班级" in response.content.decode()
    assert checkout(client, catalog[(2026, "L4")]).status_code == 400
    assert not Order.objects.exists()


def test_a_learner_without_a_grade_is_sent_to_account_settings(ungraded, catalog):
    client = signed_in(ungraded)
    training_class = catalog[(2026, "L4")]
    for response in (
        client.post(reverse("orders:enroll", args=[training_class.pk])),
        client.post(reverse("orders:pre_enrollment_add", args=[training_class.pk])),
        client.get(reverse("orders:checkout"), {"classes": training_class.pk}),
        checkout(client, training_class),
    ):
        assert response.status_code == 302 and response.url == reverse("accounts:settings_profile")
    page = client.get(reverse("accounts:settings_profile")).content.decode()
    assert "请先在“账号设置”中填写您的技术等级" in page
    html = client.get(reverse("orders:classes")).content.decode()
    assert "您的账号还没有填写技术等级" in html and ">立即报名</button>" not in html
    assert not Order.objects.exists() and not PreEnrollment.objects.exists()


def test_the_class_list_shows_the_learners_grade_first_and_others_without_buttons(senior, catalog):
    client = signed_in(senior)
    html = client.get(reverse("orders:classes"), {"year": 2026}).content.decode()
    assert catalog[(2026, "L3")].title in html and catalog[(2026, "L4")].title not in html
    assert html.count(">立即报名</button>") == 1
    html = client.get(reverse("orders:classes"), {"year": 2026, "grade": ""}).content.decode()
    assert catalog[(2026, "L4")].title in html and "非本人技术等级" in html
    assert html.count(">立即报名</button>") == 1  # only on the 高级工 class
