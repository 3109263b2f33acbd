"""Trust in what a proxy says: X-Request-ID only from TRUSTED_PROXY_IPS and only as a plain token; the sample nginx
trusts forwarded addresses only from the load balancer it names; gunicorn takes X-Real-IP from nginx only."""

import ipaddress
import re
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.urls import reverse

from jxjy.audit.models import AuditRecord, Event
from jxjy.lib import checks

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
NGINX = DEPLOY / "nginx.conf"
GUNICORN = DEPLOY / "gunicorn.conf.py"
FRESH = re.compile(r"[0-9a-f]{32}")
THEIRS = "0123456789abcdef0123456789abcdef"


def request_id(client, **meta):
    return client.get(reverse("portal:home"), **meta)["X-Request-ID"]


@pytest.mark.django_db
def test_a_clients_request_id_is_replaced(client, settings):
    settings.TRUSTED_PROXY_IPS = ["10.0.0.10"]
    answered = request_id(client, HTTP_X_REQUEST_ID=THEIRS, REMOTE_ADDR="198.51.100.7")
    assert answered != THEIRS and FRESH.fullmatch(answered)


@pytest.mark.django_db
@pytest.mark.parametrize("trusted", [["10.0.0.10"], ["10.0.0.8/29"], ["192.0.2.1", "10.0.0.10"]])
def test_the_proxys_request_id_is_kept(client, settings, trusted):
    settings.TRUSTED_PROXY_IPS = trusted
    assert request_id(client, HTTP_X_REQUEST_ID=THEIRS, REMOTE_ADDR="10.0.0.10") == THEIRS


@pytest.mark.django_db
def test_behind_gunicorn_the_proxy_is_nginx_not_the_client(client, settings):
    """deploy/gunicorn.conf.py puts the client's address in REMOTE_ADDR and nginx's in jxjy.proxy_addr."""
    settings.TRUSTED_PROXY_IPS = ["10.0.0.10"]
    meta = {"REMOTE_ADDR": "203.0.113.9", "HTTP_X_REQUEST_ID": THEIRS}
    assert request_id(client, **meta, **{"jxjy.proxy_addr": "10.0.0.10"}) == THEIRS
    assert request_id(client, **meta) != THEIRS


@pytest.mark.django_db
@pytest.mark.parametrize(
    "value", ["short", "a" * 65, "abc def ghi jkl", "abcdefgh\r\nX-Evil: 1", "<script>alert(1)</script>", "ünïcödé-id"]
)
def test_even_the_proxys_request_id_must_be_a_plain_token(client, settings, value):
    settings.TRUSTED_PROXY_IPS = ["10.0.0.10"]
    assert FRESH.fullmatch(request_id(client, HTTP_X_REQUEST_ID=value, REMOTE_ADDR="10.0.0.10"))


@pytest.mark.django_db
def test_the_audit_log_records_the_servers_id_not_the_clients(client):
    forged = "someone-elses-request-0001"
    client.post(reverse("office:login"), {"username": "nobody", "password": "x" * 12, "captcha_0": "x",
                                          "captcha_1": "PASSED"}, HTTP_X_REQUEST_ID=forged)  # fmt: skip
    entry = AuditRecord.objects.filter(event=Event.LOGIN_FAILED).latest("id")
    assert entry.request_id and entry.request_id != forged


# --- deploy/nginx.conf and deploy/gunicorn.conf.py -----------------------------------------------------------------


def _directives(name):
    text = "\n".join(line.split("#", 1)[0] for line in NGINX.read_text().splitlines())
    return re.findall(rf"^\s*{name}\s+([^;]+);", text, re.MULTILINE)


def test_nginx_trusts_forwarded_addresses_from_the_named_load_balancer_only():
    sources = _directives("set_real_ip_from")
    assert sources, "real_ip needs the load balancer's address"
    for source in sources:
        network = ipaddress.ip_network(source.strip(), strict=False)
        assert network.num_addresses == 1, f"{source}: a whole range could claim any client address"
    assert "LOAD_BALANCER_IP" in NGINX.read_text()  # the placeholder is named where it is set
    assert _directives("real_ip_header") == ["X-Forwarded-For"]
    # nginx replaces whatever the client sent with its own values.
    assert "X-Request-ID $request_id" in " ".join(_directives("proxy_set_header"))
    assert "X-Real-IP $remote_addr" in " ".join(_directives("proxy_set_header"))


def _gunicorn(monkeypatch, trusted):
    monkeypatch.delenv("GUNICORN_FORWARDED_ALLOW_IPS", raising=False)
    monkeypatch.setenv("TRUSTED_PROXY_IPS", trusted)
    config = runpy.run_path(str(GUNICORN))
    seen = {}

    def app(environ, start_response):
        seen.clear()
        seen.update(environ)
        return [b""]

    worker = SimpleNamespace(wsgi=app)
    config["post_worker_init"](worker)

    def call(**environ):
        worker.wsgi(environ, lambda *a: None)
        return seen.get("REMOTE_ADDR"), seen.get("jxjy.proxy_addr")

    return config, call


def test_gunicorn_reads_the_same_trusted_proxies_and_takes_only_an_ip_from_them(monkeypatch):
    config, call = _gunicorn(monkeypatch, "10.0.0.8/29,192.0.2.1")
    assert config["forwarded_allow_ips"] == "10.0.0.8/29,192.0.2.1"
    assert call(REMOTE_ADDR="10.0.0.10", HTTP_X_REAL_IP="203.0.113.9") == ("203.0.113.9", "10.0.0.10")
    assert call(REMOTE_ADDR="198.51.100.7", HTTP_X_REAL_IP="203.0.113.9") == ("198.51.100.7", None)
    # A trusted nginx passing garbage (or nothing) keeps its own address as the client's: never text in the audit log.
    assert call(REMOTE_ADDR="10.0.0.10", HTTP_X_REAL_IP="203.0.113.9, 1.2.3.4") == ("10.0.0.10", "10.0.0.10")
    assert call(REMOTE_ADDR="10.0.0.10") == ("10.0.0.10", "10.0.0.10")


def test_check_deploy_refuses_proxies_that_trust_everyone_or_are_no_address(settings):
    settings.TRUSTED_PROXY_IPS = ["0.0.0.0/0", "nginx.internal", "10.0.0.10", "::/0"]
    assert [error.id for error in checks.trusted_proxies_are_addresses(None)] == ["jxjy.E011", "jxjy.E010", "jxjy.E011"]
    settings.TRUSTED_PROXY_IPS = ["10.0.0.10", "10.0.0.8/29"]
    assert checks.trusted_proxies_are_addresses(None) == []


@pytest.mark.django_db
def test_a_misconfigured_entry_trusts_nothing_and_breaks_nothing(client, settings):
    settings.TRUSTED_PROXY_IPS = ["nginx.internal"]
    assert FRESH.fullmatch(request_id(client, HTTP_X_REQUEST_ID=THEIRS, REMOTE_ADDR="10.0.0.10"))
