from django.contrib import admin

from notifications.models import Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
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
    readonly_fields = ("dedupe_key", "created_at", "sent_at", "attempts", "last_error", "failure", "failed_at")


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "reminder_emails", "updated_at")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
