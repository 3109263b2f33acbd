"""Requirements 32 and 33 (G. Security audit logging): every listed event yields one audit record with the fields an
assessor asks for; the logs of a whole run hold no password, session id, SMS code, personal number, signature or key."""

import io
import logging
import re

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD, make_staff, staff_client
from jxjy.accounts.models import Role, User
from jxjy.accounts.tests.helpers import last_code, register_data, request_code
from jxjy.audit.models import AuditRecord, Event
from jxjy.lib.sms import locmem

from .helpers import learner_login, personal_numbers_in, staff_login

pytestmark = pytest.mark.django_db
IP = "198.51.100.23"
GATEWAY_IP = "203.0.113.80"
WRONG = "Wrong2026x"
NEW_PASSWORD = "Anquan2026ok"


def client_for(user=None, ip=IP):
    client = Client(REMOTE_ADDR=ip)
    if user is not None:
        client.force_login(user)
    return client


class Audit:
    """The records written since the last look."""

    def __init__(self):
        self.seen = AuditRecord.objects.order_by("-id").values_list("id", flat=True).first() or 0

    def new(self, event):
        found = list(AuditRecord.objects.filter(id__gt=self.seen, event=event).select_related("actor"))
        self.seen = AuditRecord.objects.order_by("-id").values_list("id", flat=True).first() or 0
        return found


def one_record(audit, event, response, *, actor=None, obj=None, result="ok", ip=IP):
    """Exactly one record of `event` for the request, with time, user, role, city, IP, event, object, result and
    the request id the response carried."""
    records = audit.new(event)
    assert len(records) == 1, [(r.event, r.result, r.detail) for r in records]
    item = records[0]
    assert item.at is not None and timezone.is_aware(item.at)
    assert timezone.localtime(item.at).isoformat().endswith("+08:00")
    assert item.event == event and item.result == result
    assert item.ip == ip
    assert item.request_id and item.request_id == response["X-Request-ID"]
    if actor is not None:
        assert item.actor_id == actor.pk
        assert item.actor_role == actor.role
        assert item.actor_city == (actor.city_id or "")
    if obj is not None:
        assert (item.object_type, item.object_id) == (obj._meta.label, str(obj.pk))
    return item


# --- 32. One record per event ---------------------------------------------------------------------------------------


def test_req_32_sign_in_events(alice):
    audit = Audit()
    client = client_for()
    response = learner_login(client, alice.id_number)
    one_record(audit, Event.LOGIN, response, actor=alice, obj=alice)

    response = client.post(reverse("accounts:logout"))
    one_record(audit, Event.LOGOUT, response, actor=alice, obj=alice)

    response = learner_login(client, alice.id_number, WRONG)
    failed = one_record(audit, Event.LOGIN_FAILED, response, result="failed")
    assert failed.detail["account"] == alice.username[:16]  # the account tried, by its keyed index

    for _ in range(3):
        learner_login(client, alice.id_number, WRONG)
    audit.new(Event.LOGIN_FAILED)
    response = learner_login(client, alice.id_number, WRONG)  # the fifth
    locked = one_record(audit, Event.LOCKOUT, response, result="locked")
    assert locked.detail["account"] == alice.username[:16]


