"""您的技术等级 at the first visit to 网络班报名 (issue 15 item 8): a learner with none is asked it (one card per
grade), confirms the one picked, and it is saved and audited; the list then shows their grade's classes with
「与您的技术等级相符」, and 查看全部等级 shows the others, which they still cannot order (issue 12's rule)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_learner
from jxjy.accounts.models import User
from jxjy.audit.models import AuditRecord, Event
from jxjy.orders.models import Order, PreEnrollment

pytestmark = pytest.mark.django_db
CLASSES = reverse("orders:classes")
GRADES = ["PT", "L5", "L4", "L3", "L2", "L1"]


@pytest.fixture
def ungraded(db):
    return make_learner("吴磊", "32010519860606006", "13900000006", grade="")


def signed_in(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def post(client, url, data):
    """A POST with the CSRF token of the page the form came from, as a browser sends it."""
    page = client.get(url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    return client.post(url, {**data, "csrfmiddlewaretoken": token})


def radio_values(html):
    return re.findall(r'<input type="radio" name="grade" value="(\w+)"', html)


def test_the_first_visit_asks_the_grade_with_one_card_each(ungraded, catalog):
    html = signed_in(ungraded).get(CLASSES).content.decode()
    assert "您的技术等级" in html and "您的账号还没有填写技术等级" in html
    assert radio_values(html) == GRADES
    assert html.count('class="grade-card"') == len(GRADES)
    assert catalog[(2026, "L4")].title not in html and ">立即报名</button>" not in html


def test_picking_a_grade_asks_for_confirmation_before_saving(ungraded, catalog):
    client = signed_in(ungraded)
    response = post(client, CLASSES, {"grade": "L3"})
    html = response.content.decode()
    assert response.status_code == 200 and "请确认您的技术等级" in html
    assert "确定，我是高级工" in html and 'name="confirm" value="yes"' in html
    assert "保存后如需更改，要到所在市工考办办理" in html
    assert 'href="/classes/?pick=L3"' in html  # 重新选择 comes back with the card still chosen
    ungraded.refresh_from_db()
    assert ungraded.grade == ""
    assert 'value="L3" id="grade-L3" checked' in client.get(CLASSES, {"pick": "L3"}).content.decode()


def test_the_confirmed_grade_is_saved_audited_and_filters_the_list(ungraded, catalog):
    client = signed_in(ungraded)
    response = post(client, CLASSES, {"grade": "L3", "confirm": "yes"})
    assert response.status_code == 302 and response.url == CLASSES
    ungraded.refresh_from_db()
    assert ungraded.grade == "L3"
    audit = AuditRecord.objects.get(event=Event.PROFILE_CHANGE, object_id=str(ungraded.pk))
    assert audit.actor_id == ungraded.pk and audit.detail["fields"] == ["grade"]
    page = client.get(CLASSES, {"year": 2026})
    html = page.content.decode()
    assert "已保存您的技术等级：高级工" in html
    assert catalog[(2026, "L3")].title in html and catalog[(2026, "L4")].title not in html
    assert html.count("与您的技术等级相符") == 1 and html.count(">立即报名</button>") == 1
    assert "查看全部等级" in html and 'href="?year=2026&amp;grade="' in html


def test_an_empty_or_unknown_answer_asks_again(ungraded, catalog):
    client = signed_in(ungraded)
    for data in ({}, {"grade": "XX", "confirm": "yes"}):
        response = post(client, CLASSES, data)
        html = response.content.decode()
        assert response.status_code == 200 and "请选择您的技术等级。" in html
        assert radio_values(html) == GRADES
    ungraded.refresh_from_db()
    assert ungraded.grade == "" and not AuditRecord.objects.filter(event=Event.PROFILE_CHANGE).exists()


def test_a_grade_once_set_is_not_changed_by_answering_again(ungraded, catalog):
    from jxjy.lib.errors import UserError
    from jxjy.orders import services

    services.set_own_grade(user=ungraded, grade="L4")
    with pytest.raises(UserError, match="到所在市工考办办理"):
        services.set_own_grade(user=ungraded, grade="L3")
    client = signed_in(User.objects.get(pk=ungraded.pk))
    post(client, CLASSES, {"grade": "L3", "confirm": "yes"})  # a stale page posted again: the list, unchanged
    ungraded.refresh_from_db()
    assert ungraded.grade == "L4"
    assert AuditRecord.objects.filter(event=Event.PROFILE_CHANGE).count() == 1


def test_the_grade_question_needs_the_csrf_token(ungraded, catalog):
    client = signed_in(ungraded)
    assert client.post(CLASSES, {"grade": "L3", "confirm": "yes"}).status_code == 403
    ungraded.refresh_from_db()
    assert ungraded.grade == ""


def test_all_grades_shows_the_others_with_the_reason_and_no_button(alice, catalog):
    client = signed_in(alice)  # a 中级工
    html = client.get(CLASSES, {"year": 2026, "grade": ""}).content.decode()
    assert catalog[(2026, "L3")].title in html and catalog[(2026, "L4")].title in html
    assert "只看中级工的班级" in html
    assert "这是高级工的班级。您的技术等级是中级工，只能报名中级工的班级。" in html
    assert html.count("与您的技术等级相符") == 1 and html.count(">立即报名</button>") == 1
    # Ordering another grade's class stays refused on the server, whatever the page showed.
    client.post(reverse("orders:pre_enrollment_add", args=[catalog[(2026, "L3")].pk]))
    client = Client()
    client.force_login(alice)
    response = client.post(reverse("orders:checkout"), {"classes": catalog[(2026, "L3")].pk, "invoice_type": "none"})
    assert response.status_code == 400
    assert not Order.objects.exists() and not PreEnrollment.objects.exists()


def test_the_class_list_with_a_grade_takes_bounded_queries(alice, catalog, django_assert_max_num_queries):
    client = signed_in(alice)
    with django_assert_max_num_queries(10):
        assert client.get(CLASSES, {"grade": ""}).status_code == 200
