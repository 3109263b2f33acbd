"""Deployment: two app processes behind one PostgreSQL and one Redis are interchangeable (README "Deployment").

A learner signs in through process A (the real login form, captcha answer PASSED with DEV_TOOLS); with the same
cookies, process B shows the class page and takes the playback start and heartbeats; A takes the next heartbeat
of the same playback. Sessions, CSRF secrets and the playback state live in Redis and PostgreSQL, never in a
process. Runs only when the suite runs on PostgreSQL and Redis; creates and drops its own database."""

import http.cookiejar
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
ID_NUMBER = "320102198801011236"  # a valid 18-digit number (check character 6)
PASSWORD = "Demo1234"

pytestmark = pytest.mark.skipif(
    not (DATABASE_URL.startswith("postgres") and REDIS_URL), reason="needs PostgreSQL (DATABASE_URL) and Redis"
)

SETUP = f"""
from datetime import timedelta
from decimal import Decimal
from django.utils import timezone
from jxjy.accounts.models import User, id_number_index
from jxjy.catalog.models import Category, Chapter, Course, Courseware, TrainingClass, TrainingYear
from jxjy.learning.models import Enrollment
from jxjy.learning.services import class_courses
from jxjy.orders.models import OrderStatus
from jxjy.orders.services import place_order, transition

now = timezone.now()
year, _ = TrainingYear.objects.get_or_create(year=now.year)
tc = TrainingClass.objects.create(year=year, grade="L4", title="两进程测试网络班", fee=Decimal("120.00"),
    enroll_start=now - timedelta(days=1), enroll_end=now + timedelta(days=30), study_deadline=now + timedelta(days=60))
course = Course.objects.create(title="安全生产", category=Category.PUBLIC, hours=Decimal("4"))
tc.courses.add(course)
chapter = Chapter.objects.create(course=course, title="第一章")
cw = Courseware.objects.create(chapter=chapter, title="1.1 概述", video="coursewares/two.mp4", duration=3600)
user = User(username=id_number_index("{ID_NUMBER}"), name="两进程", id_number="{ID_NUMBER}", city_id="320100", grade="L4")
user.set_mobile("13700000001")
user.set_password("{PASSWORD}")
user.save()
transition(place_order(user=user, class_ids=[tc.pk], invoice={{"invoice_type": "none"}}), OrderStatus.PAID)
enrollment = Enrollment.objects.get(user=user)
class_courses(enrollment)
print("IDS", enrollment.pk, cw.pk)
"""


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _admin(statement, name):
    import psycopg
    from psycopg import sql

    server = urllib.parse.urlsplit(DATABASE_URL)._replace(path="/postgres").geturl()
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL(statement).format(sql.Identifier(name)))


@pytest.fixture
def app_env(tmp_path):
    """A fresh database, migrated, with one learner in one class; an environment both processes share."""
    name = f"jxjy_two_{secrets.token_hex(4)}"
    _admin("CREATE DATABASE {}", name)
    prefix = f"two{secrets.token_hex(3)}"
    env = {
        **os.environ,
        "DATABASE_URL": urllib.parse.urlsplit(DATABASE_URL)._replace(path=f"/{name}").geturl(),
        "REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": prefix,
        "HEARTBEAT_STATE_PREFIX": f"{prefix}:hb:",
        "DEBUG": "1",
        "DEV_TOOLS": "1",
        "VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "jxjy.settings",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    try:
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True, timeout=300)
        out = subprocess.run(
            [*manage, "shell", "-c", SETUP], env=env, cwd=ROOT, check=True, timeout=120, capture_output=True, text=True
        ).stdout
        enrollment_id, courseware_id = (int(x) for x in out.split("IDS", 1)[1].split())
        yield env, enrollment_id, courseware_id
    finally:
        _admin("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(f"*{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()


def _start(env, port, log):
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [str(gunicorn), "jxjy.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1",
               "--chdir", str(ROOT), "--no-control-socket"]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, f"gunicorn on {port} exited"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise AssertionError(f"gunicorn on {port} did not start")


class Browser:
    """One cookie jar (cookies are per host, not per port: exactly what a browser would share between the two)."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name):
        return next((c.value for c in self.jar if c.name == name), None)

    def request(self, port, path, data=None, headers=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, headers=headers or {})
        if body is not None:
            request.add_header("Origin", f"http://127.0.0.1:{port}")
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.geturl(), error.read().decode()


def test_sign_in_on_one_process_and_study_on_the_other(app_env, tmp_path):
    assert settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    env, enrollment_id, courseware_id = app_env
    port_a, port_b = _free_port(), _free_port()
    with open(tmp_path / "gunicorn.log", "wb") as log:
        a = _start(env, port_a, log)
        b = None
        try:
            b = _start(env, port_b, log)
            browser = Browser()
            status, _url, page = browser.request(port_a, "/login/")
            assert status == 200
            captcha_key = page.split('name="captcha_0"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
            status, url, page = browser.request(port_a, "/login/", {
                "csrfmiddlewaretoken": browser.cookie("csrftoken"), "id_number": ID_NUMBER, "password": PASSWORD,
                "captcha_0": captcha_key, "captcha_1": "PASSED",
            })  # fmt: skip
            assert status == 200 and f":{port_a}/login/" not in url, page[:500]
            assert browser.cookie("sessionid")

            # Process B knows the session: the class page, the playback, the heartbeat.
            status, _url, page = browser.request(port_b, f"/study/{enrollment_id}/")
            assert status == 200 and "两进程测试网络班" in page
            csrf = browser.cookie("csrftoken")
            accept = {"Accept": "application/json"}
            status, _url, body = browser.request(
                port_b, f"/learning/{enrollment_id}/play/{courseware_id}/", {"csrfmiddlewaretoken": csrf}, accept
            )
            assert status == 200, body
            playback = json.loads(body)["session"]
            beat = {"csrfmiddlewaretoken": csrf, "session": playback, "playing": "1"}
            status, _url, body = browser.request(
                port_b, "/learning/heartbeat/", {**beat, "seq": 1, "position": "0"}, accept
            )
            assert status == 200 and json.loads(body)["accepted"], body
            time.sleep(2)
            # … and process A takes the next heartbeat of the same playback (its state is in Redis).
            status, _url, body = browser.request(
                port_a, "/learning/heartbeat/", {**beat, "seq": 2, "position": "2.00"}, accept
            )
            reply = json.loads(body)
            assert status == 200 and reply["accepted"] and reply["credited"] > 0, body
        finally:
            for process in (a, b):
                if process is not None and process.poll() is None:
                    process.terminate()
                    process.wait(timeout=20)
