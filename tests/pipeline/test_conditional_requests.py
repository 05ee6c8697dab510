"""The public pages and the 360Giving downloads answer conditional requests (Last-Modified → 304 Not Modified
while nothing has changed) and say how long they may be cached; a signed-in person's copy is neither."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date

from bids.models import Bid
from pipeline.views import PUBLIC_PACKAGE_MAX_AGE
from tests.factories import client_for
from tests.pipeline.test_opendata import awarded  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

PUBLIC_URLS = [
    reverse("pipeline:funded"),
    reverse("pipeline:funded_package"),
    reverse("pipeline:funded_round_package", args=["OD"]),
]


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_public_page_says_when_it_changed_and_how_long_to_keep_it(client, awarded, url):  # noqa: F811
    response = client.get(url)
    assert response.status_code == 200
    assert response["Last-Modified"]
    assert "public" in response["Cache-Control"]
    if url.endswith(".json"):
        # Open-data packages may be kept five minutes.
        assert f"max-age={PUBLIC_PACKAGE_MAX_AGE}" in response["Cache-Control"]
    else:
        # The page is asked for again on every visit (a published decision shows at once), answered 304.
        assert "max-age=0" in response["Cache-Control"] and "must-revalidate" in response["Cache-Control"]


def test_a_404_says_nothing_about_caching(client, db):
    response = client.get(reverse("pipeline:funded_package"))
    assert response.status_code == 404
    assert "public" not in response.get("Cache-Control", "")


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_public_page_answers_304_while_nothing_has_changed(client, awarded, url, django_assert_max_num_queries):  # noqa: F811
    stamp = client.get(url)["Last-Modified"]
    with django_assert_max_num_queries(4):  # the session is not read; four lookups (bids, histories, projects)
        response = client.get(url, HTTP_IF_MODIFIED_SINCE=stamp)
    assert response.status_code == 304
    assert response.content == b""
    assert "public" in response["Cache-Control"] and "max-age" in response["Cache-Control"]


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_public_page_is_sent_again_once_a_bid_has_changed(client, awarded, url):  # noqa: F811
    stamp = client.get(url)["Last-Modified"]
    # A save a minute later (Last-Modified has whole seconds; the test must not depend on the clock ticking).
    Bid.objects.filter(pk=awarded["bid"].pk).update(updated_at=timezone.now() + timedelta(minutes=1))
    response = client.get(url, HTTP_IF_MODIFIED_SINCE=stamp)
    assert response.status_code == 200
    assert response["Last-Modified"] != stamp


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_a_draft_being_written_in_another_round_changes_nothing_public(client, awarded, url):  # noqa: F811
    """The header is public: a draft's save, and a round opening, are not the public pages' changes, so they
    neither show in Last-Modified nor make caches fetch the pages again."""
    from tests.factories import make_bid, make_council, make_round

    stamp = client.get(url)["Last-Modified"]
    draft = make_bid(funding_round=make_round(code="OX"), lead=make_council("OXL", "Oxdale"), filled=False)
    # Saved a minute later (Last-Modified has whole seconds; the test must not depend on the clock ticking).
    Bid.objects.filter(pk=draft.pk).update(updated_at=timezone.now() + timedelta(minutes=1))
    response = client.get(url, HTTP_IF_MODIFIED_SINCE=stamp)
    assert response.status_code == 304
    assert client.get(url)["Last-Modified"] == stamp


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_cache_control_holds_only_directives_caches_understand(client, awarded, url):  # noqa: F811
    directives = [part.strip() for part in client.get(url)["Cache-Control"].split(",")]
    assert all("=" not in part or part.startswith("max-age=") for part in directives), directives


def test_an_older_copy_is_sent_again(client, awarded):  # noqa: F811
    long_ago = http_date((timezone.now() - timedelta(days=365)).timestamp())
    assert client.get(reverse("pipeline:funded"), HTTP_IF_MODIFIED_SINCE=long_ago).status_code == 200


def test_signed_in_copy_is_private_and_never_revalidated(client, awarded, staff):  # noqa: F811
    client.force_login(staff)
    url = reverse("pipeline:funded")
    response = client.get(url)
    assert response.status_code == 200
    assert "Last-Modified" not in response
    assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]
    future = http_date((timezone.now() + timedelta(days=1)).timestamp())
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=future).status_code == 200


def test_nothing_awarded_is_still_a_404_not_a_304(client, db):
    future = http_date((timezone.now() + timedelta(days=1)).timestamp())
    assert client.get(reverse("pipeline:funded_package"), HTTP_IF_MODIFIED_SINCE=future).status_code == 404


def test_cookie_less_visitors_share_one_rendering_until_the_data_changes(
    client,
    awarded,  # noqa: F811
    django_assert_max_num_queries,
):
    cache.clear()
    url = reverse("pipeline:funded")
    first = client.get(url)
    with django_assert_max_num_queries(4):  # the Last-Modified lookups only (bids, their and rounds' history, projects)
        again = Client().get(url)
    assert again.status_code == 200 and again.content == first.content
    # A change shows on the very next request: the shared copy is keyed by the data's Last-Modified.
    Bid.objects.filter(pk=awarded["bid"].pk).update(title="A renamed project", updated_at=timezone.now())
    assert "A renamed project" in Client().get(url).content.decode()


def test_a_visitor_with_a_session_gets_the_page_rendered_afresh(client, awarded, staff):  # noqa: F811
    cache.clear()
    url = reverse("pipeline:funded")
    client.get(url)
    signed_in = client_for(staff)
    page = signed_in.get(url).content.decode()
    assert "Sign out" in page or "sign-out" in page
    assert "Sign out" not in Client().get(url).content.decode()
