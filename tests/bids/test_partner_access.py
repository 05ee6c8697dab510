"""What a partner council sees follows its answer: confirmed reads everything; invited (not yet answered) sees
what it is asked to join but not the documents; declined sees nothing, like a removed partner or any other
council — on the pages, the document downloads and the API alike."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from bids import services
from bids.choices import PartnerStatus
from bids.models import BidPartner
from bids.selectors import bid_list_for_member, bid_visible_queryset
from tests.factories import make_bid, make_user

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def world(funding_round, councils, settings, tmp_path):
    """A draft led by Leadshire: Partnerton confirmed, Partnerby invited, Partnercombe declined, with a
    supporting document."""
    settings.MEDIA_ROOT = tmp_path
    lead = make_user(councils=[councils["lead"]])
    bid = make_bid(funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"]], by=lead)
    services.partner_invite(bid=bid, council=councils["p2"], by=lead)
    declined = services.partner_invite(bid=bid, council=councils["p3"], by=lead)
    people = {
        "lead": lead,
        "confirmed": councils["p1"].members.first(),
        "invited": make_user(councils=[councils["p2"]]),
        "declined": make_user(councils=[councils["p3"]]),
    }
    services.partner_respond(partner=declined, by=people["declined"], confirm=False)
    document = services.document_upload(
        bid=bid, by=lead, upload=SimpleUploadedFile("plan.pdf", PDF, content_type="application/pdf")
    )
    return {"bid": bid, "document": document, **people}


def pages(bid, document) -> dict[str, str]:
    ref = {"reference": bid.reference}
    return {
        "detail": reverse("bids:detail", kwargs=ref),
        "document": reverse("bids:document", kwargs={**ref, "document_id": document.pk}),
        "invitation": reverse("bids:invitation", kwargs=ref),
        "api": f"/api/bids/{bid.reference}/",
    }


def status_codes(client, user, urls: dict[str, str]) -> dict[str, int]:
    client.force_login(user)
    api = APIClient()
    api.force_authenticate(user)
    return {name: (api if name == "api" else client).get(url).status_code for name, url in urls.items()}


def test_a_council_that_declined_has_no_access_at_all(client, world):
    bid, declined = world["bid"], world["declined"]
    assert not declined.has_perm("bids.view_bid", bid)
    assert not declined.has_perm("bids.view_bid_documents", bid)
    assert bid not in bid_visible_queryset(user=declined)
    assert bid_list_for_member(user=declined) == []
    assert status_codes(client, declined, pages(bid, world["document"])) == {
        "detail": 404,
        "document": 404,
        "invitation": 404,
        "api": 404,
    }
    client.force_login(declined)
    assert bid.reference not in client.get(reverse("bids:list")).content.decode()


def test_a_council_that_declined_is_treated_like_a_removed_partner(client, world, councils):
    bid = world["bid"]
    removed = make_user(councils=[councils["p1"]])
    services.partner_remove(partner=BidPartner.objects.get(bid=bid, council=councils["p1"]), by=world["lead"])
    bid = type(bid).objects.get(pk=bid.pk)
    assert status_codes(client, removed, pages(bid, world["document"])) == status_codes(
        client, world["declined"], pages(bid, world["document"])
    )


def test_an_invited_council_sees_what_it_is_asked_to_join_but_not_the_documents(client, world):
    bid, invited = world["bid"], world["invited"]
    assert invited.has_perm("bids.view_bid", bid)
    assert invited.has_perm("bids.respond_to_invitation", bid)
    assert not invited.has_perm("bids.view_bid_documents", bid)
    assert status_codes(client, invited, pages(bid, world["document"])) == {
        "detail": 200,
        "document": 404,
        "invitation": 200,
        "api": 200,
    }
    page = client.get(reverse("bids:detail", kwargs={"reference": bid.reference})).content.decode()
    assert bid.title in page and "Confirm or decline the invitation" in page
    # Only how many documents there are: never their names or links.
    assert "plan.pdf" not in page and reverse("bids:document", args=[bid.reference, world["document"].pk]) not in page
    (row,) = bid_list_for_member(user=invited)
    assert row.invitation_pending


def test_a_confirmed_partner_reads_everything_including_documents(client, world):
    bid, confirmed = world["bid"], world["confirmed"]
    assert confirmed.has_perm("bids.view_bid_documents", bid)
    assert not confirmed.has_perm("bids.respond_to_invitation", bid)
    codes = status_codes(client, confirmed, pages(bid, world["document"]))
    # The invitation link again (an old email) says the council has answered, and where to go.
    assert codes == {"detail": 200, "document": 200, "invitation": 302, "api": 200}
    page = client.get(reverse("bids:detail", kwargs={"reference": bid.reference})).content.decode()
    assert "plan.pdf" in page


def test_answering_an_invitation_changes_what_the_council_sees(client, world, councils):
    bid, invited = world["bid"], world["invited"]
    partner = BidPartner.objects.get(bid=bid, council=councils["p2"])
    client.force_login(invited)
    url = reverse("bids:invitation", kwargs={"reference": bid.reference})
    assert client.post(url, {"answer": "decline"}).status_code == 302
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.DECLINED
    assert client.get(reverse("bids:detail", kwargs={"reference": bid.reference})).status_code == 404
