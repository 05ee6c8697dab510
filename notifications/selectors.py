"""Reads of the outbox: a person's own messages, and the staff view with filters."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import QuerySet

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


def failed_since(*, since: datetime, failure: str = "") -> QuerySet[Notification]:
    """Failed messages that failed at or after `since`, of one kind of failure if given."""
    failed = Notification.objects.filter(status=Status.FAILED, failed_at__gte=since)
    return failed.filter(failure=failure) if failure else failed


def users_opted_in_to_round_openings() -> QuerySet:
    """Ids of people who asked to be told when a round opens (a subquery for the domain's recipient lists)."""
    return NotificationPreference.objects.filter(round_opening_emails=True).values("user_id")
