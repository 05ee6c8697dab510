"""The one GOV.UK pagination component: links keep the other query parameters and say where they go."""

from django.core.paginator import Paginator

from core.templatetags.govuk import pagination


def test_single_page_has_no_pagination():
    assert pagination(Paginator(range(10), 50).get_page(1)) == ""


def test_middle_page_links_both_ways_and_keeps_the_query():
    page = Paginator(range(120), 50).get_page(2)
    html = pagination(page, "round=3&sort=-score", "Pages of bids")
    assert 'aria-label="Pages of bids"' in html
    assert 'href="?round=3&amp;sort=-score&amp;page=1" rel="prev"' in html
    assert 'href="?round=3&amp;sort=-score&amp;page=3" rel="next"' in html
    assert "Page 3 of 3" in html and "Page 1 of 3" in html


def test_first_page_has_only_next_and_plain_query():
    html = pagination(Paginator(range(120), 50).get_page(1))
    assert 'href="?page=2"' in html
    assert "govuk-pagination__prev" not in html


def test_query_values_are_escaped():
    html = pagination(Paginator(range(120), 50).get_page(1), 'q="><script>')
    assert "<script>" not in html
