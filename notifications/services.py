"""The outbox: domain services call `notify` inside their transaction; delivery happens after commit.

Delivery is at-least-once towards the broker and once towards the mail server as far as this side can make it:
the delivering task claims the row under its lock and sends only a `pending` row it has claimed, so a task that
runs twice (acks_late redelivery, a sweep racing the first attempt) never sends twice.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import OperationalError, transaction
from django.utils import timezone

from core.exceptions import ApplicationError
from notifications.backends import NOTIFICATION_ID_HEADER, describe, is_permanent
from notifications.choices import NON_ESSENTIAL_EVENTS, Channel, Event, Failure, Status
from notifications.models import Notification, NotificationPreference
from notifications.rendering import render_email

logger = logging.getLogger(__name__)

DEDUPE_KEY_LENGTH = 255
BUSY = "busy"
MISSING = "missing"
# Workers' clocks may differ a little from the one that recorded when a row's next attempt is due.
CLAIM_TOLERANCE = timedelta(seconds=2)


if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser as User


def _dedupe_key(key: str, recipient_id: int) -> str:
    dedupe_key = f"{key}:{recipient_id}"
    if len(dedupe_key) > DEDUPE_KEY_LENGTH:
        dedupe_key = f"sha256:{hashlib.sha256(dedupe_key.encode()).hexdigest()}"
    return dedupe_key


def notify(*, event: str, recipients: Iterable, context: dict, key: str) -> list[int]:
    """Record that `recipients` must hear about `event`, in the caller's transaction.

    `key` identifies the occurrence of the event (e.g. "bid_submitted:42:3"); with the recipient it makes the
    dedupe key, so recording the same occurrence twice sends one message. `context` is a JSON-serialisable
    snapshot of what the message needs (reference, title, amounts, relative links). Returns the ids of the rows
    written now (rows already recorded for the same occurrence are left alone).
    """
    event = Event(event)
    users: dict[int, User] = {}
    for user in recipients:
        if user is not None and user.pk not in users:
            users[user.pk] = user
    if not users:
        return []
    keys = {pk: _dedupe_key(key, pk) for pk in users}
    existing = set(Notification.objects.filter(dedupe_key__in=keys.values()).values_list("dedupe_key", flat=True))
    new_ids = [pk for pk, dedupe_key in keys.items() if dedupe_key not in existing]
    if not new_ids:
        return []
    email_off = set()
    if event in NON_ESSENTIAL_EVENTS:
        email_off = set(
            NotificationPreference.objects.filter(user_id__in=new_ids, reminder_emails=False).values_list(
                "user_id", flat=True
            )
        )
    now = timezone.now()
    reference = str(context.get("reference", ""))[:30]
    rows = []
    for pk in new_ids:
        in_app_only = pk in email_off
        rows.append(
            Notification(
                event=event,
                recipient_id=pk,
                channel=Channel.IN_APP if in_app_only else Channel.EMAIL,
                template=f"emails/{event.value}",
                context=context,
                dedupe_key=keys[pk],
                reference=reference,
                # An in-app-only message is delivered the moment it is on the recipient's page.
                status=Status.SENT if in_app_only else Status.PENDING,
                sent_at=now if in_app_only else None,
                next_attempt_at=now,
                created_at=now,
            )
        )
    # ignore_conflicts: a concurrent transaction recording the same occurrence wins; ours is then a no-op.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    written = list(
        Notification.objects.filter(dedupe_key__in=[keys[pk] for pk in new_ids], created_at=now).values_list(
            "pk", "channel"
        )
    )
    to_send = [pk for pk, channel in written if channel == Channel.EMAIL]
    if to_send:
        # After commit only: a rolled-back change must send nothing, and the worker must see the row.
        transaction.on_commit(partial(enqueue_delivery, to_send), robust=True)
    return [pk for pk, _channel in written]


class BrokerBackoff:
    """After a failed publish this process leaves the broker alone for a while (per process, in memory)."""

    def __init__(self) -> None:
        self.until = 0.0  # time.monotonic()

    def active(self) -> bool:
        return time.monotonic() < self.until

    def start(self) -> None:
        self.until = time.monotonic() + float(settings.NOTIFICATIONS_BROKER_BACKOFF)

    def reset(self) -> None:
        self.until = 0.0


broker_backoff = BrokerBackoff()


def publish(task: Any, *args: object, force: bool = False) -> bool:
    """Hand one task to the broker, unless this process is leaving a failed broker alone (`broker_backoff`; a
    sweep passes `force`). A failure starts the back-off and a success ends it. False: not queued, and the
    caller leaves the work to a sweep or does it in place. Every request-time publish goes through here, so a
    hung broker costs a request its timeout once, whatever the request hands over."""
    if broker_backoff.active() and not force:
        return False
    try:
        task.apply_async(args=args)
    except Exception:
        broker_backoff.start()
        logger.warning("Could not hand %s to the broker", getattr(task, "name", task), exc_info=True)
        return False
    broker_backoff.reset()
    return True


def enqueue_delivery(notification_ids: list[int], *, sweeping: bool = False) -> int:
    """Hand rows to the broker. If it is down or hung the rows stay pending and the sweep sends them later.

    Each publish is bound by the broker's socket timeouts (CELERY_BROKER_SOCKET_TIMEOUT); after one fails, this
    process leaves the broker alone for NOTIFICATIONS_BROKER_BACKOFF seconds, so a request that commits several
    events, and the requests after it, pay for a hung broker once rather than once per event. The sweep (in a
    worker, not a request) always tries: it is how the messages left behind get sent.
    """
    from notifications.tasks import deliver_notification

    if broker_backoff.active() and not sweeping:
        logger.info("Broker marked unavailable; %d notification(s) left to the sweep", len(notification_ids))
        return 0
    queued = 0
    for notification_id in notification_ids:
        if not publish(deliver_notification, notification_id, force=sweeping):
            logger.warning(
                "Could not queue %d notification(s) (broker unavailable?); the sweep will send them",
                len(notification_ids) - queued,
            )
            break
        queued += 1
    return queued


# --- Delivery -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryOutcome:
    status: str
    retry_in: float | None = None


def retry_delay(attempts: int) -> float:
    """Exponential backoff, capped well below Redis's visibility timeout (a longer ETA is redelivered)."""
    base = float(settings.NOTIFICATIONS_RETRY_BACKOFF)
    return min(float(settings.NOTIFICATIONS_RETRY_BACKOFF_MAX), base * 2 ** max(attempts - 1, 0))


