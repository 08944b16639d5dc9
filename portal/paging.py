"""Paging of every list page: counts stop where the page needs them (large lists say
"200+")."""
from django.core.paginator import Paginator
from django.utils.functional import cached_property

from .selectors import COUNT_CAP, capped_count

PAGE_SIZE = 25


class CappedPaginator(Paginator):
    """A paginator that counts only as far as it must (``capped_count``): a page or two past
    the one asked for, at least ``COUNT_CAP`` and at most ``MAX_ROWS`` rows. Beyond that the
    page says "200+" / "9+ 页"; deep pages of a large list are what search and filters are
    for."""

    MAX_ROWS = 2000  # 80 pages of 25

    def __init__(self, object_list, per_page, *, page):
        super().__init__(object_list, per_page)
        try:
            wanted = (int(page) + 1) * per_page
        except (TypeError, ValueError):
            wanted = per_page
        self.cap = min(max(wanted, COUNT_CAP), self.MAX_ROWS)

    @cached_property
    def count(self) -> int:
        return capped_count(self.object_list, self.cap)


def page_of(object_list, request):
    """The page of ``object_list`` that ``?page=`` asks for (the last one for a number past
    the end, the first for anything else)."""
    number = request.GET.get("page")
    return CappedPaginator(object_list, PAGE_SIZE, page=number).get_page(number)


def page_rows(page) -> list:
    """The rows of a page past the first in two steps: their ids (the filter, the order and
    the offset over narrow rows), then those rows with everything the list shows. One query
    in a single step sorted every matching row with all its joined columns to skip the
    first ones: 85 of the 100 ms of a county inbox's page 50 (bench/README.md, third
    pass). The first page is one query (an index walk stops after 25 rows)."""
    if page.number <= 1:
        return list(page.object_list)
    ids = list(page.object_list.values_list("pk", flat=True))
    rows = {row.pk: row for row in page.paginator.object_list.filter(pk__in=ids)}
    return [rows[pk] for pk in ids if pk in rows]
