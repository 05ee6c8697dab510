"""Sign-in hardening: repeated wrong passwords lock the account and the address out (the sign-in page and
Django admin alike) with a page saying when to try again; two-factor sign-in (an authenticator app's code, or
a one-time recovery code) is required for programme staff, assessors and administrators and optional for
council users, set up and used through GOV.UK pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from councils.choices import Role
from councils.signin import client_ip
from notifications.choices import Event
from notifications.models import Notification
from tests.factories import make_council, make_user
from tests.factories.two_factor import make_totp_device, totp_code

pytestmark = [pytest.mark.django_db, pytest.mark.two_factor]

PASSWORD = "correct-horse-battery"


def sign_in(client: Client, email: str, password: str = PASSWORD, **extra):
    return client.post(reverse("login"), {"username": email, "password": password}, **extra)


# --- Lock-out ---------------------------------------------------------------------------------------------


def test_twenty_wrong_passwords_lock_the_account_and_then_the_right_one_is_refused_too(settings):
    user = make_user(councils=[make_council()], email="officer@council.example.test")
    client = Client()
    statuses = [sign_in(client, user.email, f"wrong-{attempt}").status_code for attempt in range(20)]
    # The first attempts are judged as passwords (refused: 400, as on every page); once the limit is reached every
    # attempt meets the lock-out.
    assert statuses[: settings.AXES_FAILURE_LIMIT - 1] == [400] * (settings.AXES_FAILURE_LIMIT - 1)
    assert set(statuses[settings.AXES_FAILURE_LIMIT :]) == {429}

    response = sign_in(client, user.email)
    assert response.status_code == 429
    html = response.content.decode()
    assert "Sign-in is locked for 15 minutes" in html
    assert re.search(r"You can try again after \d{1,2}(:\d\d)?(am|pm)|midday|midnight", html)
    assert "govuk-heading-l" in html
    assert "_auth_user_id" not in client.session


def test_resetting_the_password_lifts_the_lock_as_the_lock_out_page_says_and_the_person_is_told(settings):
    """The lock-out page suggests resetting the password: the link from the email proves the person holds the
    account's address, so the lock on the account (and on the address they reset from) goes, and they are emailed
    that the password changed."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = make_user(councils=[make_council()], email="officer@council.example.test")
    client = Client()
    for attempt in range(settings.AXES_FAILURE_LIMIT + 1):
        sign_in(client, user.email, f"wrong-{attempt}")
    assert sign_in(client, user.email).status_code == 429
    link = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    form = client.get(link, follow=True)
    new = "a brand new passphrase 42"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    assert sign_in(client, user.email, new).status_code == 302
    told = Notification.objects.get(recipient=user, event=Event.ACCOUNT_CHANGED)
    assert told.context["change"] == "Your password was changed"


def test_wrong_passwords_from_one_address_lock_that_address_out_for_every_account():
    people = [make_user(email=f"person{n}@council.example.test") for n in range(11)]
    client = Client(REMOTE_ADDR="203.0.113.9")
    for person in people[:10]:
        sign_in(client, person.email, "wrong")
    assert sign_in(client, people[10].email).status_code == 429
    # Another address is not locked out.
    assert sign_in(Client(REMOTE_ADDR="198.51.100.7"), people[10].email).status_code == 302


def test_a_sign_in_refused_because_the_address_is_locked_out_counts_against_no_account(settings):
    from axes.models import AccessAttempt

    people = [make_user(email=f"person{n}@council.example.test") for n in range(settings.AXES_FAILURE_LIMIT)]
    bath = make_user(email="partner@bath.example.test")
    client = Client(REMOTE_ADDR="203.0.113.9")
    for person in people:
        sign_in(client, person.email, "wrong")
    # The address is locked out: Bath's right password is refused, and that is no failure of Bath's account.
    assert sign_in(client, bath.email).status_code == 429
    assert sign_in(client, bath.email, "wrong").status_code == 429
    assert not AccessAttempt.objects.filter(username=bath.email).exists()
    assert sign_in(Client(REMOTE_ADDR="198.51.100.7"), bath.email).status_code == 302
    # Nor does trying again make the wait longer: it counts from the last failure that counted.
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=10))
    page = sign_in(client, bath.email)
    assert page.status_code == 429 and "Sign-in is locked for 5 minutes" in page.content.decode()


def test_wrong_passwords_count_against_the_account_whatever_case_the_address_is_typed_in(settings):
    user = make_user(email="bob@council.example.test")
    cases = ["Bob@council.example.test", "bob@council.example.test", "BOB@COUNCIL.EXAMPLE.TEST"]
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        # From a new address each time, so only the account's count can reach the limit.
        sign_in(Client(REMOTE_ADDR=f"198.51.100.{attempt + 1}"), cases[attempt % 3], "wrong")
    assert sign_in(Client(REMOTE_ADDR="203.0.113.50"), user.email).status_code == 429