def _message_for(notification: Notification) -> EmailMultiAlternatives:
    rendered = render_email(notification)
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].rstrip(">") or "localhost"
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient.email],
        connection=get_connection(),
        headers={
            # The same Message-ID on every attempt lets a receiving server drop a duplicate, as a last resort.
            "Message-ID": f"<notification-{notification.pk}@{domain}>",
            NOTIFICATION_ID_HEADER: str(notification.pk),
            "X-LDF-Event": notification.event,
        },
    )
    message.attach_alternative(rendered.html, "text/html")
    return message


def notification_claim(notification_id: int) -> Notification | DeliveryOutcome:
    """Lock the row just long enough to take it: only a pending email whose attempt is due, and mark it taken
    (attempts + 1, next attempt pushed past the send lease) before any mail goes out."""
    now = timezone.now()
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None:
            exists = Notification.objects.filter(pk=notification_id).exists()
            # Locked by another attempt right now, or gone (deleted with its recipient).
            return DeliveryOutcome(BUSY if exists else MISSING)
        if notification.status != Status.PENDING or notification.channel != Channel.EMAIL:
            return DeliveryOutcome(notification.status)
        if notification.next_attempt_at > now + CLAIM_TOLERANCE:
            # Another attempt holds the send lease, or this row's retry is not due yet.
            return DeliveryOutcome(BUSY)
        notification.attempts += 1
        notification.next_attempt_at = now + timedelta(seconds=settings.NOTIFICATIONS_SEND_LEASE)
        notification.save(update_fields=["attempts", "next_attempt_at"])
    return notification


def _failed(notification: Notification, failure: str, last_error: str) -> DeliveryOutcome:
    _record(notification, status=Status.FAILED, failure=failure, failed_at=timezone.now(), last_error=last_error)
    return DeliveryOutcome(Status.FAILED)


def _record(notification: Notification, **fields: object) -> None:
    """Write the outcome of a send. The mail has gone (or failed) already, so a database hiccup here is
    retried briefly rather than thrown away: losing a "sent" would let the sweep send it again."""
    for attempt in range(3):
        try:
            Notification.objects.filter(pk=notification.pk).update(**fields)
        except OperationalError:
            if attempt == 2:
                raise
            time.sleep(0.2 * (attempt + 1))
        else:
            break
    for name, value in fields.items():
        setattr(notification, name, value)


