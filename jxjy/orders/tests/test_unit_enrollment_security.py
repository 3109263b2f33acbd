"""单位统一报名缴费 as an attacker would use it: an oracle on ID numbers (does an account exist, does the name match,
what did the learner enroll in) and a way to block a colleague's year by listing them. Both were reproduced against
the old code (these tests failed there) before the page was changed."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_learner
from jxjy.accounts.models import User
from jxjy.catalog.models import YearClaim
from jxjy.lib.idcard import check_char
from jxjy.orders.models import Order, OrderLine, UnitInvitation
from jxjy.orders.tests.helpers import place

from .invoice_helpers import TAX_ID

pytestmark = pytest.mark.django_db

INVOICE = {"invoice_type": "unit", "unit_name": "南京市某某科技有限公司", "tax_id": TAX_ID, "delivery": "email",
           "email": "cw@example.cn"}  # fmt: skip
CAPTCHA = {"captcha_0": "x", "captcha_1": "PASSED"}
GENERIC = "身份证号与姓名不匹配或该学员不能由单位报名"
# What changes from one response to the next whatever the rows: the CSRF token and the captcha's key and image.
VOLATILE = re.compile(r'(name="csrfmiddlewaretoken" value="|name="captcha_0" value="|/captcha/image/)[^"]*')


def submit(client, roster, year=2026, **extra):
    return client.post(reverse("orders:unit_enrollment"), {"year": year, "roster": roster, **INVOICE, **CAPTCHA,
                                                             **extra})  # fmt: skip


def stable(response):
    return VOLATILE.sub(r"\1…", response.content.decode())


@pytest.fixture
def contact(client, alice):
    client.force_login(alice)
    return client


def test_req_4_rows_read_the_same_whether_no_account_wrong_name_or_already_enrolled(contact, catalog):
    """One row, the same typed ID number and name each time; only what the platform holds about that number changes.
    The contact must get the very same page (status and bytes) in every case."""
    first17 = "32010519800101001"
    roster = f"{first17}{check_char(first17)} 陈刚"

    no_account = submit(contact, roster)

    worker = make_learner("陈强", first17, "13900000001")  # an account, another name
    User.objects.filter(pk=worker.pk).update(grade="L4")
    wrong_name = submit(contact, roster)

    User.objects.filter(pk=worker.pk).update(name="陈刚")  # the right name, enrolled by themselves already
    own = Client()
    own.force_login(User.objects.get(pk=worker.pk))
    place(own, catalog[(2026, "L4")])
    enrolled = submit(contact, roster)

    User.objects.filter(pk=worker.pk).update(grade="L3")  # the right name, another grade (and enrolled)
    other_grade = submit(contact, roster)

    responses = [no_account, wrong_name, enrolled, other_grade]
    assert {r.status_code for r in responses} == {400}
    pages = [stable(r) for r in responses]
    assert f"第 1 行：{GENERIC}" in pages[0]
    assert pages[0] == pages[1] == pages[2] == pages[3]
    for leak in ("没有学员账号", "姓名与该身份证号码", "已报名", "技术等级", worker.name + "</"):
        assert leak not in pages[0].split("<form")[0].split("检查结果")[-1], leak
    assert Order.objects.filter(user__name="张伟").count() == 0


def test_listing_a_colleague_holds_nothing_of_theirs(contact, alice, catalog):
    """Listing a victim must not take their year: they can still order their own class straight after, however
    often the list is sent."""
    victim = make_learner("陈刚", "32010519800101001", "13900000001")
    User.objects.filter(pk=victim.pk).update(grade="L4")
    for _ in range(3):
        submit(contact, f"{victim.id_number} 陈刚")
        assert not YearClaim.objects.filter(user=victim).exists()
        assert not OrderLine.objects.filter(learner=victim).exists()
    own = Client()
    own.force_login(User.objects.get(pk=victim.pk))
    order = place(own, catalog[(2026, "L4")])
    assert order.user_id == victim.pk
    assert YearClaim.objects.get(user=victim).source_id == order.lines.get().pk


def test_listing_holds_nothing_and_confirmation_takes_the_year(contact, catalog):
    worker = make_learner("陈刚", "32010519800101001", "13900000001")
    User.objects.filter(pk=worker.pk).update(grade="L4")
    assert submit(contact, f"{worker.id_number} 陈刚").status_code == 302
    assert not YearClaim.objects.exists()
    invitation = UnitInvitation.objects.get(learner=worker)
    own = Client()
    own.force_login(worker)
    own.post(reverse("orders:invitation_confirm", args=[invitation.pk]))
    claim = YearClaim.objects.get(user=worker, year_id=2026)
    invitation.refresh_from_db()
    assert invitation.status == "confirmed" and claim.source_id == invitation.line_id


# --- Limits: captcha (test_unit_enrollment.py), lists per contact and per address, refused rows per day --------------


def test_too_many_lists_from_one_contact_get_a_plain_429(contact, catalog, settings):
    settings.UNIT_ENROLL_POSTS_PER_USER_HOUR = 3
    for _ in range(3):
        assert submit(contact, "320105198001010010 某人").status_code == 400  # a malformed row: not counted as refused
    response = submit(contact, "320105198001010010 某人")
    assert response.status_code == 429
    page = response.content.decode()
    assert "操作太频繁" in page and "1 小时后再试" in page
    assert contact.get(reverse("orders:unit_enrollment")).status_code == 200  # reading the page is not limited


def test_too_many_lists_from_one_address_get_429(catalog, settings):
    settings.UNIT_ENROLL_POSTS_PER_IP_HOUR = 3
    people = [make_learner(f"联系人{i}", f"3201051970010100{i}", f"1370000000{i}") for i in range(4)]
    codes = []
    for person in people:
        client = Client(REMOTE_ADDR="10.9.8.7")
        client.force_login(person)
        codes.append(submit(client, "320105198001010010 某人").status_code)
    assert codes == [400, 400, 400, 429]
    elsewhere = Client(REMOTE_ADDR="10.9.8.8")
    elsewhere.force_login(people[-1])
    assert submit(elsewhere, "320105198001010010 某人").status_code == 400


def test_too_many_refused_rows_in_a_day_get_429(contact, catalog, settings):
    settings.UNIT_ENROLL_REFUSED_ROWS_PER_USER_DAY = 5
    probes = "\n".join(f"{first17}{check_char(first17)} 某人" for first17 in
                       (f"320105198001010{i}" for i in range(10, 15)))  # fmt: skip
    assert submit(contact, probes).status_code == 400  # five rows refused with the generic reason
    worker = make_learner("陈刚", "32010519800101001", "13900000001")
    User.objects.filter(pk=worker.pk).update(grade="L4")
    response = submit(contact, f"{worker.id_number} 陈刚")  # even a good list waits until tomorrow
    assert response.status_code == 429 and not UnitInvitation.objects.exists()
