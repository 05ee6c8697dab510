"""Pagination of plain rows, counted without the joins the rows need.

A page of the bid table or the API reads plain rows (`.values()` across the round and lead council), which
saves building model instances. Counting that same query would count through the joins — a scan of every
bid — whereas counting the bids alone (with only the filters' own joins) is a cheap index scan.
"""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination

from core.formatting import plural
from core.forms import typed_digits


class RowsPaginator(Paginator):
    """Paginates a model queryset, counting it as it is and reading each page as `.values(*fields)`.

    With `count_in_rows` (for searches no index answers, which scan every bid anyway) the total comes with the
    page's rows (`COUNT(*) OVER ()`), so the search runs once rather than once for the rows and again for the
    count. Where an index answers the search (PostgreSQL), counting apart is cheaper: the page's rows then come
    from walking the sort's index and stopping at the page's end.
    """

    fields: tuple[str, ...] = ()

    def __init__(
        self,
        object_list: QuerySet,
        per_page: int,
        *args,
        fields: tuple[str, ...] = (),
        count_in_rows: bool = False,
        **kwargs,
    ) -> None:
        super().__init__(object_list, per_page, *args, **kwargs)
        self.fields = fields or self.fields
        self.count_in_rows = count_in_rows

    def _rows(self, bottom: int, top: int) -> list[dict]:
        if not self.count_in_rows:
            return list(self.object_list.values(*self.fields)[bottom:top])
        rows = list(self.object_list.annotate(_total=Window(Count("pk"))).values(*self.fields, "_total")[bottom:top])
        if rows:
            self.__dict__["count"] = rows[0]["_total"]
        return rows

    def get_page(self, number) -> Page:
        # The first page (also the page for a missing number) is fetched before anything is counted.
        if number in (None, "", 1, "1"):
            return self.page(1)
        return super().get_page(number)

    def page(self, number) -> Page:
        if str(number) == "1":
            # A first page with room to spare holds every match: its length is the count, so a narrow search
            # skips the COUNT query (which would repeat the search's scan).
            rows = self._rows(0, self.per_page + self.orphans + 1)
            if len(rows) <= self.per_page + self.orphans:
                self.__dict__["count"] = len(rows)
                return self._get_page(rows, 1, self)
            return self._get_page(rows[: self.per_page], 1, self)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(self._rows(bottom, top), number, self)


class PageNumbers(PageNumberPagination):
    """The API's pages: `page` is one whole number from 1 (or `last`), refused with a 400 saying so otherwise (given
    twice too, as a list's filters are); a page past the last is not found (404), saying which pages there are."""

    def get_page_number(self, request, paginator):
        if len(request.query_params.getlist(self.page_query_param)) > 1:
            raise ValidationError({self.page_query_param: ["Choose one page, not several"]})
        number = super().get_page_number(request, paginator)
        if number in self.last_page_strings:
            return number
        text = str(number)
        if not typed_digits(text) or int(text) < 1:
            raise ValidationError({self.page_query_param: ["Enter a page number: a whole number from 1"]})
        # Past the first page the count is needed anyway (the paginator keeps it), so saying how many is free.
        if int(text) > 1 and int(text) > paginator.num_pages:
            raise NotFound(f"There is no page {int(text)}: {pages_of_results(paginator)}")
        return number


def pages_of_results(paginator: Paginator) -> str:
    if paginator.count == 0:
        return "there are no results"
    return f"there {'is' if paginator.num_pages == 1 else 'are'} {plural(paginator.num_pages, 'page')} of results"


def rows_pagination(fields: tuple[str, ...]) -> type[PageNumberPagination]:
    """A DRF pagination class whose pages are plain rows of `fields`."""

    class _Paginator(RowsPaginator):
        pass

    _Paginator.fields = fields

    class RowsPagination(PageNumbers):
        django_paginator_class = _Paginator

    return RowsPagination
