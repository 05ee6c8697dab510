"""The drafting services: per-section saves with edit-conflict detection, cost line changes, partner removal;
each refuses people who may not edit and bids that are no longer drafts, changing nothing."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

import pytest

from bids import services
from bids.choices import BidState, Payer
from bids.models import Bid, BidPartner, CostLine
from core.exceptions import ApplicationError
from tests.concurrency import at_once
from tests.factories import make_bid, make_submitted_bid

pytestmark = pytest.mark.django_db


def test_section_update_saves_and_counts_versions_per_section(draft, lead_user):
    services.bid_section_update(bid=draft, by=lead_user, section="about", version=0, values={"title": "One"})
    services.bid_section_update(bid=draft, by=lead_user, section="about", version=1, values={"title": "Two"})
    services.bid_section_update(bid=draft, by=lead_user, section="problem", version=0, values={"problem": "P"})
    draft.refresh_from_db()
    assert draft.title == "Two" and draft.section_versions == {"about": 2, "problem": 1}


def test_section_update_with_a_stale_version_raises_conflict_with_current_answers(draft, lead_user):
    services.bid_section_update(bid=draft, by=lead_user, section="about", version=0, values={"title": "Theirs"})
    with pytest.raises(services.EditConflictError) as caught:
        services.bid_section_update(bid=draft, by=lead_user, section="about", version=0, values={"title": "Mine"})
    assert caught.value.version == 1
    assert caught.value.current == {"title": "Theirs", "summary": "", "phase": ""}
    draft.refresh_from_db()
    assert draft.title == "Theirs"


def test_a_save_in_another_section_is_not_a_conflict(draft, lead_user):
    services.bid_section_update(bid=draft, by=lead_user, section="problem", version=0, values={"problem": "P"})
    services.bid_section_update(bid=draft, by=lead_user, section="about", version=0, values={"title": "T"})
    draft.refresh_from_db()
    assert (draft.problem, draft.title) == ("P", "T")


def test_section_update_refuses_fields_of_other_sections(draft, lead_user):
    with pytest.raises(ApplicationError):
        services.bid_section_update(bid=draft, by=lead_user, section="about", version=0, values={"problem": "P"})


def test_section_update_enforces_word_limits(draft, lead_user):
    with pytest.raises(ApplicationError, match="250 words or fewer") as caught:
        services.bid_section_update(bid=draft, by=lead_user, section="about", version=0, values={"summary": "w " * 251})
    assert caught.value.problems[0].field == "summary"
    draft.refresh_from_db()
    assert draft.summary == "" and draft.section_versions == {}


def test_section_update_refused_for_partner_members_and_after_submission(funding_round, councils, lead_user):
    bid = make_submitted_bid(
        funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]], by=lead_user
    )
    with pytest.raises(ApplicationError, match="can no longer be changed"):
        services.bid_section_update(bid=bid, by=lead_user, section="about", version=0, values={"title": "X"})
    partner_member = councils["p1"].members.first()
    Bid.objects.filter(pk=bid.pk).update(state=BidState.DRAFT)
    bid.refresh_from_db()
    with pytest.raises(ApplicationError, match="Only members of the lead council"):
        services.bid_section_update(bid=bid, by=partner_member, section="about", version=0, values={"title": "X"})


def test_section_update_rechecks_the_state_under_the_lock(draft, lead_user):
    # The page's copy still says draft, but the bid was submitted meanwhile.
    Bid.objects.filter(pk=draft.pk).update(state=BidState.IN_REVIEW)
    with pytest.raises(ApplicationError, match="can no longer be changed"):
        services.bid_section_update(bid=draft, by=lead_user, section="about", version=0, values={"title": "X"})
    assert Bid.objects.get(pk=draft.pk).title == ""


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_saves_of_the_same_version_let_exactly_one_win(require_postgres, draft, lead_user):
    """Both editors opened the page at version 0 and press Save at the same moment (PostgreSQL row lock)."""

    def save(title: str) -> Bid:
        bid = Bid.objects.get(pk=draft.pk)
        return services.bid_section_update(bid=bid, by=lead_user, section="about", version=0, values={"title": title})

    outcomes = at_once(partial(save, "A"), partial(save, "B"))
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["Bid", "EditConflictError"]
    draft.refresh_from_db()
    assert draft.section_versions == {"about": 1}


def test_cost_line_change_checks_the_partner_council_pays(draft, councils, lead_user):
    line = services.cost_line_add(bid=draft, by=lead_user, payer=Payer.LEAD, description="S", amount=Decimal(5))
    with pytest.raises(ApplicationError, match="is not a partner on this bid"):
        services.cost_line_change(
            line=line,
            by=lead_user,
            payer=Payer.PARTNER,
            description="S",
            amount=Decimal(5),
            payer_council=councils["p1"],
        )
    services.partner_invite(bid=draft, council=councils["p1"], by=lead_user)
    services.cost_line_change(
        line=line, by=lead_user, payer=Payer.PARTNER, description="S2", amount=Decimal(7), payer_council=councils["p1"]
    )
    line.refresh_from_db()
    assert (line.payer_council, line.description, line.amount) == (councils["p1"], "S2", Decimal("7.00"))


def test_cost_line_change_and_remove_refused_after_submission(funding_round, councils, lead_user):
    bid = make_submitted_bid(
        funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]], by=lead_user
    )
    line = bid.cost_lines.first()
    with pytest.raises(ApplicationError):
        services.cost_line_change(line=line, by=lead_user, payer=Payer.LEAD, description="X", amount=Decimal(1))
    with pytest.raises(ApplicationError):
        services.cost_line_remove(line=line, by=lead_user)
    assert CostLine.objects.filter(bid=bid).count() == 2


def test_cost_line_amount_must_be_positive(draft, lead_user):
    line = services.cost_line_add(bid=draft, by=lead_user, payer=Payer.LEAD, description="S", amount=Decimal(5))
    with pytest.raises(ApplicationError):
        services.cost_line_change(line=line, by=lead_user, payer=Payer.LEAD, description="S", amount=Decimal(0))
    line.refresh_from_db()
    assert line.amount == Decimal(5)


def test_partner_remove_only_by_lead_members_in_draft(funding_round, councils, lead_user):
    bid = make_bid(funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"]], by=lead_user)
    partner = bid.partners.get()
    with pytest.raises(ApplicationError):
        services.partner_remove(partner=partner, by=councils["p1"].members.first())
    services.partner_remove(partner=partner, by=lead_user)
    assert not BidPartner.objects.exists()
