"""Programme staff run a round from its pages: set it up (or copy one), change what its state allows, see where it
stands and move it on, sift its bids, remind assessors, ask bids' teams questions. GOV.UK error summaries for
every rule; the overview's queries do not grow with the round."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from assessments import services as assessment_services
from bids import services as bid_services
from bids.choices import BidState, ClarificationStatus, RoundState
from bids.models import Bid, BidSift, Clarification, FundingRound
from core.exceptions import ApplicationError
from notifications.choices import Event
from notifications.models import Notification
from pipeline import views as pipeline_views
from tests.factories import award, council_client, make_council, make_round, make_user, start_assessing
from tests.factories.assessments import assign, make_assessor, make_in_review_bid, make_scored_bid

pytestmark = pytest.mark.django_db


def moment(name: str, when) -> dict:
    local = timezone.localtime(when)
    return {
        f"{name}_day": str(local.day),
        f"{name}_month": str(local.month),
        f"{name}_year": str(local.year),
        f"{name}_time": f"{local:%H:%M}",
    }


def round_form(**overrides) -> dict:
    soon = timezone.now() + timedelta(days=7)
    data = {
        "name": "Local Digital Fund Round 9",
        "code": "R9",
        **moment("opens_at", soon),
        **moment("closes_at", soon + timedelta(days=60)),
        **moment("assessment_deadline", soon + timedelta(days=90)),
        "budget": "1,500,000",
        "min_partner_councils": "2",
        "max_bids_led_per_council": "2",
        "assessors_per_bid": "2",
        "divergence_threshold": "2",
        "fund_discovery": "on",
        "cap_discovery": "80000",
        "fund_alpha": "on",
        "cap_alpha": "250000",
        "criteria-TOTAL_FORMS": "5",
        "criteria-INITIAL_FORMS": "0",
        "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "12",
    }
    rows = [
        ("strategic_fit", "Strategic fit", "40", "Reuse"),
        ("deliverability", "Deliverability", "30", ""),
        ("value_for_money", "Value for money", "30", ""),
        ("other", "", "", ""),
        ("other", "", "", ""),
    ]
    for index, (code, name, weight, guidance) in enumerate(rows):
        data.update(
            {
                f"criteria-{index}-code": code,
                f"criteria-{index}-name": name,
                f"criteria-{index}-weight": weight,
                f"criteria-{index}-guidance": guidance,
            }
        )
    data.update(overrides)
    return data


def summary_links(html: str) -> list[tuple[str, str]]:
    summary = re.search(r'class="govuk-error-summary".*?</ul>', html, re.S).group(0)
    return re.findall(r'<a href="([^"]+)">([^<]+)</a>', summary)


def test_staff_set_up_a_round_with_its_phases_and_criteria(staff_client, staff):
    assert staff_client.get(reverse("pipeline:round_new")).status_code == 200
    response = staff_client.post(reverse("pipeline:round_new"), round_form())
    funding_round = FundingRound.objects.get(code="R9")
    assert response.status_code == 302 and response.url == reverse("pipeline:round", args=[funding_round.pk])
    assert (funding_round.state, funding_round.budget) == (RoundState.UPCOMING, Decimal("1500000"))
    assert dict(funding_round.phases.values_list("phase", "cap")) == {
        "discovery": Decimal("80000.00"),
        "alpha": Decimal("250000.00"),
    }
    assert list(funding_round.criteria.values_list("name", "weight", "guidance")) == [
        ("Strategic fit", Decimal("40.00"), "Reuse"),
        ("Deliverability", Decimal("30.00"), ""),
        ("Value for money", Decimal("30.00"), ""),
    ]
    page = staff_client.get(response.url).content.decode()
    assert "Local Digital Fund Round 9 has been set up" in page
    assert "opens by itself at" in page
    assert staff_client.get(reverse("pipeline:rounds")).status_code == 200


def test_every_set_up_rule_is_in_the_error_summary_linked_to_its_field(staff_client):
    data = round_form(
        name="",
        closes_at_day="",
        opens_at_month="13",
        assessment_deadline_time="25:00",
        fund_discovery="",
        fund_alpha="on",
        cap_alpha="",
        **{"criteria-0-weight": "50", "criteria-3-name": "Open working"},
    )
    response = staff_client.post(reverse("pipeline:round_new"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "<title>Error: " in html
    assert set(summary_links(html)) >= {
        ("#id_name", "Enter the round’s name"),
        ("#id_opens_at_day", "The date must be a real date, like 27 11 2026"),
        ("#id_closes_at_day", "Enter the closing date, with a day, month and year"),
        ("#id_assessment_deadline_day", "Enter the time on the 24-hour clock, like 09:30 or 14:00"),
        ("#id_cap_alpha", "Enter the most an alpha bid may ask for"),
        ("#id_criteria-3-weight", "Enter a weight for Open working"),
    }
    assert not FundingRound.objects.exists()
    # The service's own rules, once the shapes are right: dates in order, weights adding up.
    data = round_form(**moment("closes_at", timezone.now() + timedelta(days=1)), **{"criteria-0-weight": "50"})
    html = staff_client.post(reverse("pipeline:round_new"), data).content.decode()
    assert ("#id_closes_at_day", "The closing date must be after the opening date") in summary_links(html)
    assert ("#criteria", "Criteria weights must total 100%; they total 110%") in summary_links(html)
    assert 'id="criteria-error"' in html
    assert not FundingRound.objects.exists()


def test_a_new_round_starts_from_the_funds_rules_and_is_one_of_a_kind(staff_client, staff):
    """The form is filled in with the fund's rules; a round cannot share a name with another (filters choose
    rounds by name) or assess one criterion twice (ties are broken on value for money)."""
    form = staff_client.get(reverse("pipeline:round_new")).content.decode()
    for name in ("min_partner_councils", "max_bids_led_per_council", "assessors_per_bid"):
        assert re.search(rf'name="{name}"[^>]*value="2"', form), name
    assert staff_client.post(reverse("pipeline:round_new"), round_form()).status_code == 302
    twin = round_form(name="local digital fund round 9", code="R10", **{"criteria-1-code": "strategic_fit"})
    html = staff_client.post(reverse("pipeline:round_new"), twin).content.decode()
    links = summary_links(html)
    assert ("#id_name", "A round called local digital fund round 9 already exists: choose another name") in links
    assert ("#criteria", "Only one criterion can assess strategic fit") in links
    assert FundingRound.objects.count() == 1
    # An opening time already passed is taken (to open the round at once), and the page says so.
    opens_now = round_form(name="Round 10", code="R10", **moment("opens_at", timezone.now() - timedelta(minutes=5)))
    created = staff_client.post(reverse("pipeline:round_new"), opens_now, follow=True).content.decode()
    assert "has passed: it opens by itself within a minute" in created


def test_the_assessment_deadline_follows_when_a_round_closed_early(staff_client, staff):
    funding_round = make_round(code="CE")
    bid_services.round_close_early(funding_round=funding_round, by=staff, reason="Budget spent")
    funding_round.refresh_from_db()
    sooner = funding_round.closed_at + timedelta(days=2)
    assert sooner < funding_round.closes_at
    saved = bid_services.round_update(funding_round=funding_round, by=staff, assessment_deadline=sooner)
    assert saved.assessment_deadline == sooner
    assert "closed_at" in staff_client.get(f"/api/rounds/{funding_round.pk}/").json()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"criteria-TOTAL_FORMS": "abc"}, "The page was not loaded properly. Go back to the round and try again"),
        ({"criteria-TOTAL_FORMS": "13"}, "A round can have at most 12 criteria"),
    ],
)
def test_a_tampered_criteria_list_is_explained_in_peoples_words(staff_client, overrides, message):
    response = staff_client.post(reverse("pipeline:round_new"), round_form(**overrides))
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and "tampered" not in page and "bug report" not in page
    assert not FundingRound.objects.filter(code="R9").exists()


def test_copying_a_round_fills_in_everything_but_its_name_code_and_dates(staff_client, small_round):
    page = staff_client.get(reverse("pipeline:round_new"), {"copy": small_round.pk}).content.decode()
    assert f"Starting from {small_round.name}" in page
    assert 'name="budget" type="text" inputmode="decimal" spellcheck="false" value="100000.00"' in page
    assert 'value="Value for money"' in page and 'name="cap_beta"' in page
    # Empty: a new round has a name, code and dates of its own.
    assert not re.search(r'<input[^>]*name="name"[^>]*value=', page)
    assert not re.search(r'<input[^>]*name="code"[^>]*value=', page)
    assert not re.search(r'<input[^>]*name="opens_at_day"[^>]*value="\d', page)
    assert staff_client.get(reverse("pipeline:round_new"), {"copy": "999999"}).status_code == 404
    assert staff_client.get(reverse("pipeline:round_new"), {"copy": "x"}).status_code == 404
    # "²" is a digit to str.isdigit() that int() cannot read.
    assert staff_client.get(reverse("pipeline:round_new"), {"copy": "²"}).status_code == 404


def test_the_edit_page_explains_what_can_no_longer_change_and_the_service_holds_it(staff_client, small_round, staff):
    url = reverse("pipeline:round_edit", args=[small_round.pk])
    page = staff_client.get(url).content.decode()
    assert "What can still change" in page
    assert "The round has opened: the code is in its bids’ references" in page
    assert re.search(r'name="code"[^>]*disabled', page)
    # A disabled setting is not sent; what is sent may change within the rules.
    data = round_form(name="Round SM renamed", budget="100000")
    data.update({key: value for key, value in round_form().items() if key.startswith("criteria-")})
    data.update(
        moment("closes_at", small_round.closes_at), **moment("assessment_deadline", small_round.assessment_deadline)
    )
    data.update(fund_beta="on", cap_beta="350000", cap_alpha="250000", cap_discovery="80000")
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    small_round.refresh_from_db()
    assert (small_round.name, small_round.code) == ("Round SM renamed", "SM")
    data["cap_discovery"] = "1000"
    response = staff_client.post(url, data)
    assert response.status_code == 400
    assert "the discovery phase cannot be removed or its cap lowered below £80,000" in response.content.decode()


def test_a_save_from_a_page_opened_before_a_colleagues_save_never_undoes_it(staff_client, staff):
    """Two tabs on a round's settings: one raises the budget and saves; the other, opened before, renames the round
    and saves. Nothing is saved from the second: it says so, shows the budget saved since beside the form, which
    keeps the new name; a deliberate second save goes through."""
    staff_client.post(reverse("pipeline:round_new"), round_form())
    funding_round = FundingRound.objects.get(code="R9")
    url = reverse("pipeline:round_edit", args=[funding_round.pk])
    opened = staff_client.get(url).content.decode()
    seen = re.search(r'name="seen" value="([0-9a-f]+)"', opened).group(1)
    other_tab = round_form(budget="3000000", seen=seen)
    assert staff_client.post(url, other_tab).status_code == 302
    refused = staff_client.post(url, round_form(name="Round 9, renamed", seen=seen))
    html = refused.content.decode()
    assert refused.status_code == 400
    assert "This round’s settings were saved after you opened this page" in html
    assert re.search(r"Budget</dt>\s*<dd[^>]*>£3,000,000", html)
    assert 'value="Round 9, renamed"' in html
    funding_round.refresh_from_db()
    assert (funding_round.name, funding_round.budget) == ("Local Digital Fund Round 9", Decimal("3000000"))
    again = re.search(r'name="seen" value="([0-9a-f]+)"', html).group(1)
    assert again != seen
    saved = staff_client.post(url, round_form(name="Round 9, renamed", budget="3000000", seen=again))
    assert saved.status_code == 302
    funding_round.refresh_from_db()
    assert (funding_round.name, funding_round.budget) == ("Round 9, renamed", Decimal("3000000"))


def test_once_assessing_the_criteria_are_shown_not_edited(staff_client, small_round, staff):
    make_in_review_bid(funding_round=small_round)
    start_assessing(small_round, by=staff)
    page = staff_client.get(reverse("pipeline:round_edit", args=[small_round.pk])).content.decode()
    assert "Assessment has started, so the criteria and how they are scored are fixed" in page
    assert "criteria-TOTAL_FORMS" not in page


def overview(client, funding_round) -> str:
    response = client.get(reverse("pipeline:round", args=[funding_round.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_overview_shows_where_the_round_stands_and_its_next_step(staff_client, staff):
    funding_round = make_round(code="OV", budget="200000", assessors_per_bid=1)
    bids = [make_in_review_bid(funding_round=funding_round, amount="60000") for _ in range(3)]
    page = overview(staff_client, funding_round)
    assert "Councils can submit bids until" in page and "Close the round early" in page
    bid_services.round_close_early(funding_round=funding_round, by=staff, reason="Enough bids")
    page = overview(staff_client, funding_round)
    assert "You cannot start assessment yet:" in page and "3 bids in review are not sifted yet" in page
    assert "0 of 3 bids in review sifted eligible; 3 still to sift" in page
    start_assessing(funding_round, by=staff)
    first, second, _third = bids
    make_scored_bid(funding_round=funding_round, scores=[5], bid=first)
    late = make_assessor(name="Lou Late")
    assign(second, [late], by=staff)
    FundingRound.objects.filter(pk=funding_round.pk).update(assessment_deadline=timezone.now() - timedelta(hours=1))
    page = overview(staff_client, funding_round)
    assert "1 assessment overdue" in page
    assert re.search(r"Lou Late</th>.*?<strong class=\"govuk-tag govuk-tag--red\">1</strong>", page, re.S)
    assert "You cannot start decisions yet" in page and "2 bids are still in review" in page
    # Budget: nothing awarded, £60,000 recommended (the scored bid above the line), £140,000 left.
    assert 'id="budget-recommended">£60,000 for 1 scored bid above the funding line' in page
    assert 'id="budget-left">£140,000<' in page
    assert "Budget £200,000: £0 awarded (0%), £60,000 recommended above the funding line (30%), £140,000 left." in page


def test_the_overview_costs_the_same_queries_for_a_bigger_round(staff_client, staff, django_assert_max_num_queries):
    funding_round = make_round(code="OQ", budget="900000", assessors_per_bid=1)
    bids = [make_in_review_bid(funding_round=funding_round) for _ in range(6)]
    start_assessing(funding_round, by=staff)
    make_scored_bid(funding_round=funding_round, scores=[4], bid=bids[0])
    overview(staff_client, funding_round)
    with django_assert_max_num_queries(40) as small:
        overview(staff_client, funding_round)
    for bid in bids[1:4]:
        make_scored_bid(funding_round=funding_round, scores=[3], bid=bid)
    for bid in bids[4:]:
        assign(bid, [make_assessor()], by=staff)
    Bid.objects.filter(pk=bids[4].pk).update(needs_moderation=True)
    with django_assert_max_num_queries(len(small.captured_queries)):
        overview(staff_client, funding_round)


def test_staff_remind_an_assessor_at_most_once_a_day(staff_client, staff):
    funding_round = make_round(code="RM", assessors_per_bid=1)
    bid = make_in_review_bid(funding_round=funding_round)
    assessor = make_assessor(name="Ray Remind")
    assign(bid, [assessor], by=staff)
    url = reverse("pipeline:round_remind", args=[funding_round.pk, assessor.pk])
    response = staff_client.post(url, follow=True)
    assert "Ray Remind has been reminded of the assessments they have to finish" in response.content.decode()
    response = staff_client.post(url, follow=True)
    assert "Ray Remind has already been reminded today" in response.content.decode()
    assert Notification.objects.filter(event=Event.ASSESSMENT_NUDGE, recipient=assessor).count() == 1
    assert staff_client.get(url).status_code == 405
    assert staff_client.post(reverse("pipeline:round_remind", args=[funding_round.pk, staff.pk])).status_code == 404


def test_staff_move_the_round_on_from_its_page_and_publish_in_one_step(staff_client, staff):
    funding_round = make_round(code="MV", budget="200000", assessors_per_bid=1)
    bid = make_in_review_bid(funding_round=funding_round)
    url = reverse("pipeline:round_close", args=[funding_round.pk])
    response = staff_client.post(url, {"reason": ""})
    assert response.status_code == 400 and "Enter why you are closing the round early" in response.content.decode()
    assert staff_client.post(url, {"reason": "Enough bids"}).status_code == 302
    assert staff_client.post(url, {"reason": "Enough bids"}).status_code == 302  # a double click: already closed
    move = reverse("pipeline:round_move", args=[funding_round.pk, "start-assessing"])
    page = staff_client.get(move).content.decode()
    assert "You cannot do this yet" in page and f"1 bid in review is not sifted yet: {bid.reference}" in page
    assert staff_client.post(move).status_code == 400
    bid_services.bid_sift(bid=bid, by=staff, eligible=True)
    assert staff_client.post(move).status_code == 302
    assert staff_client.post(move, follow=True).status_code == 200  # repeated: shows the round
    bid = make_scored_bid(funding_round=funding_round, scores=[4], bid=bid)
    assert (
        staff_client.post(reverse("pipeline:round_move", args=[funding_round.pk, "start-deciding"])).status_code == 302
    )
    award(bid, by=staff)
    publish = reverse("pipeline:round_move", args=[funding_round.pk, "publish"])
    page = staff_client.get(publish).content.decode()
    assert "Publishing tells every council its decision at once" in page and "1 bid, £60,000" in page
    response = staff_client.post(publish, follow=True)
    assert "decisions are published: the councils are being told" in response.content.decode()
    funding_round.refresh_from_db()
    assert funding_round.state == RoundState.PUBLISHED and funding_round.decisions_published_by == staff
    assert "Decisions published on" in overview(staff_client, funding_round)
    assert staff_client.get(reverse("pipeline:round_move", args=[funding_round.pk, "nonsense"])).status_code == 404
    # Back to a step's page once it is done, or past it: the round's page says so; nothing reads "not yet".
    again = staff_client.get(publish, follow=True).content.decode()
    assert "decisions are published: the councils are being told" in again and "You cannot do this yet" not in again
    passed = staff_client.get(move, follow=True).content.decode()
    assert "has already moved past this step: it is now at “Decisions published”" in passed
    with pytest.raises(ApplicationError, match="This round has published its decisions, so it cannot be published"):
        bid_services.round_publish_decisions(funding_round=funding_round, by=staff)


def test_staff_sift_each_bid_from_its_checklist(staff_client, staff):
    funding_round = make_round(code="SV")
    good, bad = (make_in_review_bid(funding_round=funding_round) for _ in range(2))
    page = staff_client.get(reverse("pipeline:round_sift", args=[funding_round.pk])).content.decode()
    assert good.reference in page and "Not sifted" in page
    url = reverse("pipeline:bid_sift", args=[good.reference])
    page = staff_client.get(url).content.decode()
    assert "Every council has signed the Local Digital Declaration" in page and "Met" in page
    response = staff_client.post(url, {})
    assert response.status_code == 400 and "Select whether the bid is eligible" in response.content.decode()
    assert staff_client.post(url, {"decision": "eligible"}).status_code == 302
    assert BidSift.objects.get(bid=good).by == staff
    response = staff_client.post(reverse("pipeline:bid_sift", args=[bad.reference]), {"decision": "ineligible"})
    assert response.status_code == 400 and "Enter why the bid is ineligible" in response.content.decode()
    staff_client.post(reverse("pipeline:bid_sift", args=[bad.reference]), {"decision": "ineligible", "note": "Beta"})
    bad.refresh_from_db()
    assert bad.state == BidState.INELIGIBLE
    staff_page = staff_client.get(reverse("pipeline:bid_detail", args=[good.reference])).content.decode()
    assert "Sifted eligible by Pat Programme" in staff_page and "Sifted: eligible" in staff_page


def test_staff_ask_questions_and_send_or_set_aside_assessors_proposals(staff_client, staff):
    funding_round = make_round(code="QA")
    bid = make_in_review_bid(funding_round=funding_round)
    assessor = make_assessor(name="Ada Assessor")
    [assessment] = assign(bid, [assessor], by=staff)
    assessment_services.assessment_declare(assessment=assessment, by=assessor, conflict=False)
    url = reverse("pipeline:clarification_ask", args=[bid.reference])
    response = staff_client.post(url, {"question": "", "reply_by_day": "31", "reply_by_month": "2"})
    assert response.status_code == 400
    links = summary_links(response.content.decode())
    assert ("#id_question", "Enter the question") in links
    assert ("#id_reply_by_day", "Enter the date the answer is needed by, with a day, month and year") in links
    tomorrow = timezone.localdate() + timedelta(days=1)
    when = {"reply_by_day": tomorrow.day, "reply_by_month": tomorrow.month, "reply_by_year": tomorrow.year}
    assert staff_client.post(url, {"question": "Who hosts it?", **when}).status_code == 302
    proposal = bid_services.clarification_propose(bid=bid, by=assessor, question="Who pays?")
    other = bid_services.clarification_propose(bid=bid, by=assessor, question="Anything else?")
    page = staff_client.get(reverse("pipeline:bid_detail", args=[bid.reference])).content.decode()
    assert "Proposed by an assessor" in page and "Ada Assessor (assessor)" in page
    form = staff_client.get(url, {"proposal": proposal.pk}).content.decode()
    assert "Who pays?</textarea>" in form and "Proposed by Ada Assessor" in form
    data = {"question": "Who pays for hosting?", "proposal": proposal.pk, **when}
    assert staff_client.post(url, data).status_code == 302
    assert Clarification.objects.get(pk=proposal.pk).question == "Who pays for hosting?"
    discard = reverse("pipeline:clarification_discard", args=[bid.reference, other.pk])
    assert staff_client.post(discard).status_code == 302
    assert Clarification.objects.get(pk=other.pk).status == ClarificationStatus.DISCARDED
    response = staff_client.post(discard, follow=True)
    assert "already been sent or set aside" in response.content.decode()
    # Sending a proposal sent meanwhile (or an id that is none of this bid's) sends nothing and keeps the words
    # typed, to send as one's own question.
    asked = Clarification.objects.count()
    for stale in (proposal.pk, other.pk, "99999", "abc"):
        data = {"question": "Who pays for support?", "proposal": stale, **when}
        response = staff_client.post(url, data)
        assert response.status_code == 400
        page = response.content.decode()
        assert "That proposed question has already been sent or set aside" in page
        assert "Who pays for support?</textarea>" in page and f'value="{stale}"' not in page
    assert Clarification.objects.count() == asked
    assert staff_client.post(url, {"question": "Who pays for support?", **when}).status_code == 302
    assert Clarification.objects.count() == asked + 1


def test_the_lead_council_answers_on_its_page_and_partners_read_it(settings, tmp_path, staff):
    settings.MEDIA_ROOT = tmp_path
    bid = make_in_review_bid(funding_round=make_round(code="AN"))
    question = bid_services.clarification_ask(
        bid=bid, by=staff, question="Who hosts it?", reply_by=timezone.localdate() + timedelta(days=4)
    )
    lead_client, _lead = council_client(bid.lead_council)
    partner_client, _partner = council_client(bid.partners.first().council)
    url = reverse("bids:clarification", args=[bid.reference, question.pk])
    detail = lead_client.get(reverse("bids:detail", args=[bid.reference])).content.decode()
    assert "Questions from the programme team" in detail and f'href="{url}"' in detail
    assert "Waiting for an answer" in detail and "Pat Programme" not in detail
    page = lead_client.get(url).content.decode()
    assert "Who hosts it?" in page and "Send your answer" in page
    response = lead_client.post(url, {"answer": ""})
    assert response.status_code == 400 and "Enter your answer" in response.content.decode()
    partner_page = partner_client.get(url).content.decode()
    assert "Send your answer" not in partner_page
    # A partner may read the question, so sending an answer is refused with the reason, not "Page not found".
    refused = partner_client.post(url, {"answer": "Us"})
    assert refused.status_code == 403
    assert f"Members of {bid.lead_council} answer this question" in refused.content.decode()
    pdf = SimpleUploadedFile("hosting.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    assert lead_client.post(url, {"answer": "Questionham hosts it.", "attachment": pdf}).status_code == 302
    partner_page = partner_client.get(reverse("bids:detail", args=[bid.reference])).content.decode()
    assert "Questionham hosts it." in partner_page and "hosting.pdf" in partner_page
    download = partner_client.get(reverse("bids:clarification_attachment", args=[bid.reference, question.pk]))
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert lead_client.post(url, {"answer": "Again"}, follow=True).status_code == 200
    assert Clarification.objects.get(pk=question.pk).answer == "Questionham hosts it."


def test_an_assessor_proposes_a_question_beside_the_bid(client, staff):
    bid = make_in_review_bid(funding_round=make_round(code="PQ"))
    assessor = make_assessor()
    [assessment] = assign(bid, [assessor], by=staff)
    client.force_login(assessor)
    url = reverse("assessments:propose_question", args=[assessment.pk])
    assert client.get(url).status_code == 404  # not before declaring no conflict
    assessment_services.assessment_declare(assessment=assessment, by=assessor, conflict=False)
    score_page = client.get(reverse("assessments:score", args=[assessment.pk])).content.decode()
    assert f'href="{url}"' in score_page
    response = client.post(url, {"question": ""})
    assert response.status_code == 400 and "Enter the question you want to ask" in response.content.decode()
    assert client.post(url, {"question": "Who pays?"}).status_code == 302
    assert Clarification.objects.get(bid=bid).status == ClarificationStatus.PROPOSED


def test_council_members_choose_whether_to_hear_of_rounds_opening(client, staff_client):
    member = make_user(councils=[make_council()])
    client.force_login(member)
    page = client.get(reverse("notifications:list")).content.decode()
    assert "Tell me when a round opens" in page
    assert re.search(r'name="round_opening_emails" type="radio" value="no" checked', page)  # off unless asked for
    response = client.post(
        reverse("notifications:preferences"), {"reminder_emails": "yes", "round_opening_emails": "yes"}
    )
    assert response.status_code == 302
    assert member.notification_preference.round_opening_emails is True
    assert "Tell me when a round opens" not in staff_client.get(reverse("notifications:list")).content.decode()


def test_the_rounds_list_and_the_sift_cost_the_same_queries_for_more_rounds_and_bids(
    staff_client, staff, django_assert_max_num_queries
):
    funding_round = make_round(code="LQ")
    bids = [make_in_review_bid(funding_round=funding_round) for _ in range(5)]
    pages = [reverse("pipeline:rounds"), reverse("pipeline:round_sift", args=[funding_round.pk])]
    for url in pages:
        staff_client.get(url)
    small = {}
    for url in pages:
        with django_assert_max_num_queries(30) as queries:
            assert staff_client.get(url).status_code == 200
        small[url] = len(queries.captured_queries)
    # Bigger: more rounds, the bids sifted (one found ineligible), more bids, one more led by the same council.
    for code in ("LR", "LS", "LT"):
        make_round(code=code)
    bid_services.bid_sift(bid=bids[0], by=staff, eligible=True)
    bid_services.bid_sift(bid=bids[1], by=staff, eligible=False, note="Out of scope")
    make_in_review_bid(funding_round=funding_round, lead=bids[2].lead_council)
    for _ in range(3):
        make_in_review_bid(funding_round=funding_round)
    for url in pages:
        with django_assert_max_num_queries(small[url]):
            assert staff_client.get(url).status_code == 200


def test_the_second_of_two_clicks_in_flight_at_once_shows_the_round_moved_on(staff_client, staff, monkeypatch):
    """Both requests of a double click read the round before either moved it: the second's service call is refused
    (the round has moved on), and the page says it is done rather than showing that refusal."""
    funding_round = make_round(code="DC", budget="200000", assessors_per_bid=1)
    bid = make_in_review_bid(funding_round=funding_round)
    bid_services.round_close_early(funding_round=funding_round, by=staff, reason="Enough bids")
    bid_services.bid_sift(bid=bid, by=staff, eligible=True)

    def first_click_wins(*, funding_round, by):
        bid_services.round_start_assessing(funding_round=FundingRound.objects.get(pk=funding_round.pk), by=by)
        raise ApplicationError("This round is assessing, so it cannot be moved on to assessing")

    monkeypatch.setitem(pipeline_views.ROUND_STEP_SERVICES, "start_assessing", first_click_wins)
    response = staff_client.post(reverse("pipeline:round_move", args=[funding_round.pk, "start-assessing"]))
    assert response.status_code == 302 and response["Location"] == reverse("pipeline:round", args=[funding_round.pk])
    funding_round.refresh_from_db()
    assert funding_round.state == RoundState.ASSESSING