def notification_deliver(*, notification_id: int) -> DeliveryOutcome:
    """Send one pending row at most once.

    The row is claimed under its lock in a short transaction (so no transaction stays open while SMTP talks),
    then sent, then its outcome recorded. A second task for the same row, however it arrives, finds it claimed
    or sent and sends nothing. If a worker dies mid-send the claim's lease runs out and the sweep re-queues it.
    """
    claimed = notification_claim(notification_id)
    if isinstance(claimed, DeliveryOutcome):
        return claimed
    notification = claimed
    try:
        _message_for(notification).send()
    except Exception as error:
        last_error = describe(error)[:2000]
        if is_permanent(error):
            logger.warning("Notification %s failed for good: %s", notification.pk, last_error)
            return _failed(notification, Failure.PERMANENT, last_error)
        if notification.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
            logger.error(
                "Notification %s to %s: gave up after %s attempts: %s",
                notification.pk,
                notification.recipient.email,
                notification.attempts,
                last_error,
            )
            return _failed(
                notification, Failure.GAVE_UP, f"Gave up after {notification.attempts} attempts. {last_error}"
            )
        retry_in = retry_delay(notification.attempts)
        # Said in the worker's log as it happens (a mail outage is seen there, not only in the outbox).
        logger.warning(
            "Notification %s to %s: attempt %s failed, trying again in %.0f s: %s",
            notification.pk,
            notification.recipient.email,
            notification.attempts,
            retry_in,
            last_error,
        )
        _record(notification, last_error=last_error, next_attempt_at=timezone.now() + timedelta(seconds=retry_in))
        return DeliveryOutcome(Status.PENDING, retry_in)
    _record(notification, status=Status.SENT, sent_at=timezone.now(), last_error="")
    return DeliveryOutcome(Status.SENT)


def notification_sweep(*, limit: int | None = None) -> int:
    """Re-queue pending rows whose delivery is long overdue (the broker was down, or a message was lost).

    skip_locked: rows being delivered right now, or claimed by a concurrent sweep, are left to them.
    """
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.NOTIFICATIONS_SWEEP_AFTER)
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(status=Status.PENDING, channel=Channel.EMAIL, next_attempt_at__lte=cutoff)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[: limit or settings.NOTIFICATIONS_SWEEP_BATCH]
        )
        if ids:
            # Not again before another grace period, even if the broker is still down.
            Notification.objects.filter(pk__in=ids).update(next_attempt_at=now)
            transaction.on_commit(partial(enqueue_delivery, ids, sweeping=True), robust=True)
    return len(ids)


# --- Staff and recipients -------------------------------------------------------------------------------


def _retry_fields() -> dict:
    return {
        "status": Status.PENDING,
        "failure": "",
        "failed_at": None,
        "attempts": 0,
        "next_attempt_at": timezone.now(),
    }


def notification_retry(*, notification: Notification, by: User) -> Notification:
    """Staff send a failed message again (after fixing an address or the mail settings)."""
    if not by.has_perm("notifications.retry_notification", notification):
        raise ApplicationError("You do not have permission to do that")
    with transaction.atomic():
        locked = Notification.objects.select_for_update().get(pk=notification.pk)
        if locked.status != Status.FAILED:
            state = locked.get_status_display().lower()
            raise ApplicationError(f"This notification is {state}, so it cannot be retried")
        for name, value in _retry_fields().items():
            setattr(locked, name, value)
        locked.save(update_fields=list(_retry_fields()))
        transaction.on_commit(partial(enqueue_delivery, [locked.pk]), robust=True)
    return locked


RETRY_BATCH = 500


def notifications_retry_failed(
    *, since: datetime, failure: str = "", by: User | None, progress: Callable[[int], None] | None = None
) -> int:
    """Send again every message that failed at or after `since` (only those of one `failure` kind if given),
    after a mail outage outlasted the retry window. In batches, each its own short transaction; the rows are
    queued after each commit (and the sweep sends any the broker does not take). `by` is None for the command.
    """
    if by is not None and not by.has_perm("notifications.retry_notification"):
        raise ApplicationError("You do not have permission to do that")
    if failure and failure not in Failure.values:
        raise ApplicationError(f"Unknown kind of failure: {failure}")
    retried = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            failed = Notification.objects.select_for_update(skip_locked=True).filter(
                status=Status.FAILED, failed_at__gte=since, pk__gt=last_pk
            )
            if failure:
                failed = failed.filter(failure=failure)
            ids = list(failed.order_by("pk").values_list("pk", flat=True)[:RETRY_BATCH])
            if not ids:
                break
            Notification.objects.filter(pk__in=ids).update(**_retry_fields())
            transaction.on_commit(partial(enqueue_delivery, ids, sweeping=True), robust=True)
        retried += len(ids)
        last_pk = ids[-1]
        if progress is not None:
            progress(len(ids))
    return retried


def notification_mark_read(*, notification: Notification, by: User) -> Notification:
    if notification.recipient_id != by.pk:
        raise ApplicationError("This is not your notification")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


def preference_update(
    *, user: User, reminder_emails: bool | None = None, round_opening_emails: bool | None = None
) -> NotificationPreference:
    """Change the choices given (None leaves a choice as it is)."""
    changes = {
        name: value
        for name, value in (("reminder_emails", reminder_emails), ("round_opening_emails", round_opening_emails))
        if value is not None
    }
    preference, _created = NotificationPreference.objects.update_or_create(user=user, defaults=changes)
    return preference


def preference_for(*, user: User) -> NotificationPreference:
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(user=user)
