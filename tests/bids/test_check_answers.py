"""Check answers lists every blocker before asking for the declaration, and a repeated submit of a bid that the
first click already submitted shows the confirmation, not an error."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bids import services, views
from bids.choices import BidState
from bids.models import Bid
from tests.factories import make_bid

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(funding_round, councils, lead_user):
    return make_bid(
        funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]], by=lead_user
    )


def check_url(bid: Bid) -> str:
    return reverse("bids:check", args=[bid.reference])


def test_every_blocker_is_listed_with_its_link_before_any_declaration(funding_round, councils, lead_user, lead_client):
    bid = make_bid(
        funding_round=funding_round,
        lead=councils["lead"],
        partners=[councils["p1"], councils["p2"]],
        by=lead_user,
        confirm=False,
    )
    services.bid_update(bid=bid, by=lead_user, title="")
    response = lead_client.get(check_url(bid))
    assert response.status_code == 200
    page = response.content.decode()
    partners = reverse("bids:partners", args=[bid.reference])
    about = reverse("bids:section", args=[bid.reference, "about"])
    banner = page[page.index('id="blockers"') : page.index("</ul>", page.index('id="blockers"'))]
    assert "You cannot submit this bid yet. 4 things need to change first" in banner
    assert f'href="{about}">Enter a project title' in banner
    assert f'href="{partners}">You need at least 2 confirmed partner councils; you have 0' in banner
    assert f'href="{partners}">Partnerton Council has not yet confirmed it is a partner' in banner
    assert f'href="{partners}">Partnerby Council has not yet confirmed it is a partner' in banner
    # No declaration to tick (and untick) while the bid cannot go.
    assert "I confirm this bid is submitted on behalf of" not in page
    assert "Accept and submit bid" not in page
    assert page.index('id="blockers"') < page.index("Now submit your bid")


def test_a_submit_posted_anyway_shows_every_blocker_in_the_error_summary(
    funding_round, councils, lead_user, lead_client
):
    bid = make_bid(funding_round=funding_round, lead=councils["lead"], by=lead_user, filled=False)
    response = lead_client.post(check_url(bid), {})
    assert response.status_code == 400
    page = response.content.decode()
    assert "govuk-error-summary" in page and "Enter a project title" in page and "Add at least one cost line" in page
    assert 'id="blockers"' not in page  # said once, in the summary


def test_with_nothing_blocking_the_declaration_is_asked_for(ready, lead_client):
    page = lead_client.get(check_url(ready)).content.decode()
    assert 'id="blockers"' not in page
    assert "I confirm this bid is submitted on behalf of Leadshire Council" in page


def test_a_second_click_on_submit_shows_the_confirmation(ready, lead_client):
    first = lead_client.post(check_url(ready), {"declaration": "on"})
    second = lead_client.post(check_url(ready), {"declaration": "on"})
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == reverse("bids:submitted", args=[ready.reference])
    ready.refresh_from_db()
    assert ready.state == BidState.IN_REVIEW
    assert list(ready.history.values_list("transition", flat=True)) == ["submit"]


def test_two_submits_racing_end_on_the_confirmation_not_nothing_was_saved(ready, lead_user, lead_client, monkeypatch):
    """Both requests read the draft before either submitted it: the second's save is stale. It must still land
    the person on the confirmation, since their bid was submitted."""
    real_submit = services.bid_submit

    def first_click_wins(*, bid: Bid, by) -> Bid:
        real_submit(bid=Bid.objects.get(pk=bid.pk), by=by)  # the other request, committed first
        return real_submit(bid=bid, by=by)  # this request's stale copy

    monkeypatch.setattr(views.services, "bid_submit", first_click_wins)
    response = lead_client.post(check_url(ready), {"declaration": "on"})
    assert response.status_code == 302
    assert response.url == reverse("bids:submitted", args=[ready.reference])
    page = lead_client.get(response.url).content.decode()
    assert "Bid submitted" in page and "nothing was saved" not in page
    assert list(ready.history.values_list("transition", flat=True)) == ["submit"]


def test_a_change_made_from_check_your_answers_comes_back_to_it(ready, lead_client):
    """The GOV.UK pattern: each Change link on check your answers opens its page with a way back to the check,
    and saving there returns to the check (not the task list or the costs page)."""
    page = lead_client.get(check_url(ready)).content.decode()
    section = reverse("bids:section", args=[ready.reference, "about"])
    amount = reverse("bids:cost_amount", args=[ready.reference])
    for href in (f"{section}?from=check", f"{amount}?from=check", reverse("bids:costs", args=[ready.reference])):
        assert f'href="{href}' in page, href
    opened = lead_client.get(f"{section}?from=check").content.decode()
    assert f'href="{check_url(ready)}" class="govuk-back-link">Back to check your answers' in opened
    data = {"version": 0, "title": "A clearer title", "summary": ready.summary, "phase": ready.phase}
    saved = lead_client.post(f"{section}?from=check", data)
    assert saved.status_code == 302 and saved["Location"] == check_url(ready)
    value = f"{ready.amount_requested:.2f}"
    saved = lead_client.post(f"{amount}?from=check", {"version": 0, "amount_requested": value})
    assert saved["Location"] == check_url(ready)
    assert lead_client.post(section, {**data, "version": 1, "title": "Again"})["Location"] == reverse(
        "bids:detail", args=[ready.reference]
    )


def test_from_check_your_answers_the_cost_pages_keep_the_way_back(ready, lead_client, lead_user):
    """Costs opened from check your answers: changing, adding or removing a cost line comes back to the costs
    page still on the way to the check, whose button returns to it."""
    costs = reverse("bids:costs", args=[ready.reference])
    page = lead_client.get(f"{costs}?from=check").content.decode()
    line = ready.cost_lines.first()
    change = reverse("bids:cost_change", args=[ready.reference, line.pk])
    assert f'href="{change}?from=check"' in page and "Return to check your answers" in page
    data = {"payer": "lead", "description": "Changed from the check", "amount": f"{line.amount:.2f}"}
    saved = lead_client.post(f"{change}?from=check", data)
    assert saved["Location"] == f"{costs}?from=check"
    remove = reverse("bids:cost_remove", args=[ready.reference, line.pk])
    assert lead_client.post(f"{remove}?from=check")["Location"] == f"{costs}?from=check"
