"""Hostile input in URLs is a 404 or a 400, never a 500: every route with a bid reference or a round code in its
path (walked from the URLconf, so a new route is covered without being listed), and every route's query
string, for an anonymous visitor and for programme staff."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern

from councils.choices import Role
from tests.factories import make_round, make_user

pytestmark = pytest.mark.django_db

IDENTIFIERS = ("reference", "code")
JUNK = ["%00", "LDF-R6-0001%00", "R6%00", "LDF-R6-0001%20OR%201=1", "x" * 300]
QUERY_JUNK = "?round=%00&q=%00&page=%00&sort=%00&state=%00&lead=%00&phase=%00&partial=%00&%00=1"
# Filled in for the route's other parameters, so only the identifier is junk.
OTHER_VALUES = {"int": "1", "slug": "about", "path": "1"}


def routes(resolver=None, prefix: str = ""):
    """Every route of the URLconf as a template like 'bids/<reference:reference>/costs/'."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry.pattern, RoutePattern):
            part = str(entry.pattern)
        else:  # DRF's router: regex patterns; written as a route so they are filled in the same way
            part = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<regex:\1>", entry.pattern.regex.pattern)
            part = part.lstrip("^").removesuffix("$").replace("\\.", ".").replace("/?", "/")
        if isinstance(entry, URLResolver):
            yield from routes(entry, prefix + part)
        elif isinstance(entry, URLPattern):
            yield prefix + part


def parameters(route: str) -> list[tuple[str, str]]:
    return re.findall(r"<(?:(\w+):)?(\w+)>", route)


def fill(route: str, junk: str) -> str:
    def value(match: re.Match) -> str:
        converter, name = match.group(1) or "str", match.group(2)
        return junk if name in IDENTIFIERS else OTHER_VALUES.get(converter, "1")

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


IDENTIFIER_ROUTES = sorted(
    {route for route in routes() if any(name in IDENTIFIERS for _converter, name in parameters(route))}
)
PLAIN_ROUTES = sorted({route for route in routes() if not parameters(route) and not route.startswith("django-admin")})


def clients() -> dict[str, Client]:
    staff = Client(raise_request_exception=False)
    staff.force_login(make_user(role=Role.PROGRAMME_STAFF, email="staff@hostile.example.test"))
    return {"anonymous": Client(raise_request_exception=False), "staff": staff}


def test_the_walk_finds_the_routes_that_take_references_and_codes():
    assert len(IDENTIFIER_ROUTES) >= 20
    assert "funded/<code:code>/360giving.json" in IDENTIFIER_ROUTES
    assert "bids/<reference:reference>/" in IDENTIFIER_ROUTES


@pytest.mark.parametrize("route", IDENTIFIER_ROUTES)
def test_junk_in_a_reference_or_code_is_not_found(route):
    make_round(code="R6")
    for who, client in clients().items():
        for junk in JUNK:
            for method in ("get", "post"):
                response = getattr(client, method)(fill(route, junk))
                assert response.status_code in (400, 404), (who, method, fill(route, junk), response.status_code)


@pytest.mark.parametrize("route", PLAIN_ROUTES)
def test_junk_in_a_query_string_is_never_a_server_error(route):
    for who, client in clients().items():
        response = client.get(fill(route, "") + QUERY_JUNK)
        assert response.status_code < 500, (who, route, response.status_code)


def test_a_nul_byte_in_the_query_string_is_a_bad_request_with_a_message():
    response = Client().get(reverse("pipeline:funded") + "?round=%00")
    assert response.status_code == 400
    assert "There is a problem with the web address" in response.content.decode()


@pytest.mark.parametrize("path", ["/api/projects/", "/api/bids/", "/api/360giving/"])
def test_a_nul_byte_sent_to_the_api_is_answered_in_json(path):
    response = Client().get(path + "?round=%00")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The web address contains a character (NUL) that no page of this service takes"
    }


@pytest.mark.parametrize("code", ["R6%3B", "%2e%2e", "x" * 11, "R 6"])
def test_the_open_data_api_refuses_a_round_that_is_not_a_code(code):
    response = Client().get(reverse("pipeline:api_360giving") + f"?round={code}")
    assert response.status_code == 400
    assert "round" in response.json()


def test_a_round_code_must_be_letters_and_digits():
    from django.core.exceptions import ValidationError

    funding_round = make_round(code="R7")
    funding_round.code = "R7/../"
    with pytest.raises(ValidationError, match="letters and digits"):
        funding_round.full_clean()
