"""What happens when SMTP or the broker falters: retries with backoff, permanent failures, duplicates,
the broker being down. Real worker, real SMTP server, real broker (Redis in CI)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from django.db import transaction
from django.db.models import F
from kombu import pools

from bids.choices import BidState
from bids.models import Bid
from notifications.choices import Event, Status
from notifications.models import Notification
from notifications.services import notification_deliver, notification_sweep, notify
from notifications.tasks import deliver_notification
from tests.concurrency import at_once
from tests.factories import make_submitted_bid, make_user
from tests.real_services import SmtpSink, free_port, wait_for, wait_settled

pytestmark = pytest.mark.django_db(transaction=True)


def record_one(user, *, key: str = "test:1", reference: str = "LDF-R1-0001") -> Notification:
    with transaction.atomic():
        [pk] = notify(
            event=Event.BID_SCORED,
            recipients=[user],
            context={"reference": reference, "title": "Repairs", "final_score": "70.00", "bid_path": "/bids/"},
            key=key,
        )
    return Notification.objects.get(pk=pk)


def settled(notification: Notification) -> Notification:
    wait_settled(pk=notification.pk)
    notification.refresh_from_db()
    return notification


@pytest.fixture
def timed_sink(smtp_sink):
    """Record when each DATA command arrives, to see the backoff."""
    times: list[float] = []
    original = smtp_sink.handle_DATA

    async def handle_data(server, session, envelope):
        times.append(time.monotonic())
        return await original(server, session, envelope)

    smtp_sink.handle_DATA = handle_data
    smtp_sink.times = times
    return smtp_sink


def test_a_temporary_smtp_failure_is_retried_with_growing_backoff_then_delivered(
    timed_sink, smtp_settings, celery_worker
):
    user = make_user()
    timed_sink.data_replies = ["451 4.3.0 Try again later", "451 4.3.0 Try again later"]

    notification = settled(record_one(user))

    assert notification.status == Status.SENT
    assert notification.attempts == 3
    assert notification.last_error == ""
    assert notification.sent_at is not None
    assert len(timed_sink.to(user.email)) == 1
    assert timed_sink.data_attempts == 3
    first_wait, second_wait = (b - a for a, b in zip(timed_sink.times, timed_sink.times[1:], strict=False))
    # Each wait is at least the backoff scheduled for it, which doubles (NOTIFICATIONS_RETRY_BACKOFF = 0.2 s in
    # the tests: 0.2 s, then 0.4 s). Lower bounds only: a busy machine makes a wait longer, never shorter.
    assert first_wait >= 0.18
    assert second_wait >= 0.38


def test_a_temporary_failure_that_never_clears_fails_after_the_configured_attempts(
    smtp_sink, smtp_settings, celery_worker, caplog
):
    # The embedded worker sets the root logger to ERROR; what the worker's log says of each attempt is checked.
    caplog.set_level(logging.WARNING, logger="notifications.services")
    smtp_settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    user = make_user()
    smtp_sink.data_replies = ["451 4.3.0 Try again later"] * 10

    notification = settled(record_one(user))

    assert notification.status == Status.FAILED
    assert notification.attempts == 3
    assert notification.last_error.startswith("Gave up after 3 attempts")
    assert "451" in notification.last_error
    assert smtp_sink.data_attempts == 3
    assert smtp_sink.messages == []
    # The worker's log says each failure as it happens and that it gave up (the outbox is not the only witness).
    said = [r for r in caplog.records if r.getMessage().startswith(f"Notification {notification.pk} to {user.email}")]
    assert [record.levelname for record in said] == ["WARNING", "WARNING", "ERROR"]
    assert all("451" in record.getMessage() for record in said)
    assert "gave up after 3 attempts" in said[-1].getMessage()


def test_a_refused_recipient_fails_at_once_with_the_error_and_is_not_tried_again(
    smtp_sink, smtp_settings, celery_worker
):
    user = make_user(email="nobody@example.test")
    smtp_sink.rcpt_replies[user.email] = "550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown"

    notification = settled(record_one(user))

    assert notification.status == Status.FAILED
    assert notification.attempts == 1
    assert "550" in notification.last_error
    assert "User unknown" in notification.last_error
    time.sleep(1.0)  # longer than any retry backoff in these tests
    notification.refresh_from_db()
    assert notification.status == Status.FAILED
    assert notification.attempts == 1
    assert smtp_sink.rcpt_attempts == 1
    assert smtp_sink.messages == []


def test_an_authentication_failure_fails_at_once(smtp_settings, celery_worker):
    sink = SmtpSink()

    def refuse(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=False, handled=False)

    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), authenticator=refuse, auth_require_tls=False)
    controller.start()
    try:
        smtp_settings.EMAIL_PORT = controller.port
        smtp_settings.EMAIL_HOST_USER = "ldf"
        smtp_settings.EMAIL_HOST_PASSWORD = "wrong"
        notification = settled(record_one(make_user()))
    finally:
        controller.stop()

    assert notification.status == Status.FAILED
    assert notification.attempts == 1
    assert "SMTPAuthenticationError: 535" in notification.last_error
    assert sink.messages == []


def test_the_same_task_run_twice_sends_one_message(smtp_sink, smtp_settings, celery_worker):
    user = make_user()
    notification = record_one(user)  # queued once on commit
    deliver_notification.apply_async(args=(notification.pk,))  # and again, as after an acks_late redelivery
    deliver_notification.apply_async(args=(notification.pk,))
    # The worker takes tasks in order, so once a later message is sent the duplicates have all run.
    marker = record_one(user, key="test:marker")

    wait_settled(pk=marker.pk)
    wait_for(lambda: len(smtp_sink.messages) == 2)
    time.sleep(0.3)
    notification.refresh_from_db()
    assert notification.status == Status.SENT
    assert notification.attempts == 1
    subjects = [message["Message-ID"] for message in smtp_sink.to(user.email)]
    assert subjects.count(f"<notification-{notification.pk}@localdigital.example>") == 1


def test_concurrent_deliveries_of_one_row_send_one_message(require_postgres, smtp_sink, smtp_settings):
    """Two workers holding the same message at once (a redelivery while the first is still sending)."""
    smtp_sink.delay = 0.5  # the first send is still in progress when the second starts
    notification = Notification.objects.create(
        event=Event.BID_SCORED,
        recipient=make_user(),
        template="emails/bid_scored",
        context={"reference": "LDF-R1-0002", "title": "Repairs", "final_score": "70.00", "bid_path": "/bids/"},
        dedupe_key="concurrent:1",
        reference="LDF-R1-0002",
    )

    def deliver() -> str:
        return notification_deliver(notification_id=notification.pk).status

    assert sorted(at_once(deliver, deliver)) == ["busy", Status.SENT]  # the second found it claimed and left it
    assert len(smtp_sink.messages) == 1
    notification.refresh_from_db()
    assert notification.attempts == 1


def test_with_the_broker_down_a_submission_succeeds_and_the_sweep_later_delivers_once(
    celery_app, smtp_sink, smtp_settings, celery_worker, monkeypatch, caplog, councils, funding_round
):
    # The embedded worker sets the root logger to ERROR; the warning for operators is what is checked here.
    caplog.set_level(logging.WARNING, logger="notifications.services")
    # The web process cannot reach the broker: its producer pool points at a port nothing listens on.
    dead_broker = celery_app.connection_for_write(f"redis://127.0.0.1:{free_port()}/0")
    monkeypatch.setattr(celery_app.amqp, "_producer_pool", pools.producers[dead_broker])
    lead = make_user(councils=[councils["lead"]])
    partners = [make_user(councils=[councils["p1"]]), make_user(councils=[councils["p2"]])]

    started = time.monotonic()
    bid = make_submitted_bid(
        funding_round=funding_round, lead=councils["lead"], partners=[councils["p1"], councils["p2"]], by=lead
    )
    assert time.monotonic() - started < 10, "a broker outage must not hold the request up for long"

    assert Bid.objects.get(pk=bid.pk).state == BidState.IN_REVIEW
    rows = Notification.objects.filter(reference=bid.reference)
    submitted = rows.filter(event=Event.BID_SUBMITTED)
    assert {row.recipient_id for row in submitted} == {lead.pk, *(user.pk for user in partners)}
    assert set(rows.values_list("status", flat=True)) == {Status.PENDING}
    assert "the sweep will send them" in caplog.text
    time.sleep(0.5)
    assert smtp_sink.messages == []

    # The broker is back.
    monkeypatch.undo()
    dead_broker.release()
    assert notification_sweep() == 0, "rows only a moment old are left to their own task"
    # Six minutes pass (the rows' clock is moved back rather than the worker's clock forward).
    rows.update(next_attempt_at=F("next_attempt_at") - timedelta(minutes=6))
    assert notification_sweep() == rows.count()

    wait_settled(reference=bid.reference)
    assert set(rows.values_list("status", flat=True)) == {Status.SENT}
    assert notification_sweep() == 0
    time.sleep(0.5)
    addresses = sorted(
        message["X-Envelope-To"] for message in smtp_sink.messages if message["X-LDF-Event"] == "bid_submitted"
    )
    assert addresses == sorted([lead.email, *(user.email for user in partners)])
    assert len(smtp_sink.messages) == rows.count()


def test_workers_acknowledge_late_so_a_killed_workers_message_is_delivered_again(celery_app):
    assert deliver_notification.acks_late is True
    assert celery_app.conf.task_reject_on_worker_lost is True
    assert celery_app.conf.worker_prefetch_multiplier == 1
