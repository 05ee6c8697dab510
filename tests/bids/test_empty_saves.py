"""Saving a section with nothing entered saves nothing and leaves it "Not started"; questions a bid can be
submitted without are labelled "(optional)", as GOV.UK asks."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bids import services
from bids.conditions import REQUIRED_CONTENT
from bids.forms import SECTION_FORMS
from bids.models import BID_SECTIONS
from bids.selectors import bid_get_for_drafting, bid_submission_problems, bid_task_list

pytestmark = pytest.mark.django_db


def status(bid, user, slug: str) -> str:
    fetched = bid_get_for_drafting(user=user, reference=bid.reference)
    tasks = bid_task_list(bid=fetched, problems=bid_submission_problems(bid=fetched))
    return next(task.status for task in tasks if task.slug == slug)


def section_url(bid, section: str) -> str:
    return reverse("bids:section", args=[bid.reference, section])


EMPTY = {
    "about": {"title": "", "summary": "", "version": 0},
    "problem": {"problem": "", "user_needs": "", "version": 0},
    "approach": {"approach": "", "outputs_and_reuse": "", "working_in_the_open": "", "version": 0},
    "timeline": {
        "planned_start_day": "",
        "planned_start_month": "",
        "planned_start_year": "",
        "duration_months": "",
        "lead_contact_name": "Lee Lead",
        "lead_contact_email": "lead@leadshire.example.test",
        "lead_contact_phone": "",
        "version": 0,
    },
}


@pytest.mark.parametrize("section", list(EMPTY))
def test_saving_a_section_with_nothing_entered_saves_nothing_and_stays_not_started(
    draft, lead_user, lead_client, section
):
    response = lead_client.post(section_url(draft, section), EMPTY[section], follow=True)
    page = response.content.decode()
    assert f"You did not change any answers in ‘{BID_SECTIONS[section][0]}’, so nothing was saved" in page
    assert f"{BID_SECTIONS[section][0]} saved" not in page
    draft.refresh_from_db()
    assert section not in draft.section_versions
    assert status(draft, lead_user, section) == "not_started"


def test_an_empty_amount_saves_nothing(draft, lead_user, lead_client):
    response = lead_client.post(
        reverse("bids:cost_amount", args=[draft.reference]), {"amount_requested": "", "version": 0}, follow=True
    )
    assert "You did not change the amount requested, so nothing was saved" in response.content.decode()
    assert status(draft, lead_user, "costs") == "not_started"


def test_a_section_emptied_again_is_not_started(draft, lead_user, lead_client):
    lead_client.post(section_url(draft, "about"), {**EMPTY["about"], "title": "Repairs"})
    assert status(draft, lead_user, "about") == "in_progress"
    draft.refresh_from_db()
    response = lead_client.post(
        section_url(draft, "about"), {**EMPTY["about"], "version": draft.section_versions["about"]}, follow=True
    )
    assert "About the project saved" in response.content.decode()
    draft.refresh_from_db()
    assert draft.title == ""
    assert status(draft, lead_user, "about") == "not_started"


def test_the_prefilled_contact_counts_once_the_timeline_is_saved_with_it(draft, lead_user, lead_client):
    assert status(draft, lead_user, "timeline") == "not_started"
    lead_client.post(section_url(draft, "timeline"), {**EMPTY["timeline"], "duration_months": "6"})
    assert status(draft, lead_user, "timeline") == "in_progress"


def test_saving_unchanged_answers_writes_nothing(draft, lead_user):
    services.bid_section_update(bid=draft, by=lead_user, section="about", version=0, values={"title": "Repairs"})
    draft.refresh_from_db()
    services.bid_section_update(bid=draft, by=lead_user, section="about", version=1, values={"title": "Repairs"})
    draft.refresh_from_db()
    assert draft.section_versions == {"about": 1}


def test_only_questions_a_bid_can_go_without_are_labelled_optional(draft):
    required = {field for field, _section, _message in REQUIRED_CONTENT}
    optional = []
    for section, form_class in SECTION_FORMS.items():
        form = form_class(bid=draft)
        for name in BID_SECTIONS[section][1]:
            if name not in form.fields:
                continue
            label = str(form.fields[name].label)
            assert label.endswith("(optional)") == (name not in required), name
            assert label.count("(optional)") <= 1
            if name not in required:
                optional.append(name)
    assert optional == ["working_in_the_open", "lead_contact_phone"]


def test_the_optional_label_is_on_the_page(draft, lead_client):
    page = lead_client.get(section_url(draft, "approach")).content.decode()
    assert "Working in the open (optional)" in page
    assert "Your approach (optional)" not in page
