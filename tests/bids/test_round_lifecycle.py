"""A round's life as a state machine: upcoming → open → closed → assessing → deciding → decisions published.

Beat opens and closes rounds at their times (safe to run twice); staff close early with a reason and move the
round on; each transition is refused with its reason when its conditions do not hold; history is recorded; a
bid is judged by the closing time itself, whether or not beat has run; decisions are recorded while deciding
and told (and published) only when the round publishes them, in one step that apps above bids can hook onto.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from bids import services
from bids.choices import BidState, Phase, RoundState
from bids.models import BidSift, FundingRound, RoundTransition
from bids.selectors import bid_lead_members, bid_partner_members
from bids.signals import round_decisions_published
from core.exceptions import ApplicationError
from councils.choices import Role
from notifications.choices import Event
from notifications.models import Notification
from notifications.services import preference_update
from tests.concurrency import at_once
from tests.factories import (
    award,
    decline,
    make_bid,
    make_council,
    make_round,
    make_submitted_bid,
    make_user,
    start_assessing,
    start_deciding,
)
from tests.factories.assessments import make_in_review_bid, make_scored_bid

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


def new_round(**overrides) -> FundingRound:
    """Round 9: opens 1 March 2027 at 9am, closes as 30 April 2027 ends (set up on 1 February)."""
    values = {
        "name": "Round 9",
        "code": "R9",
        "opens_at": at("2027-03-01 09:00"),
        "closes_at": at("2027-05-01 00:00"),
        "assessment_deadline": at("2027-05-31 17:00"),
        "budget": Decimal("750000"),
        "phase_caps": {Phase.DISCOVERY: Decimal("80000")},
    }
    values.update(overrides)
    with time_machine.travel(at("2027-02-01 10:00"), tick=False):
        return services.round_create(**values)


def beat_at(moment: str) -> tuple[int, int]:
    with time_machine.travel(at(moment), tick=False):
        return services.rounds_open_and_close_due()


def history(funding_round: FundingRound) -> list[tuple[str, str, str]]:
    rows = RoundTransition.objects.filter(funding_round=funding_round).exclude(transition="create")
    return list(rows.order_by("at", "pk").values_list("transition", "source_state", "target_state"))


@pytest.fixture
def staff(db):
    return make_user(role=Role.PROGRAMME_STAFF, name="Stan Staff")


def test_beat_opens_and_closes_the_round_at_its_times_once_even_when_run_twice(staff):
    funding_round = new_round()
    assert funding_round.state == RoundState.UPCOMING
    assert beat_at("2027-03-01 08:59") == (0, 0)
    assert beat_at("2027-03-01 09:00") == (1, 0)
    assert beat_at("2027-03-01 09:01") == (0, 0)  # a second run changes nothing
    funding_round.refresh_from_db()
    assert funding_round.state == RoundState.OPEN and funding_round.opened_at == at("2027-03-01 09:00")
    assert beat_at("2027-04-30 23:59") == (0, 0)
    assert beat_at("2027-05-01 00:00") == (0, 1)
    assert beat_at("2027-05-01 00:01") == (0, 0)
    funding_round.refresh_from_db()
    assert funding_round.state == RoundState.CLOSED and funding_round.close_reason == ""
    assert history(funding_round) == [("open", "upcoming", "open"), ("close", "open", "closed")]
    assert set(RoundTransition.objects.filter(funding_round=funding_round).values_list("by", flat=True)) == {None}


@pytest.mark.django_db(transaction=True)
def test_two_beat_runs_at_once_open_the_round_once(require_postgres):
    funding_round = new_round()

    def run() -> tuple[int, int]:
        with time_machine.travel(at("2027-03-01 09:00:30"), tick=False):
            return services.rounds_open_and_close_due()

    assert sorted(at_once(run, run)) == [(0, 0), (1, 0)]
    assert history(funding_round) == [("open", "upcoming", "open")]


def test_a_bid_is_judged_by_the_closing_time_whether_or_not_beat_has_run(db):
    funding_round = new_round()
    beat_at("2027-03-01 09:00")
    lead = make_council()
    funding_round.refresh_from_db()
    with time_machine.travel(at("2027-03-02 10:00"), tick=False):
        on_time = make_bid(funding_round=funding_round, lead=lead, partners=[make_council(), make_council()])
        late = make_bid(funding_round=funding_round, lead=lead, partners=[make_council(), make_council()])
    with time_machine.travel(at("2027-04-30 23:59:59"), tick=False):  # the last second: taken
        services.bid_submit(bid=on_time, by=on_time.created_by)
    with time_machine.travel(at("2027-05-01 00:00:00"), tick=False):  # beat has not run, but the time has passed
        funding_round.refresh_from_db()
        assert funding_round.state == RoundState.OPEN
        with pytest.raises(ApplicationError) as error:
            services.bid_submit(bid=late, by=late.created_by)
        assert "Round 9 closed on 30 April 2027 at 11:59pm" in [p.message for p in error.value.problems]
        with pytest.raises(ApplicationError, match="not open for bids"):
            services.bid_create(funding_round=funding_round, lead_council=lead, by=late.created_by)


def test_opening_tells_members_of_signatory_councils_who_asked_to_hear(db):
    signatory, unsigned = make_council(), make_council(signed=False)
    wants, does_not_want, cannot_bid = (make_user(councils=[c]) for c in (signatory, signatory, unsigned))
    make_user(councils=[signatory])  # never said: off by default
    preference_update(user=wants, round_opening_emails=True)
    preference_update(user=does_not_want, round_opening_emails=False)
    preference_update(user=cannot_bid, round_opening_emails=True)
    funding_round = new_round()
    beat_at("2027-03-01 09:00")
    beat_at("2027-03-01 09:01")
    opened = Notification.objects.filter(event=Event.ROUND_OPENED)
    assert [row.recipient for row in opened] == [wants]
    assert opened.get().context["round"] == funding_round.name


def test_closing_tells_staff_and_the_lead_members_of_drafts(staff):
    funding_round = make_round(code="CL")
    lead, other = make_council(), make_council()
    draft = make_bid(funding_round=funding_round, lead=lead)
    submitted = make_submitted_bid(funding_round=funding_round, lead=other, partners=[make_council(), make_council()])
    colleague = make_user(councils=[lead])
    services.round_close_early(funding_round=funding_round, by=staff, reason="The budget is spent.")
    closed = Notification.objects.filter(event=Event.ROUND_CLOSED)
    assert {(row.recipient, row.reference) for row in closed} == {
        (staff, ""),
        (draft.created_by, draft.reference),
        (colleague, draft.reference),
    }
    assert submitted.reference not in {row.reference for row in closed}
    staff_row = closed.get(recipient=staff)
    assert (staff_row.context["submitted"], staff_row.context["drafts"]) == (1, 1)
    assert staff_row.context["close_reason"] == "The budget is spent."


def test_closing_early_needs_staff_a_reason_and_an_open_round(staff):
    funding_round = make_round(code="CE")
    lead_member = make_user(councils=[make_council()])
    with pytest.raises(ApplicationError, match="Enter why you are closing the round early"):
        services.round_close_early(funding_round=funding_round, by=staff, reason="  ")
    with pytest.raises(ApplicationError, match="You do not have permission"):
        services.round_close_early(funding_round=funding_round, by=lead_member, reason="Mine now")
    # Opening and closing at the times are the service's own (beat's), not a person's.
    with pytest.raises(ApplicationError, match="You do not have permission"):
        services.round_close(funding_round=funding_round, by=staff)
    services.round_close_early(funding_round=funding_round, by=staff, reason="Enough bids")
    funding_round.refresh_from_db()
    assert (funding_round.state, funding_round.close_reason) == (RoundState.CLOSED, "Enough bids")
    assert history(funding_round)[-1] == ("close_early", "open", "closed")
    with pytest.raises(ApplicationError, match="This round is closed, so it cannot be closed early"):
        services.round_close_early(funding_round=funding_round, by=staff, reason="Again")
    with pytest.raises(ApplicationError, match="This round is closed, so it cannot be opened"):
        services.round_open(funding_round=funding_round)


def test_before_its_opening_time_a_round_cannot_be_opened(db):
    funding_round = new_round()
    with time_machine.travel(at("2027-02-15 10:00"), tick=False):
        with pytest.raises(ApplicationError, match="cannot be opened yet: it opens at 1 March 2027 at 9am"):
            services.round_open(funding_round=funding_round)
        with pytest.raises(ApplicationError, match="cannot be closed yet: it closes at 30 April 2027 at 11:59pm"):
            services.round_close(funding_round=funding_round)


def test_each_step_is_refused_with_its_reason_until_its_conditions_hold(staff):
    funding_round = make_round(code="ST", assessors_per_bid=1)
    lead = make_council()
    partners = [make_council(), make_council()]
    first = make_submitted_bid(funding_round=funding_round, lead=lead, partners=partners)
    second = make_submitted_bid(funding_round=funding_round, lead=lead, partners=partners)
    with pytest.raises(ApplicationError, match="This round is open for bids, so it cannot be moved to assessment"):
        services.round_start_assessing(funding_round=funding_round, by=staff)
    services.round_close_early(funding_round=funding_round, by=staff, reason="Enough bids")
    with pytest.raises(ApplicationError) as error:
        services.round_start_assessing(funding_round=funding_round, by=staff)
    assert str(error.value) == (
        "This round cannot be moved to assessment yet: 2 bids in review are not sifted yet: "
        f"{first.reference}, {second.reference}"
    )
    services.bid_sift(bid=first, by=staff, eligible=True)
    services.bid_sift(bid=second, by=staff, eligible=True)
    with pytest.raises(ApplicationError, match="You do not have permission"):
        services.round_start_assessing(funding_round=funding_round, by=first.created_by)
    services.round_start_assessing(funding_round=funding_round, by=staff)
    first = make_scored_bid(funding_round=funding_round, scores=[4], bid=first)
    with pytest.raises(ApplicationError) as error:
        services.round_start_deciding(funding_round=funding_round, by=staff)
    assert str(error.value) == (
        "This round cannot be moved to decisions yet: every bid must be scored, ineligible or withdrawn first, "
        f"and 1 bid is still in review: {second.reference}"
    )
    services.bid_withdraw(bid=second, by=second.created_by, reason="Paused")
    services.round_start_deciding(funding_round=funding_round, by=staff)
    with pytest.raises(ApplicationError) as error:
        services.round_publish_decisions(funding_round=funding_round, by=staff)
    assert str(error.value) == (
        "This round cannot be published yet: 1 scored bid has no decision yet (award or decline each): "
        f"{first.reference}"
    )
    award(first, by=staff)
    services.round_publish_decisions(funding_round=funding_round, by=staff)
    assert history(funding_round) == [
        ("open", "upcoming", "open"),
        ("close_early", "open", "closed"),
        ("start_assessing", "closed", "assessing"),
        ("start_deciding", "assessing", "deciding"),
        ("publish_decisions", "deciding", "decisions_published"),
    ]


def test_a_stale_round_step_becomes_a_clear_message(staff):
    funding_round = make_round(code="SA")
    stale = FundingRound.objects.get(pk=funding_round.pk)
    services.round_close_early(funding_round=funding_round, by=staff, reason="Closing")
    # The service locks and re-reads the round: a page opened before the change is told its real state.
    with pytest.raises(ApplicationError, match="This round is closed, so it cannot be closed early"):
        services.round_close_early(funding_round=stale, by=staff, reason="Again")
    # And a save past the services from an old copy is refused by the concurrency check.
    from django_fsm import ConcurrentTransition

    with pytest.raises(ConcurrentTransition):
        stale.name = "Renamed"
        stale.save()


def test_decisions_are_recorded_while_deciding_and_told_only_when_published(staff):
    funding_round = make_round(code="DP", budget="200000")
    bids = [make_in_review_bid(funding_round=funding_round) for _ in range(2)]
    awarded, declined = (make_scored_bid(funding_round=funding_round, bid=bid) for bid in bids)
    with pytest.raises(ApplicationError, match="recorded while the round is deciding, and Round DP is assessing"):
        services.bid_award(bid=awarded, by=staff, amount=Decimal("100"))
    with pytest.raises(ApplicationError, match="recorded while the round is deciding"):
        services.bid_decline(bid=declined, by=staff, feedback="No")
    award(awarded, amount="55000", conditions="Weeknotes", by=staff)
    decline(declined, feedback="Not enough reuse", by=staff)
    told = Notification.objects.filter(event__in=[Event.BID_AWARDED, Event.BID_NOT_FUNDED])
    assert not told.exists()

    heard = []

    def receiver(sender, *, funding_round, by, awarded, not_funded, **kwargs):
        # Inside the publishing transaction, after the councils' messages are in the outbox.
        assert connection.in_atomic_block
        heard.append((funding_round.pk, by, [b.pk for b in awarded], [b.pk for b in not_funded], told.count()))

    round_decisions_published.connect(receiver, dispatch_uid="test-receiver")
    try:
        published = services.round_publish_decisions(funding_round=funding_round, by=staff)
    finally:
        round_decisions_published.disconnect(dispatch_uid="test-receiver")
    assert heard == [(funding_round.pk, staff, [awarded.pk], [declined.pk], told.count())]
    assert published.state == RoundState.PUBLISHED
    assert published.decisions_published_by == staff and published.decisions_published_at is not None
    # Each decided bid's lead and (confirmed) partner members hear once.
    for event, bid in ((Event.BID_AWARDED, awarded), (Event.BID_NOT_FUNDED, declined)):
        members = {user.pk for user in bid_lead_members(bid=bid) + bid_partner_members(bid=bid)}
        rows = told.filter(event=event)
        assert sorted(rows.values_list("recipient_id", flat=True)) == sorted(members)
        assert set(rows.values_list("reference", flat=True)) == {bid.reference}
    assert told.filter(event=Event.BID_AWARDED).first().context["amount_awarded"] == "55000.00"
    assert told.filter(event=Event.BID_NOT_FUNDED).first().context["feedback"] == "Not enough reuse"
    with pytest.raises(ApplicationError, match="so it cannot be published"):
        services.round_publish_decisions(funding_round=published, by=staff)


def test_a_receiver_that_fails_rolls_the_publication_back(staff):
    funding_round = make_round(code="RB")
    award(make_scored_bid(funding_round=funding_round), by=staff)

    def failing(sender, **kwargs):
        raise RuntimeError("projects could not be created")

    round_decisions_published.connect(failing, dispatch_uid="test-failing")
    try:
        with pytest.raises(RuntimeError):
            services.round_publish_decisions(funding_round=funding_round, by=staff)
    finally:
        round_decisions_published.disconnect(dispatch_uid="test-failing")
    funding_round.refresh_from_db()
    assert funding_round.state == RoundState.DECIDING
    assert not Notification.objects.filter(event=Event.BID_AWARDED).exists()


def test_a_bid_returned_after_the_round_closed_may_come_back_until_the_round_decides(staff):
    funding_round = make_round(code="RT")
    bid = make_in_review_bid(funding_round=funding_round)
    start_assessing(funding_round, by=staff)
    assert BidSift.objects.filter(bid=bid).exists()
    services.bid_return_for_changes(bid=bid, by=staff, message="Confirm the partner costs.")
    assert not BidSift.objects.filter(bid=bid).exists()  # it will be sifted again when it comes back
    bid.refresh_from_db()
    services.bid_submit(bid=bid, by=bid.created_by)  # closed round, but the fund asked for the changes
    assert bid.state == BidState.IN_REVIEW
    fresh = make_bid(funding_round=make_round(code="RU"), lead=make_council())
    start_deciding(fresh.funding_round, by=staff)
    fresh.refresh_from_db()
    with pytest.raises(ApplicationError):
        services.bid_submit(bid=fresh, by=fresh.created_by)  # never submitted: only while the round is open
