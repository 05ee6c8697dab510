"""The invitation page shows what the council is joining (title, summary, phase, amount, its cost lines, the
lead contact and the draft read-only, without document links), and someone who belongs to two invited
councils answers for each of them instead of getting a server error."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bids import services
from bids.choices import PartnerStatus, Payer
from bids.models import BidPartner
from core.exceptions import ApplicationError
from tests.factories import make_bid, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def bid(funding_round, councils, lead_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    bid = make_bid(funding_round=funding_round, lead=councils["lead"], by=lead_user, amount="60000")
    services.bid_update(bid=bid, by=lead_user, lead_contact_phone="0117 000 0000")
    for council in (councils["p1"], councils["p2"]):
        services.partner_invite(bid=bid, council=council, by=lead_user)
    services.cost_line_add(
        bid=bid,
        by=lead_user,
        payer=Payer.PARTNER,
        payer_council=councils["p1"],
        description="Partnerton user research",
        amount=Decimal("7500"),
    )
    services.document_upload(bid=bid, by=lead_user, upload=SimpleUploadedFile("plan.pdf", b"%PDF-1.4\n%%EOF\n"))
    return bid


def invitation_url(bid) -> str:
    return reverse("bids:invitation", args=[bid.reference])


def test_the_invitation_shows_what_the_council_is_joining(bid, councils, client):
    client.force_login(make_user(councils=[councils["p1"]]))
    response = client.get(invitation_url(bid))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Leadshire Council invites Partnerton Council to be a partner on “Shared housing repairs front door”" in page
    for shown in (
        "A reusable front door for repairs.",  # summary
        "Discovery",  # phase
        "£80,000",  # its cap
        "£60,000",  # amount requested
        "Sam Lead",
        "sam@lead.example.test",
        "0117 000 0000",  # lead contact
        "Partnerton user research",
        "£7,500",  # the cost line paid by this council
        "Partnerby Council (invited)",  # the other partner
        "Read the whole draft",
        "Paper forms.",  # the draft, read-only
        "1 document: partner councils can read them once they have confirmed",
    ):
        assert shown in page, shown
    assert "Costs Partnerton Council would spend" in page
    # Read-only, and no document links on the invitation.
    assert "plan.pdf" not in page
    assert "/documents/" not in page and 'download"' not in page
    assert "Change<" not in page
    assert "Will Partnerton Council be a partner on this bid?" in page


def test_costs_of_other_councils_are_not_listed_as_this_councils(bid, councils, client):
    client.force_login(make_user(councils=[councils["p2"]]))
    page = client.get(invitation_url(bid)).content.decode()
    assert "No cost lines are paid by Partnerby Council yet" in page


def test_someone_in_two_invited_councils_answers_for_each(bid, councils, client):
    both = make_user(councils=[councils["p1"], councils["p2"]], name="Bo Both")
    client.force_login(both)
    response = client.get(invitation_url(bid))
    assert response.status_code == 200
    page = response.content.decode()
    assert "invites Partnerton Council and Partnerby Council to be partners" in page
    assert "Will Partnerton Council be a partner on this bid?" in page
    assert "Will Partnerby Council be a partner on this bid?" in page
    p1 = BidPartner.objects.get(bid=bid, council=councils["p1"])
    p2 = BidPartner.objects.get(bid=bid, council=councils["p2"])

    missing = client.post(invitation_url(bid), {"partner": p2.pk})
    assert missing.status_code == 400
    assert "Select whether Partnerby Council takes part in this bid" in missing.content.decode()
    assert f'href="#answer-{p2.pk}"' in missing.content.decode()

    response = client.post(invitation_url(bid), {"partner": p1.pk, "answer": "confirm"})
    assert response.status_code == 302 and response.url == invitation_url(bid)  # one more to answer
    page = client.get(invitation_url(bid)).content.decode()
    assert "Will Partnerby Council be a partner on this bid?" in page
    assert "Will Partnerton Council be a partner" not in page
    response = client.post(invitation_url(bid), {"partner": p2.pk, "answer": "decline"})
    assert response.status_code == 302
    p1.refresh_from_db()
    p2.refresh_from_db()
    assert (p1.status, p2.status) == (PartnerStatus.CONFIRMED, PartnerStatus.DECLINED)
    assert p1.responded_by == p2.responded_by == both
    response = client.get(invitation_url(bid))  # nothing left to answer: back to your bids, saying so
    assert response.status_code == 302 and response.url == reverse("bids:list")


def test_bid_page_banner_names_every_invited_council(bid, councils, client):
    client.force_login(make_user(councils=[councils["p1"], councils["p2"]]))
    page = client.get(reverse("bids:detail", args=[bid.reference])).content.decode()
    assert "Leadshire Council has invited Partnerton Council and Partnerby Council to be partners." in page


def test_no_invitation_page_for_a_council_not_invited(bid, councils, client):
    client.force_login(make_user(councils=[councils["other"]]))
    assert client.get(invitation_url(bid)).status_code == 404
    assert client.post(invitation_url(bid), {"answer": "confirm"}).status_code == 404


def test_answering_twice_says_it_was_answered_instead_of_an_error(bid, councils, client):
    """A double click on Save answer, or an old email link: the bid, with a message, not a 404."""
    member = make_user(councils=[councils["p1"]])
    client.force_login(member)
    first = client.post(invitation_url(bid), {"answer": "confirm"})
    second = client.post(invitation_url(bid), {"answer": "confirm"}, follow=True)
    assert first.status_code == 302
    assert second.status_code == 200
    assert f"Your council has already answered the invitation to {bid.reference}" in second.content.decode()
    assert bid.partners.get(council=councils["p1"]).status == PartnerStatus.CONFIRMED


def test_an_answer_to_an_invitation_the_lead_sent_again_says_so_and_is_not_lost_silently(
    bid, councils, client, lead_user
):
    """The lead took the council off and invited it again while its member had the page open: the answer names
    the old invitation, so it is not saved, and the member is told to answer again (not "already answered")."""
    member = make_user(councils=[councils["p1"]])
    client.force_login(member)
    old = bid.partners.get(council=councils["p1"])
    services.partner_remove(partner=old, by=lead_user)
    services.partner_invite(bid=bid, council=councils["p1"], by=lead_user)
    page = client.post(invitation_url(bid), {"partner": str(old.pk), "answer": "confirm"}, follow=True)
    html = page.content.decode()
    assert f"{councils['lead']} changed its invitation after you opened this page" in html
    assert "already answered" not in html
    assert bid.partners.get(council=councils["p1"]).status == PartnerStatus.INVITED


def test_the_invitation_page_costs_the_same_queries_with_more_partners_and_lines(
    bid, councils, lead_user, client, django_assert_max_num_queries
):
    from tests.factories import make_council

    member = make_user(councils=[councils["p1"]])
    client.force_login(member)
    client.get(invitation_url(bid))
    with django_assert_max_num_queries(12) as small:
        client.get(invitation_url(bid))
    for n in range(4):
        council = make_council(name=f"Extra {n}")
        services.partner_invite(bid=bid, council=council, by=lead_user)
        services.cost_line_add(
            bid=bid,
            by=lead_user,
            payer=Payer.PARTNER,
            payer_council=councils["p1"],
            description=f"Line {n}",
            amount=Decimal("10"),
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(invitation_url(bid))


def test_the_service_answers_an_invitation_once_whatever_the_page_read(bid, councils):
    """Two colleagues answering at once, each from a page that read the invitation as waiting: the second is told
    it was answered, and the first answer stands."""
    first, second = make_user(councils=[councils["p1"]]), make_user(councils=[councils["p1"]])
    stale = bid.partners.get(council=councils["p1"])
    services.partner_respond(partner=bid.partners.get(council=councils["p1"]), by=first, confirm=True)
    with pytest.raises(ApplicationError, match="has already answered this invitation"):
        services.partner_respond(partner=stale, by=second, confirm=False)
    assert bid.partners.get(council=councils["p1"]).status == PartnerStatus.CONFIRMED
