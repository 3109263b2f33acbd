"""Requirements 25 and 31 (F. Personal information): no plaintext ID number or mobile anywhere in a database dump
after the flows that write them; TLS only, on the public side and to the database, Redis and the gateways."""

import io
import json
import os
import re
import shutil
import subprocess
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from conftest import make_learner, make_staff, staff_client
from jxjy.accounts.models import User
from jxjy.accounts.tests.helpers import CAPTCHA, last_code, register_data, request_code, valid_id
from jxjy.lib import crypto

from .helpers import REPO, learner_login, personal_numbers_in, run_production_probe, staff_login

# --- 25. A database dump holds no plaintext personal number --------------------------------------------------------

NEW_ID, NEW_MOBILE = valid_id("32010219880808123"), "13700001111"
ROSTER_ID, ROSTER_MOBILE = valid_id("32010419800101001"), "13600001234"
ROSTER_ID_2 = valid_id("32011319850202002")
UNIT_IDS = [valid_id("32010519800101001"), valid_id("32010519810202002")]
TYPED_AT_STAFF_SIGN_IN = valid_id("32010219660606123")
MOBILE_TYPED_AT_STAFF_SIGN_IN = "13911112222"
ADDRESS_MOBILE = "13512345678"
SEARCHED_MOBILE = "13800138000"


def roster_file(rows):
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "身份证号", "手机号（可选）", "工作单位", "技术等级"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("花名册.xlsx", out.getvalue())


