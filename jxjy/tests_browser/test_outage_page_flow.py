"""A learner meets an outage in a real browser (issue 13, item 4): while the database (or Redis) is down the page
they open is the calm 503 — 系统繁忙，请稍后再试, the request id to quote, a way home, readable on a 360-px phone, in
大字模式 and on a desktop — and once it is back the same page works again, still signed in."""

import re
from importlib import import_module
from unittest import mock

import pytest
import redis
from django.conf import settings
from django.db import OperationalError
from playwright.sync_api import expect

from .conftest import browsing_session
from .steps import at, log_in

pytestmark = pytest.mark.browser

VARIANTS = {"phone": ("phone", False), "phone-large": ("phone", True), "desktop": ("desktop", False)}


@pytest.fixture(params=list(VARIANTS))
def browsing(request, browser, live_server):
    viewport, large = VARIANTS[request.param]
    for session in browsing_session(browser, viewport, live_server, expected_error="503"):
        if large:  # the portal's 大字模式 switch sets this cookie; the error pages read it without the session
            session.page.context.add_cookies([{"name": "jxjy_a11y", "value": "1", "url": live_server.url}])
        session.variant = request.param
        yield session


def test_a_database_outage_is_a_calm_page_and_the_learner_is_still_signed_in_after(browsing, alice):
    page = browsing.page
    log_in(browsing, alice, f"outage-01-login-{browsing.variant}")
    # Where the sessions live goes away (the database, or Redis when it holds them): loading the session is the
    # first thing every signed-in page does.
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if settings.REDIS_URL:
        refused = redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    else:
        refused = OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')
    with mock.patch.object(store, "load", side_effect=refused):
        response = page.goto("/center/")
        assert response.status == 503 and response.headers["retry-after"] == "15"
        expect(page.get_by_role("heading", name="系统繁忙，请稍后再试")).to_be_visible()
        expect(page.get_by_text("您已保存的学习记录和答案不会丢失。")).to_be_visible()
        expect(page.get_by_text(re.compile(r"请提供编号：[0-9a-f]{8,}"))).to_be_visible()  # the id to quote
        assert "Traceback" not in page.content() and type(refused).__name__ not in page.content()
        html = page.locator("html")
        if browsing.variant == "phone-large":
            expect(html).to_have_class(re.compile(r"\ba11y\b"))
            size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('main p')).fontSize)")
            assert size >= 18, f"大字模式 body text {size} px"
        home = page.get_by_role("link", name="返回首页")
        box = home.bounding_box()
        assert box["height"] >= 44, f"返回首页 is {box['height']} px high"  # a finger-sized target
        browsing.snap(f"outage-02-busy-{browsing.variant}")
    # Back: the same page, still signed in — nobody had to start again.
    page.reload()
    expect(page).to_have_url(at("/center/"))
    expect(page.get_by_role("heading", name="系统繁忙，请稍后再试")).to_have_count(0)
    browsing.snap(f"outage-03-back-{browsing.variant}")
