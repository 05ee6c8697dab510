"""The one transition runner: refusals in order (state, person, conditions with their reasons), then the
transition, the save and the history row, or the stale-save message."""

from __future__ import annotations

import pytest

from assessments.models import Assessment
from assessments.services import ASSESSMENT_MACHINE
from bids.choices import BidState
from bids.models import Bid, BidTransition
from bids.services import BID_MACHINE
from core.exceptions import ApplicationError
from core.transitions import NO_PERMISSION
from tests.factories import make_submitted_bid, make_user

pytestmark = pytest.mark.django_db


def test_the_wrong_state_is_refused_before_the_person(funding_round, councils):
    bid = make_submitted_bid(
        funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]]
    )
    stranger = make_user()
    with pytest.raises(ApplicationError, match="This bid is in review, so it cannot be awarded"):
        BID_MACHINE.check(bid, "award", stranger)


def test_the_wrong_person_is_refused_before_any_condition(funding_round, councils):
    bid = make_submitted_bid(
        funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]]
    )
    with pytest.raises(ApplicationError, match=NO_PERMISSION):
        BID_MACHINE.run(bid, "mark_scored", by=make_user())
    assert not BidTransition.objects.filter(bid=bid, transition="mark_scored").exists()


def test_an_unmet_condition_gives_its_reason_and_changes_nothing(funding_round, councils, staff_user):
    bid = make_submitted_bid(
        funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]]
    )
    with pytest.raises(ApplicationError) as error:
        BID_MACHINE.run(bid, "mark_scored", by=staff_user)
    assert str(error.value).startswith("This bid cannot be marked as scored yet: its assessments are not all in")
    assert Bid.objects.get(pk=bid.pk).state == BidState.IN_REVIEW


def test_a_run_saves_and_records_one_history_row(funding_round, councils, staff_user):
    bid = make_submitted_bid(
        funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]]
    )
    BID_MACHINE.run(bid, "mark_ineligible", by=staff_user, note="Out of scope", reason="Out of scope")
    row = BidTransition.objects.get(bid=bid, transition="mark_ineligible")
    assert (row.source_state, row.target_state, row.by, row.note) == (
        "in_review",
        "ineligible",
        staff_user,
        "Out of scope",
    )
    assert Bid.objects.get(pk=bid.pk).state == BidState.INELIGIBLE


def test_each_machine_says_its_own_noun_when_a_save_is_stale():
    assert BID_MACHINE.stale_message.startswith("This bid changed while you were working on it")
    assert ASSESSMENT_MACHINE.stale_message.startswith("This assessment changed while you were working on it")


def test_every_transition_of_both_machines_has_a_past_tense():
    for machine, model in ((BID_MACHINE, Bid), (ASSESSMENT_MACHINE, Assessment)):
        names = {transition.name for transition in model._meta.get_field("state").get_all_transitions(model)}
        assert names <= set(machine.past), names - set(machine.past)
