"""学员管理: scope, search by each field, masked values, no personal numbers in URLs, audit, reset, unlock."""

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from conftest import make_learner, staff_client
from jxjy.accounts.models import User
from jxjy.accounts.tests.helpers import login
from jxjy.audit.models import AuditRecord, Event

pytestmark = pytest.mark.django_db
SEARCH = reverse("office:learners_search")


def search(client, **criteria):
    """POST the search, follow to the results; returns (final response, redirect location)."""
    response = client.post(SEARCH, criteria)
    assert response.status_code == 302, response.content.decode()[:500]
    return client.get(response.url), response.url


def names(response):
    return [learner.name for learner in response.context["page"].object_list]


def test_req_15_city_office_search_sees_only_its_city(alice, bob, charlie, nanjing_reviewer, suzhou_reviewer):
    assert names(search(staff_client(nanjing_reviewer))[0]) == ["张伟"]
    assert names(search(staff_client(suzhou_reviewer))[0]) == ["李娜"]
    # Searching another city's learner by exact ID number finds nothing.
    assert names(search(staff_client(suzhou_reviewer), id_number=alice.id_number)[0]) == []


def test_province_sees_all_and_filters_by_city(alice, bob, charlie, province_admin):
    client = staff_client(province_admin)
    assert sorted(names(search(client)[0])) == sorted(["张伟", "李娜", "王芳"])
    assert names(search(client, city="320500")[0]) == ["李娜"]


def test_city_field_is_ignored_for_a_city_office(alice, bob, nanjing_reviewer):
    assert names(search(staff_client(nanjing_reviewer), city="320500")[0]) == ["张伟"]


def test_search_by_each_field(alice, bob, province_admin):
    User.objects.filter(pk=alice.pk).update(work_unit="南京市机关事务管理局车队")
    client = staff_client(province_admin)
    assert names(search(client, name="张")[0]) == ["张伟"]
    assert names(search(client, id_number=alice.id_number)[0]) == ["张伟"]
    assert names(search(client, id_number=alice.id_number.lower())[0]) == ["张伟"]  # normalised like login
    assert names(search(client, mobile=bob.mobile)[0]) == ["李娜"]
    assert names(search(client, work_unit="事务管理局")[0]) == ["张伟"]
    assert names(search(client, name="张", mobile=bob.mobile)[0]) == []  # every criterion applies


def test_invalid_id_number_is_refused_in_chinese(province_admin):
    response = staff_client(province_admin).post(SEARCH, {"id_number": "320102199001011235"})
    assert response.status_code == 200
    assert "校验位" in response.content.decode()


def test_no_personal_number_in_urls_and_masked_results(alice, nanjing_reviewer):
    client = staff_client(nanjing_reviewer)
    results, location = search(client, id_number=alice.id_number)
    assert alice.id_number not in location and alice.id_number[-4:] not in location
    html = results.content.decode()
    assert alice.id_number not in html and alice.mobile not in html
    assert alice.id_number_masked in html and alice.mobile_masked in html
    assert "no-store" in results["Cache-Control"]
    detail = client.get(reverse("office:learners_detail", args=[alice.pk]))
    html = detail.content.decode()
    assert alice.id_number not in html and alice.mobile not in html
    assert alice.id_number_masked in html
    assert "no-store" in detail["Cache-Control"]


def test_search_id_is_bound_to_the_session(alice, nanjing_reviewer):
    _, location = search(staff_client(nanjing_reviewer), id_number=alice.id_number)
    other = staff_client(nanjing_reviewer).get(location)  # another session: the id means nothing
    assert other.context["page"] is None


def test_pagination_keeps_the_search(nanjing_reviewer):
    for i in range(25):
        make_learner("赵敏", f"320102199001{i + 10:02d}123", city="320100")
    client = staff_client(nanjing_reviewer)
    first, location = search(client, name="赵敏")
    assert first.context["page"].paginator.count == 25 and len(names(first)) == 20
    second = client.get(location + "&page=2")
    assert len(names(second)) == 5


