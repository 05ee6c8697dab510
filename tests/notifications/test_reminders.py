"""Reminder sweeps with a frozen clock: round closing (7 days, 1 day) and assessments (3 days, overdue), each
sent once; and the beat schedule that runs them daily."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings

from assessments import services as assessment_services
from assessments.tasks import send_assessment_reminders
from bids import services as bid_services
from bids.choices import Phase
from bids.tasks import send_round_closing_reminders
from config.celery import app
from notifications.choices import Event
from notifications.models import Notification
from notifications.rendering import render_email
from tests.factories import make_bid, make_council, make_submitted_bid, make_user
from tests.factories.assessments import assign, make_assessor, make_staff, score_all

LONDON = ZoneInfo("Europe/London")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


def sweep_rounds_at(moment: str) -> int:
    with time_machine.travel(at(moment), tick=False):
        return send_round_closing_reminders()


def sweep_assessments_at(moment: str) -> int:
    with time_machine.travel(at(moment), tick=False):
        return send_assessment_reminders()


def make_round_at(moment: str, **settings_):
    """A round set up at `moment` and opened there, as beat opens it (its opening time has passed)."""
    with time_machine.travel(at(moment), tick=False):
        funding_round = bid_services.round_create(
            name="Round 9",
            code="R9",
            opens_at=at("2026-11-01 09:00"),
            closes_at=at("2026-11-20 17:00"),
            assessment_deadline=at("2026-12-10 17:00"),
            budget=Decimal("1000000"),
            phase_caps={Phase.DISCOVERY: Decimal("80000")},
            **settings_,
        )
        assert bid_services.rounds_open_and_close_due() == (1, 0)
        funding_round.refresh_from_db()
        return funding_round


@pytest.fixture
def closing_round(db):
    funding_round = make_round_at("2026-11-02 09:00")
    lead_a, lead_b, lead_c = make_council(), make_council(), make_council()
    partners = [make_council(), make_council()]
    people = {
        "a1": make_user(councils=[lead_a]),
        "a2": make_user(councils=[lead_a]),
        "b1": make_user(councils=[lead_b]),
        "c1": make_user(councils=[lead_c]),
        "partner": make_user(councils=[partners[0]]),
    }
    with time_machine.travel(at("2026-11-02 10:00"), tick=False):
        drafts = [
            make_bid(funding_round=funding_round, lead=lead_a, partners=partners, by=people["a1"]),
            make_bid(funding_round=funding_round, lead=lead_b, by=people["b1"]),
        ]
        submitted = make_submitted_bid(funding_round=funding_round, lead=lead_c, partners=partners, by=people["c1"])
    return funding_round, drafts, submitted, people


def reminders(event: str = Event.ROUND_CLOSING):
    return Notification.objects.filter(event=event).select_related("recipient")


def test_lead_members_of_draft_bids_hear_7_days_and_1_day_before_the_round_closes_once_each(closing_round):
    _round, (draft_a, draft_b), submitted, people = closing_round

    assert sweep_rounds_at("2026-11-12 08:00") == 0  # 8 days to go
    assert sweep_rounds_at("2026-11-13 08:00") == 3  # 7 days: both lead members of A, the lead member of B
    assert sweep_rounds_at("2026-11-13 08:00") == 0  # a second sweep the same day adds nothing
    assert sweep_rounds_at("2026-11-14 08:00") == 0  # nor does the next day's
    week = list(reminders())
    assert {(row.recipient.email, row.reference) for row in week} == {
        (people["a1"].email, draft_a.reference),
        (people["a2"].email, draft_a.reference),
        (people["b1"].email, draft_b.reference),
    }
    assert submitted.reference not in {row.reference for row in week}
    assert {row.context["days"] for row in week} == {7}
    assert render_email(week[0]).subject.endswith("closes in 7 days – your bid is not submitted")

    assert sweep_rounds_at("2026-11-19 08:00") == 3  # the day before
    assert sweep_rounds_at("2026-11-19 20:00") == 0
    assert sweep_rounds_at("2026-11-20 08:00") == 0  # closing day: the 1-day reminder has gone already
    assert sweep_rounds_at("2026-11-20 17:30") == 0  # closed
    day_before = reminders().filter(context__days=1)
    assert day_before.count() == 3
    assert "closes tomorrow" in render_email(day_before.first()).subject
    assert "5pm on Friday 20 November 2026" in render_email(day_before.first()).text
    assert reminders().count() == 6


def test_a_bid_submitted_after_the_first_reminder_gets_no_second(closing_round):
    _round, (draft_a, draft_b), _submitted, people = closing_round
    sweep_rounds_at("2026-11-13 08:00")
    with time_machine.travel(at("2026-11-15 10:00"), tick=False):
        bid_services.bid_submit(bid=draft_a, by=people["a1"])
    assert sweep_rounds_at("2026-11-19 08:00") == 1
    assert reminders().filter(context__days=1).get().reference == draft_b.reference


def test_a_round_that_closes_sooner_than_a_week_gets_the_7_day_reminder_with_the_true_count(db):
    funding_round = make_round_at("2026-11-02 09:00")
    lead = make_council()
    member = make_user(councils=[lead])
    with time_machine.travel(at("2026-11-02 10:00"), tick=False):
        make_bid(funding_round=funding_round, lead=lead, by=member)
    assert sweep_rounds_at("2026-11-16 08:00") == 1  # first sweep since the bid started: 4 days left
    row = reminders().get()
    assert row.context["days"] == 4
    assert "closes in 4 days" in render_email(row).subject
    assert sweep_rounds_at("2026-11-17 08:00") == 0


def test_moving_the_closing_date_sends_fresh_reminders(closing_round):
    funding_round, _drafts, _submitted, _people = closing_round
    sweep_rounds_at("2026-11-13 08:00")
    type(funding_round).objects.filter(pk=funding_round.pk).update(closes_at=at("2026-11-27 17:00"))
    assert sweep_rounds_at("2026-11-20 08:00") == 3


@pytest.fixture
def assessed_bid(db):
    funding_round = make_round_at("2026-11-02 09:00", assessors_per_bid=4)
    with time_machine.travel(at("2026-11-03 10:00"), tick=False):
        bid = make_submitted_bid(
            funding_round=funding_round, lead=make_council(), partners=[make_council(), make_council()]
        )
        roles = ("to_do", "started", "done", "conflicted")
        assessments = dict(zip(roles, assign(bid, [make_assessor() for _ in roles], by=make_staff()), strict=True))
    return bid, assessments


def test_assessors_hear_3_days_before_the_deadline_and_once_overdue(assessed_bid):
    bid, assessments = assessed_bid
    with time_machine.travel(at("2026-11-25 10:00"), tick=False):
        assessment_services.assessment_declare(
            assessment=assessments["started"], by=assessments["started"].assessor, conflict=False
        )
        score_all(assessments["done"], 4)
        assessment_services.assessment_declare(
            assessment=assessments["conflicted"],
            by=assessments["conflicted"].assessor,
            conflict=True,
            details="I used to work there.",
        )
    waiting = {assessments["to_do"].assessor.email, assessments["started"].assessor.email}

    assert sweep_assessments_at("2026-12-06 08:00") == 0  # 4 days before
    assert sweep_assessments_at("2026-12-07 08:00") == 2  # 3 days before: those still to do
    assert sweep_assessments_at("2026-12-07 08:00") == 0
    assert sweep_assessments_at("2026-12-10 08:00") == 0  # deadline day, not yet past
    due = reminders(Event.ASSESSMENT_DUE)
    assert {row.recipient.email for row in due} == waiting
    assert {row.reference for row in due} == {bid.reference}
    assert render_email(due.first()).subject == f"{bid.reference}: your assessment is due by 10 December 2026"

    assert sweep_assessments_at("2026-12-10 17:01") == 2  # overdue
    assert sweep_assessments_at("2026-12-11 08:00") == 0
    assert sweep_assessments_at("2026-12-20 08:00") == 0
    overdue = reminders(Event.ASSESSMENT_OVERDUE)
    assert {row.recipient.email for row in overdue} == waiting
    assert render_email(overdue.first()).subject == f"{bid.reference}: your assessment is overdue"
    assert overdue.first().context["assessment_path"].startswith("/assessments/")


def test_no_assessment_reminders_without_a_deadline_or_once_the_bid_has_left_review(assessed_bid):
    bid, _assessments = assessed_bid
    type(bid.funding_round).objects.filter(pk=bid.funding_round_id).update(assessment_deadline=None)
    assert sweep_assessments_at("2026-12-11 08:00") == 0
    type(bid.funding_round).objects.filter(pk=bid.funding_round_id).update(assessment_deadline=at("2026-12-10 17:00"))
    with time_machine.travel(at("2026-11-25 10:00"), tick=False):
        bid_services.bid_withdraw(bid=bid, by=bid.lead_council.members.first(), reason="Paused")
    assert sweep_assessments_at("2026-12-11 08:00") == 0


def test_beat_runs_the_sweeps_and_the_reminders_by_registered_task_name():
    schedule = settings.CELERY_BEAT_SCHEDULE
    tasks = {entry["task"] for entry in schedule.values()}
    assert tasks == {
        "notifications.sweep_pending",
        "councils.sweep_password_resets",
        "bids.open_and_close_rounds",
        "bids.send_round_closing_reminders",
        "bids.send_clarification_reminders",
        "assessments.send_assessment_reminders",
        "collaboration.sweep_index",
        "projects.send_reminders",
    }
    app.loader.import_default_modules()
    assert tasks <= set(app.tasks)
    assert schedule["notifications-sweep-pending"]["schedule"] == 60.0
    assert schedule["bids-open-and-close-rounds"]["schedule"] == 60.0  # rounds open and close within a minute
