"""The partner finder: a lead posts a call (the pitch, never the draft), members of other signatory councils
find it and ask to join, the lead accepts — the council becomes a confirmed partner through the bids' own
partner rules — or declines with a reason, everyone hears through the outbox, and the call closes, recorded,
when the bid is submitted or withdrawn."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.choices import AssessmentState
from bids import services as bid_services
from bids.choices import PartnerStatus
from collaboration import services
from collaboration.choices import CallStatus, CloseReason, RequestStatus
from collaboration.models import JoinRequest, PartnerCall
from collaboration.selectors import partner_calls_search
from core.exceptions import ApplicationError
from councils.models import Membership
from notifications.choices import Event
from notifications.models import Notification
from tests.factories import make_bid, make_council, make_round, make_user
from tests.factories.assessments import assign, make_assessor

pytestmark = pytest.mark.django_db

SECRET = "Our draft's confidential costing note"


@pytest.fixture
def world(councils):
    funding_round = make_round(code="PC1", min_partner_councils=1)
    lead = make_user(councils=[councils["lead"]], name="Lee Lead")
    bid = make_bid(funding_round=funding_round, lead=councils["lead"], partners=[councils["p2"]], by=lead)
    bid_services.bid_update(bid=bid, by=lead, problem=SECRET)
    asker = make_user(councils=[councils["other"]], name="Ash Asker")
    call = services.partner_call_save(
        bid=bid,
        by=lead,
        title="Shared taxi licensing",
        problem="Licensing checks of cab drivers take weeks.",
        partners_do="Test the service with your licensing team.",
        join_by=timezone.localdate() + timedelta(days=5),
    )
    return {"round": funding_round, "bid": bid, "lead": lead, "asker": asker, "call": call, "councils": councils}


def test_other_councils_find_a_call_by_its_words_phase_type_and_region_and_see_only_the_pitch(world, client):
    call = world["call"]
    assert list(partner_calls_search(words="taxi LICENSING")) == [call]
    assert list(partner_calls_search(words="Leadshire")) == [call]
    assert list(partner_calls_search(words="taxi", phase="discovery", region="South West")) == [call]
    assert list(partner_calls_search(words="parking")) == []
    assert list(partner_calls_search(phase="beta")) == []
    assert list(partner_calls_search(council_type="county")) == []

    client.force_login(world["asker"])
    listing = client.get(reverse("collaboration:calls"), {"q": "taxi"})
    page = client.get(reverse("collaboration:call", kwargs={"reference": world["bid"].reference}))
    for response in (listing, page):
        assert response.status_code == 200
        assert "Shared taxi licensing" in response.content.decode()
        assert SECRET not in response.content.decode()
        assert world["bid"].title not in response.content.decode()  # the draft's own title is not the pitch's
    # The draft itself stays out of reach.
    assert client.get(reverse("bids:detail", kwargs={"reference": world["bid"].reference})).status_code == 404


def test_asking_to_join_tells_the_lead_and_accepting_makes_a_confirmed_partner(
    world, django_capture_on_commit_callbacks
):
    other = world["councils"]["other"]
    request = services.join_request_create(call=world["call"], council=other, by=world["asker"], message="We can test.")
    told = Notification.objects.get(event=Event.PARTNER_CALL_REQUEST)
    assert told.recipient == world["lead"]
    assert told.context["partner_council"] == other.name and SECRET not in str(told.context)

    services.join_request_accept(request=request, by=world["lead"])

    partner = world["bid"].partners.get(council=other)
    assert (partner.status, partner.responded_by) == (PartnerStatus.CONFIRMED, world["asker"])
    request.refresh_from_db()
    assert (request.status, request.decided_by) == (RequestStatus.ACCEPTED, world["lead"])
    answered = Notification.objects.get(event=Event.PARTNER_CALL_ANSWERED)
    assert answered.recipient == world["asker"] and answered.context["response"] == "accepted"


def test_declining_needs_a_reason_which_the_council_hears(world):
    request = services.join_request_create(
        call=world["call"], council=world["councils"]["other"], by=world["asker"], message="Hello"
    )
    with pytest.raises(ApplicationError, match="why you are declining"):
        services.join_request_decline(request=request, by=world["lead"], reason=" ")
    services.join_request_decline(request=request, by=world["lead"], reason="We have enough partners")
    request.refresh_from_db()
    assert (request.status, request.reason) == (RequestStatus.DECLINED, "We have enough partners")
    answered = Notification.objects.get(event=Event.PARTNER_CALL_ANSWERED)
    assert answered.context["reason"] == "We have enough partners" and answered.recipient == world["asker"]
    assert not world["bid"].partners.filter(council=world["councils"]["other"]).exists()


@pytest.mark.parametrize(
    "case, message",
    [
        ("unsigned", "has not signed the Local Digital Declaration"),
        ("lead", "leads this bid"),
        ("twice", "has already asked to join"),
        ("partner", "already a partner"),
        ("not member", "not a member"),
        ("empty", "Enter a message"),
    ],
)
def test_asking_to_join_is_refused_when_the_rules_say_so(world, case, message):
    councils, asker = world["councils"], world["asker"]
    council = councils["other"]
    if case == "unsigned":
        council = councils["unsigned"]
        Membership.objects.create(user=asker, council=council)
    elif case == "lead":
        council = councils["lead"]
        Membership.objects.create(user=asker, council=council)
    elif case == "twice":
        services.join_request_create(call=world["call"], council=council, by=asker, message="First")
    elif case == "partner":
        member = make_user(councils=[council])
        partner = bid_services.partner_invite(bid=world["bid"], council=council, by=world["lead"])
        bid_services.partner_respond(partner=partner, by=member, confirm=True)
    elif case == "not member":
        council = councils["p1"]
    asker = type(asker).objects.get(pk=asker.pk)  # memberships read afresh
    with pytest.raises(ApplicationError, match=message):
        services.join_request_create(
            call=world["call"], council=council, by=asker, message="" if case == "empty" else "Please"
        )


def test_a_call_closed_after_the_page_was_read_takes_no_request(world):
    """The asker's copy of the call still says open (they read it before the lead closed it): the service checks
    the call again under its lock."""
    stale = PartnerCall.objects.get(pk=world["call"].pk)
    services.partner_call_close(call=world["call"], by=world["lead"], reason=CloseReason.BY_LEAD)
    with pytest.raises(ApplicationError, match="This call for partners has closed"):
        services.join_request_create(call=stale, council=world["councils"]["other"], by=world["asker"], message="Hi")
    assert not JoinRequest.objects.exists()


def test_a_call_on_a_draft_its_round_no_longer_takes_is_closed_to_everyone(world, client, staff_user):
    """A round closed (early, here) takes no more bids: its drafts' calls leave the list, take no request, and
    a request already made cannot be accepted; the lead can neither open a call nor is offered one."""
    request = services.join_request_create(
        call=world["call"], council=world["councils"]["other"], by=world["asker"], message="We would like to join."
    )
    bid_services.round_close_early(funding_round=world["round"], by=staff_user, reason="Budget withdrawn")
    world["bid"].refresh_from_db()
    assert list(partner_calls_search()) == []
    with pytest.raises(ApplicationError, match="This call for partners has closed"):
        services.join_request_create(
            call=world["call"],
            council=world["councils"]["p1"],
            by=make_user(councils=[world["councils"]["p1"]]),
            message="Us too.",
        )
    with pytest.raises(ApplicationError, match="This call for partners has closed"):
        services.join_request_accept(request=request, by=world["lead"])
    assert not world["bid"].partners.filter(council=world["councils"]["other"]).exists()
    with pytest.raises(ApplicationError, match="Round PC1 is not open for bids, so this bid cannot look for partners"):
        services.partner_call_save(
            bid=world["bid"],
            by=world["lead"],
            title="Again",
            problem="P",
            partners_do="D",
            join_by=timezone.localdate() + timedelta(days=5),
        )
    client.force_login(world["asker"])
    assert client.get(reverse("collaboration:calls")).content.decode().count("Shared taxi licensing") == 0
    client.force_login(world["lead"])
    page = client.get(reverse("bids:detail", args=[world["bid"].reference])).content.decode()
    assert "is not open for bids, so this bid cannot look for partners" in page
    assert "Look for partner councils" not in page and "Manage your call" not in page


def test_accepting_keeps_the_conflict_of_interest_invariant(world, staff_user):
    """An assessor of the bid works for the council that asks; when the lead accepts, their assessment becomes
    conflicted in the same transaction (bids.signals.council_joined_bid), as for any confirmation."""
    other = world["councils"]["other"]
    bid = bid_services.bid_submit(bid=world["bid"], by=world["lead"])
    insider = make_assessor(councils=[other])
    (assessment,) = assign(bid, [insider], by=staff_user)
    bid_services.bid_return_for_changes(bid=bid, by=staff_user, message="Add a partner")
    call = services.partner_call_save(
        bid=bid, by=world["lead"], title="Again", problem="P", partners_do="D", join_by=timezone.localdate()
    )
    request = services.join_request_create(call=call, council=other, by=world["asker"], message="Join")
    services.join_request_accept(request=request, by=world["lead"])
    assessment.refresh_from_db()
    assert assessment.state == AssessmentState.CONFLICTED


def test_submitting_or_withdrawing_closes_the_call_recorded_and_tells_councils_still_waiting(world, councils):
    request = services.join_request_create(
        call=world["call"], council=councils["other"], by=world["asker"], message="Hi"
    )
    bid_services.bid_submit(bid=world["bid"], by=world["lead"])
    call = world["call"]
    call.refresh_from_db()
    request.refresh_from_db()
    assert (call.status, call.closed_reason, call.closed_by) == (CallStatus.CLOSED, CloseReason.SUBMITTED, None)
    assert call.closed_at is not None and request.status == RequestStatus.CLOSED
    closed = Notification.objects.get(event=Event.PARTNER_CALL_CLOSED)
    assert closed.recipient == world["asker"]
    assert list(partner_calls_search()) == []

    draft = make_bid(funding_round=world["round"], lead=councils["lead"], by=world["lead"], filled=False)
    other_call = services.partner_call_save(
        bid=draft, by=world["lead"], title="T", problem="P", partners_do="D", join_by=timezone.localdate()
    )
    bid_services.bid_withdraw(bid=draft, by=world["lead"], reason="Merged with another bid")
    other_call.refresh_from_db()
    assert (other_call.status, other_call.closed_reason) == (CallStatus.CLOSED, CloseReason.WITHDRAWN)


def test_the_pitch_is_checked_and_a_closed_call_can_open_again(world):
    lead, bid = world["lead"], world["bid"]
    with pytest.raises(ApplicationError) as refused:
        services.partner_call_save(bid=bid, by=lead, title="", problem="", partners_do="", join_by=None)
    assert {problem.field for problem in refused.value.problems} == {"title", "problem", "partners_do", "join_by"}
    with pytest.raises(ApplicationError, match="today or later"):
        services.partner_call_save(
            bid=bid, by=lead, title="T", problem="P", partners_do="D", join_by=timezone.localdate() - timedelta(days=1)
        )
    with pytest.raises(ApplicationError, match="when the round closes"):
        services.partner_call_save(
            bid=bid, by=lead, title="T", problem="P", partners_do="D", join_by=timezone.localdate() + timedelta(days=60)
        )
    with pytest.raises(ApplicationError, match="Only members of the lead council"):
        services.partner_call_save(
            bid=bid, by=world["asker"], title="T", problem="P", partners_do="D", join_by=timezone.localdate()
        )
    services.partner_call_close(call=world["call"], by=lead)
    call = services.partner_call_save(
        bid=bid, by=lead, title="T2", problem="P", partners_do="D", join_by=timezone.localdate()
    )
    assert (call.status, call.closed_reason, call.title) == (CallStatus.OPEN, "", "T2")
    assert JoinRequest.objects.count() == 0


def test_the_lead_answers_a_request_through_the_pages(world, client):
    request = services.join_request_create(
        call=world["call"], council=world["councils"]["other"], by=world["asker"], message="We bring testers"
    )
    client.force_login(world["lead"])
    reference = world["bid"].reference
    task_list = client.get(reverse("bids:detail", kwargs={"reference": reference})).content.decode()
    assert "1 request to answer" in task_list
    url = reverse("collaboration:request", kwargs={"reference": reference, "request_id": request.pk})
    assert "We bring testers" in client.get(url).content.decode()
    refused = client.post(url, {"answer": "decline", "reason": ""})
    assert refused.status_code == 400 and "why you are declining" in refused.content.decode()
    assert client.post(url, {"answer": "accept"}).status_code == 302
    assert world["bid"].partners.get(council=world["councils"]["other"]).status == PartnerStatus.CONFIRMED


def test_the_call_list_costs_the_same_queries_at_any_size(world, client, django_assert_max_num_queries, councils):
    client.force_login(world["asker"])
    url = reverse("collaboration:calls")
    with django_assert_max_num_queries(8):
        assert client.get(url).status_code == 200
    for n in range(25):
        lead = make_user(councils=[make_council()])
        bid = make_bid(funding_round=world["round"], lead=lead.councils.get(), by=lead, filled=False)
        services.partner_call_save(
            bid=bid, by=lead, title=f"Call {n}", problem="P", partners_do="D", join_by=timezone.localdate()
        )
    with django_assert_max_num_queries(8):
        response = client.get(url)
    assert response.status_code == 200 and "26 open calls" in response.content.decode()


def test_partners_join_by_the_rounds_last_day_which_for_a_midnight_close_is_the_day_before(world):
    """A round closing at midnight at the start of a day takes no bid on that day: a call's join-by date is on
    or before the day before, and the message names that day."""
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    from bids.models import FundingRound

    closing_day = timezone.localdate() + timedelta(days=10)
    midnight = datetime.combine(closing_day, time(0, 0), tzinfo=ZoneInfo("Europe/London"))
    FundingRound.objects.filter(pk=world["round"].pk).update(closes_at=midnight)
    bid = type(world["bid"]).objects.get(pk=world["bid"].pk)
    pitch = {"title": "Again", "problem": "P", "partners_do": "D"}
    with pytest.raises(ApplicationError, match="must be on or before"):
        services.partner_call_save(bid=bid, by=world["lead"], join_by=closing_day, **pitch)
    services.partner_call_save(bid=bid, by=world["lead"], join_by=closing_day - timedelta(days=1), **pitch)
