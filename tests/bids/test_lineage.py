"""Project lineage: a funded discovery or alpha continued into its next phase — a draft pre-filled from it and
linked to it, its partners invited again — and the line (discovery → alpha → beta, each with round, amount and
outcome) on the council, assessor, staff and public pages, in the API and in the 360Giving package."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from bids import services
from bids.choices import BidState, PartnerStatus, Phase
from bids.selectors import bid_lineage
from core.exceptions import ApplicationError
from notifications.choices import Event
from notifications.models import Notification
from pipeline.opendata_schema import package_errors
from tests.concurrency import at_once, refusals
from tests.factories import award, make_council, make_round, make_user, publish_decisions
from tests.factories.assessments import make_scored_bid, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def discovery():
    """A funded discovery of Leadshire's with two confirmed partners, in a round that has closed."""
    earlier_round = make_round(code="LN1")
    lead = make_council("LNA", "Lineshire")
    lead_user = make_user(councils=[lead], name="Lin Lead")
    bid = make_scored_bid(funding_round=earlier_round, lead=lead, by=lead_user)
    staff = make_staff()
    award(bid, amount=Decimal("55000"), by=staff)
    publish_decisions(earlier_round, by=staff)
    bid.refresh_from_db()
    return bid


def test_a_funded_discovery_continues_into_an_alpha_draft_prefilled_linked_and_partners_invited_again(discovery):
    next_round = make_round(code="LN2")
    alpha = services.bid_continue(earlier=discovery, funding_round=next_round, by=discovery.created_by)
    assert (alpha.state, alpha.phase, alpha.continues, alpha.lead_council) == (
        BidState.DRAFT,
        Phase.ALPHA,
        discovery,
        discovery.lead_council,
    )
    assert (alpha.title, alpha.problem, alpha.user_needs) == (discovery.title, discovery.problem, discovery.user_needs)
    assert discovery.reference in alpha.outputs_and_reuse and discovery.outputs_and_reuse in alpha.outputs_and_reuse
    earlier_partners = set(discovery.partners.filter(status=PartnerStatus.CONFIRMED).values_list("council", flat=True))
    assert set(alpha.partners.values_list("council", flat=True)) == earlier_partners
    assert set(alpha.partners.values_list("status", flat=True)) == {PartnerStatus.INVITED}
    assert Notification.objects.filter(event=Event.PARTNER_INVITED, reference=alpha.reference).exists()

    line = bid_lineage(bid=alpha, user=discovery.created_by)
    assert [(step.reference, step.phase, step.is_current) for step in line] == [
        (discovery.reference, Phase.DISCOVERY, False),
        (alpha.reference, Phase.ALPHA, True),
    ]
    assert line[0].award_amount == Decimal("55000") and line[0].state == BidState.AWARDED


@pytest.mark.parametrize("case", ["not funded", "beta", "round", "twice", "not lead"])
def test_only_the_lead_continues_a_funded_discovery_or_alpha_once_into_a_round_that_funds_it(discovery, case):
    next_round = make_round(code="LN3")
    by = discovery.created_by
    earlier = discovery
    if case == "not funded":
        earlier = make_scored_bid(funding_round=next_round)
        by = earlier.created_by
    elif case == "beta":
        type(discovery).objects.filter(pk=discovery.pk).update(phase=Phase.BETA)
        earlier.refresh_from_db()
    elif case == "round":
        next_round.phases.filter(phase=Phase.ALPHA).delete()
    elif case == "twice":
        services.bid_continue(earlier=discovery, funding_round=next_round, by=by)
    elif case == "not lead":
        by = make_user(councils=[make_council()])
    with pytest.raises(ApplicationError):
        services.bid_continue(earlier=earlier, funding_round=next_round, by=by)


