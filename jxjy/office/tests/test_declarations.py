"""视同申报审核 in the back office: a city office reviews its own city's claims only (404 elsewhere, 403 for other
roles), and duplicates are marked for the reviewer. The approval rules (caps, ledger) are proven in
jxjy/declarations/tests."""

import pytest
from django.test import Client
from django.urls import reverse

from conftest import staff_client
from jxjy.credits.models import CreditEntry
from jxjy.declarations import services
from jxjy.declarations.tests.test_declarations import approve, client_for, filed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalog")]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_duplicates_are_marked_for_the_reviewer(alice, nanjing_reviewer):
    first = filed(alice)
    second = filed(alice, title=" 公共机构节能管理研修班 ", description="同一个培训又报一次")
    other = filed(alice, title="别的研修班")
    assert services.duplicate_ids([first, second, other]) == {first.pk, second.pk}
    page = staff_client(nanjing_reviewer).get(reverse("office:declarations_list")).content.decode()
    assert page.count("疑似重复") == 2
    detail = staff_client(nanjing_reviewer).get(reverse("office:declarations_detail", args=[second.pk]))
    assert "疑似重复" in detail.content.decode()


def test_req_15_a_city_office_sees_only_its_own_citys_claims(
    alice, bob, nanjing_reviewer, suzhou_reviewer, province_admin
):
    nanjing_claim = filed(alice)
    filed(bob, title="苏州研修班")
    nanjing = staff_client(nanjing_reviewer).get(reverse("office:declarations_list")).content.decode()
    assert nanjing_claim.title in nanjing and "苏州研修班" not in nanjing
    suzhou = staff_client(suzhou_reviewer)
    assert suzhou.get(reverse("office:declarations_detail", args=[nanjing_claim.pk])).status_code == 404
    assert approve(suzhou_reviewer, nanjing_claim, "12").status_code == 404
    attachment = nanjing_claim.attachments.get()
    assert suzhou.get(reverse("declarations:attachment", args=[attachment.pk])).status_code == 404
    everything = staff_client(province_admin).get(reverse("office:declarations_list")).content.decode()
    assert nanjing_claim.title in everything and "苏州研修班" in everything
    assert not CreditEntry.objects.exists()


def test_other_roles_and_learners_are_refused_the_review_pages(alice, finance_user, content_editor):
    declaration = filed(alice)
    for user in (finance_user, content_editor, alice):
        client = staff_client(user) if user.is_staff else client_for(user)
        assert client.get(reverse("office:declarations_list")).status_code == 403
        assert client.get(reverse("office:declarations_detail", args=[declaration.pk])).status_code == 403
    assert Client().get(reverse("office:declarations_list")).status_code == 302  # to the staff sign-in
