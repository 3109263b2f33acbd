"""One page of a list, for templates/_pager.html (上一页 · 第 n / m 页 · 下一页).

The back office's long lists (审计日志, 订单管理, 视同申报审核, 学员管理) pass `ahead`: their rows are counted only as
far as `ahead` pages past the one shown. The audit log holds millions of records and a city's share of a table is
found row by row through the learner's city, so counting all of them on every page made the page slower the longer
the platform ran (issue 17: pages flat at 200,000 learners). Past what was counted the pager says "第 n / m+ 页"
and the list "超过 … 条", as large admin screens do; a list that ends within reach is counted exactly."""

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

LONG_LIST_AHEAD = 1  # the back office's long lists count one page past the one shown
DEEPEST_PAGE = 5000  # a page number past this is read as this one (so a crafted ?page= cannot count everything)


class CappedPaginator(Paginator):
    """Counts a queryset's rows up to `limit` only (COUNT(*) over a LIMIT subquery: the scan stops there). `more`
    says the list goes on past what was counted; `known` is how many rows are known to be there."""

    def __init__(self, object_list, per_page, *, limit: int):
        super().__init__(object_list, per_page)
        self.limit = limit
        self.more = False

    @cached_property
    def count(self):
        if not isinstance(self.object_list, QuerySet):
            return super().count
        counted = self.object_list[: self.limit + 1].count()
        self.more = counted > self.limit
        return counted

    @property
    def known(self) -> int:
        return self.count - 1 if self.more else self.count


def _asked(request) -> int:
    try:
        return min(max(int(request.GET.get("page", 1)), 1), DEEPEST_PAGE)
    except (TypeError, ValueError):
        return 1


def paginate(request, items, per_page: int = 20, *, ahead: int | None = None) -> Page:
    """The page `?page=` asks for (a number out of range or not a number gives the nearest page). `page.query` is
    the request's other parameters, so the pager's links keep the list's filters. `ahead`: count the rows only
    that many pages past the asked one (a long list); None counts them all."""
    if ahead is None:
        paginator = Paginator(items, per_page)
        paginator.more = False
    else:
        paginator = CappedPaginator(items, per_page, limit=(_asked(request) + ahead) * per_page)
    page = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    page.query = params.urlencode()
    return page
