"""大字模式 switch: JSON for site.js's fetch (no page reload), the POST + redirect fallback without JavaScript."""

import pytest
from django.urls import reverse

from jxjy.lib.outage import A11Y_COOKIE

pytestmark = pytest.mark.django_db

AJAX = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


def test_the_script_gets_json_and_the_cookie_flips_both_ways(client):
    response = client.post(reverse("portal:a11y"), {"next": "/notices/"}, **AJAX)
    assert response.status_code == 200
    assert response.json() == {"a11y": True, "label": "标准模式"}
    assert response.cookies[A11Y_COOKIE].value == "1"
    assert 'class="a11y"' in client.get("/privacy/").content.decode()

    response = client.post(reverse("portal:a11y"), {"next": "/notices/"}, **AJAX)
    assert response.json() == {"a11y": False, "label": "大字模式"}
    assert response.cookies[A11Y_COOKIE]["max-age"] == 0
    assert 'class="a11y"' not in client.get("/privacy/").content.decode()


def test_without_the_script_the_form_posts_and_comes_back(client):
    response = client.post(reverse("portal:a11y"), {"next": "/notices/"})
    assert response.status_code == 302 and response.url == "/notices/"
    assert 'class="a11y"' in client.get("/notices/").content.decode()


def test_the_switch_needs_the_csrf_token(client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(reverse("portal:a11y"), {"next": "/"}, **AJAX).status_code == 403


def test_the_page_marks_the_switch_for_the_script(client):
    html = client.get("/").content.decode()
    assert "data-a11y-toggle" in html
    assert 'aria-pressed="false"' in html


def test_captcha_has_a_visible_change_button(client):
    html = client.get(reverse("accounts:login")).content.decode()
    assert '<button type="button" class="captcha-change" data-captcha-refresh>看不清？换一张</button>' in html


def test_a_phone_sees_where_it_is_and_a_way_back(client, alice, catalog):
    """Sub-pages of 学员中心 name themselves (学员中心 ▸ 我的订单) with a 菜单 disclosure; class pages link back."""
    from jxjy.certificates.tests.helpers import enroll

    enrollment = enroll(alice, catalog[(2026, "L4")])
    client.force_login(alice)
    orders = client.get(reverse("orders:list")).content.decode()
    assert '<span class="menu-here">我的订单</span>' in orders
    assert '<summary class="menu-toggle">菜单</summary>' in orders
    center = client.get(reverse("learning:center")).content.decode()
    assert "menu-toggle" not in center  # 学员中心 itself shows every item
    home = client.get(reverse("learning:class_home", args=[enrollment.pk])).content.decode()
    assert 'class="back-link" href="/center/"' in home and "返回学员中心" in home