def test_search_query_count_is_bounded(nanjing_reviewer, django_assert_max_num_queries):
    for i in range(30):
        make_learner("钱多", f"320102199002{i + 10:02d}123", f"1380000{i:04d}", city="320100")
    client = staff_client(nanjing_reviewer)
    location = client.post(SEARCH, {"name": "钱"}).url
    with django_assert_max_num_queries(8):
        assert client.get(location).status_code == 200


def test_detail_is_404_across_cities_and_audited(alice, bob, suzhou_reviewer, province_admin):
    url = reverse("office:learners_detail", args=[alice.pk])
    assert staff_client(suzhou_reviewer).get(url).status_code == 404
    assert AuditRecord.objects.filter(event=Event.ACCESS_DENIED, actor=suzhou_reviewer).exists()
    assert not AuditRecord.objects.filter(event=Event.LEARNER_VIEW).exists()
    assert staff_client(suzhou_reviewer).post(reverse("office:learners_unlock", args=[alice.pk])).status_code == 404
    assert (
        staff_client(suzhou_reviewer).post(reverse("office:learners_reset_password", args=[alice.pk])).status_code
        == 404
    )
    assert staff_client(province_admin).get(url).status_code == 200


def test_staff_accounts_are_not_learners(nanjing_reviewer, province_admin):
    url = reverse("office:learners_detail", args=[nanjing_reviewer.pk])
    assert staff_client(province_admin).get(url).status_code == 404


def test_viewing_a_learner_is_audited(alice, nanjing_reviewer):
    staff_client(nanjing_reviewer).get(reverse("office:learners_detail", args=[alice.pk]))
    audit = AuditRecord.objects.get(event=Event.LEARNER_VIEW)
    assert audit.actor == nanjing_reviewer and audit.object_id == str(alice.pk) and audit.actor_city == "320100"


def test_search_is_audited_without_the_numbers(alice, nanjing_reviewer):
    search(staff_client(nanjing_reviewer), id_number=alice.id_number)
    audit = AuditRecord.objects.get(event=Event.LEARNER_SEARCH)
    assert audit.detail == {"fields": ["id_index"]}
    assert alice.id_number not in str(audit.detail)


@pytest.mark.parametrize("persona", ["finance_user", "content_editor"])
def test_other_roles_are_refused(request, persona, alice):
    client = staff_client(request.getfixturevalue(persona))
    for url in (SEARCH, reverse("office:learners_detail", args=[alice.pk]), reverse("office:learners_import"),
                reverse("office:learners_import_template")):  # fmt: skip
        assert client.get(url).status_code == 403
    assert client.post(SEARCH, {"name": "张"}).status_code == 403
    assert client.post(reverse("office:learners_reset_password", args=[alice.pk])).status_code == 403
    assert client.post(reverse("office:learners_unlock", args=[alice.pk])).status_code == 403


def test_a_learner_is_refused(client, alice, bob):
    client.force_login(alice)
    assert client.get(reverse("office:learners_detail", args=[bob.pk])).status_code == 403


def test_detail_shows_the_learners_file(alice, nanjing_reviewer, catalog, django_assert_max_num_queries):
    from decimal import Decimal

    from jxjy.credits.models import CreditEntry

    CreditEntry.objects.create(user=alice, year=2026, category="public", hours=Decimal("4"), source="online",
                               source_id="t1")  # fmt: skip
    client = staff_client(nanjing_reviewer)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("office:learners_detail", args=[alice.pk]))
    html = response.content.decode()
    assert "学时记录" in html and "2026" in html
    assert response.context["ledger_years"][0].counted == Decimal("4")


def test_detail_counts_a_year_the_way_the_archive_does(alice, nanjing_reviewer, catalog):
    """学员详情's 学时记录 is credits.standing's: approved 视同申报 beyond the cap (half the professional requirement)
    is not counted, as the learner's 继续教育档案 says — the raw ledger would show 16."""
    from decimal import Decimal

    from jxjy.catalog.models import TrainingYear
    from jxjy.credits.models import CreditEntry

    TrainingYear.objects.filter(year=2026).update(
        professional_hours=Decimal("20"), declaration_cap_ratio=Decimal("0.5")
    )
    CreditEntry.objects.create(
        user=alice,
        year=2026,
        category="professional",
        hours=Decimal("16"),
        source="declaration",
        source_id="declaration:1",
    )
    response = staff_client(nanjing_reviewer).get(reverse("office:learners_detail", args=[alice.pk]))
    record = response.context["ledger_years"][0]
    assert record.category("professional").counted == Decimal("10")
    assert "10 / 20" in response.content.decode()
    assert "16 / 20" not in response.content.decode()


