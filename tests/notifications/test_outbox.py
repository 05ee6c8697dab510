"""The outbox itself: rows written in the caller's transaction, deduplicated, queued only after commit,
the reminder preference, the sweep and the staff retry."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from core.exceptions import ApplicationError
from notifications.choices import ACCOUNT_EVENTS, ROUND_EVENTS, Channel, Event, Status
from notifications.models import Notification
from notifications.rendering import render_email
from notifications.services import (
    notification_claim,
    notification_deliver,
    notification_retry,
    notification_sweep,
    notify,
    preference_update,
    retry_delay,
)
from tests.factories import make_submitted_bid, make_user

CONTEXT = {"reference": "LDF-R6-0007", "title": "Repairs", "final_score": "70.00", "bid_path": "/bids/LDF-R6-0007/"}


@pytest.mark.django_db
def test_notify_writes_one_pending_row_per_recipient_and_queues_them_after_commit(
    django_capture_on_commit_callbacks, queued
):
    first, second = make_user(), make_user()
    with django_capture_on_commit_callbacks() as callbacks:
        ids = notify(event=Event.BID_SCORED, recipients=[first, second, first], context=CONTEXT, key="scored:7")
        assert queued == [], "nothing may be queued before the change commits"
    rows = Notification.objects.filter(pk__in=ids).order_by("recipient_id")
    assert [(row.recipient_id, row.status, row.channel) for row in rows] == [
        (first.pk, Status.PENDING, Channel.EMAIL),
        (second.pk, Status.PENDING, Channel.EMAIL),
    ]
    assert {row.dedupe_key for row in rows} == {f"scored:7:{first.pk}", f"scored:7:{second.pk}"}
    assert {row.reference for row in rows} == {"LDF-R6-0007"}
    assert rows[0].template == "emails/bid_scored"
    assert rows[0].context == CONTEXT
    assert len(callbacks) == 1
    callbacks[0]()
    assert sorted(queued) == sorted(ids)


@pytest.mark.django_db
def test_recording_the_same_occurrence_twice_keeps_one_row(django_capture_on_commit_callbacks, queued):
    user = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        assert len(notify(event=Event.BID_SCORED, recipients=[user], context=CONTEXT, key="scored:7")) == 1
        assert notify(event=Event.BID_SCORED, recipients=[user], context=CONTEXT, key="scored:7") == []
    assert Notification.objects.count() == 1
    assert len(queued) == 1


@pytest.mark.django_db
def test_a_rolled_back_change_records_and_sends_nothing(django_capture_on_commit_callbacks, queued):
    user = make_user()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        notify(event=Event.BID_SCORED, recipients=[user], context=CONTEXT, key="scored:7")
        raise RuntimeError("the domain change failed")
    assert Notification.objects.count() == 0
    assert queued == []


@pytest.mark.django_db
def test_domain_services_write_rows_that_name_the_bid(councils, funding_round, queued):
    make_user(councils=[councils["p1"]])
    bid = make_submitted_bid(
        funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]]
    )
    events = set(Notification.objects.filter(reference=bid.reference).values_list("event", flat=True))
    assert events == {Event.PARTNER_INVITED, Event.PARTNER_RESPONDED, Event.BID_SUBMITTED}


@pytest.mark.django_db
def test_a_reminder_to_someone_who_switched_reminders_off_is_shown_in_app_but_not_emailed(
    django_capture_on_commit_callbacks, queued
):
    quiet, keen = make_user(), make_user()
    preference_update(user=quiet, reminder_emails=False)
    context = {**CONTEXT, "days": 7, "closes_at_display": "11:59pm on Friday 4 December 2026"}
    with django_capture_on_commit_callbacks(execute=True):
        notify(event=Event.ROUND_CLOSING, recipients=[quiet, keen], context=context, key="closing:1")
        # Decisions and receipts always go, whatever the preference.
        notify(event=Event.BID_NOT_FUNDED, recipients=[quiet], context={**CONTEXT, "feedback": "No"}, key="nf:1")
    quiet_reminder = Notification.objects.get(recipient=quiet, event=Event.ROUND_CLOSING)
    assert (quiet_reminder.channel, quiet_reminder.status) == (Channel.IN_APP, Status.SENT)
    assert Notification.objects.get(recipient=keen).channel == Channel.EMAIL
    assert Notification.objects.get(recipient=quiet, event=Event.BID_NOT_FUNDED).channel == Channel.EMAIL
    assert quiet_reminder.pk not in queued
    assert len(queued) == 2


@pytest.mark.django_db
def test_delivery_sends_a_pending_row_once(settings):
    user = make_user()
    [pk] = notify(event=Event.BID_SCORED, recipients=[user], context=CONTEXT, key="scored:7")
    assert notification_deliver(notification_id=pk).status == Status.SENT
    assert notification_deliver(notification_id=pk).status == Status.SENT
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert message.subject == "LDF-R6-0007: bid scored"
    assert "http://" in message.body or "https://" in message.body
    assert message.alternatives[0][1] == "text/html"
    assert notification_deliver(notification_id=999_999).status == "missing"


def test_retry_delays_grow_exponentially_to_a_cap(settings):
    settings.NOTIFICATIONS_RETRY_BACKOFF = 30
    settings.NOTIFICATIONS_RETRY_BACKOFF_MAX = 900
    assert [retry_delay(attempt) for attempt in range(1, 8)] == [30, 60, 120, 240, 480, 900, 900]


@pytest.mark.django_db
def test_a_transient_failure_keeps_the_row_pending_with_the_error_and_a_later_attempt_time(settings):
    settings.NOTIFICATIONS_RETRY_BACKOFF = 30
    user = make_user()
    [pk] = notify(event=Event.BID_SCORED, recipients=[user], context=CONTEXT, key="scored:7")
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=ConnectionRefusedError(111, "refused")):
        outcome = notification_deliver(notification_id=pk)
    row = Notification.objects.get(pk=pk)
    assert outcome.retry_in == 30
    assert (row.status, row.attempts) == (Status.PENDING, 1)
    assert "ConnectionRefusedError" in row.last_error
    assert row.next_attempt_at > timezone.now() + timedelta(seconds=25)


@pytest.mark.django_db
def test_the_sweep_requeues_only_pending_email_rows_long_overdue(django_capture_on_commit_callbacks, queued):
    user = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        [old] = notify(event=Event.BID_SCORED, recipients=[user], context=CONTEXT, key="old")
    queued.clear()
    with time_machine.travel(timezone.now() + timedelta(minutes=3), tick=False):
        [fresh] = notify(event=Event.BID_SCORED, recipients=[user], context=CONTEXT, key="fresh")
        [sent] = notify(event=Event.BID_SCORED, recipients=[user], context=CONTEXT, key="sent")
    Notification.objects.filter(pk=sent).update(status=Status.SENT)
    with (
        time_machine.travel(timezone.now() + timedelta(minutes=6), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert notification_sweep() == 1
        # Not again at once: the row's next attempt is now, so it waits another grace period.
        assert notification_sweep() == 0
    assert queued == [old]
    assert fresh not in queued


@pytest.mark.django_db
def test_staff_retry_a_failed_row_and_nothing_else(staff_user, django_capture_on_commit_callbacks, queued):
    user = make_user()
    [pk] = notify(event=Event.BID_SCORED, recipients=[user], context=CONTEXT, key="scored:7")
    row = Notification.objects.get(pk=pk)
    with pytest.raises(ApplicationError, match="pending, so it cannot be retried"):
        notification_retry(notification=row, by=staff_user)
    Notification.objects.filter(pk=pk).update(status=Status.FAILED, attempts=5, last_error="550 User unknown")
    with pytest.raises(ApplicationError, match="permission"):
        notification_retry(notification=row, by=user)
    with django_capture_on_commit_callbacks(execute=True):
        notification_retry(notification=row, by=staff_user)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.PENDING, 0)
    assert queued == [pk]


@pytest.mark.django_db
@pytest.mark.parametrize("event", [event for event in Event.values if event not in ACCOUNT_EVENTS | ROUND_EVENTS])
def test_every_event_has_a_plain_text_and_html_email_with_the_reference_in_the_subject(event, settings):
    settings.SITE_URL = "https://bids.example.gov.uk"
    context = {
        "reference": "LDF-R6-0042",
        "title": "Repairs front door",
        "round": "Round 6",
        "lead_council": "Leadshire",
        "partner_council": "Partnerton",
        "amount_requested": "60000.00",
        "bid_path": "/bids/LDF-R6-0042/",
        "invitation_path": "/bids/LDF-R6-0042/invitation/",
        "assessment_path": "/assessments/7/",
        "audience": "lead",
        "response": "confirmed",
        "due_date_display": "10 December 2026",
        "criteria": ["Strategic fit"],
        "days": 7,
        "closes_at_display": "5pm on Friday 20 November 2026",
    }
    notification = Notification(
        event=event, recipient=make_user(), template=f"emails/{event}", context=context, reference="LDF-R6-0042"
    )

    rendered = render_email(notification)

    assert rendered.subject.startswith("LDF-R6-0042: ")
    assert "\n" not in rendered.subject
    assert "https://bids.example.gov.uk/" in rendered.text
    assert 'href="https://bids.example.gov.uk/' in rendered.html
    assert "LDF-R6-0042" in rendered.html
    assert "{{" not in rendered.text and "{%" not in rendered.html


@pytest.mark.django_db
@pytest.mark.parametrize("event", sorted(ROUND_EVENTS))
def test_every_round_event_has_a_plain_text_and_html_email_with_the_round_in_the_subject(event, settings):
    settings.SITE_URL = "https://bids.example.gov.uk"
    context = {
        "round": "Round 8",
        "closes_at_display": "20 November 2026 at 5pm",
        "start_path": "/bids/start/",
        "due_date_display": "10 December 2026",
        "assessments": [
            {"reference": "LDF-R8-0001", "title": "Repairs", "state": "Assigned", "assessment_path": "/assessments/3/"}
        ],
        "assessments_path": "/assessments/",
    }
    notification = Notification(event=event, recipient=make_user(), template=f"emails/{event}", context=context)

    rendered = render_email(notification)

    assert rendered.subject.startswith("Round 8")
    assert "\n" not in rendered.subject
    assert "https://bids.example.gov.uk/" in rendered.text
    assert 'href="https://bids.example.gov.uk/' in rendered.html
    assert "{{" not in rendered.text and "{%" not in rendered.html


@pytest.mark.django_db
@pytest.mark.parametrize("event", sorted(ACCOUNT_EVENTS))
def test_every_account_event_has_a_plain_text_and_html_email_with_its_link(event, settings):
    settings.SITE_URL = "https://bids.example.gov.uk"
    context = {"reset_path": "/password-reset/MQ/abc-123/", "email": "person@example.test", "valid_days": 3}
    notification = Notification(event=event, recipient=make_user(), template=f"emails/{event}", context=context)

    rendered = render_email(notification)

    assert rendered.subject and "\n" not in rendered.subject
    assert "https://bids.example.gov.uk/password-reset/MQ/abc-123/" in rendered.text
    assert 'href="https://bids.example.gov.uk/password-reset/MQ/abc-123/"' in rendered.html
    assert "{{" not in rendered.text and "{%" not in rendered.html


@pytest.mark.django_db
def test_a_row_whose_worker_died_mid_send_is_swept_once_its_lease_runs_out(
    settings, django_capture_on_commit_callbacks, queued
):
    settings.NOTIFICATIONS_SEND_LEASE = 300
    settings.NOTIFICATIONS_SWEEP_AFTER = 300
    user = make_user()
    [pk] = notify(event=Event.BID_SCORED, recipients=[user], context=CONTEXT, key="scored:7")
    start = timezone.now()
    assert isinstance(notification_claim(pk), Notification)  # a worker took the row, then was killed before sending
    # acks_late hands the message to another worker at once: the row is still claimed, so it leaves it.
    assert notification_deliver(notification_id=pk).status == "busy"
    assert mail.outbox == []

    with time_machine.travel(start + timedelta(minutes=9), tick=False):
        assert notification_sweep() == 0
    with time_machine.travel(start + timedelta(minutes=11), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert notification_sweep() == 1
        assert queued == [pk]
        assert notification_deliver(notification_id=pk).status == Status.SENT
    assert len(mail.outbox) == 1
    assert Notification.objects.get(pk=pk).attempts == 2
