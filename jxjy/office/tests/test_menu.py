"""One table (jxjy.office.menu.MENU) draws the back-office menu and decides who may open each page.

1. Every menu entry's address exists.
2. Every URL pattern under /office/, walked from `get_resolver()`, is checked by `office_view` (only the sign-in
   steps are not): a new back-office page cannot forget its access check or carry a role list of its own.
3. For every staff role, the menu shows exactly the entries whose pages that role can open (200), no more, no less."""

import re

import pytest
from django.urls import resolve, reverse

from conftest import make_staff, staff_client
from jxjy.accounts.models import Role
from jxjy.office.menu import AREAS, MENU
from jxjy.office.tests.test_every_url import patterns

pytestmark = [pytest.mark.django_db]

# The sign-in steps: open to a staff account before its second factor (StaffSecurityMiddleware), so not an area.
SIGN_IN_STEPS = {"office:login", "office:logout", "office:otp_enrol", "office:otp_verify", "office:password_change"}
STAFF_ROLES = [Role.PROVINCE, Role.CITY, Role.FINANCE, Role.CONTENT, Role.SYSTEM, Role.SECURITY, Role.AUDITOR]


def test_every_menu_entry_resolves():
    entries = [area for area in MENU if area.url_name]
    assert entries
    for area in entries:
        assert area.label, f"{area.key}: a menu entry without a label"
        url = reverse(area.url_name)
        assert url.startswith("/office/"), (area.key, url)
        assert getattr(resolve(url).func, "office_area", None) == area.key, f"{url} is not checked as {area.key!r}"


def test_every_back_office_page_goes_through_office_view():
    unchecked, seen = [], 0
    for name, item, prefix, _args in patterns():
        if not prefix.startswith("office/"):
            continue
        seen += 1
        area = getattr(item.callback, "office_area", None)
        if name in SIGN_IN_STEPS:
            assert area is None, f"{name}: a sign-in step must stay open before the second factor"
        elif area not in AREAS:
            unchecked.append(f"{prefix}{item.pattern} ({name})")
    assert seen > 30, "the walk found too few back-office pages"
    assert not unchecked, "back-office pages not decorated with @office_view(...): " + ", ".join(unchecked)


def _menu_links(html):
    """The hrefs of the back-office menu, without the staff member's own account links (修改密码, 退出登录)."""
    nav = re.search(r'<nav class="office-nav"[^>]*>(.*?)</nav>', html, re.S).group(1)
    return set(re.findall(r'<a href="([^"]+)"', nav)) - {reverse("office:password_change")}


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_the_menu_shows_a_role_exactly_the_areas_it_may_open(catalog, role):
    client = staff_client(make_staff(f"menu-{role}", role, "320100" if role == Role.CITY else None))
    shown = _menu_links(client.get(reverse("office:home")).content.decode())
    entries = {reverse(area.url_name) for area in MENU if area.url_name}
    opens = {url for url in entries if client.get(url).status_code == 200}
    assert reverse("office:home") in shown
    assert shown == opens, {"shown but refused": shown - opens, "allowed but not shown": opens - shown}