def test_the_line_shows_on_every_page_that_shows_the_bid_and_in_the_api(discovery, client):
    alpha = services.bid_continue(earlier=discovery, funding_round=make_round(code="LN4"), by=discovery.created_by)
    # The lead's task list and the funded discovery's own page ("Start the next phase" once, then the line).
    client.force_login(discovery.created_by)
    task_list = client.get(reverse("bids:detail", kwargs={"reference": alpha.reference})).content.decode()
    assert "Project phases" in task_list and discovery.reference in task_list
    earlier_page = client.get(reverse("bids:detail", kwargs={"reference": discovery.reference})).content.decode()
    assert alpha.reference in earlier_page
    detail = client.get(reverse("pipeline:api-bid-detail", kwargs={"reference": alpha.reference})).json()
    assert detail["continues"] == discovery.reference
    assert [step["reference"] for step in detail["lineage"]] == [discovery.reference, alpha.reference]
    # The public page shows the public phases only: the alpha is a draft, so the discovery shows no line yet.
    client.logout()
    funded = client.get(reverse("pipeline:funded")).content.decode()
    assert discovery.title in funded and alpha.reference not in funded
    # Staff see the whole line on the staff bid page and in the API.
    client.force_login(make_staff())
    staff_page = client.get(reverse("pipeline:bid_detail", kwargs={"reference": discovery.reference})).content.decode()
    assert alpha.reference in staff_page
    assert client.get(reverse("pipeline:api-bid-detail", kwargs={"reference": alpha.reference})).json()[
        "continues"
    ] == (discovery.reference)


def test_funded_phases_point_at_each_other_in_the_360giving_package_which_stays_valid(discovery, client):
    staff = make_staff()
    alpha_round = make_round(code="LN5")
    alpha = services.bid_continue(earlier=discovery, funding_round=alpha_round, by=discovery.created_by)
    lead = discovery.created_by
    for partner in alpha.partners.all():
        member = partner.council.members.first()
        services.partner_respond(partner=partner, by=member, confirm=True)
    services.bid_update(
        bid=alpha,
        by=lead,
        summary="The alpha.",
        approach="Prototypes.",
        working_in_the_open="Weeknotes.",
        amount_requested=Decimal("60000"),
        planned_start=timezone.localdate() + timedelta(days=60),
        duration_months=6,
    )
    services.cost_line_add(bid=alpha, by=lead, payer="lead", description="Staff", amount=Decimal("60000"))
    alpha = services.bid_submit(bid=alpha, by=lead)
    alpha = make_scored_bid(funding_round=alpha_round, bid=alpha)
    award(alpha, amount=Decimal("60000"), by=staff)
    publish_decisions(alpha_round, by=staff)

    response = client.get(reverse("pipeline:funded_package"))
    package = json.loads(b"".join(response.streaming_content))
    assert package_errors(package) == []
    related = {grant["id"]: grant.get("relatedActivity") for grant in package["grants"]}
    discovery_id = next(grant_id for grant_id in related if grant_id.endswith(discovery.reference.split("-", 1)[1]))
    alpha_id = next(grant_id for grant_id in related if grant_id.endswith(alpha.reference.split("-", 1)[1]))
    assert related[discovery_id] == [alpha_id] and related[alpha_id] == [discovery_id]

    funded = client.get(reverse("pipeline:funded")).content.decode()
    assert "Project phases" in funded and "55,000 awarded" in funded


@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_once_on_start_the_next_phase_start_one_draft(require_postgres, discovery):
    """A double click (or two colleagues) on "Start the next phase": the earlier bid's row lock lets one draft
    start; the other is told where the project is already continued."""
    next_round = make_round(code="LN5")

    def start() -> object:
        return services.bid_continue(earlier=discovery, funding_round=next_round, by=discovery.created_by)

    outcomes = at_once(start, start)
    started = [outcome for outcome in outcomes if not isinstance(outcome, BaseException)]
    assert len(started) == 1
    assert refusals(outcomes) == [f"This project is already continued in {started[0].reference}"]
    assert discovery.continuations.count() == 1