# --- 重置密码 ------------------------------------------------------------------------------------------------


def test_reset_password_sends_a_code_to_the_learner_and_staff_sees_none(alice, nanjing_reviewer, outbox, client):
    staff = staff_client(nanjing_reviewer)
    response = staff.post(reverse("office:learners_reset_password", args=[alice.pk]), follow=True)
    assert len(outbox) == 1 and outbox[0].mobile == alice.mobile and outbox[0].template == "code"
    code = outbox[0].params["code"]
    html = response.content.decode()
    assert code not in html and alice.mobile_masked in html
    assert AuditRecord.objects.filter(event=Event.LEARNER_RESET, actor=nanjing_reviewer,
                                      object_id=str(alice.pk)).exists()  # fmt: skip
    assert code not in str(list(AuditRecord.objects.values_list("detail", flat=True)))
    # The learner sets the new password with the code.
    done = client.post(reverse("accounts:password_reset_code"), {
        "name": alice.name, "id_number": alice.id_number, "sms_code": code,
        "new_password1": "Xinmima2026ok", "new_password2": "Xinmima2026ok",
    })  # fmt: skip
    assert done.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("Xinmima2026ok")
    assert AuditRecord.objects.filter(event=Event.PASSWORD_RESET, actor=alice).exists()


def test_reset_code_needs_the_right_name_and_id(alice, bob, nanjing_reviewer, outbox, client):
    staff_client(nanjing_reviewer).post(reverse("office:learners_reset_password", args=[alice.pk]))
    code = outbox[0].params["code"]
    response = client.post(reverse("accounts:password_reset_code"), {
        "name": bob.name, "id_number": bob.id_number, "sms_code": code,
        "new_password1": "Xinmima2026ok", "new_password2": "Xinmima2026ok",
    })  # fmt: skip
    assert response.status_code == 200 and "验证码错误" in response.content.decode()
    alice.refresh_from_db()
    bob.refresh_from_db()
    assert alice.check_password("Demo1234") and bob.check_password("Demo1234")


def test_reset_needs_a_verified_mobile(charlie, province_admin, outbox):
    response = staff_client(province_admin).post(
        reverse("office:learners_reset_password", args=[charlie.pk]), follow=True
    )
    assert "尚未绑定手机号" in response.content.decode()
    assert outbox == []


# --- 解除登录锁定 --------------------------------------------------------------------------------------------


def test_unlock_a_locked_account(client, alice, nanjing_reviewer):
    for _ in range(5):
        login(client, alice.id_number, password="Wrong2026x")
    assert AccessAttempt.objects.filter(username=alice.username).exists()
    assert login(client, alice.id_number).status_code != 302  # locked even with the right password
    staff = staff_client(nanjing_reviewer)
    page = staff.get(reverse("office:learners_detail", args=[alice.pk]))
    assert "已锁定" in page.content.decode()
    staff.post(reverse("office:learners_unlock", args=[alice.pk]))
    assert not AccessAttempt.objects.filter(username=alice.username).exists()
    assert AuditRecord.objects.filter(event=Event.UNLOCK, actor=nanjing_reviewer, object_id=str(alice.pk)).exists()
    response = login(client, alice.id_number)
    assert response.status_code == 302


def test_unlock_and_reset_are_post_only(alice, nanjing_reviewer):
    client = staff_client(nanjing_reviewer)
    assert client.get(reverse("office:learners_unlock", args=[alice.pk])).status_code == 405
    assert client.get(reverse("office:learners_reset_password", args=[alice.pk])).status_code == 405


def test_menu_link_for_city_and_province(nanjing_reviewer, finance_user):
    assert "学员管理" in staff_client(nanjing_reviewer).get(reverse("office:home")).content.decode()
    assert "学员管理" not in staff_client(finance_user).get(reverse("office:home")).content.decode()
