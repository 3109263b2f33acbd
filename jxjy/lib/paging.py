"""One page of a list, for templates/_pager.html (上一页 · 第 n / m 页 · 下一页)."""

from django.core.paginator import Page, Paginator


def paginate(request, items, per_page: int = 20) -> Page:
    """The page `?page=` asks for (a number out of range or not a number gives the nearest page). `page.query` is
    the request's other parameters, so the pager's links keep the list's filters."""
    page = Paginator(items, per_page).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    page.query = params.urlencode()
    return page