def drive_the_flows() -> set[str]:
    """Every flow that handles a personal number, through the real pages. Returns the numbers used."""
    from conftest import make_catalog

    catalog = make_catalog()
    alice = make_learner("张伟", "32010219900101123", SEARCHED_MOBILE)
    reviewer = make_staff("nanjing", "city", "320100")
    User.objects.filter(pk=alice.pk).update(grade="L4")
    known = {alice.id_number, alice.mobile}

    # 新用户注册: the SMS code, then the account
    client = Client()
    data = register_data(id_number=NEW_ID, mobile=NEW_MOBILE)
    assert request_code(client, NEW_MOBILE).status_code == 200
    data["sms_code"] = last_code(NEW_MOBILE)
    assert client.post(reverse("accounts:register"), data).status_code == 302
    known |= {NEW_ID, NEW_MOBILE}

    # 登录 failures (the learner sign-in), and 找回密码 started with name and ID number
    for _ in range(3):
        learner_login(Client(), alice.id_number, "Wrong2026x")
    reset = Client()
    reset.post(reverse("accounts:password_reset"), {"name": "张伟", "id_number": alice.id_number, **CAPTCHA})

    # A learner typing an ID number (and another a mobile) into the staff sign-in
    for username in (TYPED_AT_STAFF_SIGN_IN, MOBILE_TYPED_AT_STAFF_SIGN_IN, alice.id_number):
        for _ in range(2):
            staff_login(Client(), username, "Wrong2026x")
    known |= {TYPED_AT_STAFF_SIGN_IN, MOBILE_TYPED_AT_STAFF_SIGN_IN}

    # 收件地址 with a mobile
    learner = Client()
    learner_login(learner, alice.id_number)
    address = {"recipient": "张伟", "mobile": ADDRESS_MOBILE, "region": "江苏省 南京市 玄武区",
               "detail": "北京东路 1 号", "postcode": "210008", "is_default": "on"}  # fmt: skip
    assert learner.post(reverse("accounts:address_new"), address).status_code == 302
    known.add(ADDRESS_MOBILE)

    # 单位统一报名缴费: the unit's contact lists two colleagues by ID number
    for number, name in zip(UNIT_IDS, ("陈刚", "刘敏"), strict=True):
        colleague = make_learner(name, number[:17], None)
        User.objects.filter(pk=colleague.pk).update(grade="L4")
    roster = "\n".join(f"{number} {name}" for number, name in zip(UNIT_IDS, ("陈刚", "刘敏"), strict=True))
    unit = {"year": 2026, "roster": roster, "invoice_type": "unit", "unit_name": "南京市园林局",
            "tax_id": "91320102MA1W9HQ21H", "delivery": "email", "email": "cw@example.cn", **CAPTCHA}  # fmt: skip
    assert learner.post(reverse("orders:unit_enrollment"), unit).status_code < 500
    known |= set(UNIT_IDS)

    # 学员管理: import a roster, search by ID number and by mobile
    office = staff_client(reviewer)
    response = office.post(
        reverse("office:learners_import"),
        {"file": roster_file([["陈静", ROSTER_ID, ROSTER_MOBILE, "南京市园林局", "中级工"],
                              ["刘洋", ROSTER_ID_2, "", "南京市园林局", "高级工"]])},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[-2000:]
    known |= {ROSTER_ID, ROSTER_ID_2, ROSTER_MOBILE}
    for criteria in ({"id_number": alice.id_number}, {"mobile": alice.mobile}):
        assert office.post(reverse("office:learners_search"), criteria).status_code == 302
    office.get(reverse("office:learners_detail", args=[alice.pk]))
    office.post(reverse("office:learners_reset_password", args=[alice.pk]))
    assert catalog
    return known


def _session_texts() -> list[str]:
    """Session rows decoded: their data is base64 of signed JSON, which a grep of the raw dump would not see."""
    store = SessionBase()
    return [json.dumps(store.decode(row.session_data), ensure_ascii=False) for row in Session.objects.all()]


def database_dump() -> str:
    """Everything the database holds, three ways: Django's dumpdata of every model (encrypted fields serialise as
    ciphertext), the raw SQL dump of the whole database (every table, axes' included), and the sessions decoded."""
    parts = []
    for alias in connections:
        out = io.StringIO()
        call_command("dumpdata", database=alias, format="json", indent=None, stdout=out)
        parts.append(out.getvalue())
        connection = connections[alias]
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            parts.append("\n".join(connection.connection.iterdump()))
        elif connection.vendor == "postgresql":
            parts.append(pg_dump(connection))
    if django_settings.SESSION_ENGINE.endswith((".db", ".cached_db")):
        parts.extend(_session_texts())
    return json.loads(json.dumps("\n".join(parts)))  # one str, \u escapes as in a file


def pg_dump(connection) -> str:
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump not found")
    params = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": params.get("PASSWORD") or ""}
    host, port = params.get("HOST") or "127.0.0.1", str(params.get("PORT") or 5432)
    command = ["pg_dump", "--data-only", "--no-owner", "-h", host, "-p", port, "-U", params.get("USER") or "postgres",
               params["NAME"]]  # fmt: skip
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def near_plaintext(text: str, known) -> list[str]:
    """Full numbers (known or not), and the 16-character head of a known ID number (what a 16-character cut
    of a typed username keeps)."""
    found = personal_numbers_in(text, known)
    found += [number[:16] for number in known if len(number) == 18 and number[:16] in text]
    return sorted(set(found))


@pytest.mark.django_db(transaction=True)
def test_req_25_a_database_dump_after_the_personal_number_flows_holds_none_in_plaintext():
    """axes' tables included: an ID number or mobile typed into the staff sign-in is kept only as a keyed hash."""
    known = drive_the_flows()
    dump = database_dump()
    assert len(dump) > 10_000 and "accounts.user" in dump
    assert near_plaintext(dump, known) == []
    # and the numbers really are in there, encrypted: the dump is not clean by accident
    user = User.objects.get(name="阿依古丽·买买提")
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT id_number, mobile FROM accounts_user WHERE id = %s", [user.pk])
        raw_id, raw_mobile = cursor.fetchone()
    assert raw_id.startswith("v") and raw_id in dump
    assert crypto.decrypt(raw_id, "id_number") == NEW_ID and crypto.decrypt(raw_mobile, "mobile") == NEW_MOBILE


def test_req_25_the_dump_check_finds_a_plaintext_number(db):
    """The control: the same check does see a number stored in the clear (here in a free-text column)."""
    alice = make_learner("张伟", "32010219900101123", "13800138000")
    User.objects.filter(pk=alice.pk).update(work_unit=f"南京市园林局（{alice.id_number}）", email="13912345678@139.com")
    found = near_plaintext(database_dump(), {alice.id_number})
    assert alice.id_number in found and "13912345678" in found


def test_req_25_keys_live_outside_the_database_and_the_repository(tmp_path):
    """The field key and the blind-index key come from the environment (files in production), never a default."""
    production = run_production_probe(tmp_path, env=None)
    assert production["settings"]["DEBUG"] is False
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True).stdout.split()
    example = (REPO / "deploy" / "jxjy.env.example").read_text()
    for name in ("FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY", "SECRET_KEY"):
        assert f"{name}_FILE=/etc/jxjy/secrets/" in example
        assert not any(f"secrets/{name.lower()}" in path for path in tracked)


