"""Every form, sent hostile values in every field by a person allowed to send it: the service answers with a page
or a refusal, never a server error (80 forms, ten values each).

The routes, who may post to them and the objects come from the permission matrix (`tests/test_permission_matrix.py`).
A form's fields are read from its page (or, for a route with no page, from what the matrix posts). Each request
runs in a transaction that is rolled back, so one world serves them all.
"""

from __future__ import annotations

import re

import pytest

from tests.test_permission_matrix import first_allowed_posts, send, world  # noqa: F401 - `world` is the fixture

pytestmark = pytest.mark.django_db

# What people and attackers type: a NUL byte, an enormous value, numbers that are not what they seem (exponent,
# negative, not a number, too many digits, another script's digits), markup, blanks and a right-to-left override.
HOSTILE = [
    "\x00",
    "x" * 20_000,
    "1e9",
    "-1",
    "NaN",
    "9" * 40,
    "٣٤",
    "<script>alert(1)</script>",
    "   ",
    "\u202eevil",
]

FIELD = re.compile(r'<(?:input|textarea|select)\b[^>]*\bname="([^"]+)"', re.IGNORECASE)
NOT_TYPED = {"csrfmiddlewaretoken"}


def field_names(html: str) -> set[str]:
    """The names of the fields in the page's main content (not the navigation's sign-out form)."""
    main = html.split('id="main-content"', 1)[-1]
    return set(FIELD.findall(main)) - NOT_TYPED


def hostile_cases(world) -> list[tuple[str, str, str, set[str]]]:  # noqa: F811 - the fixture's value
    """(route name, actor, URL, the names of the form's fields) for every form."""
    cases = []
    for name, actor, url, route in first_allowed_posts(world):
        names = set(route.data(world) if callable(route.data) else route.data)
        page = send(world.clients[actor], "GET", url, {}) if route.get is not None else None
        if page is not None and page.status_code == 200 and page["Content-Type"].startswith("text/html"):
            names |= field_names(page.content.decode())
        cases.append((name, actor, url, names))
    return cases


def test_every_form_answers_hostile_values_without_a_server_error(world):  # noqa: F811 - the fixture
    cases = hostile_cases(world)
    assert len(cases) > 60, f"only {len(cases)} forms found: has the permission matrix lost its routes?"
    errors = []
    for name, actor, url, names in cases:
        for value in HOSTILE:
            response = send(world.clients[actor], "POST", url, dict.fromkeys(names, value))
            if response.status_code >= 500:
                errors.append(f"{name}: POST {url} as {actor} with {value[:20]!r} in {sorted(names)}: HTTP 500")
    assert not errors, "\n".join(errors)
