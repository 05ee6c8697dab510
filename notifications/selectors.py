"""Reads of the outbox: a person's own messages, and the staff view with filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from notifications.choices import Status
from notifications.models import Notification, NotificationPreference

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser as User


def notification_list_for_user(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).select_related("recipient").order_by("-created_at", "-pk")


def notification_get_for_user(*, user: User, pk: int) -> Notification | None:
    return Notification.objects.select_related("recipient").filter(recipient=user, pk=pk).first()


def notification_unread_count(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_list_for_staff(*, status: str = "", event: str = "", reference: str = "") -> QuerySet[Notification]:
    notifications = Notification.objects.select_related("recipient").order_by("-created_at", "-pk")
    if status.startswith(f"{Status.FAILED}_"):
        # "failed_permanent", "failed_gave_up": failed, and why.
        notifications = notifications.filter(status=Status.FAILED, failure=status.removeprefix(f"{Status.FAILED}_"))
    elif status:
        notifications = notifications.filter(status=status)
    if event:
        notifications = notifications.filter(event=event)
    if reference:
        notifications = notifications.filter(reference__iexact=reference.strip())
    return notifications


@dataclass(frozen=True)
class Waiting:
    count: int
    oldest: datetime | None
    late: int  # due longer ago than the sweep allows: the workers or beat are not running, or the broker is down


def outbox_waiting(*, now: datetime | None = None) -> Waiting:
    """The emails waiting to be sent, the oldest's age, and how many the sweep should have sent by now: what the
    outbox says at the top, so a stopped worker or scheduler is seen by staff (one query)."""
    now = now or timezone.now()
    late_before = now - timedelta(seconds=settings.NOTIFICATIONS_SWEEP_AFTER + 60)
    figures = Notification.objects.filter(status=Status.PENDING).aggregate(
        count=Count("pk"), oldest=Min("created_at"), late=Count("pk", filter=Q(next_attempt_at__lt=late_before))
    )
    return Waiting(count=figures["count"], oldest=figures["oldest"], late=figures["late"])


def failed_since(*, since: datetime, failure: str = "") -> QuerySet[Notification]:
    """Failed messages that failed at or after `since`, of one kind of failure if given."""
    failed = Notification.objects.filter(status=Status.FAILED, failed_at__gte=since)
    return failed.filter(failure=failure) if failure else failed


def users_opted_in_to_round_openings() -> QuerySet:
    """Ids of people who asked to be told when a round opens (a subquery for the domain's recipient lists)."""
    return NotificationPreference.objects.filter(round_opening_emails=True).values("user_id")