def test_django_admin_sign_in_is_locked_out_too():
    admin = make_user(role=Role.ADMIN, email="admin@example.test")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()
    admin_login = reverse("admin:login")
    for _ in range(10):
        client.post(admin_login, {"username": admin.email, "password": "wrong"})
    response = client.post(admin_login, {"username": admin.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Sign-in is locked" in response.content.decode()


def test_a_right_password_before_the_limit_clears_the_count():
    user = make_user(email="forgetful@council.example.test")
    client = Client()
    for _ in range(9):
        sign_in(client, user.email, "wrong")
    assert sign_in(client, user.email).status_code == 302
    client.post(reverse("logout"))
    for _ in range(9):
        sign_in(client, user.email, "wrong")
    assert sign_in(client, user.email).status_code == 302


def test_the_lock_out_counts_the_address_the_trusted_proxy_saw(settings, rf):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.20", REMOTE_ADDR="192.0.2.1")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "192.0.2.1"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "198.51.100.20", "the forged first entry is ignored"


# --- Two-factor sign-in ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.PROGRAMME_STAFF, Role.ASSESSOR, Role.ADMIN])
def test_people_who_must_use_two_factor_set_it_up_before_anything_else(role):
    user = make_user(role=role, email="needs2fa@example.test")
    client = Client()
    response = sign_in(client, user.email)
    page = client.get(response.url, follow=True)
    assert page.redirect_chain[-1][0].startswith(reverse("two_factor_setup"))
    for url in ("/pipeline/", "/assessments/", "/notifications/", "/django-admin/"):
        blocked = client.get(url)
        assert blocked.status_code == 302 and blocked.url.startswith(reverse("two_factor_setup")), url
    # The API is read by programs, which cannot follow the sign-in pages: refused in JSON.
    blocked = client.get("/api/bids/")
    assert blocked.status_code == 403 and "authenticator app" in blocked.json()["detail"]

    setup = client.get(reverse("two_factor_setup"))
    html = setup.content.decode()
    assert "Set up your authenticator app" in html
    assert "Your account" not in html and "Sign out" in html, "only the links that can be followed yet"
    secret = "".join(re.search(r'id="secret-key">(.*?)</p>', html).group(1).split("<span>")).replace("</span>", "")
    secret = "".join(secret.split())
    qr = client.get(reverse("two_factor_qr"))
    assert qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert secret and secret in device.config_url

    wrong = client.post(reverse("two_factor_setup"), {"code": "000000"})
    assert wrong.status_code == 400
    assert "The code is not correct or has expired" in wrong.content.decode()
    device.refresh_from_db()
    device.throttle_reset()  # django-otp slows down wrong guesses; this test is not about the wait

    confirmed = client.post(reverse("two_factor_setup"), {"code": totp_code(device)})
    assert confirmed.url == reverse("two_factor_recovery_codes")
    codes_page = client.get(confirmed.url).content.decode()
    codes = re.findall(r"<code>(\w+)</code>", codes_page)
    assert len(codes) == 10
    assert "This is the only time these codes are shown" in codes_page
    assert "<code>" not in client.get(confirmed.url).content.decode(), "shown once"
    assert client.get("/notifications/").status_code == 200


def test_with_an_app_the_code_is_asked_for_after_the_password():
    staff = make_user(role=Role.PROGRAMME_STAFF, email="staff@example.test")
    device = make_totp_device(staff)
    client = Client()
    response = sign_in(client, staff.email)
    challenge = client.get(response.url, follow=True)
    assert challenge.redirect_chain[-1][0].startswith(reverse("two_factor_challenge"))
    assert "Enter the code from your authenticator app" in challenge.content.decode()
    assert client.get("/pipeline/").url.startswith(reverse("two_factor_challenge"))

    for bad, message in [("", "Enter the 6-digit code"), ("12ab56", "like 123456"), ("000000", "not correct")]:
        refused = client.post(reverse("two_factor_challenge"), {"code": bad, "next": "/pipeline/"})
        assert refused.status_code == 400
        assert message in refused.content.decode()
        assert "govuk-error-summary" in refused.content.decode()
        device.refresh_from_db()
        device.throttle_reset()  # django-otp slows down wrong guesses; this test is not about the wait

    # Sent with nothing at all (a crafted request): refused with the reason too, never shown as a fresh page.
    for page in ("two_factor_challenge", "two_factor_recovery"):
        empty = client.post(reverse(page))
        assert empty.status_code == 400 and "govuk-error-summary" in empty.content.decode(), page
        device.refresh_from_db()
        device.throttle_reset()

    passed = client.post(reverse("two_factor_challenge"), {"code": totp_code(device), "next": "/pipeline/"})
    assert passed.status_code == 302 and passed.url == "/pipeline/"
    assert client.get("/pipeline/").status_code == 200


@pytest.mark.parametrize("wanted", ["874113", "pipeline", "https://elsewhere.example/", "//elsewhere.example/"])
def test_after_the_second_step_a_next_that_is_not_a_path_here_goes_to_the_start_page(wanted):
    """A crafted `next` (a bare word was taken as a URL name: a server error, with the code used up; another
    site) sends the person to their start page once the code is right."""
    staff = make_user(role=Role.PROGRAMME_STAFF, email="staff@example.test")
    device = make_totp_device(staff)
    client = Client()
    sign_in(client, staff.email)
    passed = client.post(f"{reverse('two_factor_challenge')}?next=%2F", {"code": totp_code(device), "next": wanted})
    assert passed.status_code == 302 and passed.url.startswith("/") and not passed.url.startswith("//")
    assert "elsewhere" not in passed.url and wanted not in passed.url


def test_wrong_codes_are_slowed_down():
    staff = make_user(role=Role.PROGRAMME_STAFF, email="staff@example.test")
    device = make_totp_device(staff)
    client = Client()
    sign_in(client, staff.email)
    client.post(reverse("two_factor_challenge"), {"code": "000000"})
    response = client.post(reverse("two_factor_challenge"), {"code": totp_code(device)})
    assert response.status_code == 400
    assert "Too many wrong codes" in response.content.decode()


def test_a_recovery_code_signs_in_once():
    assessor = make_user(role=Role.ASSESSOR, email="assessor@example.test")
    make_totp_device(assessor)
    device = StaticDevice.objects.create(user=assessor, name="Recovery codes", confirmed=True)
    device.token_set.create(token="abcd1234")
    device.token_set.create(token="efgh5678")
    client = Client()
    sign_in(client, assessor.email)
    used = client.post(reverse("two_factor_recovery"), {"code": " ABCD 1234 ", "next": "/assessments/"}, follow=True)
    assert used.redirect_chain[-1][0] == "/assessments/"
    assert "You have 1 recovery code left" in used.content.decode()

    again = Client()
    sign_in(again, assessor.email)
    refused = again.post(reverse("two_factor_recovery"), {"code": "abcd1234"})
    assert refused.status_code == 400
    assert "not correct or has been used" in refused.content.decode()


def test_council_users_sign_in_with_a_password_and_may_turn_two_factor_on_and_off():
    member = make_user(councils=[make_council()], email="member@council.example.test")
    client = Client()
    assert client.get(sign_in(client, member.email).url, follow=True).status_code == 200
    assert client.get("/bids/").status_code == 200
    account = client.get(reverse("account")).content.decode()
    assert "Set up two-factor sign-in" in account

    client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=member, confirmed=False)
    client.post(reverse("two_factor_setup"), {"code": totp_code(device)})
    assert "On: authenticator app" in client.get(reverse("account")).content.decode()

    later = Client()
    sign_in(later, member.email)
    assert later.get("/bids/").url.startswith(reverse("two_factor_challenge"))
    later.post(reverse("two_factor_challenge"), {"code": totp_code(device)})
    # A session left open is not enough: turning it off asks for a code from the app.
    assert (
        "enter the code your authenticator app shows now" in later.get(reverse("two_factor_turn_off")).content.decode()
    )
    refused = later.post(reverse("two_factor_turn_off"), {"code": "000000"})
    assert refused.status_code == 400 and TOTPDevice.objects.filter(user=member).exists()
    # A right code at once after a wrong one is told to wait (django-otp's throttling), not that it is wrong.
    waiting = later.post(reverse("two_factor_turn_off"), {"code": totp_code(device)})
    assert "Too many wrong codes. Wait 1 second and try again" in waiting.content.decode()
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)  # as if a moment has passed
    assert later.post(reverse("two_factor_turn_off"), {"code": totp_code(device)}).status_code == 302
    assert not TOTPDevice.objects.filter(user=member).exists()
    assert "Two-factor sign-in is off" in later.get(reverse("account")).content.decode()
    # The person is told by email each time how they sign in changes (set up, then turned off).
    told = Notification.objects.filter(recipient=member, event=Event.ACCOUNT_CHANGED).order_by("pk")
    assert [row.context["change"] for row in told] == [
        "An authenticator app was set up for two-factor sign-in",
        "Two-factor sign-in was turned off",
    ]


