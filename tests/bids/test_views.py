"""Council drafting pages end to end through their URLs: Your bids, start, task list, every section, partners,
costs, check answers and submit, after submission, returned for changes, withdraw, and who gets 404."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bids import services
from bids.choices import BidState, PartnerStatus, Payer
from bids.models import Bid, BidPartner, BidTransition, CostLine
from core.exceptions import ApplicationError
from councils.choices import Role
from tests.factories import make_bid, make_council, make_round, make_submitted_bid, make_user

pytestmark = pytest.mark.django_db


def queries_for(client, page_url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(page_url).status_code == 200
    return len(context.captured_queries)


def url(name: str, bid: Bid, **kwargs) -> str:
    return reverse(name, kwargs={"reference": bid.reference, **kwargs})


def section_url(bid: Bid, section: str) -> str:
    return url("bids:section", bid, section=section)


def about_data(bid: Bid, **overrides) -> dict:
    data = {
        "version": bid.section_versions.get("about", 0),
        "title": "Shared repairs",
        "summary": "A shared front door.",
        "phase": "discovery",
    }
    data.update(overrides)
    return data


# --- Your bids and starting ------------------------------------------------------------------------------


def test_your_bids_lists_led_and_partner_bids_with_next_step_and_invitation(funding_round, councils, client):
    lead_member = make_user(councils=[councils["lead"]])
    partner_member = make_user(councils=[councils["p1"]])
    bid = make_bid(
        funding_round=funding_round,
        lead=councils["lead"],
        partners=[councils["p1"], councils["p2"]],
        by=lead_member,
        confirm=False,
    )
    client.force_login(lead_member)
    page = client.get(reverse("bids:list")).content.decode()
    assert bid.reference in page
    assert "2 partners to confirm" in page
    assert "days left" in page
    assert "Lead" in page

    client.force_login(partner_member)
    page = client.get(reverse("bids:list")).content.decode()
    assert "Invitations to be a partner" in page
    assert reverse("bids:invitation", kwargs={"reference": bid.reference}) in page
    assert "Partner (invited)" in page


def test_your_bids_query_count_does_not_grow_with_bids(funding_round, councils, client, django_assert_num_queries):
    member = make_user(councils=[councils["lead"], councils["p3"]])
    client.force_login(member)

    def add_bids(count: int) -> None:
        for _ in range(count):
            make_bid(funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"]], by=member)
            make_bid(funding_round=funding_round, lead=councils["p2"], partners=[councils["p3"]], confirm=False)

    add_bids(1)
    client.get(reverse("bids:list"))  # warm caches (content types, session)
    small = queries_for(client, reverse("bids:list"))
    add_bids(4)
    with django_assert_num_queries(small):
        response = client.get(reverse("bids:list"))
    assert response.content.decode().count("govuk-table__row") == 1 + 10


def test_start_a_bid_with_one_council(funding_round, lead_client, councils):
    response = lead_client.post(reverse("bids:start"), {"funding_round": funding_round.pk})
    bid = Bid.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("bids:detail", kwargs={"reference": bid.reference})
    assert bid.lead_council == councils["lead"]


def test_start_a_bid_needs_a_round_and_a_council_chosen_when_in_several(funding_round, councils, client):
    member = make_user(councils=[councils["lead"], councils["p1"]])
    client.force_login(member)
    response = client.post(reverse("bids:start"), {})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Select the round" in page
    assert "Select the council that leads the bid" in page
    assert not Bid.objects.exists()
    data = {"funding_round": funding_round.pk, "lead_council": councils["p2"].pk}
    response = client.post(reverse("bids:start"), data)
    assert "Select one of your councils" in response.content.decode()
    assert not Bid.objects.exists()


# --- Who may see what ------------------------------------------------------------------------------------


def test_member_of_another_council_gets_404_on_every_bid_page_and_document(
    draft, councils, client, lead_user, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    services.cost_line_add(bid=draft, by=lead_user, payer=Payer.LEAD, description="Staff", amount=Decimal(10))
    partner = services.partner_invite(bid=draft, council=councils["p1"], by=lead_user)
    from django.core.files.uploadedfile import SimpleUploadedFile

    document = services.document_upload(
        bid=draft, by=lead_user, upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n")
    )
    line = CostLine.objects.get()
    outsider = make_user(councils=[councils["other"]])
    client.force_login(outsider)
    urls = [
        url("bids:detail", draft),
        url("bids:invitation", draft),
        url("bids:partners", draft),
        url("bids:partner_remove", draft, partner_id=partner.pk),
        url("bids:costs", draft),
        url("bids:cost_amount", draft),
        url("bids:cost_add", draft),
        url("bids:cost_change", draft, line_id=line.pk),
        url("bids:cost_remove", draft, line_id=line.pk),
        url("bids:documents", draft),
        url("bids:document", draft, document_id=document.pk),
        url("bids:document_delete", draft, document_id=document.pk),
        url("bids:check", draft),
        url("bids:submitted", draft),
        url("bids:withdraw", draft),
        *(section_url(draft, section) for section in ("about", "problem", "approach", "timeline")),
    ]
    for page_url in urls:
        assert client.get(page_url).status_code == 404, page_url
    assert client.post(section_url(draft, "about"), about_data(draft)).status_code == 404
    assert client.post(url("bids:check", draft), {"declaration": "on"}).status_code == 404
    assert client.post(url("bids:withdraw", draft), {"reason": "x", "confirm": "yes"}).status_code == 404
    draft.refresh_from_db()
    assert draft.title == "" and draft.state == BidState.DRAFT


def test_partner_member_sees_the_bid_read_only_but_gets_404_on_edit_pages(draft, councils, client, lead_user):
    services.partner_invite(bid=draft, council=councils["p1"], by=lead_user)
    client.force_login(make_user(councils=[councils["p1"]]))
    page = client.get(url("bids:detail", draft)).content.decode()
    assert "Confirm or decline the invitation" in page
    assert "Change" not in page
    for page_url in (section_url(draft, "about"), url("bids:partners", draft), url("bids:check", draft)):
        assert client.get(page_url).status_code == 404


# --- Sections, validation and the task list --------------------------------------------------------------


def test_task_list_shows_each_section_status(draft, lead_client):
    page = lead_client.get(url("bids:detail", draft)).content.decode()
    assert page.count("Not started") == 7
    assert "You have completed 0 of 7 sections" in page
    lead_client.post(section_url(draft, "about"), about_data(draft))
    lead_client.post(section_url(draft, "problem"), {"version": 0, "problem": "Paper forms."})
    page = lead_client.get(url("bids:detail", draft)).content.decode()
    assert page.count("Not started") == 5
    assert "In progress" in page  # problem section misses the user needs
    assert "You have completed 1 of 7 sections" in page


def test_saving_a_section_keeps_the_answers_and_counts_the_version(draft, lead_client):
    response = lead_client.post(section_url(draft, "about"), about_data(draft))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.title, draft.summary, draft.phase) == ("Shared repairs", "A shared front door.", "discovery")
    assert draft.section_versions == {"about": 1}


@pytest.mark.parametrize(
    ("section", "data", "message"),
    [
        ("about", {"summary": "word " * 251}, "The summary must be 250 words or fewer; it has 251"),
        ("about", {"title": "x" * 201}, "The project title must be 200 characters or fewer"),
        ("about", {"phase": "live"}, "Select a phase this round funds"),
        ("problem", {"problem": "word " * 501}, "must be 500 words or fewer"),
        ("approach", {"approach": "word " * 751}, "must be 750 words or fewer"),
        (
            "timeline",
            {"planned_start_day": "31", "planned_start_month": "2", "planned_start_year": "2027"},
            "The planned start date must be a real date",
        ),
        (
            "timeline",
            {"planned_start_day": "1", "planned_start_year": "2027"},
            "The planned start date must include a month",
        ),
        ("timeline", {"duration_months": "40"}, "The project must take 36 months or fewer"),
        ("timeline", {"duration_months": "six"}, "Enter the number of months as a whole number"),
        ("timeline", {"lead_contact_email": "not-an-email"}, "Enter an email address in the correct format"),
    ],
)
def test_section_validation_error_shows_message_keeps_input_and_saves_nothing(
    draft, lead_client, section, data, message
):
    before = Bid.objects.values().get(pk=draft.pk)
    response = lead_client.post(section_url(draft, section), {"version": 0, **data})
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "There is a problem" in page
    assert "govuk-error-message" in page
    assert page.count(message) == 2  # in the summary and inline
    assert Bid.objects.values().get(pk=draft.pk) == before
    for name, value in data.items():
        if name != "phase":
            assert value.strip() in page  # what was typed is kept


def test_timeline_saves_the_date_and_contact(draft, lead_client):
    start = date.today() + timedelta(days=30)
    response = lead_client.post(
        section_url(draft, "timeline"),
        {
            "version": 0,
            "planned_start_day": start.day,
            "planned_start_month": start.month,
            "planned_start_year": start.year,
            "duration_months": "6",
            "lead_contact_name": "Sam Lead",
            "lead_contact_email": "sam@lead.example.test",
        },
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.planned_start == start and draft.duration_months == 6


def test_edit_conflict_does_not_overwrite_a_colleagues_save(draft, councils, client, lead_user):
    colleague = make_user(councils=[councils["lead"]])
    client.force_login(colleague)
    client.post(section_url(draft, "problem"), {"version": 0, "problem": "Colleague's words.", "user_needs": "Theirs."})
    client.force_login(lead_user)
    # The lead opened the page at version 0, before the colleague saved.
    response = client.post(section_url(draft, "problem"), {"version": 0, "problem": "My words.", "user_needs": "Mine."})
    assert response.status_code == 400
    page = response.content.decode()
    assert "This section was saved after you opened this page (by a colleague, or by you in another tab)" in page
    assert "Colleague&#x27;s words." in page  # their saved text is shown
    assert "My words." in page  # and what the user typed is kept
    assert 'name="version" value="1"' in page
    draft.refresh_from_db()
    assert draft.problem == "Colleague's words."
    # Having seen it, saving again (now based on version 1) goes through.
    response = client.post(section_url(draft, "problem"), {"version": 1, "problem": "My words.", "user_needs": "Mine."})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.problem == "My words." and draft.section_versions["problem"] == 2


def test_a_cost_line_changed_or_removed_by_a_colleague_is_never_overwritten_or_brought_back(
    draft, councils, client, lead_user
):
    """Two lead members open the same cost line. One saves; the other's save from the page opened before is
    refused with the colleague's line shown and what was typed kept. A line the colleague removed says so (410),
    and is not brought back by a save."""
    line = services.cost_line_add(bid=draft, by=lead_user, payer="supplier", description="Agency", amount="40000")
    change = url("bids:cost_change", draft, line_id=line.pk)
    colleague = make_user(councils=[councils["lead"]])
    client.force_login(lead_user)
    seen = re.search(r'name="seen" value="([0-9a-f]+)"', client.get(change).content.decode()).group(1)
    client.force_login(colleague)
    sam = {"payer": "supplier", "description": "Agency (Sam)", "amount": "45000", "seen": seen}
    first = client.post(change, sam)
    assert first.status_code == 302, first.content.decode()
    client.force_login(lead_user)
    refused = client.post(change, {"payer": "lead", "description": "Agency (Jo)", "amount": "50000", "seen": seen})
    html = refused.content.decode()
    assert refused.status_code == 400
    assert "This cost line was saved after you opened this page" in html
    assert "Agency (Sam)" in html and "£45,000.00" in html and 'value="Agency (Jo)"' in html
    line.refresh_from_db()
    assert (line.description, line.amount) == ("Agency (Sam)", Decimal("45000"))
    services.cost_line_remove(line=line, by=colleague)
    gone = client.post(change, {"payer": "lead", "description": "Agency (Jo)", "amount": "50000"})
    assert gone.status_code == 410
    assert f"This cost line is no longer on {draft.reference}" in gone.content.decode()
    assert not CostLine.objects.exists()
    with pytest.raises(ApplicationError, match="A colleague has removed this cost line"):
        services.cost_line_change(line=line, by=lead_user, payer="lead", description="Back", amount="1")
    assert not CostLine.objects.exists()


def test_unknown_section_is_404(draft, lead_client):
    assert lead_client.get(section_url(draft, "nonsense")).status_code == 404


def test_a_drafts_deadline_counts_down_only_while_its_round_takes_it(funding_round, councils, lead_client, staff_user):
    """One reading of the round's deadline (`bids.selectors.draft_deadline`) for the task list and "Your bids":
    days left while the round is open; once it has closed, when, and that the bid can no longer be submitted
    (no countdown, no "Check your answers"); a bid returned for changes may still be sent again."""
    draft = make_bid(funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]])
    returned = make_submitted_bid(
        funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]]
    )
    page = lead_client.get(url("bids:detail", draft)).content.decode()
    assert "Round closes" in page and "days left" in page and "Check your answers" in page

    services.round_close_early(funding_round=funding_round, by=staff_user, reason="The budget was withdrawn")
    services.bid_return_for_changes(bid=returned, by=staff_user, message="Add the costs of your partners")
    page = lead_client.get(url("bids:detail", draft)).content.decode()
    assert "days left" not in page and "Round closes" not in page
    assert "Round closed" in page and "this bid can no longer be submitted" in page
    assert "Check your answers" not in page
    page = lead_client.get(url("bids:detail", returned)).content.decode()
    assert "as this bid was returned for changes, you can still send it again" in page
    assert "Check your answers" in page
    listing = lead_client.get(reverse("bids:list")).content.decode()
    assert "days left" not in listing
    assert "This bid can no longer be submitted" in listing
    assert "As this bid was returned for changes, you can still send it again" in listing


def test_task_list_query_count_does_not_grow_with_partners_costs_or_documents(
    funding_round, councils, lead_user, lead_client, django_assert_num_queries, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    bid = make_bid(funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"]], by=lead_user)
    services.document_upload(bid=bid, by=lead_user, upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4\n"))
    lead_client.get(url("bids:detail", bid))
    small = queries_for(lead_client, url("bids:detail", bid))
    small_check = queries_for(lead_client, url("bids:check", bid))
    for council in (councils["p2"], councils["p3"]):
        services.partner_invite(bid=bid, council=council, by=lead_user)
    for council in (make_council(), make_council(), make_council()):
        partner = services.partner_invite(bid=bid, council=council, by=lead_user)
        services.partner_respond(partner=partner, by=make_user(councils=[council]), confirm=True)
    for n in range(4):
        services.cost_line_add(bid=bid, by=lead_user, payer=Payer.SUPPLIER, description=f"S{n}", amount=Decimal(1))
        services.document_upload(bid=bid, by=lead_user, upload=SimpleUploadedFile(f"{n}.pdf", b"%PDF-1.4\n"))
    with django_assert_num_queries(small):
        assert lead_client.get(url("bids:detail", bid)).status_code == 200
    with django_assert_num_queries(small_check):
        assert lead_client.get(url("bids:check", bid)).status_code == 200


# --- Partners --------------------------------------------------------------------------------------------


def test_partner_search_works_without_javascript_and_marks_non_signatories(draft, councils, lead_client):
    page = lead_client.get(url("bids:partners", draft), {"q": "shire"}).content.decode()
    assert "Unsignedshire Council" in page
    assert "Not a signatory" in page
    assert "Lead council" in page  # Leadshire matches too, and cannot be invited
    assert f'name="council" value="{councils["unsigned"].pk}"' not in page
    partial = lead_client.get(url("bids:partners", draft), {"q": "partner", "partial": "results"}).content.decode()
    assert "<html" not in partial
    assert partial.count("data-council-row") == 3


def test_partner_search_says_what_it_found_in_the_title_and_when_it_shows_only_the_first(draft, lead_client):
    """Without JavaScript the results come as a new page: its title says what was found (the first thing a
    screen reader reads); a search matching more councils than it shows says so, and asks for more of the name."""
    from bids.views import COUNCIL_RESULTS
    from tests.factories import make_council

    for n in range(COUNCIL_RESULTS + 2):
        make_council(f"M{n:02d}", f"Manyton {n}")
    page = lead_client.get(url("bids:partners", draft), {"q": "Unsigned"}).content.decode()
    assert "<title>1 council matching ‘Unsigned’ – Partners" in page
    page = lead_client.get(url("bids:partners", draft), {"q": "Manyton"}).content.decode()
    assert f"<title>{COUNCIL_RESULTS}+ councils matching ‘Manyton’ – Partners" in page
    assert f"The first {COUNCIL_RESULTS} councils matching ‘Manyton’: type more of the name" in page
    assert page.count("data-council-row") == COUNCIL_RESULTS
    page = lead_client.get(url("bids:partners", draft), {"q": "Nowhereton"}).content.decode()
    assert "<title>No councils matching ‘Nowhereton’ – Partners" in page


def test_inviting_a_partner_and_the_partner_confirming(draft, councils, lead_client, client):
    response = lead_client.post(url("bids:partners", draft), {"council": councils["p1"].pk})
    assert response.status_code == 302
    partner = BidPartner.objects.get(bid=draft)
    assert partner.status == PartnerStatus.INVITED
    member = make_user(councils=[councils["p1"]], name="Pat Partner")
    client.force_login(member)
    response = client.post(url("bids:invitation", draft), {"answer": "confirm"})
    assert response.status_code == 302
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.CONFIRMED
    assert partner.responded_by == member and partner.responded_at is not None
    client.force_login(draft.created_by)
    page = client.get(url("bids:partners", draft)).content.decode()
    assert "Confirmed" in page and "Pat Partner" in page


def test_a_non_signatory_cannot_be_invited(draft, councils, lead_client):
    response = lead_client.post(url("bids:partners", draft), {"council": councils["unsigned"].pk})
    assert response.status_code == 400
    assert "has not signed the Local Digital Declaration" in response.content.decode()
    assert not BidPartner.objects.exists()


def test_removing_a_partner(draft, councils, lead_client, lead_user):
    partner = services.partner_invite(bid=draft, council=councils["p1"], by=lead_user)
    confirm_page = lead_client.get(url("bids:partner_remove", draft, partner_id=partner.pk))
    assert "Are you sure you want to remove Partnerton" in confirm_page.content.decode()
    lead_client.post(url("bids:partner_remove", draft, partner_id=partner.pk))
    assert not BidPartner.objects.exists()


# --- Costs -----------------------------------------------------------------------------------------------


def test_cost_lines_add_change_remove_with_running_total_and_messages(draft, councils, lead_client, lead_user):
    services.partner_invite(bid=draft, council=councils["p1"], by=lead_user)
    lead_client.post(section_url(draft, "about"), about_data(draft))
    response = lead_client.post(url("bids:cost_amount", draft), {"version": 0, "amount_requested": "£90,000"})
    assert response.status_code == 302
    response = lead_client.post(
        url("bids:cost_add", draft),
        {"payer": f"partner:{councils['p1'].pk}", "description": "Research", "amount": "50000"},
    )
    assert response.status_code == 302
    line = CostLine.objects.get()
    assert line.payer == Payer.PARTNER and line.payer_council == councils["p1"] and line.amount == Decimal("50000")
    page = lead_client.get(url("bids:costs", draft)).content.decode()
    assert "The cost lines add up to £50,000.00 but the amount requested is £90,000.00" in page
    assert "is more than the discovery limit of £80,000.00" in page
    lead_client.post(
        url("bids:cost_change", draft, line_id=line.pk),
        {"payer": "supplier", "description": "Build", "amount": "90000"},
    )
    line.refresh_from_db()
    assert (line.payer, line.payer_council, line.amount) == (Payer.SUPPLIER, None, Decimal("90000"))
    lead_client.post(url("bids:cost_remove", draft, line_id=line.pk))
    assert not CostLine.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"description": "Staff", "amount": "100"}, "Select who spends this money"),
        ({"payer": "lead", "amount": "100"}, "Enter what the money is for"),
        ({"payer": "lead", "description": "Staff"}, "Enter the amount"),
        ({"payer": "lead", "description": "Staff", "amount": "lots"}, "Enter the amount in pounds"),
        ({"payer": "lead", "description": "Staff", "amount": "-5"}, "The amount must be more than £0"),
        ({"payer": "lead", "description": "Staff", "amount": "1.234"}, "Enter the amount in pounds"),
        ({"payer": "partner:999999", "description": "Staff", "amount": "5"}, "Select who spends this money"),
    ],
)
def test_cost_line_validation_saves_nothing(draft, lead_client, data, message):
    response = lead_client.post(url("bids:cost_add", draft), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CostLine.objects.exists()


def test_amount_requested_validation(draft, lead_client):
    response = lead_client.post(url("bids:cost_amount", draft), {"version": 0, "amount_requested": "abc"})
    assert response.status_code == 400
    assert "Enter the amount in pounds" in response.content.decode()
    draft.refresh_from_db()
    assert draft.amount_requested is None


# --- Check answers and submit ----------------------------------------------------------------------------


def test_submit_needs_the_declaration(funding_round, councils, lead_user, lead_client):
    bid = make_bid(
        funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]], by=lead_user
    )
    response = lead_client.post(url("bids:check", bid), {})
    assert response.status_code == 400
    assert "Confirm that you are submitting this bid on behalf of the councils" in response.content.decode()
    bid.refresh_from_db()
    assert bid.state == BidState.DRAFT


def test_refused_submit_lists_every_problem_linked_to_its_section(draft, lead_client):
    response = lead_client.post(url("bids:check", draft), {"declaration": "on"})
    assert response.status_code == 400
    page = response.content.decode()
    assert f'href="{section_url(draft, "about")}">Enter a project title' in page
    assert f'href="{section_url(draft, "timeline")}">Enter the planned start date' in page
    assert f'href="{url("bids:costs", draft)}">Add at least one cost line' in page
    assert f'href="{url("bids:partners", draft)}">You need at least 2 confirmed partner councils' in page
    draft.refresh_from_db()
    assert draft.state == BidState.DRAFT


def test_submit_shows_confirmation_and_the_bid_becomes_read_only(funding_round, councils, lead_user, lead_client):
    bid = make_bid(
        funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]], by=lead_user
    )
    check_page = lead_client.get(url("bids:check", bid)).content.decode()
    assert 'Change<span class="govuk-visually-hidden"> project title' in check_page
    assert "I confirm this bid is submitted on behalf of Leadshire Council" in check_page
    response = lead_client.post(url("bids:check", bid), {"declaration": "on"})
    assert response.status_code == 302
    assert response.url == url("bids:submitted", bid)
    page = lead_client.get(response.url).content.decode()
    assert "govuk-panel--confirmation" in page and bid.reference in page and "What happens next" in page
    bid.refresh_from_db()
    assert bid.state == BidState.IN_REVIEW
    assert list(bid.history.values_list("transition", flat=True)) == ["submit"]
    # Edit pages now send the user back to the read-only bid; nothing can be changed.
    response = lead_client.post(section_url(bid, "about"), about_data(bid, title="Changed"))
    assert response.status_code == 302 and response.url == url("bids:detail", bid)
    bid.refresh_from_db()
    assert bid.title != "Changed"
    page = lead_client.get(url("bids:detail", bid)).content.decode()
    assert "Submitted" in page and "Timeline" in page and "Change<" not in page


def test_councils_never_see_assessors_or_scores(funding_round, councils, lead_user, client, staff_user):
    bid = make_submitted_bid(
        funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]], by=lead_user
    )
    make_user(role=Role.ASSESSOR, name="Ada Assessor")
    Bid.objects.filter(pk=bid.pk).update(final_score=Decimal("3.91"), criterion_scores={"strategic_fit": "2.83"})
    BidTransition.objects.create(bid=bid, transition="mark_scored", source_state="in_review", target_state="scored")
    Bid.objects.filter(pk=bid.pk).update(state=BidState.SCORED)
    client.force_login(lead_user)
    for page_url in (url("bids:detail", bid), reverse("bids:list")):
        page = client.get(page_url).content.decode()
        assert "3.91" not in page and "2.83" not in page
        assert "Scored" not in page and "Ada Assessor" not in page
        assert "In review" in page


def test_returned_for_changes_shows_the_message_reopens_editing_and_resubmits(
    funding_round, councils, lead_user, lead_client, staff_user
):
    bid = make_submitted_bid(
        funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]], by=lead_user
    )
    services.bid_return_for_changes(bid=bid, by=staff_user, message="Please split the supplier costs.")
    page = lead_client.get(url("bids:detail", bid)).content.decode()
    assert "govuk-notification-banner" in page
    assert "returned this bid for changes" in page and "Please split the supplier costs." in page
    assert "Make the changes asked for" in lead_client.get(reverse("bids:list")).content.decode()
    response = lead_client.post(section_url(bid, "about"), about_data(bid, title="Split costs"))
    assert response.status_code == 302
    response = lead_client.post(url("bids:check", bid), {"declaration": "on"})
    assert response.status_code == 302
    bid.refresh_from_db()
    assert bid.state == BidState.IN_REVIEW and bid.title == "Split costs" and bid.status_note == ""
    assert list(bid.history.values_list("transition", flat=True)) == ["submit", "return_for_changes", "submit"]
    timeline = lead_client.get(url("bids:detail", bid)).content.decode()
    assert "Returned for changes" in timeline and "the programme team" in timeline


# --- Withdraw --------------------------------------------------------------------------------------------


def test_withdraw_needs_a_reason_and_a_confirmation(funding_round, councils, lead_user, lead_client):
    bid = make_submitted_bid(
        funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]], by=lead_user
    )
    response = lead_client.post(url("bids:withdraw", bid), {"reason": "  "})
    assert response.status_code == 400
    assert "Enter why you are withdrawing this bid" in response.content.decode()
    response = lead_client.post(url("bids:withdraw", bid), {"reason": "Merged with another bid"})
    assert response.status_code == 200
    assert "Are you sure you want to withdraw this bid?" in response.content.decode()
    bid.refresh_from_db()
    assert bid.state == BidState.IN_REVIEW  # not yet: the confirmation step
    response = lead_client.post(url("bids:withdraw", bid), {"reason": "Merged with another bid", "confirm": "yes"})
    assert response.status_code == 302
    bid.refresh_from_db()
    assert bid.state == BidState.WITHDRAWN and bid.status_note == "Merged with another bid"
    page = lead_client.get(url("bids:detail", bid)).content.decode()
    assert "Merged with another bid" in page
    assert lead_client.get(url("bids:withdraw", bid)).status_code == 302


def test_partner_member_cannot_withdraw(funding_round, councils, lead_user, client):
    bid = make_submitted_bid(
        funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]], by=lead_user
    )
    client.force_login(councils["p1"].members.first())
    assert client.post(url("bids:withdraw", bid), {"reason": "x", "confirm": "yes"}).status_code == 404
    bid.refresh_from_db()
    assert bid.state == BidState.IN_REVIEW


def test_closed_round_is_shown_on_the_task_list(councils, lead_user, lead_client):
    closed = make_round(open_=False)
    bid = make_bid(funding_round=make_round(), lead=councils["lead"], by=lead_user, filled=False)
    Bid.objects.filter(pk=bid.pk).update(funding_round=closed)
    page = lead_client.get(url("bids:detail", bid)).content.decode()
    assert "closed on" in page


def test_programme_staff_are_sent_to_the_staff_bid_page(draft, client, staff_user):
    client.force_login(staff_user)
    response = client.get(url("bids:detail", draft))
    assert response.status_code == 302
    assert response.url == reverse("pipeline:bid_detail", kwargs={"reference": draft.reference})


def test_start_page_says_when_no_round_is_open(councils, lead_client):
    make_round(open_=False)
    page = lead_client.get(reverse("bids:start")).content.decode()
    assert "No round is open for bids at the moment" in page
    assert "Start a new bid" not in lead_client.get(reverse("bids:list")).content.decode()


def test_your_bids_next_steps(funding_round, councils, client):
    lead_member = make_user(councils=[councils["lead"]])
    partner_member = make_user(councils=[councils["p1"]])
    needs_partners = make_bid(funding_round=funding_round, lead=councils["lead"], by=lead_member)
    ready = make_bid(
        funding_round=funding_round,
        lead=councils["lead"],
        partners=[councils["p1"], councils["p2"]],
        by=lead_member,
    )
    client.force_login(lead_member)
    page = client.get(reverse("bids:list")).content.decode()
    assert "Invite 2 more partners" in page
    assert "Check your answers and submit" in page
    assert url("bids:check", ready) in page
    client.force_login(partner_member)
    page = client.get(reverse("bids:list")).content.decode()
    assert "None: Leadshire Council will submit it" in page
    assert needs_partners.reference not in page


@pytest.mark.parametrize("typed", ["1e999999", "NaN", "Infinity", "£1,2,3.4.5", "9" * 40, "1e9", "1E5", "1,2,3"])
def test_strange_amounts_get_a_clear_message_not_an_error(draft, lead_client, typed):
    response = lead_client.post(url("bids:cost_amount", draft), {"version": 0, "amount_requested": typed})
    assert response.status_code == 400
    assert "Enter the amount in pounds" in response.content.decode()


@pytest.mark.parametrize("version", ["abc", "-1"])
def test_a_tampered_version_field_is_refused_clearly(draft, lead_client, version):
    response = lead_client.post(section_url(draft, "about"), about_data(draft, version=version))
    assert response.status_code == 400
    assert "The page was not loaded properly" in response.content.decode()
    draft.refresh_from_db()
    assert draft.title == ""


@pytest.mark.parametrize(
    ("day", "month", "year", "message"),
    [
        ("99999999999999999999", "1", "2027", "must be a real date"),
        ("1", "1", "1999", "in a year from 2000 to 2100"),
        ("x", "y", "z", "must be a real date"),
    ],
)
def test_strange_dates_get_a_clear_message(draft, lead_client, day, month, year, message):
    data = {"version": 0, "planned_start_day": day, "planned_start_month": month, "planned_start_year": year}
    response = lead_client.post(section_url(draft, "timeline"), data)
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize("field", ["amount_requested", "cost line"])
def test_scientific_notation_is_never_saved_as_an_amount(draft, lead_client, field):
    if field == "amount_requested":
        response = lead_client.post(url("bids:cost_amount", draft), {"version": 0, "amount_requested": "1e9"})
    else:
        response = lead_client.post(
            url("bids:cost_add", draft), {"payer": "lead", "description": "Staff", "amount": "1e9"}
        )
    assert response.status_code == 400
    draft.refresh_from_db()
    assert draft.amount_requested is None
    assert not CostLine.objects.filter(bid=draft).exists()


@pytest.mark.parametrize("version", [None, "", "١"])
def test_a_section_sent_without_its_version_is_refused_as_a_page_not_loaded_properly(draft, lead_client, version):
    """Not as a colleague's save (there was none): the page was not loaded properly, and nothing is saved."""
    data = {"problem": "My words.", "user_needs": "Mine."}
    if version is not None:
        data["version"] = version
    response = lead_client.post(section_url(draft, "problem"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "The page was not loaded properly" in page and "was saved after you opened this page" not in page
    assert "My words." in page
    draft.refresh_from_db()
    assert draft.problem == ""


def test_a_decided_bids_row_links_to_the_reason_or_the_feedback(funding_round, councils, client, staff_user):
    """'Read the reason' with nothing to follow was a dead end: it links to the bid, where the reason is."""

    lead_member = make_user(councils=[councils["lead"]])
    bid = make_submitted_bid(
        funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]]
    )
    services.round_close_early(funding_round=funding_round, by=staff_user, reason="Enough bids")
    services.bid_sift(bid=Bid.objects.get(pk=bid.pk), by=staff_user, eligible=False, note="Out of scope for this fund")
    client.force_login(lead_member)
    page = client.get(reverse("bids:list")).content.decode()
    assert f'href="{url("bids:detail", bid)}">Read the reason' in page
    assert "Out of scope for this fund" in client.get(url("bids:detail", bid)).content.decode()


def test_a_withdrawn_drafts_pages_say_it_was_withdrawn_not_submitted(draft, lead_user, lead_client):
    services.bid_withdraw(bid=draft, by=lead_user, reason="Our partners could not commit staff")
    response = lead_client.get(section_url(draft, "about"), follow=True)
    page = response.content.decode()
    assert "This bid has been withdrawn, so it can no longer be changed" in page
    assert "has been submitted" not in page
    with pytest.raises(ApplicationError, match="This bid has been withdrawn, so its call for partners has closed"):
        from collaboration import services as collaboration_services

        collaboration_services.partner_call_save(
            bid=Bid.objects.get(pk=draft.pk), by=lead_user, title="T", problem="P", partners_do="D", join_by=None
        )
