"""Sign-in hardening in a real browser, checked with axe-core: setting up an authenticator app (secret, QR code,
confirming a code, recovery codes shown once), the code asked for at sign-in with its errors, a recovery code,
and the lock-out page after repeated wrong passwords."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from councils.choices import Role
from tests.e2e.browser import assert_accessible
from tests.factories import make_council, make_user
from tests.factories.two_factor import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def password_step(page, email: str, password: str = "correct-horse-battery") -> None:
    page.goto("/sign-in/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def test_staff_set_up_an_authenticator_app_then_sign_in_with_its_code(new_page):
    staff = make_user(role=Role.PROGRAMME_STAFF, email="new.staff@example.test")
    page = new_page()
    password_step(page, staff.email)
    assert "/account/two-factor/set-up/" in page.url
    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    # The QR code is an image the CSP allows (served by the service) and it has loaded.
    assert page.evaluate("document.querySelector('img.app-qr-code').naturalWidth") > 0
    assert re.fullmatch(r"[A-Z2-7 ]+", page.locator("#secret-key").inner_text().strip())
    assert_accessible(page)

    page.get_by_label("Code from your authenticator app").fill("12")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)

    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    page.get_by_label("Code from your authenticator app").fill(totp_code(device))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    assert page.locator(".app-recovery-codes li").count() == 10
    assert_accessible(page)
    page.get_by_role("link", name="I have saved my recovery codes").click()
    page.wait_for_url("**/pipeline/")

    # Next time: the password, then the app's code.
    again = new_page()
    password_step(again, staff.email)
    assert "/sign-in/two-factor/" in again.url
    assert_accessible(again)
    again.get_by_label("Code from your authenticator app").fill("000000")
    again.get_by_role("button", name="Continue").click()
    expect(again.locator("main")).to_contain_text("The code is not correct or has expired")
    assert_accessible(again)
    again.get_by_role("link", name="I cannot use my authenticator app").click()
    expect(again.get_by_role("heading", name="Use a recovery code")).to_be_visible()
    assert_accessible(again)


def test_the_lock_out_page_says_when_to_try_again(new_page):
    member = make_user(councils=[make_council("LOK", "Lockshire")], email="member@lockshire.example.test")
    page = new_page()
    for _ in range(10):
        password_step(page, member.email, "not-the-password")
    password_step(page, member.email)
    expect(page.get_by_role("heading", name="Sign-in is locked for 15 minutes")).to_be_visible()
    assert "You can try again after" in page.content()
    assert_accessible(page)


def test_a_council_user_turns_on_two_factor_from_their_account(new_page):
    member = make_user(councils=[make_council("ACC", "Accountshire")], email="member@accountshire.example.test")
    page = new_page()
    password_step(page, member.email)
    page.get_by_role("link", name="Your account").click()
    assert_accessible(page)
    page.get_by_role("link", name="Set up two-factor sign-in").click()
    device = TOTPDevice.objects.get(user=member, confirmed=False)
    page.get_by_label("Code from your authenticator app").fill(totp_code(device))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name="I have saved my recovery codes").click()
    expect(page.locator("main")).to_contain_text("On: authenticator app")
    assert_accessible(page)