def test_people_who_must_use_two_factor_cannot_turn_it_off(client):
    staff = make_user(role=Role.PROGRAMME_STAFF, email="staff@example.test")
    device = make_totp_device(staff)
    sign_in(client, staff.email)
    client.post(reverse("two_factor_challenge"), {"code": totp_code(device)})
    assert "cannot be turned off" in client.get(reverse("account")).content.decode()
    response = client.post(reverse("two_factor_turn_off"), follow=True)
    assert "cannot be turned off" in response.content.decode()
    assert TOTPDevice.objects.filter(user=staff).exists()


def test_replacing_the_app_needs_the_second_step_first(client):
    staff = make_user(role=Role.PROGRAMME_STAFF, email="staff@example.test")
    make_totp_device(staff)
    sign_in(client, staff.email)
    response = client.get(reverse("two_factor_setup"))
    assert response.url.startswith(reverse("two_factor_challenge"))
    assert not TOTPDevice.objects.filter(user=staff, confirmed=False).exists()


def test_the_challenge_does_not_redirect_off_site(client):
    staff = make_user(role=Role.PROGRAMME_STAFF, email="staff@example.test")
    device = make_totp_device(staff)
    sign_in(client, staff.email)
    response = client.post(
        reverse("two_factor_challenge"), {"code": totp_code(device), "next": "https://evil.example/"}
    )
    assert response.url == reverse("home")