def test_req_32_unlock_and_password_change(alice, nanjing_reviewer):
    audit = Audit()
    office = staff_client(nanjing_reviewer)
    office.defaults["REMOTE_ADDR"] = IP
    response = office.post(reverse("office:learners_unlock", args=[alice.pk]))
    one_record(audit, Event.UNLOCK, response, actor=nanjing_reviewer, obj=alice)

    learner = client_for(alice)
    data = {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    response = learner.post(reverse("accounts:settings_password"), data)
    assert response.status_code == 302
    one_record(audit, Event.PASSWORD_CHANGE, response, actor=alice, obj=alice)


def test_req_32_sms_send_verify_and_mobile_change(charlie):
    audit = Audit()
    client = client_for(charlie)
    response = request_code(client, "13700005555", purpose="bind")
    assert response.status_code == 200
    one_record(audit, Event.SMS_SEND, response, actor=charlie)
    response = client.post(reverse("accounts:complete_mobile"), {"mobile": "13700005555",
                                                                 "sms_code": last_code("13700005555")})  # fmt: skip
    assert response.status_code == 302
    one_record(audit, Event.SMS_VERIFY, response, actor=charlie)
    mobile_change = AuditRecord.objects.filter(event=Event.MOBILE_CHANGE, request_id=response["X-Request-ID"])
    assert mobile_change.count() == 1
    item = mobile_change.get()
    assert (item.actor_id, item.object_id, item.ip, item.result) == (charlie.pk, str(charlie.pk), IP, "ok")


def test_req_32_a_scope_denial(bob, nanjing_reviewer):
    """A 南京 office asks for a 苏州 learner: 404, and one record naming what was asked for."""
    audit = Audit()
    office = staff_client(nanjing_reviewer)
    office.defaults["REMOTE_ADDR"] = IP
    response = office.get(reverse("office:learners_detail", args=[bob.pk]))
    assert response.status_code == 404
    item = one_record(audit, Event.ACCESS_DENIED, response, actor=nanjing_reviewer, result="denied")
    assert item.object_id == str(bob.pk) or str(bob.pk) in str(item.detail)


def test_req_32_personal_information_reveal_and_export(alice, nanjing_reviewer):
    audit = Audit()
    office = staff_client(nanjing_reviewer)
    office.defaults["REMOTE_ADDR"] = IP
    response = office.post(reverse("office:learners_reveal", args=[alice.pk]), {"reason": "verify"})
    assert response.status_code == 200
    item = one_record(audit, Event.PI_REVEAL, response, actor=nanjing_reviewer, obj=alice)
    assert alice.id_number not in str(item.detail) and alice.mobile not in str(item.detail)

    learner = client_for(alice)
    response = learner.post(reverse("accounts:settings_privacy"), {"action": "download", "password": PASSWORD})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    one_record(audit, Event.PI_EXPORT, response, actor=alice, obj=alice)

    response = office.get(reverse("office:audit_export"))
    one_record(audit, Event.AUDIT_EXPORT, response, actor=nanjing_reviewer)


def test_req_32_a_role_change(nanjing_reviewer):
    sysadmin = make_staff("sysadmin", Role.SYSTEM)
    office = staff_client(sysadmin)
    office.defaults["REMOTE_ADDR"] = IP
    audit = Audit()
    data = {"name": nanjing_reviewer.name, "role": Role.FINANCE, "city": "", "is_active": "on"}
    response = office.post(reverse("office:staff_edit", args=[nanjing_reviewer.pk]), data)
    assert response.status_code == 302
    assert User.objects.get(pk=nanjing_reviewer.pk).role == Role.FINANCE
    item = one_record(audit, Event.USER_ACCESS_CHANGE, response, actor=sysadmin, obj=nanjing_reviewer)
    assert item.detail["changes"]["role"] == [Role.CITY, Role.FINANCE]


def test_req_32_payment_notifications_accepted_and_rejected(alice, catalog):
    from jxjy.orders import services as orders
    from jxjy.payments.models import Payment
    from jxjy.payments.tests.helpers import body_for, notify, start

    User.objects.filter(pk=alice.pk).update(grade="L4")
    order = orders.place_order(user=User.objects.get(pk=alice.pk), class_ids=[catalog[(2026, "L4")].pk],
                               invoice={"invoice_type": "none"})  # fmt: skip
    payment, _ = start(client_for(alice), order)
    gateway = Client(REMOTE_ADDR=GATEWAY_IP)
    audit = Audit()
    response = notify(gateway, body_for(payment), signature="forged")
    assert response.status_code >= 400
    one_record(audit, Event.PAYMENT_NOTIFY, response, result="rejected", ip=GATEWAY_IP)

    from jxjy.payments.models import MockBankTrade

    MockBankTrade.objects.filter(out_trade_no=payment.number).update(status="SUCCESS", trade_no="MB0001")
    response = notify(gateway, body_for(payment))
    assert response.status_code == 200
    item = one_record(audit, Event.PAYMENT_NOTIFY, response, obj=Payment.objects.get(pk=payment.pk), ip=GATEWAY_IP,
                      result=AuditRecord.objects.filter(event=Event.PAYMENT_NOTIFY).latest("id").result)  # fmt: skip
    assert item.result not in {"rejected", "failed"}


def test_req_32_an_exam_submission(alice, catalog):
    from jxjy.exams.models import ExamAttempt
    from jxjy.exams.tests.conftest import enroll

    enrollment = enroll(alice, catalog[(2026, "L4")])
    client = client_for(User.objects.get(pk=alice.pk))
    client.post(reverse("exams:enter", args=[enrollment.pk]))
    attempt = ExamAttempt.objects.get(enrollment=enrollment)
    audit = Audit()
    response = client.post(reverse("exams:submit", args=[enrollment.pk, attempt.pk]))
    assert response.status_code == 302
    one_record(audit, Event.EXAM_SUBMIT, response, actor=alice, obj=attempt)


def test_req_32_the_audit_log_shows_beijing_time(alice, province_admin):
    learner_login(client_for(), alice.id_number)
    page = staff_client(province_admin).get(reverse("office:audit_log"))
    times = [row["at"] for row in page.context["rows"]]
    assert times and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", t) for t in times)
    assert times[0] in page.content.decode()


# --- 33. Nothing secret in the logs --------------------------------------------------------------------------------


@pytest.fixture
def all_logs():
    """Everything the configured log handlers write (their filters and format included), with the root level at
    DEBUG as an operator tracing a problem would set LOG_LEVEL (loggers the LOGGING config pins keep their level)."""
    buffer = io.StringIO()
    root = logging.getLogger()
    handlers = [h for h in root.handlers if isinstance(h, logging.StreamHandler) and h.filters]
    assert handlers, "the LOGGING config's console handler is not installed"
    old_streams = [h.setStream(buffer) for h in handlers]
    old_level = root.level
    root.setLevel(logging.DEBUG)
    yield buffer
    for handler, stream in zip(handlers, old_streams, strict=True):
        handler.setStream(stream)
    root.setLevel(old_level)


def test_req_33_no_secret_reaches_the_logs(all_logs, alice, nanjing_reviewer, catalog):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from jxjy.orders import services as orders
    from jxjy.payments.models import MockBankTrade
    from jxjy.payments.providers.mockbank import sign
    from jxjy.payments.tests.helpers import body_for, notify, start

    secrets, numbers = {PASSWORD, WRONG, NEW_PASSWORD, "Xuexi2026ok"}, {alice.id_number, alice.mobile}
    sessions = set()

    # registration with an SMS code, a wrong code first
    client = Client(REMOTE_ADDR=IP)
    data = register_data(mobile="13700006666")
    request_code(client, "13700006666")
    code = last_code("13700006666")
    client.post(reverse("accounts:register"), {**data, "sms_code": f"{(int(code) + 1) % 1_000_000:06d}"})
    client.post(reverse("accounts:register"), {**data, "sms_code": code})
    numbers |= {data["id_number"], "13700006666"}
    sessions.add(client.cookies[django_settings.SESSION_COOKIE_NAME].value)

    # sign-ins: wrong and right passwords, an ID number and a mobile typed into the staff sign-in, a lockout
    learner = Client(REMOTE_ADDR=IP)
    for _ in range(5):
        learner_login(learner, "32010219550505123" + "X", WRONG)
    learner_login(learner, alice.id_number, WRONG)
    learner_login(learner, alice.id_number)
    sessions.add(learner.cookies[django_settings.SESSION_COOKIE_NAME].value)
    for username in (alice.id_number, alice.mobile):
        staff_login(Client(), username, PASSWORD)
    staff_login(Client(), "nanjing", WRONG)

    # password change, a query string with an ID number, a 500-free tour of the pages with personal data
    learner.post(reverse("accounts:settings_password"), {"old_password": PASSWORD, "new_password1": NEW_PASSWORD,
                                                         "new_password2": NEW_PASSWORD})  # fmt: skip
    learner.get(reverse("accounts:password_reset"), {"id_number": alice.id_number, "mobile": alice.mobile})
    office = staff_client(nanjing_reviewer)
    device = TOTPDevice.objects.get(user=nanjing_reviewer)
    secrets.add(device.key)
    office.post(reverse("office:learners_search"), {"id_number": alice.id_number}, follow=True)
    office.post(reverse("office:learners_search"), {"mobile": alice.mobile}, follow=True)
    office.post(reverse("office:learners_reveal", args=[alice.pk]), {"reason": "verify"})
    office.post(reverse("office:learners_reset_password", args=[alice.pk]))
    sessions.add(office.cookies[django_settings.SESSION_COOKIE_NAME].value)

    # a payment: a forged notification, then the signed one
    User.objects.filter(pk=alice.pk).update(grade="L4")
    order = orders.place_order(user=User.objects.get(pk=alice.pk), class_ids=[catalog[(2026, "L4")].pk],
                               invoice={"invoice_type": "none"})  # fmt: skip
    payment, _ = start(learner, order)
    notify(Client(), body_for(payment), signature="forged-signature-value-0123456789")
    MockBankTrade.objects.filter(out_trade_no=payment.number).update(status="SUCCESS", trade_no="MB0001")
    body = body_for(payment)
    notify(Client(), body)
    secrets |= {sign(body), "forged-signature-value-0123456789"}

    secrets |= {m.params["code"] for m in locmem.outbox if m.template == "code" and m.params.get("code")}
    secrets |= {django_settings.SECRET_KEY, django_settings.BLIND_INDEX_KEY, *django_settings.FIELD_ENCRYPTION_KEYS}
    secrets |= {getattr(django_settings, "MOCKBANK_SECRET", "")} - {""}
    logs = all_logs.getvalue()
    assert len(logs.splitlines()) >= 10  # the run did log (failures, lockouts, rejected notifications …)
    leaked = [s for s in secrets | sessions if s and s in logs]
    assert leaked == []
    assert personal_numbers_in(logs, numbers) == []
    assert "password=" not in logs.lower() and "csrfmiddlewaretoken" not in logs


def test_req_33_the_log_check_sees_what_is_logged(all_logs, alice):
    """The control: a line with a mobile and a session id does reach the captured output (redacted for the mobile)."""
    logging.getLogger("jxjy.tests").warning("probe %s %s", alice.mobile, "sessionid-probe-value")
    try:
        raise ValueError(f"no account for {alice.id_number}")
    except ValueError:
        logging.getLogger("jxjy.tests").exception("lookup failed")  # the number is in the traceback only
    logs = all_logs.getvalue()
    assert "sessionid-probe-value" in logs and "ValueError: no account for" in logs
    assert alice.mobile not in logs and alice.mobile[:3] + "****" + alice.mobile[-4:] in logs
    assert alice.id_number not in logs and alice.id_number[:6] + "********" + alice.id_number[-4:] in logs
