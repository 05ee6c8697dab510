"""The base layout in a real browser: GOV.UK assets load and the sign-in page has no axe violations."""

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import assert_accessible, sign_in
from tests.factories import make_council, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_page_is_styled_and_accessible_including_errors(new_page):
    page = new_page()
    response = page.goto("/sign-in/")
    assert response.status == 200
    # GOV.UK Frontend's stylesheet and its fonts are served locally and applied.
    font = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert "GDS Transport" in font
    assert page.request.get("/assets/fonts/light-94a07e06a1-v2.woff2").status == 200
    assert_accessible(page)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert "Enter your email address" in page.content()
    assert_accessible(page)


def test_council_member_signs_in_and_lands_on_their_bids(new_page):
    user = make_user(councils=[make_council("ZZA", "Zedshire")], email="officer@zed.example.test")
    page = new_page()
    sign_in(page, user.email)
    page.wait_for_url("**/bids/")
    expect(page.get_by_role("heading", name="Your bids")).to_be_visible()
    assert_accessible(page)
