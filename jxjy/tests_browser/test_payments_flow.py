"""立即支付 with its request key, in a real browser on a phone (the 409 page in 大字模式) and a desktop screen:
the pay form carries a key of its own, a repeat of the same form is answered like the first, the browser's 返回
gives a new key, and the page shown while the first request is still running (409) leads on with 继续支付.
Screenshots go to test-artifacts/screenshots/<viewport>-pay-*.png."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from .conftest import DEFAULT_TIMEOUT_MS, VIEWPORTS, Browsing
from .steps import at, log_in

pytestmark = pytest.mark.browser

BANK = re.compile(r"/mockbank/[^/]+/$")


@pytest.fixture
def order(alice, catalog):
    from jxjy.accounts.models import User
    from jxjy.orders import services as orders

    User.objects.filter(pk=alice.pk).update(grade="L4")
    alice.refresh_from_db()
    return orders.place_order(user=alice, class_ids=[catalog[(2026, "L4")].pk], invoice={"invoice_type": "none"})


def form_key(page):
    return page.locator("form.pay-form input[name=idempotency_key]").input_value()


def test_pay_with_the_forms_key_back_and_again(browsing, alice, order):
    from jxjy.payments.models import IdempotencyKey, Payment

    page = browsing.page
    log_in(browsing, alice, "pay-01-login")
    page.goto(f"/orders/{order.number}/")
    first_key = form_key(page)
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", first_key)
    browsing.snap("pay-02-order")
    page.get_by_role("button", name="继续支付").click()
    expect(page).to_have_url(BANK)
    browsing.snap("pay-03-bank")
    bank_page = page.url

    page.go_back()  # the learner comes back and presses the button again: a new request, the same open payment
    expect(page).to_have_url(at(f"/orders/{order.number}/"))
    expect(page.get_by_role("button", name="继续支付")).to_be_enabled()
    assert form_key(page) != first_key
    page.get_by_role("button", name="继续支付").click()
    expect(page).to_have_url(bank_page)
    assert Payment.objects.count() == 1 and IdempotencyKey.objects.count() == 2


def test_the_page_shown_while_the_first_request_runs_leads_on(browser, viewport, live_server, alice, order):
    """The same form sent again while its first request is still running gets 409 and a page that says so (the
    browser logs the 409 as a failed load: expected here, so this test keeps its own console); 继续支付 there sends
    the same request again and, once the first has its answer, lands where the first one went."""
    from jxjy.payments.models import IdempotencyKey, Payment

    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **VIEWPORTS[viewport])
    page = context.new_page()
    page.set_default_timeout(DEFAULT_TIMEOUT_MS)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    browsing = Browsing(page, viewport, live_server.url)
    log_in(browsing, alice, "pay-409-01-login")
    if viewport == "phone":
        page.get_by_role("button", name="大字模式").click()
    page.goto(f"/orders/{order.number}/")
    page.get_by_role("button", name="继续支付").click()
    expect(page).to_have_url(BANK)
    bank_page = page.url

    page.goto(f"/orders/{order.number}/")
    key = form_key(page)
    running = IdempotencyKey.objects.create(
        user=alice, key=key, fingerprint=fingerprint(order), locked_at=timezone.now()
    )
    page.get_by_role("button", name="继续支付").click()
    expect(page.get_by_role("heading", name="正在处理支付请求")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text("您的支付请求正在处理，请勿重复提交。")
    browsing.snap("pay-409-02-in-progress")
    IdempotencyKey.objects.filter(pk=running.pk).update(response_status=302, response_location=bank_page)
    page.get_by_role("button", name="继续支付").click()
    expect(page).to_have_url(bank_page)
    assert Payment.objects.count() == 1
    context.close()
    assert [e for e in errors if "409" not in e] == [], errors


def fingerprint(order):
    from django.test import RequestFactory

    from jxjy.payments.views import _fingerprint

    return _fingerprint(RequestFactory().post(f"/orders/{order.number}/pay/", {"provider": "mockbank"}))
