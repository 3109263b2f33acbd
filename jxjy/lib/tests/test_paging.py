"""One pager (templates/_pager.html with jxjy.lib.paging.paginate): its links keep the list's filters and never
repeat `page`; a page number out of range or not a number shows the nearest page."""

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from jxjy.lib.paging import DEEPEST_PAGE, paginate


def test_the_links_keep_the_filters_and_replace_the_page():
    request = RequestFactory().get("/list/", {"status": "pending", "q": "张 伟", "page": "2"})
    page = paginate(request, list(range(45)), 20)
    assert page.number == 2 and list(page.object_list) == list(range(20, 40))
    html = render_to_string("_pager.html", {"page": page})
    assert 'href="?status=pending&amp;q=%E5%BC%A0+%E4%BC%9F&amp;page=1">上一页</a>' in html
    assert 'href="?status=pending&amp;q=%E5%BC%A0+%E4%BC%9F&amp;page=3">下一页</a>' in html
    assert "第 2 / 3 页" in html


def test_a_bad_page_number_shows_the_nearest_page_and_one_page_shows_no_pager():
    assert paginate(RequestFactory().get("/", {"page": "99"}), list(range(45)), 20).number == 3
    assert paginate(RequestFactory().get("/", {"page": "x"}), list(range(45)), 20).number == 1
    only = paginate(RequestFactory().get("/"), list(range(5)), 20)
    assert only.query == "" and render_to_string("_pager.html", {"page": only}).strip() == ""


# --- a long list counts only one page ahead (issue 17: the audit log's millions of rows are never all counted) ---


@pytest.mark.django_db
def test_a_long_list_is_counted_one_page_ahead_only():
    from jxjy.accounts.models import City

    cities = City.objects.order_by("code")  # 14 rows
    with CaptureQueriesContext(connection) as captured:
        first = paginate(RequestFactory().get("/"), cities, 5, ahead=1)
        html = render_to_string("_pager.html", {"page": first})
    assert (first.paginator.count, first.paginator.more, first.paginator.known) == (11, True, 10)
    assert "第 1 / 3+ 页" in html and "page=2" in html
    count = next(q["sql"] for q in captured if "COUNT(" in q["sql"].upper())
    assert "LIMIT 11" in count.upper()  # the scan stops there
    last = paginate(RequestFactory().get("/", {"page": "3"}), cities, 5, ahead=1)
    assert (last.paginator.count, last.paginator.more, len(last.object_list)) == (14, False, 4)
    assert "第 3 / 3 页" in render_to_string("_pager.html", {"page": last})


@pytest.mark.django_db
def test_a_crafted_deep_page_is_not_counted_to_the_end():
    from jxjy.accounts.models import City

    page = paginate(RequestFactory().get("/", {"page": "99999999"}), City.objects.order_by("code"), 5, ahead=1)
    assert page.paginator.limit == (DEEPEST_PAGE + 1) * 5 and page.number == 3
