from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from conftest import staff_client
from jxjy.audit.models import AuditRecord, Event

from .helpers import login

pytestmark = pytest.mark.django_db
CENTER = "/center/"


def test_learner_idle_for_30_minutes_is_signed_out(client, alice):
    start = timezone.now()
    with freeze_time(start):
        login(client, alice.id_number)
        assert client.get(CENTER).status_code == 200
    with freeze_time(start + timedelta(minutes=29)):
        assert client.get(CENTER).status_code == 200
    with freeze_time(start + timedelta(minutes=58)):
        assert client.get(CENTER).status_code == 200  # active 29 minutes ago
    with freeze_time(start + timedelta(minutes=58 + 31)):
        response = client.get(CENTER)
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))
        assert "_auth_user_id" not in client.session
    assert AuditRecord.objects.filter(event=Event.SESSION_EXPIRED, actor=alice).exists()


def test_expired_json_request_gets_401(client, alice):
    start = timezone.now()
    with freeze_time(start):
        login(client, alice.id_number)
    with freeze_time(start + timedelta(minutes=31)):
        response = client.get(CENTER, headers={"Accept": "application/json"})
        assert response.status_code == 401


def test_staff_idle_for_15_minutes_is_signed_out(province_admin):
    start = timezone.now()
    with freeze_time(start):
        client = staff_client(province_admin)
        assert client.get("/admin/").status_code == 200
    with freeze_time(start + timedelta(minutes=16)):
        assert client.get("/admin/").status_code == 302
        assert "_auth_user_id" not in client.session


def test_any_session_ends_after_12_hours(client, alice):
    start = timezone.now()
    for minutes in range(0, 12 * 60, 20):
        with freeze_time(start + timedelta(minutes=minutes)):
            if minutes == 0:
                login(client, alice.id_number)
            assert client.get(CENTER).status_code == 200
    with freeze_time(start + timedelta(hours=12, minutes=1)):
        assert client.get(CENTER).status_code == 302


def test_req_5_password_change_ends_the_other_sessions(alice):
    phone, pc = Client(), Client()
    login(phone, alice.id_number)
    login(pc, alice.id_number)
    response = pc.post(
        reverse("accounts:settings_password"),
        {"old_password": "Demo1234", "new_password1": "Anquan2026ok", "new_password2": "Anquan2026ok"},
    )
    assert response.status_code == 302
    assert pc.get(CENTER).status_code == 200
    assert phone.get(CENTER).status_code == 302


def test_session_cookie_expires_within_12_hours(settings):
    assert settings.SESSION_COOKIE_AGE == 12 * 3600
