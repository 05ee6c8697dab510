"""A whole round in the service, in real Chromium with axe-core on every page: staff copy last round into a new
one; beat opens it (in a frozen clock); a lead council submits a bid; staff close the round, sift the bid, ask a
question the lead answers, start assessment, the assessors score, staff decide and publish. Each step's emails
reach a real SMTP server through a real Celery worker exactly once, and the public pages show the round only
after its decisions are published."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from bids.choices import RoundState
from bids.models import Bid, FundingRound
from bids.tasks import open_and_close_rounds
from councils.choices import Role
from notifications.choices import Event
from notifications.services import preference_update
from tests.e2e.browser import check, fill_date, sign_in
from tests.factories import make_bid, make_council, make_round, make_user, publish_decisions
from tests.factories.assessments import make_assessor, score_all
from tests.notifications.test_delivery_events import delivered
from tests.real_services import wait_settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_round_from_set_up_to_published_decisions(new_page, mailer):
    staff = make_user(role=Role.PROGRAMME_STAFF, email="staff@fund.example.test", name="Priya Shah")
    last_round = publish_decisions(make_round(code="R6", budget="2000000"), by=staff)
    wait_settled()  # last round's own emails (it closed) are not this journey's
    mailer.messages.clear()
    lead_council, partners = make_council("RJL", "Roundham"), [make_council("RJ1"), make_council("RJ2")]
    lead = make_user(councils=[lead_council], email="lead@roundham.example.test", name="Lee Lead")
    preference_update(user=lead, round_opening_emails=True)  # only the lead asked to hear of rounds opening
    opens_at = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)

    # Staff copy last round as the start of a new one, fixing what the page says is wrong first.
    staff_page = new_page()
    sign_in(staff_page, staff.email)
    staff_page.goto("/pipeline/rounds/")
    check(staff_page)
    staff_page.get_by_role("link", name=f"Copy {last_round.name} as a new round").click()
    expect(staff_page.locator("#copied-from")).to_contain_text(f"Starting from {last_round.name}")
    check(staff_page)
    staff_page.get_by_label("Name of the round").fill("Local Digital Fund Round 7")
    fill_date(staff_page, "opens_at", opens_at, time=True)
    fill_date(staff_page, "closes_at", opens_at + timedelta(days=30, hours=17), time=True)
    fill_date(staff_page, "assessment_deadline", opens_at + timedelta(days=60, hours=17), time=True)
    staff_page.get_by_role("button", name="Set up the round").click()
    expect(staff_page.locator(".govuk-error-summary")).to_contain_text("Enter a short code, like R8")
    check(staff_page)
    staff_page.get_by_label("Short code").fill("R7")
    staff_page.get_by_role("button", name="Set up the round").click()
    expect(staff_page.locator(".govuk-notification-banner")).to_contain_text(
        "Local Digital Fund Round 7 has been set up"
    )
    expect(staff_page.locator("#round-state")).to_have_text("Upcoming")
    check(staff_page)
    funding_round = FundingRound.objects.get(code="R7")
    assert funding_round.budget == last_round.budget and funding_round.criteria.count() == 3

    # Beat opens it at its opening time, and only then, in a frozen clock; run twice, it opens once.
    with time_machine.travel(opens_at - timedelta(seconds=1), tick=False):
        assert open_and_close_rounds() == (0, 0)
    with time_machine.travel(opens_at, tick=False):
        assert open_and_close_rounds() == (1, 0)
        assert open_and_close_rounds() == (0, 0)
    delivered(mailer, Event.ROUND_OPENED, [lead])
    funding_round.refresh_from_db()
    assert funding_round.state == RoundState.OPEN

    # The lead council writes a bid (its partners confirm) and submits it on the check-answers page.
    bid = make_bid(funding_round=funding_round, lead=lead_council, partners=partners, by=lead)
    partner_members = [partner.members.get() for partner in partners]
    lead_page = new_page()
    sign_in(lead_page, lead.email)
    lead_page.goto(f"/bids/{bid.reference}/check/")
    check(lead_page)
    lead_page.get_by_label(re.compile("I confirm this bid is submitted")).check()
    lead_page.get_by_role("button", name="Accept and submit bid").click()
    lead_page.wait_for_url(f"**/bids/{bid.reference}/submitted/")
    check(lead_page)
    delivered(mailer, Event.BID_SUBMITTED, [lead, *partner_members, staff])

    # Staff close the round early, saying why; staff hear it has closed (no draft was left to tell).
    staff_page.goto(f"/pipeline/rounds/{funding_round.pk}/")
    check(staff_page)
    staff_page.get_by_role("button", name="Close the round early").click()
    check(staff_page)
    staff_page.get_by_label("Why are you closing the round early?").fill("Every council that said it would bid has.")
    staff_page.get_by_role("button", name="Close the round now").click()
    expect(staff_page.locator("#round-state")).to_have_text("Closed")
    expect(staff_page.locator("#step-refusals")).to_contain_text(f"1 bid in review is not sifted yet: {bid.reference}")
    check(staff_page)
    delivered(mailer, Event.ROUND_CLOSED, [staff])

    # The sift, from the bid's checklist.
    staff_page.get_by_role("link", name=re.compile("Sift the bids")).click()
    check(staff_page)
    staff_page.get_by_role("link", name=re.compile(bid.reference)).click()
    expect(staff_page.locator("#checklist")).not_to_contain_text("Not met")
    check(staff_page)
    staff_page.get_by_label("Yes, it is eligible").check()
    staff_page.get_by_role("button", name="Record the decision").click()
    expect(staff_page.locator("#sift-table")).to_contain_text("Eligible")
    check(staff_page)

    # A question for the bid's team; the lead answers it in the service.
    staff_page.goto(f"/pipeline/bids/{bid.reference}/")
    staff_page.get_by_role("link", name="Ask the bid’s team a question").click()
    check(staff_page)
    staff_page.get_by_label("Question for the bid’s team").fill("Which council will host the service once live?")
    reply_by = timezone.localdate() + timedelta(days=7)
    for part in ("day", "month", "year"):
        staff_page.locator(f"#id_reply_by_{part}").fill(str(getattr(reply_by, part)))
    staff_page.get_by_role("button", name="Send the question").click()
    expect(staff_page.locator("#questions")).to_be_visible()
    check(staff_page)
    delivered(mailer, Event.CLARIFICATION_ASKED, [lead])

    lead_page.goto(f"/bids/{bid.reference}/")
    expect(lead_page.locator("#questions")).to_contain_text("Waiting for an answer")
    check(lead_page)
    lead_page.get_by_role("link", name="Answer question 1").click()
    check(lead_page)
    lead_page.get_by_role("button", name="Send your answer").click()
    expect(lead_page.locator(".govuk-error-summary")).to_contain_text("Enter your answer")
    check(lead_page)
    lead_page.get_by_label("Your answer").fill("Roundham hosts it; the partners share the running costs.")
    lead_page.get_by_role("button", name="Send your answer").click()
    expect(lead_page.locator("#questions")).to_contain_text("Roundham hosts it")
    expect(lead_page.locator("main")).not_to_contain_text("Priya Shah")  # councils never see who asked
    check(lead_page)
    delivered(mailer, Event.CLARIFICATION_ANSWERED, [staff])

    # Assessment: staff start it and assign assessors in one go; the assessors score (in the services).
    staff_page.goto(f"/pipeline/rounds/{funding_round.pk}/")
    staff_page.get_by_role("button", name="Start assessment").click()
    check(staff_page)
    staff_page.get_by_role("button", name="Start assessment").click()
    expect(staff_page.locator("#round-state")).to_have_text("Assessing")
    assessors = [make_assessor(name="Ann Assessor"), make_assessor(name="Bo Assessor")]
    staff_page.goto(f"/assessments/staff/rounds/{funding_round.pk}/")
    staff_page.get_by_role("button", name="Assign assessors to every bid that needs them").click()
    expect(staff_page.locator(".govuk-notification-banner")).to_contain_text("2 assessments assigned")
    check(staff_page)
    delivered(mailer, Event.ASSESSOR_ASSIGNED, assessors)
    for assessment in Bid.objects.get(pk=bid.pk).assessments.all():
        score_all(assessment, 4)
    delivered(mailer, Event.BID_SCORED, [staff])

    # Decisions: recorded while the round is deciding, and told to nobody yet.
    staff_page.goto(f"/pipeline/rounds/{funding_round.pk}/")
    staff_page.get_by_role("button", name="Start decisions").click()
    check(staff_page)
    staff_page.get_by_role("button", name="Start decisions").click()
    expect(staff_page.locator("#round-state")).to_have_text("Deciding")
    check(staff_page)
    staff_page.goto(f"/pipeline/bids/{bid.reference}/award/")
    expect(staff_page.locator(".govuk-warning-text")).to_contain_text("Decisions are recorded, not told")
    check(staff_page)
    staff_page.get_by_label("Conditions of the award (optional)").fill("Publish weeknotes every fortnight.")
    staff_page.get_by_role("button", name=re.compile("Confirm")).click()
    expect(staff_page.locator("#next-step")).to_contain_text("when you publish")
    check(staff_page)

    # The public pages know nothing of the round yet.
    public = new_page()
    public.goto("/funded/")
    expect(public.locator("main")).not_to_contain_text("Roundham")
    expect(public.locator("#round")).not_to_contain_text("Round 7")
    check(public)
    assert public.request.get("/funded/R7/360giving.json").status == 404

    # Publishing: one step, confirmed; every council hears at once, and the award is public.
    staff_page.goto(f"/pipeline/rounds/{funding_round.pk}/")
    staff_page.get_by_role("button", name="Publish decisions").click()
    expect(staff_page.locator("#publication")).to_contain_text("1 bid, £60,000")
    check(staff_page)
    staff_page.get_by_role("button", name="Publish the decisions").click()
    expect(staff_page.locator("#round-state")).to_have_text("Decisions published")
    expect(staff_page.locator("#next-step")).to_contain_text("by Priya Shah")
    check(staff_page)
    delivered(mailer, Event.BID_AWARDED, [lead, *partner_members])

    public.goto("/funded/")
    expect(public.locator("main")).to_contain_text("Roundham Council")
    check(public)
    grants = public.request.get("/funded/R7/360giving.json").json()["grants"]
    assert [grant["amountAwarded"] for grant in grants] == [60000]

    # Every email went out once: nothing more than the steps above sent.
    funding_round.refresh_from_db()
    assert funding_round.state == RoundState.PUBLISHED
    expected = {
        Event.ROUND_OPENED: 1,
        Event.PARTNER_RESPONDED: 2,  # each partner council confirming, to the lead
        Event.BID_SUBMITTED: 4,
        Event.ROUND_CLOSED: 1,
        Event.CLARIFICATION_ASKED: 1,
        Event.CLARIFICATION_ANSWERED: 1,
        Event.ASSESSOR_ASSIGNED: 2,
        Event.BID_SCORED: 1,
        Event.BID_AWARDED: 3,
        Event.OFFER_MADE: 1,  # the award's grant offer, to the lead council (projects)
    }
    sent: dict[str, int] = {}
    for message in mailer.messages:
        sent[message["X-LDF-Event"]] = sent.get(message["X-LDF-Event"], 0) + 1
    assert sent == {str(event): count for event, count in expected.items()}


def test_the_other_round_pages_read_right_and_pass_axe(new_page):
    """The pages the journey does not pass through: a round's edit page with its fixed settings, a council
    member's email choices, an assessor proposing a question beside the bid, and staff sending it."""
    from assessments.services import assessment_declare
    from tests.factories.assessments import assign, make_in_review_bid

    staff = make_user(role=Role.PROGRAMME_STAFF, email="staff@fund.example.test", name="Priya Shah")
    funding_round = make_round(code="R8", budget="500000")
    bid = make_in_review_bid(funding_round=funding_round)
    member = make_user(councils=[make_council()], email="member@council.example.test")
    assessor = make_assessor(name="Ann Assessor", email="ann@assess.example.test")

    staff_page = new_page()
    sign_in(staff_page, staff.email)
    staff_page.goto(f"/pipeline/rounds/{funding_round.pk}/edit/")
    expect(staff_page.locator("#what-can-change")).to_contain_text("some settings are fixed")
    expect(staff_page.locator("#id_code")).to_be_disabled()
    check(staff_page)
    staff_page.get_by_label("Budget, in pounds").fill("")
    staff_page.get_by_role("button", name="Save changes").click()
    expect(staff_page.locator(".govuk-error-summary")).to_contain_text("Enter the round’s budget")
    check(staff_page)

    member_page = new_page()
    sign_in(member_page, member.email)
    member_page.goto("/notifications/")
    member_page.get_by_label("Email me when a round opens for bids").check()
    member_page.get_by_role("button", name="Save preference").click()
    expect(member_page.locator(".govuk-notification-banner")).to_contain_text("we will email you when a round opens")
    check(member_page)

    [assessment] = assign(bid, [assessor], by=staff)
    assessment_declare(assessment=assessment, by=assessor, conflict=False)
    assessor_page = new_page()
    sign_in(assessor_page, assessor.email)
    assessor_page.goto(f"/assessments/{assessment.pk}/score/")
    assessor_page.get_by_role("link", name="Propose a question for the bid’s team").click()
    check(assessor_page)
    assessor_page.get_by_role("button", name="Send to the programme team").click()
    expect(assessor_page.locator(".govuk-error-summary")).to_contain_text("Enter the question")
    check(assessor_page)
    assessor_page.get_by_label("What do you want to ask the bid’s team?").fill("Who pays for hosting?")
    assessor_page.get_by_role("button", name="Send to the programme team").click()
    expect(assessor_page.locator(".govuk-notification-banner")).to_contain_text("sent to the programme team")
    check(assessor_page)

    staff_page.goto(f"/pipeline/bids/{bid.reference}/")
    expect(staff_page.locator("main")).to_contain_text("Ann Assessor (assessor)")
    check(staff_page)
    staff_page.get_by_role("button", name="Send it (question 1)").click()
    expect(staff_page.get_by_label("Question for the bid’s team")).to_have_value("Who pays for hosting?")
    check(staff_page)
