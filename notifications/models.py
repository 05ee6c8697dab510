"""The outbox: one row per (event occurrence, recipient), written in the transaction of the change itself.

A row carries a snapshot of what the message needs (`context`), so delivery never imports the domain and a
message says what was true when the event happened.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from notifications.choices import Channel, Event, Failure, Status


class Notification(models.Model):
    event = models.CharField(max_length=40, choices=Event.choices, db_index=True)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    template = models.CharField(max_length=100, help_text="Base name under templates/, without .txt or .html")
    context = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    dedupe_key = models.CharField(max_length=255, unique=True)
    # Copied from context["reference"] so staff pages can list a bid's notifications without the domain.
    reference = models.CharField(max_length=30, blank=True, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    # For a failed row: refused for good, or temporary failures retried until the window ran out.
    failure = models.CharField(max_length=10, choices=Failure.choices, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # When a delivery attempt is next expected; the sweep re-queues pending rows long past it.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(
                fields=["next_attempt_at"], condition=models.Q(status=Status.PENDING), name="notification_pending_due"
            ),
            models.Index(fields=["failed_at"], condition=models.Q(status=Status.FAILED), name="notification_failed"),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()} to {self.recipient_id} ({self.status})"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class NotificationPreference(models.Model):
    """Per-user choices: whether reminders are emailed (decisions and receipts always go), and whether to be
    told when a round opens (off unless asked for)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    reminder_emails = models.BooleanField(default=True)
    round_opening_emails = models.BooleanField("tell me when a round opens", default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user_id}: reminder emails {'on' if self.reminder_emails else 'off'}"
