"""The 模拟银行 pays any order at the press of a button: it exists in development only, whatever PAYMENT_PROVIDERS
says, and its signing key has no default outside development (issue 12, item 11)."""

import pytest
from django.test import Client
from django.urls import reverse

from jxjy.orders.tests.helpers import place
from jxjy.payments.checks import no_development_gateway_in_production
from jxjy.payments.models import Payment
from jxjy.payments.providers import enabled_providers, get_provider
from jxjy.payments.providers.base import VerificationError
from jxjy.payments.providers.mockbank import sign
from jxjy.portal.tests.test_portal import run_production

from .helpers import body_for, notify

pytestmark = pytest.mark.django_db

MOCKBANK = {"mockbank": "jxjy.payments.providers.mockbank.MockBankProvider"}


def test_the_registry_refuses_the_mock_bank_without_dev_tools(settings):
    settings.PAYMENT_PROVIDERS = MOCKBANK
    assert get_provider("mockbank").name == "mockbank"
    settings.DEV_TOOLS = False
    with pytest.raises(LookupError):
        get_provider("mockbank")
    assert enabled_providers() == []


def test_without_dev_tools_the_mock_bank_can_neither_be_chosen_nor_notify(client, alice, catalog, settings):
    client.force_login(alice)
    order = place(client, catalog[(2026, "L4")])
    payment = Payment.objects.create(order=order, provider="mockbank", amount=order.amount, status="pending")
    body = body_for(payment)
    settings.DEV_TOOLS = False
    assert "模拟银行" not in client.get(reverse("orders:detail", args=[order.number])).content.decode()
    response = client.post(reverse("payments:pay", args=[order.number]), {"provider": "mockbank"}, follow=True)
    assert "请选择支付方式" in response.content.decode()
    assert notify(Client(), body).status_code == 404
    order.refresh_from_db()
    assert order.status == "pending"


def test_the_check_refuses_the_mock_bank_outside_development(settings):
    settings.PAYMENT_PROVIDERS = {"alipay": "jxjy.payments.providers.alipay.AlipayProvider", **MOCKBANK}
    settings.DEBUG, settings.DEV_TOOLS = True, True
    assert no_development_gateway_in_production(None) == []
    for debug, dev_tools in ((False, True), (True, False), (False, False)):
        settings.DEBUG, settings.DEV_TOOLS = debug, dev_tools
        assert [e.id for e in no_development_gateway_in_production(None)] == ["payments.E001"]
    settings.PAYMENT_PROVIDERS = {"alipay": "jxjy.payments.providers.alipay.AlipayProvider"}
    assert no_development_gateway_in_production(None) == []


def test_nothing_is_signed_or_verified_with_an_empty_secret(settings):
    settings.MOCKBANK_SECRET = ""
    with pytest.raises(VerificationError):
        sign(b"{}")
    settings.PAYMENT_PROVIDERS = MOCKBANK
    assert not get_provider("mockbank").is_configured()


PROBE = """
import os, django
os.environ['DJANGO_SETTINGS_MODULE'] = 'jxjy.settings'
django.setup()
from django.conf import settings
from django.urls import Resolver404, resolve
from jxjy.payments.providers import get_provider
print('secret', repr(settings.MOCKBANK_SECRET), 'MOCKBANK_SECRET' in settings.DEV_SECRETS)
try:
    resolve('/mockbank/P1/'); print('ROUTED')
except Resolver404:
    print('NOT ROUTED')
try:
    get_provider('mockbank'); print('LOADED')
except LookupError:
    print('REFUSED')
"""


def test_in_production_there_is_no_secret_no_page_and_no_bank_even_if_listed():
    result = run_production("-c", PROBE)
    assert result.returncode == 0, result.stderr
    assert "secret '' False" in result.stdout
    assert "NOT ROUTED" in result.stdout
    listed = run_production("-c", "import os; os.environ['PAYMENT_PROVIDERS']='alipay,mockbank'\n" + PROBE)
    assert listed.returncode == 0, listed.stderr
    assert "REFUSED" in listed.stdout and "NOT ROUTED" in listed.stdout


def test_check_deploy_names_the_mock_bank():
    listed = run_production("-c", CHECK_WITH_MOCKBANK)
    assert listed.returncode != 0 and "payments.E001" in listed.stdout + listed.stderr


CHECK_WITH_MOCKBANK = """
import os, sys
os.environ['PAYMENT_PROVIDERS'] = 'alipay,mockbank'
sys.argv = ['manage.py', 'check', '--deploy']
from django.core.management import execute_from_command_line
os.environ['DJANGO_SETTINGS_MODULE'] = 'jxjy.settings'
execute_from_command_line(sys.argv)
"""
