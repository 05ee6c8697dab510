"""A bid can be printed: "Print this page" on the task list, the read-only bid and check answers, and a
print-friendly page with the whole bid for anyone who may read it (404 for anyone else)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bids import services
from councils.choices import Role
from tests.factories import make_bid, make_submitted_bid, make_user

pytestmark = pytest.mark.django_db


def test_the_print_page_has_the_whole_bid_without_links_to_act_on(
    funding_round, councils, lead_user, client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    bid = make_bid(
        funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]], by=lead_user
    )
    services.document_upload(bid=bid, by=lead_user, upload=SimpleUploadedFile("plan.pdf", b"%PDF-1.4\n%%EOF\n"))
    client.force_login(lead_user)
    print_url = reverse("bids:print", args=[bid.reference])
    for page_name in ("bids:detail", "bids:check"):
        page = client.get(reverse(page_name, args=[bid.reference])).content.decode()
        assert f'href="{print_url}" data-print-link>Print this page</a>' in page, page_name
    response = client.get(print_url)
    assert response.status_code == 200
    page = response.content.decode()
    for shown in ("Shared housing repairs front door", "Paper forms.", "Partnerton Council", "Staff", "plan.pdf"):
        assert shown in page, shown
    assert "/documents/" not in page  # names, not links
    assert "Change<" not in page


def test_read_only_bid_has_the_print_link_and_staff_see_the_real_state(funding_round, councils, lead_user, client):
    bid = make_submitted_bid(
        funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]], by=lead_user
    )
    client.force_login(make_user(councils=[councils["p1"]]))
    page = client.get(reverse("bids:detail", args=[bid.reference])).content.decode()
    assert "Print this page" in page
    assert client.get(reverse("bids:print", args=[bid.reference])).status_code == 200
    client.force_login(make_user(role=Role.PROGRAMME_STAFF))
    assert "In review" in client.get(reverse("bids:print", args=[bid.reference])).content.decode()


def test_no_print_page_for_anyone_who_may_not_read_the_bid(funding_round, councils, lead_user, client):
    bid = make_bid(funding_round=funding_round, lead=councils["lead"], by=lead_user)
    client.force_login(make_user(councils=[councils["other"]]))
    assert client.get(reverse("bids:print", args=[bid.reference])).status_code == 404
    client.logout()
    assert client.get(reverse("bids:print", args=[bid.reference])).status_code == 302
    client.force_login(lead_user)
    assert client.post(reverse("bids:print", args=[bid.reference])).status_code == 405


def test_print_styles_leave_out_everything_used_to_act_on_the_page():
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "static" / "css" / "app.css").read_text()
    print_rules = css[css.index("@media print") :]
    for hidden in (".govuk-header", ".govuk-service-navigation", ".govuk-footer", ".govuk-button", ".govuk-back-link"):
        assert hidden in print_rules
