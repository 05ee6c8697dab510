"""Every task's status explains itself: an "In progress" task lists what is left to do, each rule once; a cost
paid by a council that has not confirmed names that council, once, however many of its lines there are."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from bids import services
from bids.choices import Payer
from bids.conditions import cost_payer_problems
from bids.selectors import bid_get_for_drafting, bid_submission_problems, bid_task_list
from tests.factories import make_bid, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def bid(funding_round, councils, lead_user):
    """A complete draft with one confirmed partner and one that has not answered yet."""
    bid = make_bid(funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"]], by=lead_user)
    services.partner_invite(bid=bid, council=councils["p2"], by=lead_user)
    return bid


def fetch(bid, user):
    return bid_get_for_drafting(user=user, reference=bid.reference)


def pay_by(bid, user, council, description: str, amount: str = "1000") -> None:
    services.cost_line_add(
        bid=bid, by=user, payer=Payer.PARTNER, payer_council=council, description=description, amount=Decimal(amount)
    )


def test_a_cost_paid_by_an_unconfirmed_partner_names_the_council(bid, councils, lead_user):
    pay_by(bid, lead_user, councils["p2"], "Design")
    messages = [problem.message for problem in cost_payer_problems(fetch(bid, lead_user), None)]
    assert messages == [
        "The cost line ‘Design’ is paid by Partnerby Council, which has not yet confirmed it is a partner"
    ]


def test_two_lines_paid_by_one_council_are_one_problem(bid, councils, lead_user):
    pay_by(bid, lead_user, councils["p2"], "Design")
    pay_by(bid, lead_user, councils["p2"], "Build")
    messages = [problem.message for problem in cost_payer_problems(fetch(bid, lead_user), None)]
    assert messages == [
        "The cost lines ‘Design’ and ‘Build’ are paid by Partnerby Council, which has not yet confirmed it is a partner"
    ]


def test_a_council_that_declined_or_was_removed_is_named_with_the_reason(bid, councils, lead_user):
    pay_by(bid, lead_user, councils["p2"], "Design")
    partner = bid.partners.get(council=councils["p2"])
    services.partner_respond(partner=partner, by=make_user(councils=[councils["p2"]]), confirm=False)
    messages = [problem.message for problem in cost_payer_problems(fetch(bid, lead_user), None)]
    assert messages == ["The cost line ‘Design’ is paid by Partnerby Council, which has declined to be a partner"]
    services.partner_remove(partner=partner, by=lead_user)
    messages = [problem.message for problem in cost_payer_problems(fetch(bid, lead_user), None)]
    assert messages == ["The cost line ‘Design’ is paid by Partnerby Council, which is not a partner on this bid"]


def test_costs_page_says_it_once_and_the_task_list_says_why_costs_is_in_progress(bid, councils, lead_user, client):
    pay_by(bid, lead_user, councils["p2"], "Design")
    message = "The cost line ‘Design’ is paid by Partnerby Council, which has not yet confirmed it is a partner"
    client.force_login(lead_user)
    costs = client.get(reverse("bids:costs", args=[bid.reference])).content.decode()
    assert costs.count(message) == 1
    page = client.get(reverse("bids:detail", args=[bid.reference])).content.decode()
    costs_task = re.search(r'id="task-costs-hint".*?</div>', page, re.S).group(0)
    assert message in costs_task
    assert 'id="task-costs-status"' in page
    assert re.search(r'id="task-costs-status"><strong class="govuk-tag govuk-tag--light-blue">In progress', page)


def test_every_in_progress_task_lists_its_reasons_each_once(funding_round, councils, lead_user, client):
    """A half-written draft: every task that is "In progress" has reasons under it, none repeated."""
    draft = services.bid_create(funding_round=funding_round, lead_council=councils["lead"], by=lead_user)
    services.bid_update(bid=draft, by=lead_user, title="Repairs", approach="Sprints")
    services.bid_update(bid=draft, by=lead_user, amount_requested=Decimal("5000"))
    services.partner_invite(bid=draft, council=councils["p1"], by=lead_user)
    pay_by(draft, lead_user, councils["p1"], "Design")
    pay_by(draft, lead_user, councils["p1"], "Build")
    fetched = fetch(draft, lead_user)
    tasks = bid_task_list(bid=fetched, problems=bid_submission_problems(bid=fetched))
    in_progress = [task for task in tasks if task.status == "in_progress"]
    assert {task.slug for task in in_progress} == {"about", "approach", "partners", "costs"}
    client.force_login(lead_user)
    page = client.get(reverse("bids:detail", args=[draft.reference])).content.decode()
    for task in in_progress:
        hint = re.search(rf'id="task-{task.slug}-hint".*?</div>', page, re.S).group(0)
        items = re.findall(r"<li>(.*?)</li>", hint)
        assert items, task.slug
        assert len(items) == len(set(items)), task.slug
    for task in tasks:
        if task.status != "in_progress":
            assert task.reasons == []