# --- 31. TLS only ----------------------------------------------------------------------------------------------------


def nginx_conf() -> str:
    return re.sub(r"#.*", "", (REPO / "deploy" / "nginx.conf").read_text())


def test_req_31_nginx_offers_only_tls_1_2_and_1_3_and_sends_http_to_https():
    conf = nginx_conf()
    protocols = re.findall(r"ssl_protocols\s+([^;]+);", conf)
    assert protocols and all(set(p.split()) <= {"TLSv1.2", "TLSv1.3"} for p in protocols)
    assert "TLSv1.1" not in conf and "TLSv1 " not in conf and "SSLv3" not in conf
    plain = [block for block in re.findall(r"server\s*\{(.*?)\n\}", conf, re.S) if re.search(r"listen\s+80\b", block)]
    assert plain and all("return 301 https://" in block for block in plain)
    assert all("ssl" in line for line in re.findall(r"listen\s+[^;]*443[^;]*;", conf))


def test_req_31_production_links_to_database_redis_and_gateways_use_tls(tmp_path):
    production = run_production_probe(tmp_path)
    options = production["database"]["OPTIONS"]
    assert options.get("sslmode") in {"require", "verify-ca", "verify-full"}
    for url in (production["settings"]["REDIS_URL"], production["settings"]["CELERY_BROKER_URL"],
                production["cache_location"]):  # fmt: skip
        parsed = urlparse(url)
        assert parsed.scheme == "rediss", url
        assert parse_qs(parsed.query).get("ssl_cert_reqs") == ["required"], url  # a verified certificate
    for name in ("ALIPAY_GATEWAY", "WECHAT_API_BASE", "ALIYUN_SMS_ENDPOINT", "PUBLIC_BASE_URL"):
        assert getattr(django_settings, name, "") == "" or getattr(django_settings, name).startswith("https://")
    example = (REPO / "deploy" / "jxjy.env.example").read_text()
    assert re.search(r"^AWS_S3_ENDPOINT_URL=https://", example, re.M)
    assert re.search(r"^PUBLIC_BASE_URL=https://", example, re.M)


def test_req_31_redis_sample_config_serves_tls_only():
    conf = re.sub(r"#.*", "", (REPO / "deploy" / "redis.conf").read_text())
    assert re.search(r"^\s*tls-port\s+\d+", conf, re.M)
    assert re.search(r"^\s*port\s+0\s*$", conf, re.M)  # the plain-text port is off
    assert re.search(r"^\s*tls-protocols\s+\"?TLSv1\.2 TLSv1\.3\"?", conf, re.M)


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx not installed: the live handshake check is optional")
def test_req_31_a_tls_1_1_handshake_with_the_sample_nginx_settings_fails(tmp_path):
    """The sample's ssl_* directives in a real nginx on 127.0.0.1: TLS 1.2 and 1.3 connect, TLS 1.1 does not — while
    the same client does complete TLS 1.1 with an nginx that allows it (so the refusal is the config's)."""
    from .tls import handshake, nginx_with, tls_directives

    directives = tls_directives(nginx_conf())
    assert any(line.startswith("ssl_protocols") for line in directives)
    with nginx_with(tmp_path, ["ssl_protocols TLSv1.1 TLSv1.2;", "ssl_ciphers DEFAULT@SECLEVEL=0;"]) as port:
        if not handshake(port, "-tls1_1"):
            pytest.skip("this OpenSSL cannot speak TLS 1.1 at all: nothing to prove")
    with nginx_with(tmp_path, directives) as port:
        assert handshake(port, "-tls1_2") is True
        assert handshake(port, "-tls1_3") is True
        assert handshake(port, "-tls1_1") is False
