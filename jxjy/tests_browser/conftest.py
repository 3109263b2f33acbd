"""Playwright fixtures: Debian's Chromium, one browser context per test and viewport, screenshots."""

import os
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORTS = {
    "phone": {  # the narrowest phone in common use: every page must read at 360 CSS px
        "viewport": {"width": 360, "height": 780},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
    "desktop": {"viewport": {"width": 1366, "height": 900}},
}
DEFAULT_TIMEOUT_MS = 10_000

# The widest elements, to name the culprit when a page scrolls sideways.
OVERFLOW_JS = """
() => {
  const root = document.documentElement;
  const limit = Math.min(window.innerWidth, root.clientWidth || window.innerWidth);
  const wide = [...document.body.querySelectorAll("*")]
    .filter((el) => el.getBoundingClientRect().right > limit + 1)
    .slice(0, 5)
    .map((el) => `${el.tagName.toLowerCase()}${el.className ? "." + String(el.className).replace(/ +/g, ".") : ""}`);
  return { scrollWidth: root.scrollWidth, innerWidth: window.innerWidth, wide };
}
"""


def chromium_path():
    for candidate in ("/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        pytest.skip("Chromium not found: install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _cities(transactional_db):
    """Transactional tests flush the database after each test, taking the cities of migration 0002 with it."""
    from jxjy.accounts.models import City
    from jxjy.lib.regions import CITIES

    for code, name in CITIES:
        City.objects.update_or_create(code=code, defaults={"name": name})


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploaded avatars go to the test's own directory, not var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request):
    return request.param


class Browsing:
    """The page of one test plus the checks made on every page visited: a screenshot and no sideways scroll."""

    def __init__(self, page, viewport, base_url):
        self.page = page
        self.viewport = viewport
        self.base_url = base_url
        self.width = VIEWPORTS[viewport]["viewport"]["width"]

    def path(self):
        return self.page.url.removeprefix(self.base_url) or "/"

    def snap(self, step):
        """Screenshot the current page as test-artifacts/screenshots/<viewport>-<step>.png, then check its width."""
        self.page.wait_for_load_state("load")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{self.viewport}-{step}.png"), full_page=True)
        self.assert_no_horizontal_overflow(step)

    def assert_no_horizontal_overflow(self, step):
        info = self.page.evaluate(OVERFLOW_JS)
        # A mobile browser zooms out to fit a page that is too wide, so also hold it to the viewport width.
        limit = min(info["innerWidth"], self.width) + 1
        assert info["scrollWidth"] <= limit, (
            f"{self.viewport} {step} ({self.path()}) scrolls sideways: scrollWidth {info['scrollWidth']} "
            f"> {limit - 1}; widest elements: {info['wide']}"
        )


def wait_for_requests_to_end(timeout=10.0):
    """Closing a page can send one more request (the player's last heartbeat on pagehide): let the live server
    finish every request before the test's database is emptied, or the emptying (TRUNCATE on PostgreSQL) and a
    request still holding row locks deadlock. The live server serves each connection in a thread named after
    socketserver's process_request_thread."""
    deadline = time.monotonic() + timeout
    idle_since = time.monotonic()
    while time.monotonic() - idle_since < 0.3 and time.monotonic() < deadline:  # a beacon may still be on its way
        if any("process_request_thread" in t.name for t in threading.enumerate() if t.is_alive()):
            idle_since = time.monotonic()
        time.sleep(0.02)


def browsing_session(browser, viewport, live_server, expected_error=None, options=None):
    """A Browsing in a fresh context; afterwards, no error in the browser console but those `expected_error` (a
    substring) names. Failed loads and CSP blocks (inline style="" attributes included) show there too. `options`
    override the context's (a viewport's size, bypass_csp=True for axe)."""
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", **{**VIEWPORTS[viewport], **(options or {})}
    )
    page = context.new_page()
    page.set_default_timeout(DEFAULT_TIMEOUT_MS)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield Browsing(page, viewport, live_server.url)
    context.close()
    wait_for_requests_to_end()
    unexpected = [error for error in errors if not (expected_error and expected_error in error)]
    assert not unexpected, f"errors in the browser console: {unexpected}"


def large_text_on(context, live_server):
    """大字模式 from the first page: its cookie, as the header button sets it."""
    from jxjy.lib.outage import A11Y_COOKIE

    context.add_cookies([{"name": A11Y_COOKIE, "value": "1", "url": live_server.url}])


@contextmanager
def browsing_in(browser, viewport, live_server, *, large_text=False, **kwargs):
    """`with browsing_in(...) as browsing:` — a browsing_session (its console check included) inside a test that
    needs its own context, e.g. one per mode."""
    session = browsing_session(browser, viewport, live_server, **kwargs)
    browsing = next(session)
    if large_text:
        large_text_on(browsing.page.context, live_server)
    yield browsing
    next(session, None)


@pytest.fixture
def browsing(browser, viewport, live_server):
    yield from browsing_session(browser, viewport, live_server)


@pytest.fixture
def stranger(browser, viewport, live_server):
    """Someone checking a certificate: a browser of their own, never signed in."""
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **VIEWPORTS[viewport])
    page = context.new_page()
    page.set_default_timeout(DEFAULT_TIMEOUT_MS)
    yield Browsing(page, viewport, live_server.url)
    context.close()
