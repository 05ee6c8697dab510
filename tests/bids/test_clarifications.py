"""Clarification questions: staff ask the bid's team (or send a question an assessor proposed), the lead council
answers in the service with an optional file checked like a supporting document; the bid stays in review; staff
and the bid's assessors hear of the answer; reminders go out before the reply-by date; councils never learn which
assessor proposed a question."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from assessments import services as assessment_services
from bids import services
from bids.choices import BidState, ClarificationStatus
from bids.models import Clarification
from bids.reminders import clarification_reminders_send
from bids.selectors import bid_council_view
from core.exceptions import ApplicationError
from councils.choices import Role
from notifications.choices import Event
from notifications.models import Notification
from tests.factories import make_council, make_round, make_user
from tests.factories.assessments import assign, make_assessor, make_in_review_bid

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    staff = make_user(role=Role.PROGRAMME_STAFF, name="Stella Staff")
    bid = make_in_review_bid(funding_round=make_round(code="CQ"), lead=make_council("CQL", "Questionham"))
    assessor = make_assessor(name="Ada Assessor")
    [assessment] = assign(bid, [assessor], by=staff)
    bid.refresh_from_db()
    return {
        "staff": staff,
        "bid": bid,
        "lead": bid.created_by,
        "partner": make_user(councils=[bid.partners.first().council], name="Pat Partner"),
        "assessor": assessor,
        "assessment": assessment,
    }


def ask(world, question="Who hosts it?", days=5, **kwargs):
    return services.clarification_ask(
        bid=world["bid"],
        by=world["staff"],
        question=question,
        reply_by=timezone.localdate() + timedelta(days=days),
        **kwargs,
    )


def test_staff_ask_the_lead_council_which_answers_with_a_file(world):
    question = ask(world)
    assert (question.status, question.asked_by, question.bid.state) == (
        ClarificationStatus.ASKED,
        world["staff"],
        BidState.IN_REVIEW,
    )
    asked = Notification.objects.filter(event=Event.CLARIFICATION_ASKED)
    assert {row.recipient for row in asked} == {world["lead"]}
    assert asked.first().context["answer_path"] == reverse(
        "bids:clarification", kwargs={"reference": world["bid"].reference, "pk": question.pk}
    )
    question.bid = world["bid"]
    answered = services.clarification_answer(
        clarification=question,
        by=world["lead"],
        answer="Questionham hosts it.",
        upload=SimpleUploadedFile("hosting.pdf", PDF, content_type="application/pdf"),
    )
    assert (answered.status, answered.answered_by, answered.attachment_name) == (
        ClarificationStatus.ANSWERED,
        world["lead"],
        "hosting.pdf",
    )
    world["bid"].refresh_from_db()
    assert world["bid"].state == BidState.IN_REVIEW  # the bid stays in review
    told = Notification.objects.filter(event=Event.CLARIFICATION_ANSWERED)
    # Staff, and the assessor only once they have declared no conflict.
    assert {row.recipient for row in told} == {world["staff"]}
    with pytest.raises(ApplicationError, match="already been answered"):
        services.clarification_answer(clarification=question, by=world["lead"], answer="Again")


def test_the_bids_declared_assessors_hear_of_answers_and_may_propose_questions(world):
    assessor, assessment = world["assessor"], world["assessment"]
    with pytest.raises(ApplicationError, match="permission"):  # not until they have declared no conflict
        services.clarification_propose(bid=world["bid"], by=assessor, question="Who pays?")
    assessment_services.assessment_declare(assessment=assessment, by=assessor, conflict=False)
    proposal = services.clarification_propose(bid=world["bid"], by=assessor, question="Who pays for hosting?")
    assert proposal.status == ClarificationStatus.PROPOSED
    assert {row.recipient for row in Notification.objects.filter(event=Event.CLARIFICATION_PROPOSED)} == {
        world["staff"]
    }
    assert not Notification.objects.filter(event=Event.CLARIFICATION_ASKED).exists()  # not sent until staff do
    sent = ask(world, question="Who pays for hosting, and for how long?", proposal=proposal)
    assert (sent.pk, sent.status, sent.proposed_by, sent.asked_by) == (
        proposal.pk,
        ClarificationStatus.ASKED,
        assessor,
        world["staff"],
    )
    with pytest.raises(ApplicationError, match="already been sent or set aside"):
        ask(world, proposal=proposal)
    sent.bid = world["bid"]
    services.clarification_answer(clarification=sent, by=world["lead"], answer="Questionham, for five years.")
    rows = Notification.objects.filter(event=Event.CLARIFICATION_ANSWERED)
    assert {row.recipient for row in rows} == {world["staff"], assessor}
    assert rows.get(recipient=assessor).context["assessment_path"] == f"/assessments/{assessment.pk}/"
    # A question staff set aside is never sent.
    unsent = services.clarification_propose(bid=world["bid"], by=assessor, question="Anything else?")
    unsent.bid = world["bid"]
    services.clarification_discard(clarification=unsent, by=world["staff"])
    assert Clarification.objects.get(pk=unsent.pk).status == ClarificationStatus.DISCARDED


def test_councils_never_learn_who_asked_and_see_questions_in_their_timeline(world):
    assessment_services.assessment_declare(assessment=world["assessment"], by=world["assessor"], conflict=False)
    proposal = services.clarification_propose(bid=world["bid"], by=world["assessor"], question="Who pays?")
    question = ask(world, question="Who pays?", proposal=proposal)
    question.bid = world["bid"]
    services.clarification_answer(clarification=question, by=world["lead"], answer="We do.")
    view = bid_council_view(bid=world["bid"])
    entries = [(event.title, event.by, event.note) for event in view.timeline]
    assert ("Question from the programme team", "the programme team", "Who pays?") in entries
    assert ("Question answered", world["lead"].full_name, "We do.") in entries
    assert "Ada Assessor" not in str(entries) and "Stella Staff" not in str(entries)
    email = Notification.objects.get(event=Event.CLARIFICATION_ASKED)
    assert "Ada" not in str(email.context)


def test_asking_needs_staff_a_question_a_future_reply_by_date_and_a_bid_in_review(world):
    with pytest.raises(ApplicationError, match="permission"):
        services.clarification_ask(
            bid=world["bid"], by=world["lead"], question="Q", reply_by=timezone.localdate() + timedelta(days=3)
        )
    with pytest.raises(ApplicationError) as error:
        services.clarification_ask(bid=world["bid"], by=world["staff"], question=" ", reply_by=timezone.localdate())
    assert {(p.field, p.message) for p in error.value.problems} == {
        ("question", "Enter the question"),
        ("reply_by", "The reply-by date must be in the future"),
    }
    with pytest.raises(ApplicationError, match="The reply-by date must be within 90 days, while the bid is assessed"):
        services.clarification_ask(
            bid=world["bid"], by=world["staff"], question="Q", reply_by=timezone.localdate().replace(year=9999)
        )
    services.bid_withdraw(bid=world["bid"], by=world["lead"], reason="Paused")
    with pytest.raises(ApplicationError, match="questions are asked about bids in review"):
        ask(world)


def test_only_lead_members_answer_and_a_refused_file_stores_nothing(world, tmp_path):
    question = ask(world)
    question.bid = world["bid"]
    with pytest.raises(ApplicationError, match="Only members of the lead council"):
        services.clarification_answer(clarification=question, by=world["partner"], answer="We do.")
    with pytest.raises(ApplicationError) as error:
        services.clarification_answer(
            clarification=question,
            by=world["lead"],
            answer="See the file.",
            upload=SimpleUploadedFile("run.exe", b"MZ\x90\x00not a document"),
        )
    assert error.value.problems[0].field == "attachment"
    assert Clarification.objects.get(pk=question.pk).status == ClarificationStatus.ASKED
    assert not list(tmp_path.rglob("*.*"))


def test_the_lead_council_is_reminded_two_days_before_the_reply_by_date_once(world):
    question = ask(world, days=5)
    today = timezone.now()
    assert clarification_reminders_send(now=today + timedelta(days=2)) == 0  # three days to go
    assert clarification_reminders_send(now=today + timedelta(days=3)) == 1
    assert clarification_reminders_send(now=today + timedelta(days=4)) == 0  # once
    reminder = Notification.objects.get(event=Event.CLARIFICATION_REMINDER)
    assert reminder.recipient == world["lead"] and reminder.context["days"] == 2
    question.bid = world["bid"]
    services.clarification_answer(clarification=question, by=world["lead"], answer="Done.")
    later = ask(world, days=1)
    with time_machine.travel(today + timedelta(days=3), tick=False):
        assert clarification_reminders_send() == 0  # answered: no more; the later one is past its date
    assert clarification_reminders_send(now=today) == 1
    assert Notification.objects.filter(event=Event.CLARIFICATION_REMINDER, reference=later.bid.reference).count() == 2
