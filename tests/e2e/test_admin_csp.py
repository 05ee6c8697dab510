"""The Django admin works under the service's Content-Security-Policy (the new_page fixture fails the test on
any violation): sign in, a list with its filters and search, a change form with its widgets."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from councils.choices import Role
from tests.e2e.browser import sign_in
from tests.factories import make_council, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_django_admin_works_under_the_content_security_policy(new_page):
    admin = make_user(role=Role.ADMIN, email="admin@example.test")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    make_council("ADM", "Adminshire")
    page = new_page()
    sign_in(page, admin.email)
    page.goto("/django-admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    page.goto("/django-admin/councils/council/?q=Admin")
    page.get_by_role("link", name="Adminshire").first.click()
    page.wait_for_selector("form#council_form")
    # The admin's own scripts ran (they are files, allowed by script-src 'self'): the date shortcuts exist.
    assert page.evaluate("typeof django !== 'undefined' && typeof django.jQuery === 'function'")
