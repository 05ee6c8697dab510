"""The pages Django answers itself (a form it cannot read, a refused CSRF token, a permission it refuses) are the
service's own GOV.UK pages and say what happened, never Django's developer pages."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import Client

from tests.factories import make_bid, make_round, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(councils):
    lead = make_user(councils=[councils["lead"]])
    bid = make_bid(funding_round=make_round(), lead=councils["lead"], by=lead, filled=False)
    return lead, f"/bids/{bid.reference}/about/", bid


def test_a_form_sent_from_a_page_older_than_the_sign_in_says_so_and_saves_nothing(draft):
    lead, url, bid = draft
    client = Client(enforce_csrf_checks=True)
    client.force_login(lead)
    client.get(url)  # the page, with its token
    stale = client.cookies["csrftoken"].value
    client.force_login(lead)  # signed in again, in another tab: a new token
    client.cookies["csrftoken"] = "x" * 32  # the other tab's cookie now holds a different secret
    response = client.post(url, {"title": "Lost title", "csrfmiddlewaretoken": stale})
    page = response.content.decode()
    assert response.status_code == 403
    assert "Your form could not be sent" in page and "Nothing from it has been saved" in page
    assert "opened before you last signed in or out" in page
    assert 'class="govuk-template' in page
    bid.refresh_from_db()
    assert bid.title != "Lost title"


def test_a_form_sent_without_the_cookie_says_to_allow_cookies(draft):
    lead, url, _bid = draft
    client = Client(enforce_csrf_checks=True)
    client.force_login(lead)
    response = client.post(url, {"title": "x"})
    assert response.status_code == 403
    assert "allows cookies from this website" in response.content.decode()


def test_a_form_with_more_fields_than_any_page_takes_is_refused_in_words(draft, settings):
    lead, url, bid = draft
    client = Client()
    client.force_login(lead)
    response = client.post(
        url, {"title": "Too much", **{f"field{i}": "x" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)}}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "The form could not be sent" in page and "none of it has been saved" in page
    assert "web address" not in page
    bid.refresh_from_db()
    assert bid.title != "Too much"
    # An address with as many parameters is a problem with the address.
    response = client.get("/bids/?" + "&".join(f"f{i}=x" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)))
    assert response.status_code == 400
    assert "There is a problem with the web address" in response.content.decode()


def test_a_page_the_account_may_not_use_is_the_services_403():
    clerk = make_user(email="clerk@council.example.test")
    clerk.is_staff = True  # into the Django admin, with no model permissions
    clerk.save()
    client = Client()
    client.force_login(clerk)
    response = client.get("/django-admin/bids/bid/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "You cannot use this page" in page and 'class="govuk-template' in page


def test_a_form_sent_after_signing_out_is_not_lost_without_a_word(draft):
    lead, url, bid = draft
    client = Client()
    client.force_login(lead)
    client.post("/sign-out/")  # in another tab
    response = client.post(url, {"title": "Typed after signing out"}, follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0].startswith("/sign-in/?next=")
    assert "You were signed out, so what you sent has not been saved" in page
    bid.refresh_from_db()
    assert bid.title != "Typed after signing out"
    # Signing out itself, or opening a page while signed out, is not a form lost.
    client.force_login(lead)
    assert "has not been saved" not in client.post("/sign-out/", follow=True).content.decode()
    assert "has not been saved" not in client.get(url, follow=True).content.decode()


def test_every_address_that_only_takes_a_form_opened_in_the_browser_says_what_it_is():
    """Every route of the permission matrix that takes a POST and no GET, opened with GET by someone allowed to
    post to it: a 405 GOV.UK page saying nothing was changed, with its Allow header and the security headers,
    never an empty page."""
    from tests.e2e.test_every_page import signed_in_clients
    from tests.test_permission_matrix import MATRIX, build_world, first_allowed_posts

    world = build_world()
    clients = signed_in_clients(world)
    checked = 0
    for name, actor, url, _route in first_allowed_posts(world):
        if MATRIX[name].get is not None or name.startswith("admin:"):
            continue
        response = clients[actor].get(url)
        assert response.status_code == 405, (name, response.status_code)
        page = response.content.decode()
        assert "This page cannot be opened on its own" in page and "nothing has been changed" in page, name
        assert "POST" in response["Allow"] and "Content-Security-Policy" in response, name
        checked += 1
    assert checked >= 10


SECURITY_HEADERS = ("Content-Security-Policy", "Permissions-Policy", "X-Frame-Options", "X-Content-Type-Options")
TOO_MANY = "&".join(f"a{i}=1" for i in range(1200))


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/funded/", "/partner-calls/", "/bids/", "/api/projects/", "/api/bids/"])
def test_an_address_with_more_parameters_than_django_reads_is_a_400_in_words_with_the_security_headers(
    settings, path, debug
):
    settings.DEBUG = debug
    response = Client().get(f"{path}?{TOO_MANY}")
    assert response.status_code == 400
    assert all(header in response.headers for header in SECURITY_HEADERS), response.headers
    if path.startswith("/api/"):
        assert response.json() == {
            "detail": "The web address has more than 1,000 parameters: no page of this service takes so many"
        }
    else:
        page = response.content.decode()
        assert "There is a problem with the web address" in page
        assert "more than 1,000 parameters" in page and 'class="govuk-template' in page


@pytest.mark.parametrize("debug", [False, True])
def test_a_form_with_too_many_fields_or_too_much_data_is_a_400_in_words_with_the_security_headers(
    draft, settings, debug
):
    settings.DEBUG = debug
    lead, url, bid = draft
    client = Client()
    client.force_login(lead)
    too_many = {"title": "Too much", **{f"field{i}": "x" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS)}}
    too_big = {"title": "Too much", "summary": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)}
    for sent in (too_many, too_big):
        for multipart in (True, False):
            if multipart:
                response = client.post(url, sent)
            else:
                response = client.post(url, urlencode(sent), content_type="application/x-www-form-urlencoded")
            assert response.status_code == 400
            assert all(header in response.headers for header in SECURITY_HEADERS), response.headers
            page = response.content.decode()
            assert "The form could not be sent" in page and "none of it has been saved" in page
    bid.refresh_from_db()
    assert bid.title != "Too much"


def test_a_nul_in_the_address_is_refused_with_the_security_headers():
    for path in ("/funded/?q=%00", "/api/projects/?q=%00"):
        response = Client().get(path)
        assert response.status_code == 400
        assert all(header in response.headers for header in SECURITY_HEADERS), response.headers
