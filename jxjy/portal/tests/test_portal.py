import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from jxjy.portal.models import Notice

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


def test_home_has_login_box_steps_and_notices(client, django_assert_max_num_queries):
    for i in range(20):
        Notice.objects.create(title=f"通知{i}", body="正文")
    Notice.objects.create(title="未发布的通知", body="x", is_published=False)
    with django_assert_max_num_queries(6):
        response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    for text in (
        "学员登录",
        "新用户注册",
        "找回密码",
        "培训流程",
        "注册",
        "报名缴费",
        "选课学习",
        "考试",
        "打印证明",
        "通知公告",
    ):
        assert text in html
    assert "未发布的通知" not in html
    assert html.count('class="notice-list"') == 1


def test_notice_body_is_escaped(client):
    notice = Notice.objects.create(title="<b>标题</b>", body="<script>alert(1)</script>\n第二行")
    html = client.get(reverse("portal:notice_detail", args=[notice.pk])).content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;标题" in html


def test_unpublished_notice_is_404(client):
    notice = Notice.objects.create(title="草稿", body="x", is_published=False)
    assert client.get(reverse("portal:notice_detail", args=[notice.pk])).status_code == 404


def test_no_asset_comes_from_outside(client):
    html = client.get("/").content.decode()
    assert "http://" not in html.replace('xmlns="http://www.w3.org', "")
    assert "https://" not in html
    assert "//cdn" not in html


def test_a11y_switch_persists_in_a_cookie(client):
    assert 'class="a11y"' not in client.get("/").content.decode()
    response = client.post(reverse("portal:a11y"), {"next": "/notices/"})
    assert response.url == "/notices/"
    assert 'class="a11y"' in client.get("/privacy/").content.decode()
    client.post(reverse("portal:a11y"), {"next": "https://evil.example/"})
    assert 'class="a11y"' not in client.get("/").content.decode()


def test_a11y_switch_refuses_foreign_redirect(client):
    assert client.post(reverse("portal:a11y"), {"next": "https://evil.example/"}).url == "/"


def test_security_headers(client):
    response = client.get("/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert len(response["X-Request-ID"]) >= 8


def test_dev_outbox_lists_messages_newest_first(client, outbox):
    from jxjy.lib.sms import send_sms

    send_sms("13800138000", "code", {"code": "111111"}, "第一条 111111")
    send_sms("13800138000", "code", {"code": "222222"}, "第二条 222222")
    html = client.get("/dev/outbox/").content.decode()
    assert html.index("第二条") < html.index("第一条")


def test_dev_outbox_is_404_without_dev_tools(client, settings):
    settings.DEV_TOOLS = False
    assert client.get("/dev/outbox/").status_code == 404


def test_filebased_sms_backend_round_trip(settings, tmp_path):
    from jxjy.lib.sms import SmsMessage
    from jxjy.lib.sms.filebased import SmsBackend

    settings.SMS_FILE_PATH = tmp_path / "sms.jsonl"
    backend = SmsBackend()
    backend.send(SmsMessage("13800138000", "code", {"code": "123456"}, "验证码 123456"))
    backend.send(SmsMessage("13900139000", "notice", {}, "通知"))
    listed = backend.list_messages()
    assert [m.mobile for m in listed] == ["13900139000", "13800138000"]
    assert listed[1].params == {"code": "123456"}


def test_cities_are_loaded():
    from jxjy.accounts.models import City

    names = list(City.objects.values_list("name", flat=True))
    assert len(names) == 14
    assert {"南京市", "苏州市", "宿迁市", "省直"} <= set(names)
    assert City.objects.get(code="321300").name == "宿迁市"


PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "prod-" + "k3y" * 20,
    "FIELD_ENCRYPTION_KEYS": "cHJvZHVjdGlvbi1rZXktMzItYnl0ZXMtbG9uZy0xMjM=",
    "BLIND_INDEX_KEY": "production-blind-index-key",
    "ALLOWED_HOSTS": "jxjy.example.cn",
    "REDIS_URL": "redis://127.0.0.1:6379/9",
    "CERTIFICATE_SIGNING_KEY": "cHJvZHVjdGlvbi1jZXJ0aWZpY2F0ZS1rZXktMzItYnk=",
}


def run_production(*args):
    env = {k: v for k, v in os.environ.items() if k not in ("DEV_TOOLS", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(PRODUCTION_ENV)
    env["VAR_DIR"] = str(ROOT / "var" / "prod-check")
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_with_production_settings_reports_nothing():
    result = run_production("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_does_not_route_dev_outbox_or_accept_passed():
    code = (
        "import django; django.setup();"
        "from django.urls import resolve, Resolver404;"
        "from captcha.conf import settings as c;"
        "assert not c.CAPTCHA_TEST_MODE, 'captcha test mode on';"
        "\ntry:\n  resolve('/dev/outbox/'); print('ROUTED')\nexcept Resolver404:\n  print('NOT ROUTED')"
    )
    result = run_production("-c", f"import os; os.environ['DJANGO_SETTINGS_MODULE']='jxjy.settings'\n{code}")
    assert result.returncode == 0, result.stderr
    assert "NOT ROUTED" in result.stdout


def test_production_refuses_to_start_without_keys():
    env_missing = {k: v for k, v in PRODUCTION_ENV.items() if k != "FIELD_ENCRYPTION_KEYS"}
    env = {k: v for k, v in os.environ.items() if k != "FIELD_ENCRYPTION_KEYS"}
    env.update(env_missing)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS" in result.stderr


def test_server_error_page_shows_a_request_id_and_no_traceback(client, settings):
    settings.DEBUG = False
    from django.test import Client

    strict = Client(raise_request_exception=False)
    from unittest import mock

    with mock.patch("jxjy.portal.views.Notice.objects.published", side_effect=RuntimeError("boom")):
        response = strict.get("/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "系统繁忙" in html and "Traceback" not in html and "boom" not in html
    assert response["X-Request-ID"] in html
