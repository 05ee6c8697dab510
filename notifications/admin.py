from django.contrib import admin

from core.admin import ReadOnlyAdmin, ServiceAdmin
from notifications.models import Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """The outbox: written by `notify` (with its dedupe key) and sent by the workers; failures are sent again from
    the outbox's own page. Shown here, never added or changed."""

    list_display = (
        "created_at",
        "event",
        "recipient",
        "reference",
        "channel",
        "status",
        "failure",
        "attempts",
        "sent_at",
    )
    list_filter = ("status", "failure", "event", "channel")
    search_fields = ("reference", "recipient__email", "dedupe_key")
    list_select_related = ("recipient",)
    raw_id_fields = ("recipient",)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ServiceAdmin):
    list_display = ("user", "reminder_emails", "updated_at")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
