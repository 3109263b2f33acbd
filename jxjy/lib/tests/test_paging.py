"""One pager (templates/_pager.html with jxjy.lib.paging.paginate): its links keep the list's filters and never
repeat `page`; a page number out of range or not a number shows the nearest page."""

from django.template.loader import render_to_string
from django.test import RequestFactory

from jxjy.lib.paging import paginate


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
