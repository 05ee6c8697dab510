"""Similar work: who sees what (one rule for pages and API), the API's shape, the index kept current as bids
change, and the staff table's overlap flag for similar bids in one round."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from bids import services as bid_services
from bids.choices import BidState, RoundState
from bids.models import FundingRound
from collaboration.models import BidTextIndex, PartnerCall
from collaboration.selectors import similar_work
from collaboration.services import partner_call_index_refresh, round_overlaps_refresh
from councils.choices import Role
from tests.factories import make_bid, make_council, make_round, make_user
from tests.factories.assessments import assign, make_assessor
from tests.factories.collaboration import seed_texts

pytestmark = pytest.mark.django_db

PARKING = [
    (
        None,
        "Virtual permits for residents' parking zones",
        "People queue at the civic centre to buy a permit for their car.",
    ),
    (
        None,
        "Parking permits for residents online",
        "Households renew on-street parking permits by post; we want it online.",
    ),
    (None, "Digital resident parking permits", "Residents in controlled zones apply for car parking permits on paper."),
    (
        None,
        "Resident parking permit renewals",
        "Renewing a residents' parking permit needs a visit; visitor vouchers too.",
    ),
    (
        None,
        "Parking permit service for residents",
        "Permits for residents' cars and visitors, checked by civil enforcement.",
    ),
]


@pytest.fixture
def world():
    funding_round = make_round(code="SW1")
    mine, theirs = make_council("MIN", "Mineshire"), make_council("THR", "Theirton")
    [draft] = seed_texts(PARKING[:1], funding_round=funding_round, council=mine, state=BidState.DRAFT)
    # Funded in an earlier round whose decisions are published (only then is an award public).
    published_round = make_round(code="SW0")
    FundingRound.objects.filter(pk=published_round.pk).update(state=RoundState.PUBLISHED)
    published_round.refresh_from_db()
    [funded] = seed_texts(PARKING[1:2], funding_round=published_round, council=theirs, state=BidState.AWARDED)
    [submitted] = seed_texts(PARKING[2:3], funding_round=funding_round, council=theirs)
    [hidden, calling] = seed_texts(PARKING[3:5], funding_round=funding_round, council=theirs, state=BidState.DRAFT)
    call = PartnerCall.objects.create(
        bid=calling,
        title="Looking for partners on parking permits",
        problem="Residents' parking permits are still bought on paper at the civic centre.",
        partners_do="Test with your parking team",
        join_by=timezone.localdate(),
    )
    partner_call_index_refresh(call_id=call.pk)
    return {
        "draft": draft,
        "funded": funded,
        "submitted": submitted,
        "hidden": hidden,
        "calling": calling,
        "member": make_user(councils=[mine]),
        "staff": make_user(role=Role.PROGRAMME_STAFF),
    }


def test_councils_see_funded_projects_and_open_calls_staff_see_submitted_bids_assessors_nothing(world):
    kinds = {work.reference: work.kind for work in similar_work(bid=world["draft"], user=world["member"])}
    assert kinds == {world["funded"].reference: "funded", world["calling"].reference: "call"}

    staff = {work.reference: work.kind for work in similar_work(bid=world["draft"], user=world["staff"])}
    assert staff == {
        world["funded"].reference: "bid",
        world["submitted"].reference: "bid",
        world["calling"].reference: "call",
    }
    # Never another council's draft (only its pitch, while its call is open).
    assert world["hidden"].reference not in kinds | staff
    assert similar_work(bid=world["draft"], user=make_assessor()) == []

    PartnerCall.objects.update(status="closed")
    assert world["calling"].reference not in {
        w.reference for w in similar_work(bid=world["draft"], user=world["member"])
    }


def test_a_council_member_is_shown_the_pitch_not_the_draft_it_belongs_to(world):
    [call] = [w for w in similar_work(bid=world["draft"], user=world["member"]) if w.kind == "call"]
    assert call.title == "Looking for partners on parking permits"
    assert call.url == reverse("collaboration:call", kwargs={"reference": world["calling"].reference})
    assert "vouchers" not in " ".join(call.shared_terms)  # words of the draft's own text never explain a match


def test_the_api_lists_what_the_caller_may_see_best_first_with_scores(world, client):
    url = reverse("pipeline:api-bid-similar", kwargs={"reference": world["draft"].reference})
    client.force_login(world["member"])
    items = client.get(url).json()
    assert [item["reference"] for item in items] and {item["reference"] for item in items} == {
        world["funded"].reference,
        world["calling"].reference,
    }
    assert [item["score"] for item in items] == sorted((item["score"] for item in items), reverse=True)
    for item in items:
        assert {"reference", "title", "lead_council", "state", "round", "score"} <= set(item)
        assert 0 <= item["score"] <= 1 and item["round"] in ("SW0", "SW1")  # the funded bid, the call
    client.force_login(make_user(councils=[make_council()]))
    assert client.get(url).status_code == 404  # not their bid


def test_the_index_follows_the_text_and_the_round_flags_similar_submitted_bids(
    django_capture_on_commit_callbacks, staff_user, client
):
    funding_round = make_round(code="SW2", min_partner_councils=1)
    bids = []
    for council_code, title in (
        ("OVA", "Resident parking permits online"),
        ("OVB", "Digital parking permits for residents"),
    ):
        lead = make_user(councils=[make_council(council_code)])
        bid = make_bid(funding_round=funding_round, lead=lead.councils.get(), partners=[make_council()], by=lead)
        with django_capture_on_commit_callbacks(execute=True):
            bid_services.bid_section_update(
                bid=bid,
                by=lead,
                section="about",
                version=0,
                values={"title": title, "summary": "Households renew parking permits by post.", "phase": "discovery"},
            )
        assert BidTextIndex.objects.get(bid=bid).version  # embedded once committed
        with django_capture_on_commit_callbacks(execute=True):
            bids.append(bid_services.bid_submit(bid=bid, by=lead))
    first, second = (BidTextIndex.objects.get(bid=bid) for bid in bids)
    assert (first.overlaps, second.overlaps) == ([bids[1].pk], [bids[0].pk])

    client.force_login(staff_user)
    table = client.get(reverse("pipeline:bids")).content.decode()
    assert table.count("Possible overlap") == 2
    page = client.get(reverse("pipeline:bid_detail", kwargs={"reference": bids[0].reference})).content.decode()
    assert bids[1].reference in page and "Possible overlap" in page
    # And at the sift, where the fund's "one bid in a service area" is first weighed.
    sift = client.get(reverse("pipeline:round_sift", kwargs={"pk": funding_round.pk})).content.decode()
    assert sift.count("Possible overlap: 1 bid") == 2
    page = client.get(reverse("pipeline:bid_sift", kwargs={"reference": bids[0].reference})).content.decode()
    assert 'id="similar-work"' in page and bids[1].reference in page and "Possible overlap" in page

    with django_capture_on_commit_callbacks(execute=True):
        bid_services.bid_withdraw(bid=bids[1], by=bids[1].created_by, reason="Joined the other bid")
    assert BidTextIndex.objects.get(bid=bids[0]).overlaps == []
    assert round_overlaps_refresh(funding_round_id=funding_round.pk) == 0  # nothing left to change


def test_the_task_list_shows_others_working_on_this(world, client):
    client.force_login(world["member"])
    page = client.get(reverse("bids:detail", kwargs={"reference": world["draft"].reference})).content.decode()
    assert "Others working on this" in page
    assert world["funded"].title in page and "Looking for partners on parking permits" in page
    assert world["hidden"].title not in page and world["submitted"].title not in page


def test_an_assessor_of_the_bid_gets_nothing_extra_from_the_api(world, client, staff_user):
    assessor = make_assessor()
    bid = world["submitted"]
    (assessment,) = assign(bid, [assessor], by=staff_user)
    from assessments import services as assessment_services

    assessment_services.assessment_declare(assessment=assessment, by=assessor, conflict=False)
    client.force_login(assessor)
    assert client.get(reverse("pipeline:api-bid-similar", kwargs={"reference": bid.reference})).json() == []
