"""Every event in docs/domain.md's "Who hears what", caused through the real domain services and delivered by
a real Celery worker to a real SMTP server: recipients, subject with the bid reference, key body text, and
links that work for the person who received them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from assessments import services as assessment_services
from assessments.reminders import assessment_reminders_send
from bids import services as bid_services
from bids.models import Bid, FundingRound
from bids.reminders import round_closing_reminders_send
from core.exceptions import ApplicationError
from notifications.choices import Event, Status
from notifications.models import Notification
from tests.factories import (
    award,
    decline,
    make_bid,
    make_council,
    make_round,
    make_submitted_bid,
    make_user,
    publish_decisions,
    start_assessing,
)
from tests.factories.assessments import assign, make_assessor, make_scored_bid, make_staff, score_all
from tests.real_services import body_html, body_text, site_paths, wait_for, wait_settled

pytestmark = pytest.mark.django_db(transaction=True)


def delivered(sink, event: str, expected_recipients) -> dict:
    """Wait for `event` to reach exactly `expected_recipients`; return their messages by address."""
    wanted = {user.email for user in expected_recipients}
    assert wanted, "a test must expect at least one recipient"

    def arrived():
        messages = [m for m in sink.messages if m["X-LDF-Event"] == event]
        return messages if {m["X-Envelope-To"] for m in messages} >= wanted else None

    wait_for(arrived, message=f"{event} to reach {sorted(wanted)}")
    wait_settled(event=event)
    messages = [m for m in sink.messages if m["X-LDF-Event"] == event]
    by_address = {}
    for message in messages:
        assert message["X-Envelope-To"] not in by_address, f"{event} sent twice to {message['X-Envelope-To']}"
        by_address[message["X-Envelope-To"]] = message
    assert set(by_address) == wanted
    assert not Notification.objects.filter(event=event).exclude(status=Status.SENT).exists()
    return by_address


def check_message(client, messages: dict, user, *, reference: str, says: list[str]) -> None:
    """`user`'s message (of `messages`, by address, as `delivered` returns them) is about `reference`, says each of
    `says`, and every link in it works for them."""
    message = messages[user.email]
    assert reference in message["Subject"]
    assert message["To"] == user.email
    text = body_text(message)
    html = body_html(message)
    for snippet in says:
        assert snippet in text, f"{snippet!r} not in:\n{text}"
    assert reference in html
    paths = site_paths(message)
    assert [path for path in paths if path != "/"], "the message links to the page it is about"
    # Every link in the message works for its recipient.
    client.force_login(user)
    for path in paths:
        response = client.get(path, follow=True)
        assert response.status_code == 200, f"{path} answered {response.status_code} for {user.email}"
        assert f'href="{path}"' in body_html(message).replace("http://testserver", "")
    client.logout()


@pytest.fixture
def people(db):
    lead_council, partner_a, partner_b = make_council(), make_council(), make_council()
    return {
        "lead_council": lead_council,
        "partners": [partner_a, partner_b],
        "lead": make_user(councils=[lead_council], name="Lee Lead"),
        "lead_colleague": make_user(councils=[lead_council], name="Lou Lead"),
        "partner_a": make_user(councils=[partner_a], name="Pat Partner"),
        "partner_b": make_user(councils=[partner_b], name="Pam Partner"),
        "staff": make_staff(),
        "bystander": make_user(councils=[make_council()], name="Ben Bystander"),
    }


def submitted(people, funding_round) -> Bid:
    return make_submitted_bid(
        funding_round=funding_round, lead=people["lead_council"], partners=people["partners"], by=people["lead"]
    )


def test_partner_invited_reaches_members_of_the_invited_council(mailer, client, people, funding_round):
    bid = make_bid(funding_round=funding_round, lead=people["lead_council"], by=people["lead"])
    bid_services.partner_invite(bid=bid, council=people["partners"][0], by=people["lead"])

    messages = delivered(mailer, Event.PARTNER_INVITED, [people["partner_a"]])
    check_message(
        client,
        messages,
        people["partner_a"],
        reference=bid.reference,
        says=["has invited", "Confirm or decline:", f"/bids/{bid.reference}/invitation/"],
    )


@pytest.mark.parametrize("confirm", [True, False])
def test_partner_response_reaches_lead_members(mailer, client, people, funding_round, confirm):
    bid = make_bid(funding_round=funding_round, lead=people["lead_council"], by=people["lead"])
    partner = bid_services.partner_invite(bid=bid, council=people["partners"][0], by=people["lead"])
    bid_services.partner_respond(partner=partner, by=people["partner_a"], confirm=confirm)

    messages = delivered(mailer, Event.PARTNER_RESPONDED, [people["lead"], people["lead_colleague"]])
    verb = "confirmed" if confirm else "declined"
    for user in (people["lead"], people["lead_colleague"]):
        check_message(
            client,
            messages,
            user,
            reference=bid.reference,
            says=[f"Pat Partner of {people['partners'][0].name} has {verb} taking part"],
        )


def test_bid_submitted_sends_a_receipt_to_lead_members_and_news_to_partners_and_staff(
    mailer, client, people, funding_round
):
    bid = submitted(people, funding_round)

    everyone = [people[name] for name in ("lead", "lead_colleague", "partner_a", "partner_b", "staff")]
    messages = delivered(mailer, Event.BID_SUBMITTED, everyone)
    check_message(
        client,
        messages,
        people["lead"],
        reference=bid.reference,
        says=["We have received your bid", f"Your reference is {bid.reference}", "Amount requested: £60,000"],
    )
    assert "received your bid" in messages[people["lead_colleague"].email]["Subject"]
    check_message(
        client,
        messages,
        people["partner_a"],
        reference=bid.reference,
        says=["with your council as a partner"],
    )
    check_message(
        client,
        messages,
        people["staff"],
        reference=bid.reference,
        says=["ready for the eligibility check", "Check the bid:"],
    )
    assert people["bystander"].email not in mailer.recipients()


def test_bid_returned_reaches_lead_members_with_the_message(mailer, client, people, funding_round):
    bid = submitted(people, funding_round)
    bid_services.bid_return_for_changes(bid=bid, by=people["staff"], message="Break the supplier costs down by phase.")

    messages = delivered(mailer, Event.BID_RETURNED, [people["lead"], people["lead_colleague"]])
    check_message(
        client,
        messages,
        people["lead"],
        reference=bid.reference,
        says=["returned your bid", "Break the supplier costs down by phase."],
    )


def test_bid_withdrawn_reaches_partner_members_and_staff(mailer, client, people, funding_round):
    bid = submitted(people, funding_round)
    bid_services.bid_withdraw(bid=bid, by=people["lead"], reason="Our cabinet paused the project.")

    messages = delivered(mailer, Event.BID_WITHDRAWN, [people["partner_a"], people["partner_b"], people["staff"]])
    for user in (people["partner_a"], people["staff"]):
        check_message(
            client,
            messages,
            user,
            reference=bid.reference,
            says=["has withdrawn this bid", "Our cabinet paused the project."],
        )


def test_bid_ineligible_reaches_lead_and_partner_members_with_the_reason(mailer, client, people, funding_round):
    bid = submitted(people, funding_round)
    bid_services.bid_mark_ineligible(bid=bid, by=people["staff"], reason="Beta projects are not funded this round.")

    recipients = [people[name] for name in ("lead", "lead_colleague", "partner_a", "partner_b")]
    messages = delivered(mailer, Event.BID_INELIGIBLE, recipients)
    for user in (people["lead"], people["partner_b"]):
        check_message(
            client,
            messages,
            user,
            reference=bid.reference,
            says=["not eligible", "Beta projects are not funded this round."],
        )


def test_assessor_assigned_reaches_the_assessor_with_the_due_date(mailer, client, people, funding_round):
    bid = submitted(people, funding_round)
    assessor = make_assessor(name="Ada Assessor")
    start_assessing(funding_round, by=people["staff"])
    assessment_services.assessment_assign(bid=bid, assessor=assessor, by=people["staff"])

    messages = delivered(mailer, Event.ASSESSOR_ASSIGNED, [assessor])
    due = timezone.localtime(funding_round.assessment_deadline).strftime("%-d %B %Y")
    check_message(
        client,
        messages,
        assessor,
        reference=bid.reference,
        says=[f"Assessment due: {due}", "conflict of interest", "Start the assessment:"],
    )


def test_assessor_unassigned_reaches_the_assessor(mailer, client, people, funding_round):
    bid = submitted(people, funding_round)
    assessor = make_assessor(name="Ada Assessor")
    [assessment] = assign(bid, [assessor], by=people["staff"])
    assessment_services.assessment_unassign(assessment=assessment, by=people["staff"], reason="Balancing the load")

    messages = delivered(mailer, Event.ASSESSOR_UNASSIGNED, [assessor])
    check_message(
        client,
        messages,
        assessor,
        reference=bid.reference,
        says=["You do not need to finish assessing it", "Your assessments:"],
    )
    assert "Balancing the load" not in body_text(messages[assessor.email])


def test_conflict_declared_reaches_programme_staff(mailer, client, people, funding_round):
    bid = submitted(people, funding_round)
    assessor = make_assessor(name="Ada Assessor")
    [assessment] = assign(bid, [assessor], by=people["staff"])
    assessment_services.assessment_declare(
        assessment=assessment, by=assessor, conflict=True, details="My partner works for the supplier."
    )

    messages = delivered(mailer, Event.CONFLICT_DECLARED, [people["staff"]])
    check_message(
        client,
        messages,
        people["staff"],
        reference=bid.reference,
        says=["Ada Assessor has declared a conflict of interest", "My partner works for the supplier."],
    )


def test_moderation_needed_reaches_programme_staff_with_the_criteria(mailer, client, people, funding_round):
    bid = submitted(people, funding_round)
    first, second = assign(bid, [make_assessor(), make_assessor()], by=people["staff"])
    score_all(first, [5, 4, 4])
    score_all(second, [1, 4, 4])

    messages = delivered(mailer, Event.MODERATION_NEEDED, [people["staff"]])
    check_message(
        client,
        messages,
        people["staff"],
        reference=bid.reference,
        says=["scores differ", "- Strategic fit"],
    )
    assert "Deliverability" not in body_text(messages[people["staff"].email])


def test_bid_scored_reaches_only_programme_staff(mailer, client, people, funding_round):
    bid = submitted(people, funding_round)
    make_scored_bid(funding_round=funding_round, bid=bid, scores=(4, 4))

    messages = delivered(mailer, Event.BID_SCORED, [people["staff"]])
    check_message(
        client,
        messages,
        people["staff"],
        reference=bid.reference,
        says=["final weighted score is 75.00 out of 100", "Councils do not see scores"],
    )


def test_bid_awarded_reaches_lead_and_partner_members_with_amount_and_conditions(mailer, client, people, funding_round):
    bid = make_scored_bid(funding_round=funding_round, bid=submitted(people, funding_round))
    award(bid, amount="55000", conditions="Publish weeknotes every fortnight.", by=people["staff"])
    # Recorded, not told, until the round's decisions are published.
    assert not Notification.objects.filter(event=Event.BID_AWARDED).exists()
    publish_decisions(funding_round, by=people["staff"])

    recipients = [people[name] for name in ("lead", "lead_colleague", "partner_a", "partner_b")]
    messages = delivered(mailer, Event.BID_AWARDED, recipients)
    for user in (people["lead"], people["partner_a"]):
        check_message(
            client,
            messages,
            user,
            reference=bid.reference,
            says=["has awarded £55,000", "Publish weeknotes every fortnight."],
        )


def test_bid_not_funded_reaches_lead_and_partner_members_with_feedback(mailer, client, people, funding_round):
    bid = make_scored_bid(funding_round=funding_round, bid=submitted(people, funding_round))
    decline(bid, feedback="Strong idea, but the savings were not evidenced.", by=people["staff"])
    assert not Notification.objects.filter(event=Event.BID_NOT_FUNDED).exists()
    publish_decisions(funding_round, by=people["staff"])

    recipients = [people[name] for name in ("lead", "lead_colleague", "partner_a", "partner_b")]
    messages = delivered(mailer, Event.BID_NOT_FUNDED, recipients)
    check_message(
        client,
        messages,
        people["partner_b"],
        reference=bid.reference,
        says=["will not fund this bid", "Strong idea, but the savings were not evidenced."],
    )


def test_round_closing_reminder_reaches_lead_members_of_draft_bids(mailer, client, people):
    funding_round = make_round()
    draft = make_bid(funding_round=funding_round, lead=people["lead_council"], by=people["lead"])
    other_lead = make_user(councils=[make_council()])
    submitted_bid = make_submitted_bid(
        funding_round=funding_round, lead=other_lead.councils.first(), partners=people["partners"], by=other_lead
    )
    FundingRound.objects.filter(pk=funding_round.pk).update(closes_at=timezone.now() + timedelta(days=6, hours=1))

    assert round_closing_reminders_send() == 2

    messages = delivered(mailer, Event.ROUND_CLOSING, [people["lead"], people["lead_colleague"]])
    check_message(
        client,
        messages,
        people["lead"],
        reference=draft.reference,
        says=["is still a draft", "switch them off on your Notifications page"],
    )
    closing = [m["Subject"] for m in mailer.messages if m["X-LDF-Event"] == "round_closing"]
    assert len(closing) == 2
    assert not any(submitted_bid.reference in subject for subject in closing)


def test_assessment_reminders_reach_the_assessor(mailer, client, people, funding_round):
    bid = submitted(people, funding_round)
    assessor, conflicted = make_assessor(name="Ada Assessor"), make_assessor(name="Cy Conflicted")
    _assessment, declared = assign(bid, [assessor, conflicted], by=people["staff"])
    assessment_services.assessment_declare(assessment=declared, by=conflicted, conflict=True, details="I know them.")

    # Due in two days: the assessor still to do it hears; the one who declared a conflict has nothing to do.
    FundingRound.objects.filter(pk=funding_round.pk).update(assessment_deadline=timezone.now() + timedelta(days=2))
    assert assessment_reminders_send() == 1
    soon = delivered(mailer, Event.ASSESSMENT_DUE, [assessor])
    check_message(client, soon, assessor, reference=bid.reference, says=["is due by", "Continue the assessment:"])

    # The deadline passes with the assessment still not submitted.
    FundingRound.objects.filter(pk=funding_round.pk).update(assessment_deadline=timezone.now() - timedelta(hours=2))
    assert assessment_reminders_send() == 1
    overdue = delivered(mailer, Event.ASSESSMENT_OVERDUE, [assessor])
    check_message(
        client,
        overdue,
        assessor,
        reference=bid.reference,
        says=["was due by", "has not been submitted", "Continue the assessment:"],
    )
    reminded = {m["X-Envelope-To"] for m in mailer.messages if m["X-LDF-Event"].startswith("assessment_")}
    assert reminded == {assessor.email}


# --- Rounds, questions and reminders from the round's page ---------------------------------------------------


def test_a_round_opening_and_closing_reaches_who_asked_and_the_leads_of_drafts(mailer, client, people):
    from bids.choices import Phase
    from notifications.services import preference_update

    opted_in = make_user(councils=[people["lead_council"]], name="Olly Optin")
    unsigned = make_user(councils=[make_council(signed=False)], name="Una Unsigned")
    for user in (opted_in, unsigned):
        preference_update(user=user, round_opening_emails=True)
    now = timezone.now()
    funding_round = bid_services.round_create(
        name="Round 12",
        code="R12",
        opens_at=now + timedelta(minutes=1),
        closes_at=now + timedelta(days=30),
        assessment_deadline=now + timedelta(days=60),
        budget="500000",
        phase_caps={Phase.DISCOVERY: 80000},
    )
    assert bid_services.rounds_open_and_close_due() == (0, 0)  # not yet
    with time_machine.travel(now + timedelta(minutes=2), tick=True):
        assert bid_services.rounds_open_and_close_due() == (1, 0)
        assert bid_services.rounds_open_and_close_due() == (0, 0)  # run twice: opened once
        funding_round.refresh_from_db()
        draft = make_bid(funding_round=funding_round, lead=people["lead_council"], by=people["lead"])
    opened = delivered(mailer, Event.ROUND_OPENED, [opted_in])
    text = body_text(opened[opted_in.email])
    assert "Round 12 is open for bids" in opened[opted_in.email]["Subject"]
    assert "Start a bid: http://testserver/bids/start/" in text

    funding_round.refresh_from_db()
    bid_services.round_close_early(funding_round=funding_round, by=people["staff"], reason="The budget is spent.")
    closed = delivered(
        mailer, Event.ROUND_CLOSED, [people["staff"], people["lead"], people["lead_colleague"], opted_in]
    )
    check_message(
        client,
        closed,
        people["lead"],
        reference=draft.reference,
        says=["can no longer be submitted", "The budget is spent."],
    )
    assert "Round 12 has closed: 0 bids submitted" in closed[people["staff"].email]["Subject"]


def test_questions_and_their_answers_reach_the_bids_team_staff_and_assessors(mailer, client, people, funding_round):
    from bids.reminders import clarification_reminders_send

    bid = submitted(people, funding_round)
    assessor = make_assessor(name="Ada Assessor")
    [assessment] = assign(bid, [assessor], by=people["staff"])
    assessment_services.assessment_declare(assessment=assessment, by=assessor, conflict=False)
    bid.refresh_from_db()

    proposal = bid_services.clarification_propose(bid=bid, by=assessor, question="Who maintains the code after?")
    proposed = delivered(mailer, Event.CLARIFICATION_PROPOSED, [people["staff"]])
    check_message(client, proposed, people["staff"], reference=bid.reference, says=["Ada Assessor"])

    question = bid_services.clarification_ask(
        bid=bid,
        by=people["staff"],
        question=proposal.question,
        reply_by=timezone.localdate() + timedelta(days=2),
        proposal=proposal,
    )
    asked = delivered(mailer, Event.CLARIFICATION_ASKED, [people["lead"], people["lead_colleague"]])
    check_message(client, asked, people["lead"], reference=bid.reference, says=["Who maintains the code"])
    assert "Ada" not in body_text(asked[people["lead"].email])  # councils never learn who proposed it

    assert clarification_reminders_send() == 2
    assert clarification_reminders_send() == 0
    reminded = delivered(mailer, Event.CLARIFICATION_REMINDER, [people["lead"], people["lead_colleague"]])
    assert "Answer the question:" in body_text(reminded[people["lead"].email])

    question.bid = bid
    bid_services.clarification_answer(clarification=question, by=people["lead"], answer="Our shared team does.")
    answered = delivered(mailer, Event.CLARIFICATION_ANSWERED, [people["staff"], assessor])
    check_message(client, answered, assessor, reference=bid.reference, says=["Our shared team does."])


def test_staff_remind_an_assessor_once_a_day_of_everything_they_have_to_finish(mailer, people, funding_round):
    bid = submitted(people, funding_round)
    assessor = make_assessor(name="Ada Assessor")
    assign(bid, [assessor], by=people["staff"])
    assessment_services.assessor_remind(funding_round=funding_round, assessor=assessor, by=people["staff"])
    with pytest.raises(ApplicationError, match="already been reminded today"):
        assessment_services.assessor_remind(funding_round=funding_round, assessor=assessor, by=people["staff"])
    nudged = delivered(mailer, Event.ASSESSMENT_NUDGE, [assessor])
    text = body_text(nudged[assessor.email])
    assert f"{funding_round.name}: 1 assessment to finish" == nudged[assessor.email]["Subject"]
    assert f"{bid.reference}: " in text and "Continue the assessment: http://testserver/assessments/" in text
