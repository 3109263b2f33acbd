"""A dump of the database holds no plaintext ID number or mobile (security requirement 25)."""

import io
import re

import pytest
from django.core.management import call_command
from django.db import connection

from .helpers import NEW_ID, NEW_MOBILE, last_code, login, register, request_code

pytestmark = pytest.mark.django_db

# A number standing on its own (as plaintext would in a column or JSON); runs of digits inside hashes,
# ciphertexts or base64 are not numbers.
ID_PATTERN = re.compile(r"(?<![0-9A-Za-z+/])[0-9]{17}[0-9X](?![0-9A-Za-z+/=])")
MOBILE_PATTERN = re.compile(r"(?<![0-9A-Za-z+/])1[3-9][0-9]{9}(?![0-9A-Za-z+/=])")


def raw_dump():
    """Every text column of every table, read with plain SQL (no model decryption)."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - table names from introspection
            for row in cursor.fetchall():
                chunks.append(" ".join(str(value) for value in row))
    out = io.StringIO()
    call_command("dumpdata", stdout=out)
    chunks.append(out.getvalue())
    return "\n".join(chunks)


def test_database_dump_has_no_plaintext_numbers(client, alice, charlie):
    register(client)  # a learner through the real flow
    client.post("/logout/")
    for _ in range(2):
        login(client, alice.id_number, password="Wrong2026x")  # axes records
    login(client, alice.id_number)
    client.post("/account/settings/addresses/new/", {
        "recipient": "张伟", "mobile": "13900001234", "region": "江苏省 南京市", "detail": "北京东路41号",
    })  # fmt: skip
    client.post("/logout/")
    client.post(
        "/password/reset/", {"name": "张伟", "id_number": alice.id_number, "captcha_0": "x", "captcha_1": "PASSED"}
    )
    login(client, charlie.id_number)
    request_code(client, "13600002222", purpose="bind")
    client.post("/account/mobile/", {"action": "save", "mobile": "13600002222", "sms_code": last_code("13600002222")})

    dump = raw_dump()
    for secret in (NEW_ID, NEW_MOBILE, alice.id_number, alice.mobile, "13900001234", "13600002222"):
        assert secret not in dump
    assert not ID_PATTERN.search(dump), ID_PATTERN.search(dump)
    assert not MOBILE_PATTERN.search(dump), MOBILE_PATTERN.search(dump)


def test_audit_log_holds_no_secrets(client, alice):
    from jxjy.audit.models import AuditRecord

    login(client, alice.id_number, password="Wrong2026x")
    login(client, alice.id_number)
    request_code(client, "13600002222", purpose="bind")
    text = " ".join(str(vars(r)) for r in AuditRecord.objects.all())
    assert alice.id_number not in text and "Wrong2026x" not in text and "Demo1234" not in text
    assert not MOBILE_PATTERN.search(text)
    assert last_code("13600002222") not in text


def test_logs_hold_no_secrets(client, alice, caplog):
    caplog.set_level("DEBUG")
    login(client, alice.id_number, password="Wrong2026x")
    login(client, alice.id_number)
    request_code(client, "13600002222", purpose="bind")
    text = caplog.text
    assert alice.id_number not in text and "Wrong2026x" not in text
    assert "13600002222" not in text
    assert last_code("13600002222") not in text


def test_dumpdata_round_trips_encrypted_fields(alice, tmp_path):
    from jxjy.accounts.models import User

    path = tmp_path / "users.json"
    call_command("dumpdata", "accounts.User", output=str(path))
    text = path.read_text()
    assert alice.id_number not in text and alice.mobile not in text
    User.objects.all().delete()
    call_command("loaddata", str(path))
    restored = User.objects.get(pk=alice.pk)
    assert restored.id_number == alice.id_number and restored.mobile == alice.mobile
