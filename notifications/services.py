"""The outbox: domain services call `notify` inside their transaction; delivery happens after commit.

Delivery is at-least-once towards the broker and exactly-once towards the mail server as far as this side can
make it: the delivering task locks the row and sends only while it is `pending`, so a task that runs twice
(acks_late redelivery, a sweep racing the first attempt) never sends twice.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone

from councils.exceptions import ApplicationError
from councils.models import User
from notifications.backends import NOTIFICATION_ID_HEADER, describe, is_permanent
from notifications.choices import NON_ESSENTIAL_EVENTS, Channel, Event, Status
from notifications.models import Notification, NotificationPreference
from notifications.rendering import render_email

logger = logging.getLogger(__name__)

DEDUPE_KEY_LENGTH = 255


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


def enqueue_delivery(notification_ids: list[int]) -> int:
    """Hand rows to the broker. If it is down the rows stay pending and the sweep sends them later."""
    from notifications.tasks import deliver_notification

    queued = 0
    for notification_id in notification_ids:
        try:
            deliver_notification.apply_async(args=(notification_id,))
        except Exception:
            logger.warning(
                "Could not queue %d notification(s) (broker unavailable?); the sweep will send them",
                len(notification_ids) - queued,
                exc_info=True,
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


def notification_deliver(*, notification_id: int) -> DeliveryOutcome:
    """Send one pending row, holding its lock while sending so no other attempt can send it too."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None:
            return DeliveryOutcome("missing")
        if notification.status != Status.PENDING or notification.channel != Channel.EMAIL:
            return DeliveryOutcome(notification.status)
        now = timezone.now()
        notification.attempts += 1
        try:
            _message_for(notification).send()
        except Exception as error:
            notification.last_error = describe(error)[:2000]
            if is_permanent(error):
                notification.status = Status.FAILED
                logger.warning("Notification %s failed for good: %s", notification.pk, notification.last_error)
                retry_in = None
            elif notification.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
                notification.status = Status.FAILED
                notification.last_error = f"Gave up after {notification.attempts} attempts. {notification.last_error}"
                retry_in = None
            else:
                retry_in = retry_delay(notification.attempts)
                notification.next_attempt_at = now + timedelta(seconds=retry_in)
            notification.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
            return DeliveryOutcome(notification.status, retry_in)
        notification.status = Status.SENT
        notification.sent_at = timezone.now()
        notification.last_error = ""
        notification.save(update_fields=["attempts", "last_error", "status", "sent_at"])
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
            transaction.on_commit(partial(enqueue_delivery, ids), robust=True)
    return len(ids)


# --- Staff and recipients -------------------------------------------------------------------------------


def notification_retry(*, notification: Notification, by: User) -> Notification:
    """Staff send a failed message again (after fixing an address or the mail settings)."""
    if not by.has_perm("notifications.retry_notification", notification):
        raise ApplicationError("You do not have permission to do that")
    with transaction.atomic():
        locked = Notification.objects.select_for_update().get(pk=notification.pk)
        if locked.status != Status.FAILED:
            state = locked.get_status_display().lower()
            raise ApplicationError(f"This notification is {state}, so it cannot be retried")
        locked.status = Status.PENDING
        locked.attempts = 0
        locked.next_attempt_at = timezone.now()
        locked.save(update_fields=["status", "attempts", "next_attempt_at"])
        transaction.on_commit(partial(enqueue_delivery, [locked.pk]), robust=True)
    return locked


def notification_mark_read(*, notification: Notification, by: User) -> Notification:
    if notification.recipient_id != by.pk:
        raise ApplicationError("This is not your notification")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


def preference_update(*, user: User, reminder_emails: bool) -> NotificationPreference:
    preference, _created = NotificationPreference.objects.update_or_create(
        user=user, defaults={"reminder_emails": reminder_emails}
    )
    return preference


def preference_for(*, user: User) -> NotificationPreference:
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(user=user)
